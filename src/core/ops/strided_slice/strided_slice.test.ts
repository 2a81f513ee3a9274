// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import stridedSlice, { resolveStridedSlice } from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType, OpAttrs } from '../../ir/graph.ts';
import { type TensorBuffer, allocBuffer, toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
  tfliteInterpreterDifference,
} from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.1, zeroPoint: 2 };

/** A STRIDED_SLICE graph whose output shape is what the slice gives (computed by the op itself). */
function graphOf(shape: number[], begin: number[], end: number[], strides: number[], attrs: OpAttrs = {}, dtype: DType = 'int8') {
  const rank = shape.length;
  const q = dtype === 'int8' ? Q : {};
  const build = (outShape: number[]) =>
    singleOpGraph(
      'STRIDED_SLICE',
      [
        { shape, dtype, ...q },
        { shape: [rank], dtype: 'int32', data: Int32Array.from(begin) },
        { shape: [rank], dtype: 'int32', data: Int32Array.from(end) },
        { shape: [rank], dtype: 'int32', data: Int32Array.from(strides) },
      ],
      [{ shape: outShape, dtype, ...q }],
      attrs,
    );
  const probe = build([]);
  return build(resolveStridedSlice(probe.graph, probe.op).kept);
}

function run(shape: number[], begin: number[], end: number[], strides: number[], attrs: OpAttrs, x: number[]): { shape: number[]; values: number[] } {
  const g = graphOf(shape, begin, end, strides, attrs);
  return { shape: g.graph.tensors[g.op.outputs[0]!]!.shape, values: Array.from(evaluateOp(stridedSlice, g.graph, g.op, [Int8Array.from(x)])[0] as Int8Array) };
}

describe('STRIDED_SLICE', () => {
  describe('reference kernel (hand-checked against TFLite index rules)', () => {
    const x = [0, 1, 2, 3, 4, 5, 6, 7];
    it('slices forward, with a step, and clamps out-of-range indices', () => {
      expect(run([8], [1], [4], [1], {}, x)).to.deep.equal({ shape: [3], values: [1, 2, 3] });
      expect(run([8], [1], [8], [3], {}, x)).to.deep.equal({ shape: [3], values: [1, 4, 7] });
      expect(run([8], [-3], [100], [1], {}, x)).to.deep.equal({ shape: [3], values: [5, 6, 7] });
      expect(run([8], [5], [2], [1], {}, x)).to.deep.equal({ shape: [0], values: [] });
    });
    it('walks backwards with negative strides (stop clamps to -1)', () => {
      expect(run([8], [-1], [-100], [-1], {}, x)).to.deep.equal({ shape: [8], values: [7, 6, 5, 4, 3, 2, 1, 0] });
      expect(run([8], [6], [1], [-2], {}, x)).to.deep.equal({ shape: [3], values: [6, 4, 2] });
    });
    it('honours begin_mask, end_mask and shrink_axis_mask', () => {
      const m = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
      expect(run([3, 4], [2, 1], [0, 3], [1, 1], { beginMask: 1 }, m)).to.deep.equal({ shape: [0, 2], values: [] });
      expect(run([3, 4], [1, 1], [0, 3], [1, 1], { endMask: 1 }, m)).to.deep.equal({ shape: [2, 2], values: [5, 6, 9, 10] });
      expect(run([3, 4], [1, 0], [2, 4], [1, 1], { shrinkAxisMask: 1 }, m)).to.deep.equal({ shape: [4], values: [4, 5, 6, 7] });
      expect(run([3, 4], [0, -1], [3, 0], [1, 1], { shrinkAxisMask: 2 }, m)).to.deep.equal({ shape: [3], values: [3, 7, 11] });
      expect(run([3, 4], [9, 9], [-9, -9], [-1, -2], { beginMask: 3, endMask: 3 }, m)).to.deep.equal({ shape: [3, 2], values: [11, 9, 7, 5, 3, 1] });
    });
  });

  describe('check', () => {
    it('rejects ellipsis/new-axis masks, a zero stride, computed indices and a wrong output shape', () => {
      const e = graphOf([2, 2], [0, 0], [2, 2], [1, 1]);
      e.op.attrs = { ellipsisMask: 1 };
      expect(() => stridedSlice.check(e.graph, e.op)).to.throw(OpError, /ellipsis_mask 1 \/ new_axis_mask 0 are not supported/);
      const z = singleOpGraph(
        'STRIDED_SLICE',
        [
          { shape: [4], ...Q },
          { shape: [1], dtype: 'int32', data: Int32Array.from([0]) },
          { shape: [1], dtype: 'int32', data: Int32Array.from([4]) },
          { shape: [1], dtype: 'int32', data: Int32Array.from([0]) },
        ],
        [{ shape: [4], ...Q }],
      );
      expect(() => stridedSlice.check(z.graph, z.op)).to.throw(OpError, /stride of axis 0 is 0/);
      const d = singleOpGraph(
        'STRIDED_SLICE',
        [
          { shape: [4], ...Q },
          { shape: [1], dtype: 'int32' },
          { shape: [1], dtype: 'int32', data: Int32Array.from([4]) },
          { shape: [1], dtype: 'int32', data: Int32Array.from([1]) },
        ],
        [{ shape: [4], ...Q }],
      );
      expect(() => stridedSlice.check(d.graph, d.op)).to.throw(OpError, /begin tensor 1 "in1" is computed at run time/);
      const w = singleOpGraph(
        'STRIDED_SLICE',
        [
          { shape: [4], ...Q },
          { shape: [1], dtype: 'int32', data: Int32Array.from([1]) },
          { shape: [1], dtype: 'int32', data: Int32Array.from([4]) },
          { shape: [1], dtype: 'int32', data: Int32Array.from([1]) },
        ],
        [{ shape: [4], ...Q }],
      );
      expect(() => stridedSlice.check(w.graph, w.op)).to.throw(OpError, /has shape \[4\]; the slice of \[4\] gives \[3\]/);
    });
  });

  function randomCase(rand: () => number, dtype: DType) {
    const rank = randomInt(rand, 1, 4);
    const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 6));
    const strides = shape.map(() => [1, 1, 2, 3, -1, -2][randomInt(rand, 0, 5)]!);
    const begin = shape.map((d) => randomInt(rand, -d - 1, d + 1));
    const end = shape.map((d) => randomInt(rand, -d - 1, d + 1));
    const attrs = {
      beginMask: randomInt(rand, 0, (1 << rank) - 1) & randomInt(rand, 0, 15),
      endMask: randomInt(rand, 0, (1 << rank) - 1) & randomInt(rand, 0, 15),
    };
    const n = shape.reduce((a, b) => a * b, 1);
    let values: TensorBuffer = randomInt8(rand, n);
    if (dtype !== 'int8') {
      values = allocBuffer(dtype, n);
      for (let i = 0; i < n; i++) (values as Int32Array)[i] = randomInt(rand, -30000, 30000);
    }
    return { g: graphOf(shape, begin, end, strides, attrs, dtype), values };
  }

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte on random slices (negative strides, masks, dtypes)', () => {
      const rand = rng(17);
      const cases: CCase[] = [];
      for (let k = 0; k < 24; k++) {
        const { g, values } = randomCase(rand, (['int8', 'int16', 'int32'] as DType[])[k % 3]!);
        cases.push({ def: stridedSlice, ...g, inputs: [values] });
      }
      const c = runCasesInC(cases);
      cases.forEach((cc, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(stridedSlice, cc.graph, cc.op, cc.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on random slices written by our writer', async () => {
    const rand = rng(23);
    let compared = 0;
    for (let k = 0; k < 40; k++) {
      const { g, values } = randomCase(rand, 'int8');
      if (g.graph.tensors[g.op.outputs[0]!]!.shape.includes(0)) continue;
      expect(await tfliteInterpreterDifference(stridedSlice, g.graph, g.op, [values]), `case ${k}`).to.equal(undefined);
      compared++;
    }
    const shrink = graphOf([2, 3, 4], [1, 0, -1], [2, 3, 0], [1, 2, 1], { shrinkAxisMask: 5 });
    expect(await tfliteInterpreterDifference(stridedSlice, shrink.graph, shrink.op, [randomInt8(rand, 24)])).to.equal(undefined);
    expect(compared).to.be.greaterThan(8);
  });
});
