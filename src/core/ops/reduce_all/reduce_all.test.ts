// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { randomReduction } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function allGraph(inShape: number[], axes: number[], outShape: number[], keepDims: boolean, axisType: 'int32' | 'int64' = 'int32') {
  return singleOpGraph(
    'REDUCE_ALL',
    [
      { shape: inShape, dtype: 'bool' },
      { shape: [axes.length], dtype: axisType, data: axisType === 'int32' ? Int32Array.from(axes) : BigInt64Array.from(axes.map(BigInt)) },
    ],
    [{ shape: outShape, dtype: 'bool' }],
    { keepDims },
  );
}

/** Random REDUCE_ALLs over any axes (negative, repeated) of ranks 1..5, mostly-true inputs so that some outputs stay true. */
export function reduceAllCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const r = randomReduction(rand, 512);
    const pTrue = [0.5, 0.9, 0.98, 1][Math.floor(rand() * 4)]!;
    const { graph, op } = allGraph(r.in, r.axes, r.out, r.keepDims);
    return { graph, op, inputs: [Uint8Array.from({ length: count(r.in) }, () => (rand() < pTrue ? 1 : 0))] };
  });
}

describe('REDUCE_ALL', () => {
  it('is true where every element along the axes is (hand-checked)', function () {
    // [2,3] over axis 1: row 0 [1,1,1] -> 1, row 1 [1,0,1] -> 0; over axis 0 (keep_dims): [1,0,1]
    const x = Uint8Array.from([1, 1, 1, 1, 0, 1]);
    const rows = allGraph([2, 3], [1], [2], false);
    expect(Array.from(evaluateOp(def, rows.graph, rows.op, [x])[0] as Uint8Array)).to.deep.equal([1, 0]);
    const cols = allGraph([2, 3], [-2, 0], [1, 3], true);
    expect(Array.from(evaluateOp(def, cols.graph, cols.op, [x])[0] as Uint8Array)).to.deep.equal([1, 0, 1]);
    if (tflmRefAvailable(this))
      expectTflmAgrees(def, [
        { ...rows, inputs: [x] },
        { ...cols, inputs: [x] },
      ]);
  });

  it('refuses what TFLite Micro refuses: a non-bool input or output, an int64 axis', () => {
    const f = singleOpGraph(
      'REDUCE_ALL',
      [
        { shape: [2, 3], dtype: 'float32' },
        { shape: [1], dtype: 'int32', data: Int32Array.from([1]) },
      ],
      [{ shape: [2], dtype: 'float32' }],
    );
    expect(() => def.check(f.graph, f.op)).to.throw(OpError, /input .* is float32; TFLite Micro's REDUCE_ALL supports bool only/);
    const o = singleOpGraph(
      'REDUCE_ALL',
      [
        { shape: [2, 3], dtype: 'bool' },
        { shape: [1], dtype: 'int32', data: Int32Array.from([1]) },
      ],
      [{ shape: [2], dtype: 'int8' }],
    );
    expect(() => def.check(o.graph, o.op)).to.throw(OpError, /output .* is int8; expected bool/);
    const a = allGraph([2, 3], [1], [2], false, 'int64');
    expect(() => def.check(a.graph, a.op)).to.throw(OpError, /axis .* is int64; TFLite Micro's REDUCE_ALL needs int32/);
  });

  it('emitted C matches the reference kernel byte for byte on 40 random cases', () => {
    expectCMatchesReference(reduceAllCases(591, 40).map((c) => ({ def, ...c })));
  });

  it('TFLite Micro (tflm-ref) agrees on 60 random cases: shapes, axes, keep_dims', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, reduceAllCases(592, 60));
  });
});
