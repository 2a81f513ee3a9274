// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import relu from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTflmAgrees, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomShape } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('RELU', [x.length], input, output);
  if (tflmRefAvailable()) expectTflmAgrees(relu, [{ graph, op, inputs: [Int8Array.from(x)] }]);
  return Array.from(evaluateOp(relu, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('RELU', () => {
  describe('reference kernel', () => {
    it('requantizes to the output scale and clamps at its zero point (hand-checked)', () => {
      // in 0.1 @ -20, out 0.05 @ -128: real 0 -> -128, 1.0 -> 20 - 128, -1 -> clamped, 14.7 -> saturates
      expect(run({ scale: 0.1, zeroPoint: -20 }, { scale: 0.05, zeroPoint: -128 }, [-20, -10, -30, 127, -19])).to.deep.equal([-128, -108, -128, 127, -126]);
    });
    it('is the identity above the zero point when input and output share quantization', () => {
      const q = { scale: 0.07, zeroPoint: 9 };
      expect(run(q, q, Array.from(ALL_INT8))).to.deep.equal(Array.from(ALL_INT8, (v) => Math.max(v, 9)));
    });
    it('keeps the zero point at the int8 extremes', () => {
      expect(run({ scale: 0.1, zeroPoint: -128 }, { scale: 0.1, zeroPoint: -128 }, [-128, 0, 127])).to.deep.equal([-128, 0, 127]);
      expect(run({ scale: 0.1, zeroPoint: 127 }, { scale: 0.1, zeroPoint: 127 }, [-128, 0, 127])).to.deep.equal([127, 127, 127]);
    });
  });

  describe('check', () => {
    it('rejects other dtypes, a reshaping output and a multiplier past 2^31', () => {
      const fine = unaryGraph('RELU', [2], { scale: 1e4, zeroPoint: 0 }, { scale: 1e-6, zeroPoint: 0 });
      expect(() => relu.check(fine.graph, fine.op)).to.throw(OpError, /left shift by \d+ bits is undefined in C/);
      const f = singleOpGraph('RELU', [{ shape: [2], dtype: 'int32' }], [{ shape: [2], dtype: 'int32' }]);
      expect(() => relu.check(f.graph, f.op)).to.throw(OpError, /is int32; only int8/);
      const shaped = singleOpGraph('RELU', [{ shape: [2, 2], scale: 1, zeroPoint: 0 }], [{ shape: [4], scale: 1, zeroPoint: 0 }]);
      expect(() => relu.check(shaped.graph, shaped.op)).to.throw(OpError, /expected the input's \[2,2\]/);
    });
  });

  it('TFLite Micro (tflm-ref) agrees on every input value for 100 random quantizations (shared a fifth of the time)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(11);
    expectTflmAgrees(
      relu,
      Array.from({ length: 100 }, () => {
        const qi = extremeQ(rand, -9, 2);
        return { ...unaryGraph('RELU', [256], qi, rand() < 0.2 ? qi : extremeQ(rand, -9, 2)), inputs: [ALL_INT8] };
      }),
    );
  });

  it('emitted C matches the reference kernel byte for byte on 30 random cases', () => {
    const rand = rng(12);
    expectCMatchesReference(
      Array.from({ length: 30 }, () => {
        const shape = randomShape(rand);
        const qi = extremeQ(rand, -9, 2);
        const { graph, op } = unaryGraph('RELU', shape, qi, extremeQ(rand, -9, 2));
        return {
          def: relu,
          graph,
          op,
          inputs: [
            extremeInt8(
              rand,
              shape.reduce((a, b) => a * b, 1),
              qi.zeroPoint,
            ),
          ],
        };
      }),
    );
  });
});
