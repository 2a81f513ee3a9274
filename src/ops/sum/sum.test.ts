import { expect } from 'chai';
import sum from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../test/helpers/op_harness.ts';
import { REDUCE_CASES, count, expectCMatchesReference, expectTfliteWithinOneStep, randomQ, reduceGraph } from '../../../test/helpers/op_checks.ts';

const run = (inShape: number[], axes: number[], outShape: number[], qi: { scale: number; zeroPoint: number }, qo: { scale: number; zeroPoint: number }, x: number[], keep = false) => {
  const { graph, op } = reduceGraph('SUM', inShape, axes, outShape, qi, qo, keep);
  return Array.from(evaluateOp(sum, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('SUM', () => {
  it('requantizes sum - z·n by s_in/s_out (hand-checked)', () => {
    // 0.1·(10+20+30+40) = 10 real -> 20 steps of 0.5
    expect(run([4], [0], [], { scale: 0.1, zeroPoint: 0 }, { scale: 0.5, zeroPoint: 0 }, [10, 20, 30, 40])).to.deep.equal([20]);
    // zero points at the extremes: 0.25·((−100+128) + (−120+128)) = 9 real -> 9 steps below... at z_out 127: 127 + 9 saturates
    expect(run([1, 2], [1], [1, 1], { scale: 0.25, zeroPoint: -128 }, { scale: 1, zeroPoint: 127 }, [-100, -120], true)).to.deep.equal([127]);
    expect(run([1, 2], [1], [1, 1], { scale: 0.25, zeroPoint: -128 }, { scale: 1, zeroPoint: -128 }, [-100, -120], true)).to.deep.equal([-119]);
    // per row
    expect(run([2, 3], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, [1, 2, 3, -4, -5, -6])).to.deep.equal([6, -15]);
  });

  it('rejects an int64 output and a non-constant axis', () => {
    const bad = reduceGraph('SUM', [2, 3], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, false);
    bad.graph.tensors[2]!.dtype = 'int64';
    expect(() => sum.check(bad.graph, bad.op)).to.throw(OpError, /is int64; only int8/);
    const dyn = reduceGraph('SUM', [2, 3], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, false);
    dyn.graph.tensors[1]!.data = undefined;
    expect(() => sum.check(dyn.graph, dyn.op)).to.throw(OpError, /not a constant tensor/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(121);
    expectCMatchesReference(REDUCE_CASES.map((c, k) => {
      const { graph, op } = reduceGraph('SUM', c.in, c.axes, k % 2 ? c.keep : c.drop, randomQ(rand, -5, -1), randomQ(rand, -3, 1), k % 2 === 1);
      return { def: sum, graph, op, inputs: [randomInt8(rand, count(c.in))] };
    }));
  });

  it('is within one step of desktop TFLite (tfjs-tflite) while the sum stays in range', async () => {
    // Desktop TFLite's int8 SUM rescales with its own rounding (about one element in thirty is one step
    // apart) and, unlike TFLite Micro, does not saturate: a sum past the int8 range wraps around there.
    // So the output scale here leaves room for the whole sum. Bit-exactness is with TFLite Micro.
    const rand = rng(122);
    const { differing, total } = await expectTfliteWithinOneStep(sum, REDUCE_CASES.map((c, k) => {
      const qi = randomQ(rand, -5, -1);
      const n = count(c.in) / count(c.drop);
      const qo = { scale: qi.scale * n * (1.1 + rand()), zeroPoint: Math.floor(rand() * 20) - 10 };
      return { ...reduceGraph('SUM', c.in, c.axes, k % 2 ? c.keep : c.drop, qi, qo, k % 2 === 1), inputs: [randomInt8(rand, count(c.in))] };
    }));
    console.log(`    SUM: ${differing} of ${total} outputs one step from desktop TFLite`);
  });
});
