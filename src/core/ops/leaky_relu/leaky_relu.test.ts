// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import leakyRelu from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTflmAgrees, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, pick, randInt, randomShape } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, alpha: number, x: number[]) => {
  const { graph, op } = unaryGraph('LEAKY_RELU', [x.length], input, output, { alpha });
  if (tflmRefAvailable()) expectTflmAgrees(leakyRelu, [{ graph, op, inputs: [Int8Array.from(x)] }]);
  return Array.from(evaluateOp(leakyRelu, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

/** Alphas of every kind: the usual, 0, 1, above 1, negative, tiny, and random float32 values. */
const randomAlpha = (rand: () => number) =>
  pick(rand, [0.01, 0.1, 0.2, 0.3, 0, 1, 1.5, 7.3, -0.5, -2, 1e-7, 3e-5, Math.fround(rand()), Math.fround(rand() * 4 - 2)]);

describe('LEAKY_RELU', () => {
  it('scales negative inputs by alpha and requantizes (hand-checked)', () => {
    // in 0.1 @ 10, out 0.05 @ -20, alpha 0.25: x=-4 -> -1 -> -20 -20; x=+2 -> 40 - 20; x=-0.2 -> -0.05 -> -1 - 20
    expect(run({ scale: 0.1, zeroPoint: 10 }, { scale: 0.05, zeroPoint: -20 }, 0.25, [-30, 30, 8, 10])).to.deep.equal([-40, 20, -21, -20]);
    // alpha 0: a plain requantizing relu; large positives saturate
    expect(run({ scale: 0.1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 0 }, 0, [-100, -1, 0, 127])).to.deep.equal([0, 0, 0, 127]);
  });

  it('handles alpha > 1 and zero points at the int8 extremes', () => {
    expect(run({ scale: 0.5, zeroPoint: 127 }, { scale: 0.5, zeroPoint: 127 }, 2, [127, 126, 100, -128])).to.deep.equal([127, 125, 73, -128]);
    expect(run({ scale: 0.5, zeroPoint: -128 }, { scale: 0.25, zeroPoint: -128 }, 0.1, [-128, -127, -100])).to.deep.equal([-128, -126, -72]);
  });

  it('requires a numeric alpha and multipliers below 2^31', () => {
    const { graph, op } = unaryGraph('LEAKY_RELU', [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 });
    expect(() => leakyRelu.check(graph, op)).to.throw(OpError, /alpha = undefined/);
    const fine = unaryGraph('LEAKY_RELU', [2], { scale: 1, zeroPoint: 0 }, { scale: 1e-5, zeroPoint: 0 }, { alpha: 1e5 });
    expect(() => leakyRelu.check(fine.graph, fine.op)).to.throw(OpError, /s_in·alpha\/s_out is 2\^\d+ or more/);
  });

  it('TFLite Micro (tflm-ref) agrees on every input value for 100 random alphas and quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(41);
    expectTflmAgrees(
      leakyRelu,
      Array.from({ length: 100 }, () => ({
        ...unaryGraph('LEAKY_RELU', [256], extremeQ(rand, -9, 2), extremeQ(rand, -9, 2), { alpha: randomAlpha(rand) }),
        inputs: [ALL_INT8],
      })),
    );
  });

  it('TFLite Micro (tflm-ref) agrees where x·alpha lands on exact halves: a negative alpha rounds them down', function () {
    if (!tflmRefAvailable(this)) return;
    // in 0.1 @ 0 = out: alpha -0.5 takes x = -15 to 7.5 steps, which TFLite Micro rounds to 7
    expect(run({ scale: 0.1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 0 }, -0.5, [-15, -5, 15])).to.deep.equal([7, 2, 15]);
    // and alpha +0.5: -7.5 -> -7, rounded up as usual
    expect(run({ scale: 0.1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 0 }, 0.5, [-15, -5])).to.deep.equal([-7, -2]);
    const rand = rng(43);
    expectTflmAgrees(
      leakyRelu,
      Array.from({ length: 60 }, () => {
        const qi = { scale: 2 ** randInt(rand, -10, 2), zeroPoint: randInt(rand, -128, 127) };
        const qo = rand() < 0.5 ? qi : { scale: qi.scale * 2 ** randInt(rand, -3, 3), zeroPoint: randInt(rand, -128, 127) };
        const alpha = pick(rand, [-0.5, -0.25, -0.75, -1, -1.5, -2, -0.125, 0.5, 0.25, 1.5, -3.5]);
        return { ...unaryGraph('LEAKY_RELU', [256], qi, qo, { alpha }), inputs: [ALL_INT8] };
      }),
    );
  });

  it('emitted C matches the reference kernel byte for byte on 30 random cases', () => {
    const rand = rng(42);
    expectCMatchesReference(
      Array.from({ length: 30 }, () => {
        const shape = randomShape(rand);
        const qi = extremeQ(rand, -9, 2);
        const { graph, op } = unaryGraph('LEAKY_RELU', shape, qi, extremeQ(rand, -9, 2), { alpha: randomAlpha(rand) });
        return {
          def: leakyRelu,
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
