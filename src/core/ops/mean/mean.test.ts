// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import mean from './index.ts';
import { OpError } from '../../errors.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { type Q, expectCMatchesReference, expectTflmAgrees, reduceGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomReduction } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
const run = (inShape: number[], axes: number[], outShape: number[], qi: Q, qo: Q, x: number[], keep = true) => {
  const { graph, op } = reduceGraph('MEAN', inShape, axes, outShape, qi, qo, keep);
  if (tflmRefAvailable()) expectTflmAgrees(mean, [{ graph, op, inputs: [Int8Array.from(x)] }]);
  return Array.from(evaluateOp(mean, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

/**
 * Random MEANs: global H,W pooling (keep_dims both ways: TFLite's 4-D special case in other versions)
 * and any axes of ranks 1..5, the same quantization in and out a third of the time, otherwise scales
 * over decades and zero points at the int8 ends.
 */
function randomCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const r = randomReduction(rand);
    const qi = extremeQ(rand, -10, 3);
    const qo = rand() < 0.35 ? qi : extremeQ(rand, -10, 3);
    const { graph, op } = reduceGraph('MEAN', r.in, r.axes, r.out, qi, qo, r.keepDims);
    return {
      graph,
      op,
      inputs: [
        extremeInt8(
          rand,
          r.in.reduce((a, b) => a * b, 1),
          qi.zeroPoint,
        ),
      ],
    };
  });
}

describe('MEAN', () => {
  describe('reference kernel', () => {
    it('with one quantization in and out still requantizes, rounding (TFLite Micro has no truncating-division path here)', () => {
      const q = { scale: 0.1, zeroPoint: 7 };
      // sum 11 - 7·4 = -17, times 1/4 -> -4.25 -> -4, + 7 = 3 (truncating 11/4 would give 2)
      expect(run([1, 2, 2, 1], [1, 2], [1, 1, 1, 1], q, q, [1, 2, 3, 5])).to.deep.equal([3]);
      // -11 - 28 = -39 -> -9.75 -> -10, + 7 = -3 (truncating -11/4 would give -2)
      expect(run([1, 2, 2, 1], [1, 2], [1, 1, 1, 1], q, q, [-1, -2, -3, -5])).to.deep.equal([-3]);
      // two channels, global pooling: (21 - 14)/2 = 3.5 -> 4, + 7 = 11; (-1 - 14)/2 = -7.5 -> -7 (the
      // rounding doubling high multiply rounds ties up), + 7 = 0
      expect(run([1, 2, 1, 2], [1, 2], [1, 2], q, q, [10, -128, 11, 127], false)).to.deep.equal([11, 0]);
    });

    it('with different quantizations, requantizes sum - z·n with 1/n folded into the multiplier (hand-checked)', () => {
      // mean real 2.5 -> 50 steps of 0.05, minus 10
      expect(run([4], [0], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.05, zeroPoint: -10 }, [10, 20, 30, 40])).to.deep.equal([40]);
      // the input zero point is taken out: real values 0.5·(q - 100)
      expect(run([2], [0], [1], { scale: 0.5, zeroPoint: 100 }, { scale: 0.5, zeroPoint: -128 }, [104, 108])).to.deep.equal([-122]);
      // saturation at both ends
      expect(run([2, 2], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 0 }, [100, 100, -100, -100], false)).to.deep.equal([127, -128]);
    });

    it("folds 1/count like TFLite Micro: shift = min(floor(log2 n), 32, 31 + e), m' = (m << shift) / n", () => {
      const { graph, op } = reduceGraph('MEAN', [1, 7, 7, 1], [1, 2], [1, 1, 1, 1], { scale: 0.02, zeroPoint: 0 }, { scale: 0.03, zeroPoint: 0 }, true);
      const p = mean.prepare(graph, op);
      // 0.02/0.03 = 0.6667 -> m = round(0.6667·2^31), e = 0; n = 49 -> shift 5
      const m = Math.round((Math.fround(0.02) / Math.fround(0.03)) * 2 ** 31);
      expect(p.requant.multiplier).to.equal(Math.floor((m * 32) / 49));
      expect(p.requant.shift).to.equal(-5);
    });
  });

  describe('check', () => {
    it('rejects a non-constant axis, an axis out of range, a wrong output shape, a multiplier past 2^31', () => {
      const q = { scale: 0.1, zeroPoint: 0 };
      const dyn = singleOpGraph(
        'MEAN',
        [
          { shape: [2, 3], ...q },
          { shape: [1], dtype: 'int32' },
        ],
        [{ shape: [2], ...q }],
        { keepDims: false },
      );
      expect(() => mean.check(dyn.graph, dyn.op)).to.throw(OpError, /axis .* is not a constant tensor/);
      const range = reduceGraph('MEAN', [2, 3], [2], [2], q, q, false);
      expect(() => mean.check(range.graph, range.op)).to.throw(OpError, /axis 2 is out of range/);
      const shape = reduceGraph('MEAN', [2, 3], [1], [3], q, q, false);
      expect(() => mean.check(shape.graph, shape.op)).to.throw(OpError, /reducing axes \[1\] of \[2,3\] gives \[2\]/);
      const fine = reduceGraph('MEAN', [2, 3], [1], [2], { scale: 1e5, zeroPoint: 0 }, { scale: 1e-5, zeroPoint: 0 }, false);
      expect(() => mean.check(fine.graph, fine.op)).to.throw(OpError, /left shift by \d+ bits is undefined in C/);
    });
  });

  it('TFLite Micro (tflm-ref) agrees on 150 random cases: shapes, axes, keep_dims, shared and extreme quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(mean, randomCases(111, 150));
  });

  it('emitted C matches the reference kernel byte for byte on 60 random cases', () => {
    expectCMatchesReference(randomCases(112, 60).map((c) => ({ def: mean, ...c })));
  });
});
