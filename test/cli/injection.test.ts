// SPDX-License-Identifier: Apache-2.0
/**
 * A model file is untrusted input. Its tensor names and its file name are made of everything that
 * could end a C comment or string, start a preprocessor line, expand in a shell or CMake, close a
 * <script> element or drive a terminal, and go through every place tinyforge writes them: the C
 * (built with -Werror for the host and the Cortex-M4, and run: the outputs must match the
 * reference), the ESP-IDF and Pico SDK projects (CMake), the HTML profile report, --json, inspect and
 * the one-line error messages.
 */
import { expect } from 'chai';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyforge } from '../helpers/cli.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';

/** Names that break out of C comments and strings, preprocessor lines, shells, CMake, HTML and terminals. */
export const HOSTILE_NAMES = [
  '*/ #error injected /*',
  '// comment\n#include "injected.h"\n#error newline',
  'quote" \' back\\slash \\',
  '${HOME} $(touch injected) `id` $ENV{PATH}',
  '</script><script>alert("injected")</script><!--',
  'esc\u001b[31mred\u0007bell\u0000nul\r\u009b2J',
  '??/ trigraph ??= \u2028 line separator ünïcode',
];

/** Control characters that must never reach a terminal raw (newline and tab are tinyforge's own layout). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/** FULLY_CONNECTED (weights, bias) -> RELU, every tensor named by one of HOSTILE_NAMES. */
function hostileModel(): Uint8Array {
  const b = new GraphBuilder('hostile');
  const name = (k: number) => HOSTILE_NAMES[k % HOSTILE_NAMES.length]!;
  const x = b.input({ shape: [1, 4], q: { scale: 0.1, zeroPoint: 2 }, name: name(0) });
  const w = b.constant({ shape: [3, 4], q: { scale: 0.02, zeroPoint: 0 }, name: name(1) }, Int8Array.from([1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12]));
  const bias = b.constant({ shape: [3], dtype: 'int32', q: { scale: 0.1 * 0.02, zeroPoint: 0 }, name: name(2) }, Int32Array.from([100, -200, 300]));
  const [h] = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [1, 3], q: { scale: 0.05, zeroPoint: -3 }, name: name(3) }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  const [y] = b.op('RELU', [h!], [{ shape: [1, 3], q: { scale: 0.05, zeroPoint: -3 }, name: name(4) }]);
  const [z] = b.op('RELU', [y!], [{ shape: [1, 3], q: { scale: 0.05, zeroPoint: -3 }, name: name(5) }]);
  const [o] = b.op('RELU', [z!], [{ shape: [1, 3], q: { scale: 0.05, zeroPoint: -3 }, name: name(6) }]);
  b.output(o!);
  return writeTflite(b.build());
}

/** Every file under `dir`, with its path relative to it. */
function filesUnder(dir: string, prefix = ''): { name: string; text: string }[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${f}/`) : [{ name: `${prefix}${f}`, text: readFileSync(path, 'latin1') }];
  });
}

/**
 * C text with its comments and string and character literals blanked, as the compiler's lexer sees
 * them (an escaped quote stays inside its literal, a comment ends at the first star-slash): what is
 * left is the code, where no model string may appear.
 */
export function cCodeOnly(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
    } else if (text[i] === '"' || text[i] === "'") {
      const quote = text[i];
      i++;
      while (i < text.length && text[i] !== quote && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      out += `${quote}${quote}`;
    } else out += text[i++];
  }
  return out;
}

/**
 * Pieces of HOSTILE_NAMES (and the file name) that would only be in the code if a string escaped its
 * comment or literal. (Their letters alone may be: a name made a C identifier keeps [A-Za-z0-9_].)
 */
const INJECTED = /#\s*error\b|#\s*include\s*"injected|<\/?script|alert\(|\$\((touch|id)|\$\{(X|HOME)\}|\$ENV\{PATH\}|`id`|\*\/ #|"injected\.h"|\?\?[=/]/;

/** The model's strings stay inside comments and literals, escaped: no injected code, no control character. */
function expectNoInjection(files: { name: string; text: string }[]): void {
  expect(files.length).to.be.greaterThan(0);
  for (const f of files) {
    if (/\.(c|h|S)$/.test(f.name)) expect(INJECTED.exec(cCodeOnly(f.text))?.[0], f.name).to.equal(undefined);
    if (/CMakeLists\.txt$|\.cmake$|\.yml$/.test(f.name)) {
      const code = f.text.split('\n').filter((l) => !/^\s*#/.test(l));
      expect(INJECTED.exec(code.join('\n'))?.[0], f.name).to.equal(undefined);
    }
    expect(RAW_CONTROL.test(f.text.replace(/\r\n/g, '\n')), `${f.name} holds a raw control character`).to.equal(false);
  }
}

describe('model strings never inject into C, CMake, HTML, JSON or the terminal', function () {
  const scratch = scratchDir('cli-injection');
  const dir = join(scratch.dir, "models with space, 'quote' $(touch injected) ünï");
  // a file name may hold anything but a slash and NUL
  const model = join(dir, 'm *\\ #error "q" $(id) ${X} ??=\nnext \u001b[2J.tflite');
  before(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(model, hostileModel());
  });
  after(() => scratch.cleanup());

  it('compile: the C of hostile names builds with -Werror and runs bit-exact on the host and the Cortex-M4', function () {
    requireTools(this, ['cc', 'arm-none-eabi-gcc', 'qemu-system-arm']);
    for (const target of ['host', 'cortex-m4']) {
      const keep = join(scratch.dir, `keep-${target}`);
      const r = tinyforge(['run', model, '--target', target, '--keep', keep, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as { matchesReference: boolean; outputs: unknown[] };
      expect(report.matchesReference).to.equal(true);
      expectNoInjection(filesUnder(join(keep, 'model')));
      expect(readdirSync(scratch.dir)).to.not.include('injected');
    }
  });

  it('compile --project esp-idf and pico-sdk: no model string reaches CMake or C raw', () => {
    for (const [target, project] of [
      ['esp32c3', 'esp-idf'],
      ['rp2040', 'pico-sdk'],
    ]) {
      const out = join(scratch.dir, `project-${project}`);
      const r = tinyforge(['compile', model, '--target', target!, '--project', project!, '-o', out]);
      expect(r.status, r.stderr).to.equal(0);
      expectNoInjection(filesUnder(out));
    }
    expect(readdirSync(scratch.dir)).to.not.include('injected');
  });

  it('profile --html: no injected markup, the data block parses back to the names', function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const html = join(scratch.dir, 'report "x" <b>.html');
    const r = tinyforge(['profile', model, '--target', 'cortex-m4', '--html', html, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    JSON.parse(r.stdout);
    const text = readFileSync(html, 'utf8');
    expect(text).to.not.include('<script>alert(');
    expect(text).to.not.include('</script><script>alert');
    // the report's own: its data, the error trap, Chart.js and the drawing script
    expect(text.match(/<script\b/g)?.length, 'only the report’s own four script elements').to.equal(4);
    const data = JSON.parse(/<script type="application\/json" id="tinyforge-data">(.*?)<\/script>/s.exec(text)![1]!) as { runs: { model: string }[] };
    expect(data.runs[0]!.model).to.be.a('string');
    expect(RAW_CONTROL.test(text)).to.equal(false);
  });

  it('inspect and inspect --json: no control character reaches the terminal; the JSON names are exact', () => {
    const text = tinyforge(['inspect', model]);
    expect(text.status, text.stderr).to.equal(0);
    expect(RAW_CONTROL.test(text.stdout)).to.equal(false);
    // a newline in a name or the file name would start a forged line
    for (const line of text.stdout.split('\n')) expect(line).to.not.match(/^(#include|#error|next )/);
    const json = tinyforge(['inspect', model, '--json']);
    expect(json.status, json.stderr).to.equal(0);
    expect(RAW_CONTROL.test(json.stdout)).to.equal(false);
    const parsed = JSON.parse(json.stdout) as { tensors: { name: string }[] };
    expect(parsed.tensors.map((t) => t.name)).to.include.members(HOSTILE_NAMES);
  });

  it('an error quoting hostile names is one line with no control character', () => {
    const bytes = hostileModel();
    const b = new GraphBuilder('bad');
    const x = b.input({ shape: [1, 4], q: { scale: Number.NaN, zeroPoint: 0 }, name: HOSTILE_NAMES[5] });
    const [y] = b.op('RELU', [x], [{ shape: [1, 4], q: { scale: 0.1, zeroPoint: 0 }, name: HOSTILE_NAMES[1] }]);
    b.output(y!);
    const bad = join(dir, 'bad\u001b[2J.tflite');
    writeFileSync(bad, writeTflite(b.build()));
    expect(bytes.length).to.be.greaterThan(0);
    for (const args of [
      ['compile', bad, '-o', join(scratch.dir, 'never')],
      ['inspect', join(dir, 'missing\u0007\n.tflite')],
    ]) {
      const r = tinyforge(args);
      expect(r.status).to.equal(1);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(/^error: /);
      expect(RAW_CONTROL.test(r.stderr)).to.equal(false);
    }
    expect(readdirSync(scratch.dir)).to.not.include('never');
  });
});
