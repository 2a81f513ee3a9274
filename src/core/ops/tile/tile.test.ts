// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import tile from './index.ts';
import { OpError, TinyforgeError } from '../../errors.ts';
import { type DType, elementCount } from '../../ir/graph.ts';
import { type TensorBuffer, allocBuffer, fromBytes, toBytes } from '../../ir/buffers.ts';
import { compileGraph } from '../../compile.ts';
import { parseTflite } from '../../model/tflite/reader.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { interpret } from '../interpreter.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.05, zeroPoint: -3 };
const QUANTIZED: DType[] = ['int8', 'int16'];
const DTYPES: DType[] = ['int8', 'uint8', 'int16', 'int32', 'int64', 'float32', 'bool'];

function graphOf(shape: number[], multiples: number[], dtype: DType = 'int8', multiplesDtype: 'int32' | 'int64' = 'int32') {
  const q = QUANTIZED.includes(dtype) ? Q : {};
  const data = multiplesDtype === 'int32' ? Int32Array.from(multiples) : BigInt64Array.from(multiples.map(BigInt));
  return singleOpGraph(
    'TILE',
    [
      { shape, dtype, ...q },
      { shape: [multiples.length], dtype: multiplesDtype, data },
    ],
    [{ shape: shape.map((d, k) => d * multiples[k]!), dtype, ...q }],
  );
}

/** Distinct values over the dtype's range, so a misplaced element shows. */
function values(rand: () => number, dtype: DType, n: number): TensorBuffer {
  const b = allocBuffer(dtype, n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'int64') (b as BigInt64Array)[i] = BigInt(randomInt(rand, -2e9, 2e9)) * 4099n;
    else if (dtype === 'float32') (b as Float32Array)[i] = (rand() * 2 - 1) * 1e6;
    else if (dtype === 'bool') (b as Uint8Array)[i] = randomInt(rand, 0, 1);
    else {
      const bits = { int8: 8, uint8: 8, int16: 16, int32: 32 }[dtype as 'int8']!;
      const lo = dtype === 'uint8' ? 0 : -(2 ** (bits - 1));
      (b as Int32Array)[i] = randomInt(rand, lo, lo + 2 ** bits - 1);
    }
  }
  return b;
}

/**
 * numpy.tile written the way numpy defines it, independently of the kernel's coordinate walk: the
 * tensor as nested arrays, each level's list of children repeated multiples[k] times (innermost level
 * first: tiling the children, then repeating the whole).
 */
function numpyTile<T>(flat: readonly T[], shape: readonly number[], multiples: readonly number[]): T[] {
  type Nested = T | Nested[];
  const nest = (at: number, k: number): Nested => {
    if (k === shape.length) return flat[at]!;
    const inner = shape.slice(k + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[k]! }, (_, i) => nest(at + i * inner, k + 1));
  };
  const tileLevel = (x: Nested, k: number): Nested => {
    if (k === shape.length) return x;
    const children = (x as Nested[]).map((c) => tileLevel(c, k + 1));
    return ([] as Nested[]).concat(...Array.from({ length: multiples[k]! }, () => children));
  };
  const flatten = (x: Nested, into: T[]): T[] => {
    if (Array.isArray(x)) x.forEach((c) => flatten(c, into));
    else into.push(x);
    return into;
  };
  return flatten(tileLevel(nest(0, 0), 0), []);
}

/** A buffer as plain values, compared through its bytes (NaN-free, -0 kept apart by the bytes). */
function plain(b: TensorBuffer): unknown[] {
  return Array.from(b as ArrayLike<unknown>);
}

describe('TILE', () => {
  describe('reference kernel', () => {
    it('repeats a matrix as numpy.tile does (hand-checked)', () => {
      // [[1,2,3],[4,5,6]] tiled (2,2): each row twice side by side, then the two rows again below
      const g = graphOf([2, 3], [2, 2]);
      expect(Array.from(evaluateOp(tile, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([
        1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6,
      ]);
      // [3,1] tiled (1,4): each value four times in its row
      const col = graphOf([3, 1], [1, 4], 'int16');
      expect(Array.from(evaluateOp(tile, col.graph, col.op, [Int16Array.from([-7, 0, 32767])])[0] as Int16Array)).to.deep.equal([
        -7, -7, -7, -7, 0, 0, 0, 0, 32767, 32767, 32767, 32767,
      ]);
      expect(numpyTile([1, 2, 3, 4, 5, 6], [2, 3], [2, 2])).to.deep.equal([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    });

    it('writes each output element once: the input into the first tile, then blocks replicated outwards', () => {
      const p = tile.prepare(graphOf([1, 4, 4, 8], [1, 2, 3, 1]).graph, graphOf([1, 4, 4, 8], [1, 2, 3, 1]).op);
      // rows of 4x8 = 32 elements land 96 apart (3 tiles along W)
      expect(p.place.loops).to.deep.equal([
        { extent: 4, src: 32, dst: 96 },
        { extent: 32, src: 1, dst: 1 },
      ]);
      // W: each 32-element row copied twice after itself; H: the 384-element first half once
      expect(p.replicate.map((r) => [r.axis, r.copy.loops, r.copy.dstOffset])).to.deep.equal([
        [
          2,
          [
            { extent: 4, src: 96, dst: 96 },
            { extent: 2, src: 0, dst: 32 },
            { extent: 32, src: 1, dst: 1 },
          ],
          32,
        ],
        [1, [{ extent: 384, src: 1, dst: 1 }], 384],
      ]);
      const written = p.place.count + p.replicate.reduce((n, r) => n + r.copy.count, 0);
      expect(written).to.equal(elementCount(p.outShape));
    });

    it('takes the multiples from a static output shape when they are computed at run time', () => {
      const g = singleOpGraph(
        'TILE',
        [
          { shape: [2, 1, 3], ...Q },
          { shape: [3], dtype: 'int32' },
        ],
        [{ shape: [4, 3, 3], ...Q }],
      );
      const p = tile.prepare(g.graph, g.op);
      expect([p.multiples, p.multiplesFrom]).to.deep.equal([[2, 3, 1], 'output shape']);
      const x = Int8Array.from([1, 2, 3, 4, 5, 6]);
      expect(Array.from(evaluateOp(tile, g.graph, g.op, [x, Int32Array.from([2, 3, 1])])[0] as Int8Array)).to.deep.equal(
        numpyTile(Array.from(x), [2, 1, 3], [2, 3, 1]),
      );
    });
  });

  describe('check', () => {
    it('refuses an output quantized unlike the input, in one line naming op and tensor', () => {
      const g = singleOpGraph(
        'TILE',
        [
          { shape: [2, 3], scale: 0.05, zeroPoint: -3 },
          { shape: [2], dtype: 'int32', data: Int32Array.from([2, 1]) },
        ],
        [{ shape: [4, 3], scale: 0.1, zeroPoint: -3 }],
      );
      expect(() => tile.check(g.graph, g.op))
        .to.throw(OpError)
        .with.property(
          'message',
          'op 0 (TILE): output tensor 2 "out2" has scale 0.1, zero point -3 but input tensor 0 "in0" has scale 0.05, zero point -3; TILE copies bytes, so both must be equal',
        );
      const zp = singleOpGraph(
        'TILE',
        [
          { shape: [3], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
          { shape: [1], dtype: 'int32', data: Int32Array.from([2]) },
        ],
        [{ shape: [6], dtype: 'int16', scale: 0.5, zeroPoint: 1 }],
      );
      expect(() => tile.check(zp.graph, zp.op)).to.throw(OpError, /^op 0 \(TILE\): output tensor 2 "out2" has scale 0.5, zero point 1 but input/);
    });

    it('refuses a model with such a TILE in one line naming the file, the op and both tensors', () => {
      const b = new GraphBuilder('tile_bad');
      const x = b.input({ shape: [1, 2, 3], q: { scale: 0.05, zeroPoint: -3 }, name: 'x' });
      b.output(...b.op('TILE', [x, b.ints([1, 2, 1])], [{ shape: [1, 4, 3], q: { scale: 0.1, zeroPoint: -3 }, name: 'tiled' }]));
      const graph = parseTflite(writeTflite(b.build()), 'tile_bad.tflite');
      expect(() => compileGraph(graph, 'tile_bad.tflite'))
        .to.throw(TinyforgeError)
        .with.property(
          'message',
          'tile_bad.tflite: op 0 (TILE): output tensor 2 "tiled" has scale 0.1, zero point -3 but input tensor 0 "x" has scale 0.05, zero point -3; TILE copies bytes, so both must be equal',
        );
    });

    it('refuses run-time multiples without a static output shape that is a whole multiple of the input', () => {
      const dynamic = singleOpGraph(
        'TILE',
        [
          { shape: [2, 3], ...Q },
          { shape: [2], dtype: 'int32' },
        ],
        [{ shape: [4, 3], ...Q }],
      );
      dynamic.graph.tensors[2]!.shapeSignature = [4, -1];
      const message =
        'op 0 (TILE): multiples tensor 1 "in1" is computed at run time and output tensor 2 "out2" [4,3] is not a static whole multiple of input [2,3]; tinyforge needs constant multiples';
      expect(() => tile.check(dynamic.graph, dynamic.op))
        .to.throw(OpError)
        .with.property('message', message);
      const fraction = singleOpGraph(
        'TILE',
        [
          { shape: [2, 3], ...Q },
          { shape: [2], dtype: 'int32' },
        ],
        [{ shape: [5, 3], ...Q }],
      );
      expect(() => tile.check(fraction.graph, fraction.op))
        .to.throw(OpError)
        .with.property('message', message.replace('[4,3]', '[5,3]'));
    });

    it('refuses multiples of the wrong length or below 1, and a wrong output shape', () => {
      const short = singleOpGraph('TILE', [{ shape: [2, 3] }, { shape: [1], dtype: 'int32', data: Int32Array.from([2]) }], [{ shape: [4, 3] }]);
      expect(() => tile.check(short.graph, short.op)).to.throw(OpError, /multiples tensor 1 "in1" has shape \[1\]; expected \[2\]/);
      const zero = singleOpGraph('TILE', [{ shape: [2, 3] }, { shape: [2], dtype: 'int32', data: Int32Array.from([0, 1]) }], [{ shape: [1, 3] }]);
      expect(() => tile.check(zero.graph, zero.op)).to.throw(OpError, /multiples tensor 1 "in1" = \[0,1\]; each must be 1 or more/);
      const wrong = singleOpGraph('TILE', [{ shape: [2, 3] }, { shape: [2], dtype: 'int32', data: Int32Array.from([2, 2]) }], [{ shape: [4, 3] }]);
      expect(() => tile.check(wrong.graph, wrong.op)).to.throw(OpError, /output tensor 2 "out2" has shape \[4,3\]; expected \[4,6\]/);
    });
  });

  describe('emitted C', () => {
    it('equals the reference kernel and numpy.tile on a sweep of ranks 1-6, 1-sized dims, multiples and every dtype', () => {
      const rand = rng(2026);
      const cases: CCase[] = [];
      const fixed: [number[], number[]][] = [
        [[1], [1]],
        [[1], [7]],
        [[5], [3]],
        [
          [1, 1],
          [3, 2],
        ],
        [
          [3, 1],
          [1, 4],
        ],
        [
          [1, 3],
          [4, 1],
        ],
        [
          [2, 3, 4],
          [1, 1, 1],
        ],
        [
          [1, 2, 1, 3],
          [2, 1, 3, 2],
        ],
        [
          [2, 1, 2, 1, 2],
          [1, 3, 1, 2, 1],
        ],
        [
          [1, 2, 1, 2, 1, 2],
          [2, 1, 2, 1, 2, 1],
        ],
      ];
      let k = 0;
      for (const dtype of DTYPES) {
        const shapes = [...fixed];
        for (let r = 0; r < 4; r++) {
          const rank = randomInt(rand, 1, 6);
          const limit = rank > 4 ? 3 : 5;
          shapes.push([Array.from({ length: rank }, () => randomInt(rand, 1, limit)), Array.from({ length: rank }, () => randomInt(rand, 1, limit - 1))]);
        }
        for (const [shape, multiples] of shapes) {
          const g = graphOf(shape, multiples, dtype, k++ % 3 === 0 ? 'int64' : 'int32');
          cases.push({ def: tile, ...g, inputs: [values(rand, dtype, elementCount(shape))] });
        }
      }
      const c = runCasesInC(cases);
      cases.forEach((cc, k) => {
        const shape = cc.graph.tensors[0]!.shape;
        const p = tile.prepare(cc.graph, cc.op);
        const label = `case ${k}: ${cc.graph.tensors[0]!.dtype} [${shape}] x (${p.multiples})`;
        const ours = evaluateOp(tile, cc.graph, cc.op, cc.inputs)[0]!;
        const numpy = allocBuffer(cc.graph.tensors[0]!.dtype, elementCount(p.outShape));
        const expected = numpyTile(plain(cc.inputs[0]!), shape, p.multiples);
        expected.forEach((v, i) => ((numpy as unknown as unknown[])[i] = v));
        expect(firstDifference(toBytes(numpy), toBytes(ours)), `${label}: reference vs numpy.tile`).to.equal(undefined);
        expect(firstDifference(toBytes(ours), c[k]![0]!), `${label}: C vs reference`).to.equal(undefined);
      });
      expect(cases.length).to.equal(DTYPES.length * 14);
    });

    it('runs run-time multiples specialised to the output shape', () => {
      const g = singleOpGraph(
        'TILE',
        [
          { shape: [2, 1, 3], ...Q },
          { shape: [3], dtype: 'int32' },
        ],
        [{ shape: [4, 3, 3], ...Q }],
      );
      const x = Int8Array.from([1, -2, 3, -4, 5, -128]);
      const m = Int32Array.from([2, 3, 1]);
      const c = runCasesInC([{ def: tile, ...g, inputs: [x, m] }]);
      expect(Array.from(new Int8Array(c[0]![0]!.buffer, c[0]![0]!.byteOffset, 36))).to.deep.equal(numpyTile(Array.from(x), [2, 1, 3], [2, 3, 1]));
    });
  });

  it('compiles a model holding TILE, read back from the file our writer makes (TFLite Micro has no TILE)', () => {
    const b = new GraphBuilder('tile_model');
    const x = b.input({ shape: [1, 2, 2, 3], q: Q });
    const [y] = b.op('TILE', [x, b.ints([1, 3, 2, 1])], [{ shape: [1, 6, 4, 3], q: Q }]);
    const [z] = b.op('RELU', [y!], [{ shape: [1, 6, 4, 3], q: Q }]);
    b.output(z!);
    const graph = parseTflite(writeTflite(b.build()), 'tile_model.tflite');
    expect(graph.ops.map((o) => o.kind)).to.deep.equal(['TILE', 'RELU']);
    const compiled = compileGraph(graph, 'tile_model.tflite');
    const input = Int8Array.from({ length: 12 }, (_, i) => i * 11 - 60);
    const out = new Int8Array(interpret(compiled.prepared, [new Uint8Array(input.buffer)]).outputs[0]!.buffer);
    expect(Array.from(out)).to.deep.equal(numpyTile(Array.from(input), [1, 2, 2, 3], [1, 3, 2, 1]).map((v) => Math.max(v, -3)));
  });

  it('runs on the emulated Cortex-M4 (QEMU mps2-an386) bit-exact with the reference and numpy.tile (int8, int16, int32)', async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const b = new GraphBuilder('tile_m4');
    const q16 = { scale: 0.001, zeroPoint: 0 };
    const layers: { shape: number[]; multiples: number[] }[] = [
      { shape: [1, 3, 5, 7], multiples: [2, 1, 3, 1] },
      { shape: [3, 1], multiples: [1, 9] },
      { shape: [2, 1, 2, 1, 3], multiples: [1, 2, 1, 3, 2] },
    ];
    const dtypes: DType[] = ['int8', 'int16', 'int32'];
    layers.forEach(({ shape, multiples }, k) => {
      const dtype = dtypes[k]!;
      const q = dtype === 'int8' ? Q : dtype === 'int16' ? q16 : undefined;
      const x = b.input({ shape, dtype, q });
      // the second layer's multiples are computed at run time: taken from its static output shape
      const m = k === 1 ? b.input({ shape: [2], dtype: 'int32' }) : b.ints(multiples);
      b.output(...b.op('TILE', [x, m], [{ shape: shape.map((d, i) => d * multiples[i]!), dtype, q }]));
    });
    const graph = b.build();
    const rand = rng(4);
    const cases = [0, 1].map(() =>
      graph.inputs.map((i) => {
        const t = graph.tensors[i]!;
        const buffer = t.shape.length === 1 && t.shape[0] === 2 ? Int32Array.from(layers[1]!.multiples) : values(rand, t.dtype, elementCount(t.shape));
        return new Uint8Array(toBytes(buffer));
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-tile-'));
    try {
      const path = join(dir, 'tile_m4.tflite');
      saveTflite(path, graph);
      const report = await runModel(path, { target: 'cortex-m4', cases });
      expect(report.board).to.equal('qemu-mps2-an386');
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true, true]);
      report.cases.forEach((c, n) => {
        const inputs = graph.inputs.map((i, j) => fromBytes(graph.tensors[i]!.dtype, cases[n]![j]!));
        const data = [inputs[0]!, inputs[1]!, inputs[3]!];
        layers.forEach(({ shape, multiples }, k) => {
          expect(c.outputs[k], `case ${n} layer ${k}`).to.deep.equal(numpyTile(plain(data[k]!), shape, multiples));
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
