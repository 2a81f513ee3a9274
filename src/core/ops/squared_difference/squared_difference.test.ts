// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import squaredDifference from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { type Q, binaryGraph, count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomBroadcast } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[]): number[] {
  const { graph, op } = binaryGraph('SQUARED_DIFFERENCE', a, b, out, qa, qb, qo);
  const inputs = [Int8Array.from(x), Int8Array.from(y)];
  if (tflmRefAvailable()) expectTflmAgrees(squaredDifference, [{ graph, op, inputs }]);
  return Array.from(evaluateOp(squaredDifference, graph, op, inputs)[0] as Int8Array);
}

/** Random SQUARED_DIFFERENCEs: broadcasting of every kind, scales over decades, zero points at the ends. */
function randomCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const { a, b, out } = randomBroadcast(rand);
    const qa = extremeQ(rand, -8, 1);
    const qb = rand() < 0.3 ? qa : extremeQ(rand, -8, 1);
    const { graph, op } = binaryGraph('SQUARED_DIFFERENCE', a, b, out, qa, qb, extremeQ(rand, -8, 3));
    return { graph, op, inputs: [extremeInt8(rand, count(a), qa.zeroPoint), extremeInt8(rand, count(b), qb.zeroPoint)] };
  });
}

describe('SQUARED_DIFFERENCE', () => {
  it('squares the real difference (hand-checked)', () => {
    // (0.1·30 - 0.2·(-5)) = 3 + 1 = 4 -> 16 at scale 0.25, zero point -100: 64 - 100 = -36
    expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 0 }, { scale: 0.25, zeroPoint: -100 }, [30], [-5])).to.deep.equal([-36]);
    const q = { scale: 0.5, zeroPoint: 0 };
    // (1.5 - (-0.5))^2 = 4 -> 8; equal inputs -> 0; huge -> saturates
    expect(run([3], [3], [3], q, q, q, [3, 7, 127], [-1, 7, -128])).to.deep.equal([8, 0, 127]);
  });

  it('broadcasts and handles zero points at the int8 extremes', () => {
    const qa = { scale: 0.1, zeroPoint: -128 };
    const qb = { scale: 0.1, zeroPoint: 127 };
    const qo = { scale: 1, zeroPoint: -128 };
    // a real = 0.1·(x+128), b real = 0.1·(y-127) = 0 for y = 127
    expect(run([2], [1], [2], qa, qb, qo, [-128, 2], [127])).to.deep.equal([-128, -128 + 169]);
  });

  it('rejects an output multiplier past 2^31', () => {
    const fine = binaryGraph('SQUARED_DIFFERENCE', [2], [2], [2], { scale: 100, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, { scale: 1e-10, zeroPoint: 0 });
    expect(() => squaredDifference.check(fine.graph, fine.op)).to.throw(OpError, /left shift by \d+ bits is undefined in C/);
  });

  it('TFLite Micro (tflm-ref) agrees on 200 random cases: broadcasting, extreme quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(squaredDifference, randomCases(81, 200));
  });

  it('emitted C matches the reference kernel byte for byte on 60 random cases', () => {
    expectCMatchesReference(randomCases(82, 60).map((c) => ({ def: squaredDifference, ...c })));
  });
});
