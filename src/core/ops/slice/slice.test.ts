// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import slice from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
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

const Q = { scale: 0.5, zeroPoint: -7 };

function graphOf(shape: number[], begin: number[], size: number[], indexType: DType = 'int32') {
  const outShape = size.map((s, k) => (s === -1 ? shape[k]! - begin[k]! : s));
  const ints = (v: number[]) => (indexType === 'int64' ? BigInt64Array.from(v.map(BigInt)) : Int32Array.from(v));
  return singleOpGraph(
    'SLICE',
    [
      { shape, ...Q },
      { shape: [shape.length], dtype: indexType, data: ints(begin) },
      { shape: [shape.length], dtype: indexType, data: ints(size) },
    ],
    [{ shape: outShape, ...Q }],
  );
}

describe('SLICE', () => {
  it('takes begin:begin+size per axis, size -1 to the end, int32 or int64 indices (hand-checked)', () => {
    const x = Int8Array.from({ length: 12 }, (_, i) => i);
    const g = graphOf([3, 4], [1, 1], [2, -1]);
    expect(Array.from(evaluateOp(slice, g.graph, g.op, [x])[0] as Int8Array)).to.deep.equal([5, 6, 7, 9, 10, 11]);
    const h = graphOf([3, 4], [0, 2], [3, 1], 'int64');
    expect(Array.from(evaluateOp(slice, h.graph, h.op, [x])[0] as Int8Array)).to.deep.equal([2, 6, 10]);
  });

  it('rejects a slice past the input and a wrong output shape', () => {
    const g = graphOf([3, 4], [2, 0], [2, 4]);
    expect(() => slice.check(g.graph, g.op)).to.throw(OpError, /axis 0: begin 2 size 2 lies outside the input's 3 elements/);
    const w = singleOpGraph(
      'SLICE',
      [
        { shape: [4], ...Q },
        { shape: [1], dtype: 'int32', data: Int32Array.from([1]) },
        { shape: [1], dtype: 'int32', data: Int32Array.from([2]) },
      ],
      [{ shape: [3], ...Q }],
    );
    expect(() => slice.check(w.graph, w.op)).to.throw(OpError, /has shape \[3\]; the slice gives \[2\]/);
  });

  it('emitted C matches the reference kernel; whole rows become one memcpy each', () => {
    const rand = rng(41);
    const cases: CCase[] = [];
    for (let k = 0; k < 10; k++) {
      const rank = randomInt(rand, 1, 5);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
      const begin = shape.map((d) => randomInt(rand, 0, d - 1));
      const size = shape.map((d, i) => (rand() < 0.3 ? -1 : randomInt(rand, 1, d - begin[i]!)));
      cases.push({
        def: slice,
        ...graphOf(shape, begin, size),
        inputs: [
          randomInt8(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
        ],
      });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(slice, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
    const rows = graphOf([1, 6, 5, 8], [0, 2, 0, 0], [1, 3, -1, -1]);
    expect(slice.prepare(rows.graph, rows.op).moves[0]!.copy.loops).to.deep.equal([{ extent: 120, src: 1, dst: 1 }]);
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on a model written by our writer', async () => {
    const g = graphOf([2, 5, 4, 3], [1, 1, 0, 1], [1, 3, -1, 2]);
    expect(await tfliteInterpreterDifference(slice, g.graph, g.op, [randomInt8(rng(3), 120)])).to.equal(undefined);
  });
});
