// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import prelu from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { type Q, count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, pick, randomShape } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** PRELU with a constant alpha (how converters write it) or a non-constant one. */
function graphOf(x: number[], alpha: number[], qx: Q, qa: Q, qo: Q, alphaValues?: Int8Array) {
  return singleOpGraph(
    'PRELU',
    [
      { shape: x, ...qx },
      { shape: alpha, ...qa, data: alphaValues },
    ],
    [{ shape: x, ...qo }],
  );
}

/** The reference kernel's output on x; the case is also checked against tflm-ref. */
function run(g: ReturnType<typeof graphOf>, x: number[]): number[] {
  const inputs = [Int8Array.from(x)];
  if (tflmRefAvailable()) expectTflmAgrees(prelu, [{ ...g, inputs }]);
  return Array.from(evaluateOp(prelu, g.graph, g.op, inputs)[0] as Int8Array);
}

/**
 * Random PRELUs: inputs of ranks 1..5, alpha per channel,
 * scalar, full or with size-1 dimensions, constant or not; scales over decades, zero points at the ends.
 */
function randomCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const x = randomShape(rand);
    const alpha = pick(rand, [[x[x.length - 1]!], [1], x, x.map((d) => (rand() < 0.5 ? 1 : d)), [1, 1, x[x.length - 1]!].slice(3 - Math.min(3, x.length))]);
    const qx = extremeQ(rand, -8, 1);
    const qa = extremeQ(rand, -9, 0);
    const alphaValues = extremeInt8(rand, count(alpha), qa.zeroPoint);
    const constant = rand() < 0.6;
    const { graph, op } = graphOf(x, alpha, qx, qa, extremeQ(rand, -8, 1), constant ? alphaValues : undefined);
    const xs = extremeInt8(rand, count(x), qx.zeroPoint);
    return { graph, op, inputs: constant ? [xs] : [xs, alphaValues] };
  });
}

describe('PRELU', () => {
  it('passes non-negative inputs and scales negative ones by alpha (hand-checked)', () => {
    // x scale 0.5 @ 0, alpha scale 0.01 @ 0 (alpha = 0.25 and 2), out 0.5 @ 0
    const g = graphOf([2, 2], [2], { scale: 0.5, zeroPoint: 0 }, { scale: 0.01, zeroPoint: 0 }, { scale: 0.5, zeroPoint: 0 }, Int8Array.from([25, -100]));
    // alpha by last index: 4 -> 4; -4·(-1) = 4; -4·0.25 = -1; -10·(-1) = 10 (in steps of 0.5)
    expect(run(g, [8, -8, -8, -20])).to.deep.equal([8, 8, -2, 20]);
  });

  it('uses the alpha zero point and clamps at the int8 extremes', () => {
    // alpha scale 0.1 @ -128 (alpha real = 0.1·(a+128)), x 1 @ 127, out 1 @ -128
    const g = graphOf([3], [1], { scale: 1, zeroPoint: 127 }, { scale: 0.1, zeroPoint: -128 }, { scale: 1, zeroPoint: -128 }, Int8Array.from([-118]));
    // alpha = 1.0: x real = q - 127 -> -255, -1, 0 -> out -383 (clamped), -129 (clamped), -128
    expect(run(g, [-128, 126, 127])).to.deep.equal([-128, -128, -128]);
  });

  it('rejects an alpha whose shape does not broadcast, a multiplier past 2^31', () => {
    const q = { scale: 1, zeroPoint: 0 };
    const bad = graphOf([1, 4, 4, 3], [2], q, q, q);
    expect(() => prelu.check(bad.graph, bad.op)).to.throw(OpError, /do not broadcast/);
    const wide = singleOpGraph(
      'PRELU',
      [
        { shape: [1, 3], ...q },
        { shape: [2, 3], ...q },
      ],
      [{ shape: [1, 3], ...q }],
    );
    expect(() => prelu.check(wide.graph, wide.op)).to.throw(OpError, /broadcast to \[2,3\]/);
    const fine = graphOf([2], [1], { scale: 300, zeroPoint: 0 }, { scale: 100, zeroPoint: 0 }, { scale: 1e-5, zeroPoint: 0 });
    expect(() => prelu.check(fine.graph, fine.op)).to.throw(OpError, /s_in·s_alpha\/s_out is 2\^\d+ or more/);
  });

  it('TFLite Micro (tflm-ref) agrees on 200 random cases: alpha shapes, constant or not, extreme quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(prelu, randomCases(101, 200));
  });

  it('emitted C matches the reference kernel byte for byte on 60 random cases', () => {
    expectCMatchesReference(randomCases(102, 60).map((c) => ({ def: prelu, ...c })));
  });
});
