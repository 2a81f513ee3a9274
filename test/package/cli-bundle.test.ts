// SPDX-License-Identifier: Apache-2.0
/**
 * dist/cli.cjs, the command line in one CommonJS file that bin/tinyforge.js runs (scripts/build.mjs
 * bundleCli): it writes what dist's modules write, each op finding its templates beside its own
 * module, and it leaves the packages only some commands need unloaded until one of them runs.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const BUNDLE = join(PROJECT_ROOT, 'dist', 'cli.cjs');
const MODULES = join(PROJECT_ROOT, 'dist', 'face', 'cli', 'main.js');
const TFLITE = join(PROJECT_ROOT, 'examples', 'mnist', 'mnist_cnn_int8.tflite');
const ONNX = join(PROJECT_ROOT, 'examples', 'onnx_cnn', 'cnn_qdq.onnx');
/** each kernel family's ops (their templates in other folders) and both readers */
const COMPILES: [string, string][] = [
  [TFLITE, 'cortex-m4'],
  [TFLITE, 'rp2040'],
  [TFLITE, 'cortex-m55'],
  [TFLITE, 'esp32c3'],
  [TFLITE, 'esp32s3'],
  [ONNX, 'cortex-m4'],
];

function node(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: HANG_GUARD_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file of a folder, by name. */
function filesOf(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

describe('dist/cli.cjs: the command line in one file', function () {
  let scratch: string;
  before(function () {
    // npm test builds dist/ first (pretest); a bare mocha run over a checkout may not have
    if (!existsSync(BUNDLE) || !existsSync(MODULES)) this.skip();
    scratch = mkdtempSync(join(tmpdir(), 'tf-cli-bundle-'));
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("compiles for every kernel family what dist's modules compile, byte for byte", () => {
    for (const [k, [model, target]] of COMPILES.entries()) {
      const out = (via: string) => join(scratch, via, `${k}-${target}`, 'out');
      for (const [via, entry] of [
        ['bundle', BUNDLE],
        ['modules', MODULES],
      ] as const) {
        const r = node([entry, 'compile', model, '--target', target, '-o', out(via)]);
        expect(r.status, `${via} ${target}: ${r.stderr}`).to.equal(0);
      }
      const bundled = filesOf(out('bundle'));
      const modules = filesOf(out('modules'));
      expect([...bundled.keys()].sort(), target).to.deep.equal([...modules.keys()].sort());
      for (const [name, text] of bundled) expect(text === modules.get(name), `${target} ${name}`).to.equal(true);
    }
  });

  it('compile requires none of the optional packages (TensorFlow.js, BullMQ, ONNX Runtime, ts-morph, Chart.js)', () => {
    // a preload that lists the packages required, printed as the process exits
    const preload =
      "const M = require('module'); const load = M._load; const seen = new Set();" +
      'M._load = function (r) { if (/^(@tensorflow|bullmq|ioredis|onnxruntime|ts-morph|chart)/.test(r)) seen.add(r); return load.apply(this, arguments); };' +
      "process.on('exit', () => process.stderr.write('required: ' + [...seen].join(' ') + '\\n'));";
    const r = node([
      '-e',
      `${preload} process.argv.splice(1, 0, ${JSON.stringify(BUNDLE)}); require(${JSON.stringify(BUNDLE)});`,
      '--',
      'compile',
      ONNX,
      '--target',
      'cortex-m4',
      '-o',
      join(scratch, 'lazy'),
    ]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/^required: $/m);
  });
});
