import { expect } from 'chai';
import mean from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { REDUCE_CASES, count, expectCMatchesReference, expectTfliteWithinOneStep, randomQ, reduceGraph } from '../../../test/helpers/op_checks.ts';

const run = (inShape: number[], axes: number[], outShape: number[], qi: { scale: number; zeroPoint: number }, qo: { scale: number; zeroPoint: number }, x: number[], keep = true) => {
  const { graph, op } = reduceGraph('MEAN', inShape, axes, outShape, qi, qo, keep);
  return Array.from(evaluateOp(mean, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('MEAN', () => {
  describe('reference kernel', () => {
    it('with one quantization in and out, divides the raw sum, truncating toward zero (hand-checked)', () => {
      const q = { scale: 0.1, zeroPoint: 7 };
      expect(run([1, 2, 2, 1], [1, 2], [1, 1, 1, 1], q, q, [1, 2, 3, 5])).to.deep.equal([2]);
      expect(run([1, 2, 2, 1], [1, 2], [1, 1, 1, 1], q, q, [-1, -2, -3, -5])).to.deep.equal([-2]);
      // two channels, global pooling
      expect(run([1, 2, 1, 2], [1, 2], [1, 2], q, q, [10, -128, 11, 127], false)).to.deep.equal([10, 0]);
    });

    it('with different quantizations, requantizes sum - z·n with 1/n folded into the multiplier (hand-checked)', () => {
      // mean real 2.5 -> 50 steps of 0.05, minus 10
      expect(run([4], [0], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.05, zeroPoint: -10 }, [10, 20, 30, 40])).to.deep.equal([40]);
      // the input zero point is taken out: real values 0.5·(q - 100)
      expect(run([2], [0], [1], { scale: 0.5, zeroPoint: 100 }, { scale: 0.5, zeroPoint: -128 }, [104, 108])).to.deep.equal([-122]);
      // saturation at both ends
      expect(run([2, 2], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 0 }, [100, 100, -100, -100], false)).to.deep.equal([127, -128]);
    });

    it('folds 1/count like TFLite Micro: shift = min(floor(log2 n), 32, 31 + e), m\' = (m << shift) / n', () => {
      const { graph, op } = reduceGraph('MEAN', [1, 7, 7, 1], [1, 2], [1, 1, 1, 1], { scale: 0.02, zeroPoint: 0 }, { scale: 0.03, zeroPoint: 0 }, true);
      const p = mean.prepare(graph, op);
      // 0.02/0.03 = 0.6667 -> m = round(0.6667·2^31), e = 0; n = 49 -> shift 5
      const m = Math.round((Math.fround(0.02) / Math.fround(0.03)) * 2 ** 31);
      expect(p.requant.multiplier).to.equal(Math.floor((m * 32) / 49));
      expect(p.requant.shift).to.equal(-5);
      expect(p.divide).to.equal(false);
    });
  });

  describe('check', () => {
    it('rejects a non-constant axis, an axis out of range, a wrong output shape and int16', () => {
      const q = { scale: 0.1, zeroPoint: 0 };
      const dyn = singleOpGraph('MEAN', [{ shape: [2, 3], ...q }, { shape: [1], dtype: 'int32' }], [{ shape: [2], ...q }], { keepDims: false });
      expect(() => mean.check(dyn.graph, dyn.op)).to.throw(OpError, /axis .* is not a constant tensor/);
      const range = reduceGraph('MEAN', [2, 3], [2], [2], q, q, false);
      expect(() => mean.check(range.graph, range.op)).to.throw(OpError, /axis 2 is out of range/);
      const shape = reduceGraph('MEAN', [2, 3], [1], [3], q, q, false);
      expect(() => mean.check(shape.graph, shape.op)).to.throw(OpError, /reducing axes \[1\] of \[2,3\] gives \[2\]/);
      const i16 = singleOpGraph('MEAN', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }, { shape: [1], dtype: 'int32', data: Int32Array.from([0]) }], [{ shape: [1], dtype: 'int16', scale: 1, zeroPoint: 0 }]);
      expect(() => mean.check(i16.graph, i16.op)).to.throw(OpError, /int16 MEAN is not supported yet/);
    });
  });

  it('emitted C matches the reference kernel byte for byte (same and different quantization, keep_dims both ways)', () => {
    const rand = rng(111);
    expectCMatchesReference(REDUCE_CASES.flatMap((c, k) => [true, false].map((same) => {
      const qi = randomQ(rand, -5, 0);
      const qo = same ? qi : randomQ(rand, -5, 0);
      const { graph, op } = reduceGraph('MEAN', c.in, c.axes, k % 2 ? c.keep : c.drop, qi, qo, k % 2 === 1);
      return { def: mean, graph, op, inputs: [randomInt8(rand, count(c.in))] };
    })));
  });

  it('is within one step of desktop TFLite (tfjs-tflite), which averages differently', async () => {
    // TFLite Micro (reference_ops::Mean) truncates the division when the quantization is shared;
    // desktop TFLite's optimized MEAN over H and W of a 4-D tensor rounds instead, and its requantizing
    // path folds 1/n its own way, so some elements land one step apart. Bit-exactness is with TFLite Micro.
    const rand = rng(112);
    const { differing, total } = await expectTfliteWithinOneStep(mean, REDUCE_CASES.flatMap((c, k) => [true, false].map((same) => {
      const qi = randomQ(rand, -5, 0);
      const qo = same ? qi : randomQ(rand, -5, 0);
      return { ...reduceGraph('MEAN', c.in, c.axes, k % 2 ? c.keep : c.drop, qi, qo, k % 2 === 1), inputs: [randomInt8(rand, count(c.in))] };
    })));
    console.log(`    MEAN: ${differing} of ${total} outputs one step from desktop TFLite`);
  });
});
