// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyforge, type CliResult } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { writeTflite } from '../../src/model/tflite/writer.ts';
import type { Graph } from '../../src/ir/graph.ts';

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

  it('a wrong file identifier', function () {
    if (!sharedModelsAvailable(this)) return;
    const bytes = new Uint8Array(readFileSync(sharedModelPath('hello_world_int8')));
    bytes.set([0x58, 0x58, 0x58, 0x58], 4);
    const path = join(dir, 'wrongid.tflite');
    writeFileSync(path, bytes);
    expectCleanError(tinyforge(['compile', path, '-o', join(dir, 'out-wrongid')]), 'wrongid.tflite', /identifier/i);
    expect(existsSync(join(dir, 'out-wrongid'))).to.equal(false);
  });

  it('a float model given to compile', () => {
    const path = join(dir, 'float.tflite');
    const g = tinyGraph(['RELU'], 'float32');
    writeFileSync(path, writeTflite(g));
    expectCleanError(tinyforge(['compile', path, '-o', join(dir, 'out-float')]), 'float.tflite', /float/);
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
