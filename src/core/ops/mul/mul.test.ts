// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import mul from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { type CCase, evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { type Q, binaryGraph, count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, pick, randomBroadcast } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[], activation: FusedActivation = 'NONE'): number[] {
  const { graph, op } = binaryGraph('MUL', a, b, out, qa, qb, qo, { activation });
  const inputs = [Int8Array.from(x), Int8Array.from(y)];
  if (tflmRefAvailable()) expectTflmAgrees(mul, [{ graph, op, inputs }]);
  return Array.from(evaluateOp(mul, graph, op, inputs)[0] as Int8Array);
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** Random MULs: broadcasting of every kind, scales over decades, zero points at the ends, every activation. */
function randomCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const { a, b, out } = randomBroadcast(rand);
    const qa = extremeQ(rand, -9, 2);
    const qb = extremeQ(rand, -9, 2);
    const { graph, op } = binaryGraph('MUL', a, b, out, qa, qb, extremeQ(rand, -9, 2), { activation: pick(rand, ACTIVATIONS) });
    return { graph, op, inputs: [extremeInt8(rand, count(a), qa.zeroPoint), extremeInt8(rand, count(b), qb.zeroPoint)] };
  });
}

describe('MUL', () => {
  describe('reference kernel', () => {
    it('multiplies real values and requantizes once (hand-checked)', () => {
      // 0.5·(6-2) · 0.25·(8+4) = 2·3 = 6 -> at scale 0.1, zero point -10: 60 - 10 = 50
      expect(run([1], [1], [1], { scale: 0.5, zeroPoint: 2 }, { scale: 0.25, zeroPoint: -4 }, { scale: 0.1, zeroPoint: -10 }, [6], [8])).to.deep.equal([50]);
      // negative product and saturation at both ends
      expect(run([3], [3], [3], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, [-3, 20, -20], [4, 20, 20])).to.deep.equal([
        -12, 127, -128,
      ]);
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

    it('puts the fused activation bounds where TFLite Micro does: 6.0 / float32(s_out) divided in float', () => {
      // s_out = 0.108108112627...: 6 / s_out in double rounds to 55.4999.. -> 55, but TFLite divides by
      // the float32 scale in float, 55.5 -> 56
      const qo = { scale: 0.10810811262733545, zeroPoint: 0 };
      expect(run([4], [4], [4], { scale: 1, zeroPoint: 0 }, { scale: 0.5, zeroPoint: 0 }, qo, [120, 127, 60, -5], [1, 2, 2, 2], 'RELU6')).to.deep.equal([
        56, 56, 56, 0,
      ]);
    });
  });

  describe('check', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    it('rejects shapes that do not broadcast, a wrong output shape, a fused TANH, a multiplier past 2^31', () => {
      const g1 = binaryGraph('MUL', [2, 3], [4], [2, 3], q, q, q);
      expect(() => mul.check(g1.graph, g1.op)).to.throw(OpError, /do not broadcast/);
      const g2 = binaryGraph('MUL', [2, 3], [3], [2, 4], q, q, q);
      expect(() => mul.check(g2.graph, g2.op)).to.throw(OpError, /broadcast to \[2,3\]/);
      // s1·s2/s_out = 4e9: TFLite Micro would shift left by 32 bits (undefined in C)
      const fine = binaryGraph('MUL', [2], [2], [2], { scale: 200, zeroPoint: 0 }, { scale: 20, zeroPoint: 0 }, { scale: 1e-6, zeroPoint: 0 });
      expect(() => mul.check(fine.graph, fine.op)).to.throw(OpError, /left shift by 32 bits is undefined in C/);
      const tanh = binaryGraph('MUL', [2], [2], [2], q, q, q, { activation: 'TANH' });
      expect(() => mul.check(tanh.graph, tanh.op)).to.throw(OpError, /fused activation TANH is not supported/);
      const rank7 = binaryGraph('MUL', [1, 1, 1, 1, 1, 1, 2], [2], [1, 1, 1, 1, 1, 1, 2], q, q, q);
      expect(() => mul.check(rank7.graph, rank7.op)).to.throw(OpError, /rank 7; at most 6/);
    });
  });

  it('TFLite Micro (tflm-ref) agrees on 200 random cases: broadcasting, extreme quantizations, every activation', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(mul, randomCases(61, 200));
  });

  it('emitted C matches the reference kernel byte for byte on 60 random cases', () => {
    expectCMatchesReference(randomCases(62, 60).map((c) => ({ def: mul, ...c })));
  });
});
