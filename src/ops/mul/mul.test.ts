import { expect } from 'chai';
import mul from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { BROADCAST_SHAPES, type Q, binaryGraph, count, expectCMatchesReference, expectTfliteWithinOneStep, randomQ } from '../../../test/helpers/op_checks.ts';

function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[], activation: FusedActivation = 'NONE'): number[] {
  const { graph, op } = binaryGraph('MUL', a, b, out, qa, qb, qo, { activation });
  return Array.from(evaluateOp(mul, graph, op, [Int8Array.from(x), Int8Array.from(y)])[0] as Int8Array);
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

describe('MUL', () => {
  describe('reference kernel', () => {
    it('multiplies real values and requantizes once (hand-checked)', () => {
      // 0.5·(6-2) · 0.25·(8+4) = 2·3 = 6 -> at scale 0.1, zero point -10: 60 - 10 = 50
      expect(run([1], [1], [1], { scale: 0.5, zeroPoint: 2 }, { scale: 0.25, zeroPoint: -4 }, { scale: 0.1, zeroPoint: -10 }, [6], [8])).to.deep.equal([50]);
      // negative product and saturation at both ends
      expect(run([3], [3], [3], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, [-3, 20, -20], [4, 20, 20])).to.deep.equal([-12, 127, -128]);
    });

    it('broadcasts a per-channel vector and a scalar', () => {
      const q = { scale: 1, zeroPoint: 0 };
      expect(run([2, 3], [3], [2, 3], q, q, q, [1, 2, 3, 4, 5, 6], [1, 0, -1])).to.deep.equal([1, 0, -3, 4, 0, -6]);
      expect(run([1], [2, 2], [2, 2], q, q, q, [3], [1, 2, 3, 4])).to.deep.equal([3, 6, 9, 12]);
    });

    it('applies every fused activation; zero points at the int8 extremes', () => {
      const qa = { scale: 0.1, zeroPoint: -128 };
      const qo = { scale: 0.05, zeroPoint: 127 };
      // a = 0.1·(x+128), b = 1 real: out = 2·a steps below 127
      const x = [-128, -118, -98, -8];
      const y = [10, 10, 10, 10];
      const qb = { scale: 0.1, zeroPoint: 0 };
      expect(run([4], [4], [4], qa, qb, qo, x, y, 'NONE')).to.deep.equal([127, 127, 127, 127]);
      const qo2 = { scale: 0.05, zeroPoint: -128 };
      expect(run([4], [4], [4], qa, qb, qo2, x, y, 'NONE')).to.deep.equal([-128, -108, -68, 112]);
      expect(run([4], [4], [4], qa, qb, qo2, x, y, 'RELU6')).to.deep.equal([-128, -108, -68, -8]);
      expect(run([4], [4], [4], qa, qb, qo2, x, y, 'RELU_N1_TO_1')).to.deep.equal([-128, -108, -108, -108]);
    });
  });

  describe('check', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    it('rejects shapes that do not broadcast, a wrong output shape, int16 and a fused TANH', () => {
      const g1 = binaryGraph('MUL', [2, 3], [4], [2, 3], q, q, q);
      expect(() => mul.check(g1.graph, g1.op)).to.throw(OpError, /do not broadcast/);
      const g2 = binaryGraph('MUL', [2, 3], [3], [2, 4], q, q, q);
      expect(() => mul.check(g2.graph, g2.op)).to.throw(OpError, /broadcast to \[2,3\]/);
      const i16 = singleOpGraph('MUL', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }, { shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }], [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }]);
      expect(() => mul.check(i16.graph, i16.op)).to.throw(OpError, /int16 MUL is not supported yet/);
      const tanh = binaryGraph('MUL', [2], [2], [2], q, q, q, { activation: 'TANH' });
      expect(() => mul.check(tanh.graph, tanh.op)).to.throw(OpError, /fused activation TANH is not supported/);
      const rank7 = binaryGraph('MUL', [1, 1, 1, 1, 1, 1, 2], [2], [1, 1, 1, 1, 1, 1, 2], q, q, q);
      expect(() => mul.check(rank7.graph, rank7.op)).to.throw(OpError, /rank 7; at most 6/);
    });
  });

  it('emitted C matches the reference kernel byte for byte on broadcast shapes and every activation', () => {
    const rand = rng(61);
    expectCMatchesReference(BROADCAST_SHAPES.map(([a, b, out], k) => {
      const { graph, op } = binaryGraph('MUL', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 0), { activation: ACTIVATIONS[k % 4] });
      return { def: mul, graph, op, inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))] };
    }));
  });

  it('is within one step of desktop TFLite (tfjs-tflite), with and without broadcasting, for every activation', async () => {
    // TFLite Micro: MBQM(product) with double rounding; desktop TFLite's optimized int8 MUL rounds
    // the requantization differently, so about 1% of the elements are one step apart
    const rand = rng(62);
    const { differing, total } = await expectTfliteWithinOneStep(mul, BROADCAST_SHAPES.slice(0, 5).map(([a, b, out], k) => ({
      ...binaryGraph('MUL', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 0), { activation: ACTIVATIONS[k % 4] }),
      inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))],
    })));
    console.log(`    MUL: ${differing} of ${total} elements one step from desktop TFLite`);
  });
});
