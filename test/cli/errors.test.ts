// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, tinyforge, type CliResult } from '../helpers/cli.ts';
import { tinyforgeAsync } from './async-cli.ts';
import { BAD_INPUT_CASES, type BadInputCase, makeBadInputFiles } from './bad_input_cases.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { TflmRefError, runTflmRef } from '../helpers/tflm_ref.ts';

/** A user-facing failure: non-zero exit, one line on stderr naming the problem, no stack trace. */
function expectCleanError(r: CliResult, ...mustMention: (string | RegExp)[]) {
  expect(r.status, r.stderr).to.not.equal(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^error: /);
  expect(r.stderr).to.not.match(/\n\s+at /);
  for (const m of mustMention) expect(lines[0]).to.match(typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
}

function tinyGraph(kinds: string[], dtype: 'int8' | 'float32' = 'int8'): Graph {
  const q = dtype === 'int8' ? { quant: { scale: [0.1], zeroPoint: [0], axis: 0 } } : {};
  const tensors = Array.from({ length: kinds.length + 1 }, (_, index) => ({ index, name: `t${index}`, shape: [1, 4], dtype, ...q }));
  return {
    name: 'tiny',
    tensors,
    ops: kinds.map((kind, index) => ({ index, kind, inputs: [index], outputs: [index + 1], attrs: {} })),
    inputs: [0],
    outputs: [kinds.length],
  };
}

describe('CLI: bad input gives one clear line and a non-zero exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-cli-'));

  it('a missing model file', () => {
    expectCleanError(tinyforge(['inspect', join(dir, 'nope.tflite')]), 'nope.tflite', 'no such file');
  });

  it('a truncated flatbuffer', function () {
    if (!sharedModelsAvailable(this)) return;
    const bytes = readFileSync(sharedModelPath('hello_world_int8'));
    for (const length of [0, 6, 100, 1500]) {
      const path = join(dir, `cut${length}.tflite`);
      writeFileSync(path, bytes.subarray(0, length));
      expectCleanError(tinyforge(['inspect', path]), `cut${length}.tflite`);
    }
  });

  it('another file identifier: a model that reads compiles (TFLite Micro ignores it), a corrupt one is refused', function () {
    if (!sharedModelsAvailable(this)) return;
    const bytes = new Uint8Array(readFileSync(sharedModelPath('hello_world_int8')));
    bytes.set([0x58, 0x58, 0x58, 0x58], 4);
    const path = join(dir, 'wrongid.tflite');
    writeFileSync(path, bytes);
    const ok = tinyforge(['compile', path, '-o', join(dir, 'out-wrongid')]);
    expect(ok.status, ok.stderr).to.equal(0);
    bytes.set([0xff, 0xff, 0xff, 0x7f], 0); // the root table's offset, far past the end
    writeFileSync(path, bytes);
    expectCleanError(tinyforge(['compile', path, '-o', join(dir, 'out-wrongid2')]), 'wrongid.tflite', /identifier "XXXX" instead of "TFL3"/);
    expect(existsSync(join(dir, 'out-wrongid2'))).to.equal(false);
  });

  it('a float model with an op that has no float32 kernel given to compile', () => {
    const path = join(dir, 'float.tflite');
    const g = tinyGraph(['GELU'], 'float32');
    writeFileSync(path, writeTflite(g));
    expectCleanError(tinyforge(['compile', path, '-o', join(dir, 'out-float')]), 'float.tflite', /no float32 kernel for GELU/);
    expect(existsSync(join(dir, 'out-float'))).to.equal(false);
  });

  it('every unsupported op listed at once, with its index', () => {
    const path = join(dir, 'unsupported.tflite');
    writeFileSync(path, writeTflite(tinyGraph(['TOPK_V2', 'SOFTMAX', 'UNIQUE'])));
    const r = tinyforge(['compile', path, '-o', join(dir, 'out-unsupported')]);
    expectCleanError(r, 'unsupported.tflite', '#0 TOPK_V2', '#2 UNIQUE');
    expect(existsSync(join(dir, 'out-unsupported'))).to.equal(false);
  });

  it('an unwritable output directory', function () {
    if (!sharedModelsAvailable(this)) return;
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    expectCleanError(tinyforge(['compile', sharedModelPath('hello_world_int8'), '-o', join(blocker, 'out')]), 'a-file/out');
  });

  it('a missing toolchain names the apt package', function () {
    if (!sharedModelsAvailable(this)) return;
    const bin = join(dir, 'bin-without-toolchains');
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, 'node'))) symlinkSync(process.execPath, join(bin, 'node'));
    const r = tinyforge(['run', sharedModelPath('hello_world_int8'), '--target', 'cortex-m4'], { env: { ...process.env, PATH: bin } });
    expectCleanError(r, 'arm-none-eabi-gcc', 'apt-get install gcc-arm-none-eabi');
  });

  it('an unknown target', () => {
    expectCleanError(tinyforge(['compile', 'x.tflite', '--target', 'z80', '-o', join(dir, 'o')]), 'z80');
  });
});

/** docs/errors.md as the table of cases makes it. */
export function errorsDoc(cases: readonly BadInputCase[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const code = (text: string) => `\`${cell(text)}\``;
  const lines = [
    '# What tinyforge refuses, and what it says',
    '',
    '<!-- Generated by test/cli/errors.test.ts from test/cli/bad_input_cases.ts; the test fails when this page and the',
    '     table differ. Regenerate with: TINYFORGE_WRITE_DOCS=1 npx mocha --no-config --node-option import=tsx test/cli/errors.test.ts -->',
    '',
    'Every bad path, file, model or argument ends the same way: one line on stderr starting with',
    '`error:` that names the file, tensor, op or option at fault, a non-zero exit status, and nothing',
    'written (no output directory, no report, no build). Names from the model are quoted with their',
    'control characters escaped, so a message is always one line and never drives the terminal. The',
    'model is checked as a whole before anything is built (`src/core/passes/validate.ts`), ports before any',
    "build, and the target's memory by `compile` as well as `run`. A run that finishes with outputs",
    "that differ from tinyforge's reference prints its report, then an `error:` line, and exits 3.",
    '',
    'Each row below is a case the test suite runs (paths relative to the folder of the files).',
  ];
  lines.push(
    '',
    'The last column says what TensorFlow Lite Micro does with the same model or input. Where it names',
    "a verdict on a model file, the test suite checks it against TFLite Micro's reference kernels",
    '(`tflm-ref`, or its recorded answer): TFLite Micro refuses in `GetModel`, `AllocateTensors` or',
    '`Invoke`, or runs. Where tinyforge refuses what TFLite Micro runs, the column says what TFLite',
    'Micro then computes.',
  );
  for (const group of ['model file', 'model contents', 'inputs', 'options and ports'] as const) {
    const withTflm = group !== 'options and ports';
    lines.push(
      '',
      `## ${group[0]!.toUpperCase()}${group.slice(1)}`,
      '',
      `| What is wrong | Command | The error line says | Exit |${withTflm ? ' TFLite Micro |' : ''}`,
      `| --- | --- | --- | --- |${withTflm ? ' --- |' : ''}`,
    );
    for (const c of cases.filter((k) => k.group === group)) {
      const row = `| ${cell(c.what)} | ${code(`tinyforge ${c.args.join(' ')}`)} | ${code(`error: …${c.says}`)} | ${c.exit ?? 1} |`;
      lines.push(withTflm ? `${row} ${cell(c.tflm ?? '')} |` : row);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Every file and folder under `dir` (relative), to see that a failing command wrote nothing. */
function listing(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const name = `${prefix}${e.name}`;
    return e.isDirectory() ? [name, ...listing(join(dir, e.name), `${name}/`)] : [name];
  });
}

describe('CLI: every bad path, file, model and argument (docs/errors.md)', function () {
  // a folder whose path holds spaces, quotes, $(...) and non-ASCII: every case runs in it
  const root = mkdtempSync(join(tmpdir(), 'tf-bad-'));
  const dir = join(root, `bad input 'q' "dq" $(touch injected) ünï`);
  before(() => makeBadInputFiles(dir));
  after(() => {
    chmodSync(join(dir, 'locked.tflite'), 0o600);
    rmSync(root, { recursive: true, force: true });
  });

  it('docs/errors.md is the table of cases', () => {
    const doc = errorsDoc(BAD_INPUT_CASES);
    const path = join(PROJECT_ROOT, 'docs', 'errors.md');
    if (process.env.TINYFORGE_WRITE_DOCS) writeFileSync(path, doc);
    expect(readFileSync(path, 'utf8'), 'docs/errors.md differs from test/cli/bad_input_cases.ts: regenerate it (see its first lines)').to.equal(doc);
  });

  it('every model and input case says what TFLite Micro does; options and ports do not', () => {
    for (const c of BAD_INPUT_CASES) expect(c.tflm !== undefined, c.what).to.equal(c.group !== 'options and ports');
  });

  it("the TFLite Micro column's verdicts are tflm-ref's answers (live or recorded)", function () {
    const wrong: string[] = [];
    for (const c of BAD_INPUT_CASES.filter((k) => k.tflmModel)) {
      const { file, refuses } = c.tflmModel!;
      let refusal: string | undefined;
      try {
        runTflmRef(join(dir, file));
      } catch (e) {
        if (!(e instanceof TflmRefError)) throw e;
        refusal = e.message;
      }
      if ((refusal !== undefined) !== refuses) wrong.push(`${file}: TFLite Micro ${refusal !== undefined ? `refuses it (${refusal})` : 'runs it'}`);
    }
    expect(wrong, 'docs/errors.md says otherwise').to.deep.equal([]);
  });

  it('each case: one error line saying what is wrong, its exit status, nothing written', async function () {
    // a CLI start per case (about 80): minutes on a loaded 2-core machine
    const before = listing(dir).sort();
    const results: { c: BadInputCase; r: CliResult }[] = [];
    const runnable = BAD_INPUT_CASES.filter((c) => {
      const why = c.unavailable?.();
      if (why) console.warn(`  NOTICE: skipping "${c.what}": ${why}`);
      return !why;
    });
    // three at a time: each is a CLI start and at most a compile, never a build
    for (let k = 0; k < runnable.length; k += 3) {
      const batch = runnable.slice(k, k + 3);
      results.push(...(await Promise.all(batch.map(async (c) => ({ c, r: await tinyforgeAsync(c.args, 60_000, dir) })))));
    }
    for (const { c, r } of results) {
      const label = `${c.what}: tinyforge ${c.args.join(' ')}\n${r.stderr}`;
      expect(r.status, label).to.equal(c.exit ?? 1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, label).to.have.length(1);
      expect(lines[0], label).to.match(/^error: /);
      expect(lines[0], label).to.include(c.says);
      expect(r.stdout, label).to.equal('');
    }
    expect(listing(dir).sort(), 'a failing command wrote a file').to.deep.equal(before);
    expect(readFileSync(join(dir, 'notes.html'), 'utf8')).to.equal('<p>my own notes</p>\n');
  });

  it('paths with spaces, quotes, $(...) and non-ASCII: compiled and reported exactly', () => {
    const out = join(dir, `out 'q' $(x) ü`);
    const ok = tinyforge(['compile', join(dir, 'model.tflite'), '-o', out]);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(existsSync(join(out, 'model.c'))).to.equal(true);
    rmSync(out, { recursive: true });
    const missing = join(dir, `no "such" $(model) ü.tflite`);
    expectCleanError(tinyforge(['compile', missing, '-o', out]), `${missing}: no such file`);
    expect(existsSync(out)).to.equal(false);
  });
});
