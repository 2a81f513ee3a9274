// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyforge } from '../helpers/cli.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { readInputCases, zeroPointCase } from '../../src/lab/data/inputs.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';

/** A .npy file (format 1.0) holding `data` with dtype `descr` and `shape`. */
function npy(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

describe('CLI: inspect, compile, run', function () {
  const dir = mkdtempSync(join(tmpdir(), 'tf-run-'));
  before(function () {
    sharedModelsAvailable(this);
  });

  it('inspect prints ops, MACs, tensors and the memory plan; --json is one object', () => {
    const r = tinyforge(['inspect', sharedModelPath('micro_speech')]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout)
      .to.match(/DEPTHWISE_CONV_2D/)
      .and.match(/Memory plan/)
      .and.match(/arena: \d+ bytes \(peak\)/);
    const j = expectSchemaValid(tinyforge(['inspect', sharedModelPath('micro_speech'), '--json']).stdout);
    expect(j.layers.map((l: { op: string }) => l.op)).to.deep.equal(['RESHAPE', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'SOFTMAX']);
    expect(j.memory.arena).to.be.greaterThan(0);
  });

  it('inspect lists unsupported ops without failing', () => {
    const path = join(dir, 'unsupported.tflite');
    const tensors = [0, 1, 2].map((index) => ({
      index,
      name: `t${index}`,
      shape: [1, 4],
      dtype: 'int8' as const,
      quant: { scale: [0.1], zeroPoint: [0], axis: 0 },
    }));
    const graph: Graph = {
      name: 'unsupported',
      tensors,
      inputs: [0],
      outputs: [2],
      ops: [
        { index: 0, kind: 'TOPK_V2', inputs: [0], outputs: [1], attrs: {} },
        { index: 1, kind: 'CUSTOM:my_op', inputs: [1], outputs: [2], attrs: {} },
      ],
    };
    writeFileSync(path, writeTflite(graph));
    const r = tinyforge(['inspect', path]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/unsupported ops \(2\): #0 TOPK_V2, #1 CUSTOM:my_op/);
  });

  it('compile writes <name>.h, <name>.c, <name>_weights.c and prints the plan', () => {
    const out = join(dir, 'hello');
    const r = tinyforge(['compile', sharedModelPath('hello_world_int8'), '--target', 'cortex-m4', '-o', out]);
    expect(r.status, r.stderr).to.equal(0);
    for (const f of ['hello_world_int8.h', 'hello_world_int8.c', 'hello_world_int8_weights.c', 'hello_world_int8_weights.h', 'fixedpoint.h', 'CMakeLists.txt'])
      expect(existsSync(join(out, f)), f).to.equal(true);
    expect(readFileSync(join(out, 'hello_world_int8.c'), 'utf8'))
      .to.match(/FULLY_CONNECTED/)
      .and.not.match(/malloc/);
    expect(r.stdout).to.match(/Memory plan/);
  });

  it('run --json prints exactly one JSON object with the DESIGN.md §6 fields', () => {
    const [c] = goldenCases('hello_world_int8');
    const input = join(dir, 'in0.bin');
    writeFileSync(input, c!.input);
    const r = tinyforge(['run', sharedModelPath('hello_world_int8'), '--target', 'cortex-m4', '--input', input, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    const j = expectSchemaValid(lines[0]!);
    expect(j).to.include({ target: 'cortex-m4', board: 'qemu-mps2-an386' });
    expect(j.counter.kind).to.equal('instructions');
    expect(j.counter.source).to.be.a('string');
    expect(j.outputs).to.deep.equal([Array.from(new Int8Array(c!.output.buffer, c!.output.byteOffset, c!.output.length))]);
    expect(j.perInference).to.be.a('number').greaterThan(0);
    for (const k of ['arena', 'scratch', 'stack', 'flash', 'flashWeights', 'ram']) expect(j.memory[k], k).to.be.a('number');
    expect(r.stderr).to.match(/building/);
  });

  it('run takes .npy input (int8 as is, float32 quantized with the input scale) and several inputs back to back', () => {
    const cases = goldenCases('hello_world_int8');
    const raw = join(dir, 'all.bin');
    writeFileSync(raw, Buffer.concat(cases.map((c) => c.input)));
    const fromRaw = expectSchemaValid(tinyforge(['run', sharedModelPath('hello_world_int8'), '--input', raw, '--json']).stdout);
    expect(fromRaw.cases).to.have.length(4);
    fromRaw.cases.forEach((k: { outputs: number[][]; matchesReference: boolean }, i: number) => {
      expect(k.outputs[0]).to.deep.equal(Array.from(new Int8Array(cases[i]!.output.buffer, cases[i]!.output.byteOffset, 1)));
      expect(k.matchesReference).to.equal(true);
    });
    const int8 = join(dir, 'in.npy');
    writeFileSync(int8, npy('|i1', [4, 1, 1], Buffer.concat(cases.map((c) => c.input))));
    // the .npy cases are the raw file's bytes, read as `run --input` reads them (no second build)
    const graph = loadGraph(sharedModelPath('hello_world_int8'));
    expect(readInputCases(graph, int8)).to.deep.equal(readInputCases(graph, raw));
    // x = 1.0 with scale 0.0244801156, zero point -128: q = round(40.85) - 128 = -87
    const f32 = join(dir, 'float.npy');
    writeFileSync(f32, npy('<f4', [1, 1], new Uint8Array(new Float32Array([1.0]).buffer)));
    const q = join(dir, 'q.bin');
    writeFileSync(q, new Uint8Array(new Int8Array([-87]).buffer));
    expect(readInputCases(graph, f32)).to.deep.equal(readInputCases(graph, q));
    // and a float .npy through the CLI end to end: its output is the reference's on that quantized input
    const a = expectSchemaValid(tinyforge(['run', sharedModelPath('hello_world_int8'), '--target', 'host', '--input', f32, '--json']).stdout);
    expect(a.outputs).to.deep.equal(
      interpret(prepareGraph(graph), readInputCases(graph, q)[0]!).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))),
    );
    expect(a.counter).to.equal(null);
    expect(a.board).to.equal(null);
  });

  it('run refuses an input of the wrong size, naming the file and the expected size', () => {
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, new Uint8Array(3));
    const r = tinyforge(['run', sharedModelPath('micro_speech'), '--input', bad]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim()).to.match(/^error: .*bad\.bin: 3 bytes .*1960/);
  });

  it('targets lists the cortex-m4 board as emulated, counting instructions', () => {
    const r = tinyforge(['targets']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/cortex-m4 .*qemu-mps2-an386.*instructions.*emulated/);
  });
});

describe('run without --input: every input at its zero point', function () {
  it('encodes the zero-point case of every input dtype, 64-bit and unsigned 32-bit included', () => {
    const b = new GraphBuilder('zero_point_inputs');
    const wide = b.input({ shape: [3], dtype: 'int64' });
    const unsigned = b.input({ shape: [2], dtype: 'uint32' });
    const quantized = b.input({ shape: [2], dtype: 'int8', q: { scale: 0.5, zeroPoint: -7 } });
    b.output(wide, unsigned, quantized);
    const [a, u, q] = zeroPointCase(b.build());
    expect(Array.from(a!)).to.deep.equal(new Array(24).fill(0));
    expect(Array.from(u!)).to.deep.equal(new Array(8).fill(0));
    expect(Array.from(new Int8Array(q!.buffer, q!.byteOffset, 2))).to.deep.equal([-7, -7]);
  });

  it('runs a model whose input is int64 with no --input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-run-i64-'));
    const b = new GraphBuilder('int64_input');
    const shape = b.input({ shape: [3], dtype: 'int64' });
    const ones = b.constant({ shape: [2], dtype: 'int64' }, new BigInt64Array(2).fill(1n));
    const [out] = b.op('BROADCAST_ARGS', [shape, ones], [{ shape: [3], dtype: 'int64' }]);
    b.output(out!);
    const model = join(dir, 'int64_input.tflite');
    writeFileSync(model, writeTflite(b.build()));
    const r = tinyforge(['run', model, '--target', 'host', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).matchesReference).to.equal(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
