// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { type OpCase, REVERSE_DTYPES, reverseV2Case } from '../../../../test/helpers/tensor_op_cases.ts';

function cases(seed: number): OpCase[] {
  const rand = rng(seed);
  return REVERSE_DTYPES.flatMap((dtype) => Array.from({ length: 4 }, () => reverseV2Case(rand, dtype)));
}

const axes = (v: number[]) => ({ shape: [v.length], dtype: 'int32' as const, data: Int32Array.from(v) });

describe('REVERSE_V2', () => {
  it('reverses along contiguous axes (hand-checked)', () => {
    // [2,3]: axis 1 -> rows reversed in place; axes [0,1] -> the whole tensor backwards
    const g = singleOpGraph('REVERSE_V2', [{ shape: [2, 3], dtype: 'float32' }, axes([1])], [{ shape: [2, 3], dtype: 'float32' }]);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Float32Array.from([1, 2, 3, 4, 5, 6])])[0] as Float32Array)).to.deep.equal([3, 2, 1, 6, 5, 4]);
    const h = singleOpGraph('REVERSE_V2', [{ shape: [2, 3], dtype: 'int32' }, axes([-1, 0])], [{ shape: [2, 3], dtype: 'int32' }]);
    expect(Array.from(evaluateOp(def, h.graph, h.op, [Int32Array.from([1, 2, 3, 4, 5, 6])])[0] as Int32Array)).to.deep.equal([6, 5, 4, 3, 2, 1]);
    const k = singleOpGraph('REVERSE_V2', [{ shape: [2, 3], dtype: 'int32' }, axes([0])], [{ shape: [2, 3], dtype: 'int32' }]);
    expect(Array.from(evaluateOp(def, k.graph, k.op, [Int32Array.from([1, 2, 3, 4, 5, 6])])[0] as Int32Array)).to.deep.equal([4, 5, 6, 1, 2, 3]);
  });

  it('refuses what TFLite Micro refuses: axes not contiguous, an axis out of range, a run-time axis', () => {
    const gap = singleOpGraph('REVERSE_V2', [{ shape: [2, 3, 4], dtype: 'float32' }, axes([0, 2])], [{ shape: [2, 3, 4], dtype: 'float32' }]);
    expect(() => def.check(gap.graph, gap.op)).to.throw(OpError, /not contiguous/);
    const twice = singleOpGraph('REVERSE_V2', [{ shape: [2, 3], dtype: 'float32' }, axes([1, -1])], [{ shape: [2, 3], dtype: 'float32' }]);
    expect(() => def.check(twice.graph, twice.op)).to.throw(OpError, /not contiguous/);
    const far = singleOpGraph('REVERSE_V2', [{ shape: [2, 3], dtype: 'float32' }, axes([2])], [{ shape: [2, 3], dtype: 'float32' }]);
    expect(() => def.check(far.graph, far.op)).to.throw(OpError, /axis 2 is out of range for rank 2/);
    const dyn = singleOpGraph(
      'REVERSE_V2',
      [
        { shape: [2, 3], dtype: 'float32' },
        { shape: [1], dtype: 'int32' },
      ],
      [{ shape: [2, 3], dtype: 'float32' }],
    );
    expect(() => def.check(dyn.graph, dyn.op)).to.throw(OpError, /computed at run time/);
  });

  it('emitted C matches the reference kernel (every dtype TFLite Micro reverses)', () => {
    expectCMatchesReference(cases(71).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (float32, int8, uint8, int16, int32, int64, bool)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(72));
  });
});
