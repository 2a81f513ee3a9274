// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import div, { countLeadingSignBits } from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { BROADCAST_SHAPES, binaryGraph, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { reciprocal } from '../common/numerics/gemmlowp.ts';

type Q = { scale: number; zeroPoint: number };
const ACTIVATIONS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const;

/** quantizations whose output multiplier s1/(s2·s_out) is 2^log2m (TFLM survives every pair for 6 <= log2m < 23) */
function quant(rand: () => number, log2m: number): [Q, Q, Q] {
  const s1 = Math.exp(-7 + rand() * 6);
  const s2 = Math.exp(-7 + rand() * 6);
  const zp = () => Math.floor(rand() * 256) - 128;
  return [
    { scale: s1, zeroPoint: zp() },
    { scale: s2, zeroPoint: zp() },
    { scale: s1 / (s2 * 2 ** log2m), zeroPoint: zp() },
  ];
}

/** whether TFLM runs this pair without an assertion: x2 != 0 and the final shift <= 31 */
function tflmDefined(x1: number, x2: number, shift: number): boolean {
  if (x2 === 0) return false;
  if (x2 < 0) {
    x1 = -x1;
    x2 = -x2;
  }
  return countLeadingSignBits(x1) + reciprocal(x2, 31).numBitsOverUnit - shift <= 31;
}

describe('DIV', () => {
  it('divides (hand-checked)', () => {
    const { graph, op } = binaryGraph(
      'DIV',
      [4],
      [4],
      [4],
      { scale: 0.5, zeroPoint: 0 },
      { scale: 0.25, zeroPoint: 0 },
      { scale: 0.1, zeroPoint: -10 },
      { activation: 'NONE' },
    );
    // 5/2 = 2.5, -3/1 = -3, 1.5/(-0.5) = -3, 0/1 = 0 -> /0.1 - 10
    const out = evaluateOp(div, graph, op, [Int8Array.from([10, -6, 3, 0]), Int8Array.from([8, 4, -2, 4])])[0] as Int8Array;
    expect(Array.from(out)).to.deep.equal([15, -40, -40, -10]);
  });

  it('saturates a division by zero to the sign of the dividend', () => {
    const { graph, op } = binaryGraph(
      'DIV',
      [3],
      [3],
      [3],
      { scale: 0.5, zeroPoint: 0 },
      { scale: 0.25, zeroPoint: 3 },
      { scale: 0.1, zeroPoint: -10 },
      { activation: 'NONE' },
    );
    expect(Array.from(evaluateOp(div, graph, op, [Int8Array.from([5, -5, 0]), Int8Array.from([3, 3, 3])])[0] as Int8Array)).to.deep.equal([127, -128, -10]);
  });

  it('rejects an output multiplier of 2^23 or more', () => {
    const { graph, op } = binaryGraph(
      'DIV',
      [3],
      [3],
      [3],
      { scale: 1, zeroPoint: 0 },
      { scale: 1, zeroPoint: 0 },
      { scale: 1e-8, zeroPoint: 0 },
      { activation: 'NONE' },
    );
    expect(() => div.check(graph, op)).to.throw(OpError, /too small/);
  });

  it('rejects RELU6 / RELU_N1_TO_1 bounds that overflow int32 at the output scale (TFLM fails Prepare)', () => {
    const { graph, op } = binaryGraph(
      'DIV',
      [3],
      [3],
      [3],
      { scale: 1e-3, zeroPoint: 0 },
      { scale: 1, zeroPoint: 0 },
      { scale: 1e-10, zeroPoint: 0 },
      { activation: 'RELU6' },
    );
    expect(() => div.check(graph, op)).to.throw(OpError, /activation range overflows/);
  });

  it('emitted C matches the reference kernel byte for byte, broadcasts and activations', () => {
    const rand = rng(31);
    expectCMatchesReference(
      BROADCAST_SHAPES.map(([a, b, o], k) => {
        const [q1, q2, qo] = quant(rand, [0, 3, 7, 12, 20, -4][k % 6]!);
        const { graph, op } = binaryGraph('DIV', a, b, o, q1, q2, qo, { activation: ACTIVATIONS[k % 4] });
        const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
        return { def: div, graph, op, inputs: [randomInt8(rand, n(a)), randomInt8(rand, n(b))] };
      }),
    );
  });

  it('agrees with TFLite Micro on all 65280 input pairs with a nonzero divisor (multipliers TFLM always survives)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(32);
    const x1 = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    expectTflmAgrees(
      div,
      [6, 7, 10, 15, 22].map((log2m, k) => {
        const [q1, q2, qo] = quant(rand, log2m + rand() * 0.9);
        const x2 = Int8Array.from({ length: 256 }, (_, i) => i - 128).filter((v) => v !== q2.zeroPoint);
        return { ...binaryGraph('DIV', [256, 1], [1, 255], [256, 255], q1, q2, qo, { activation: ACTIVATIONS[k % 4] }), inputs: [x1, x2] };
      }),
    );
  });

  it('agrees with TFLite Micro on random pairs it defines, small multipliers and broadcasts', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(33);
    const cases = [];
    for (let k = 0; k < 12; k++) {
      const [q1, q2, qo] = quant(rand, -3 + rand() * 12);
      const shift = quantizeMultiplier(Math.fround(Math.fround(q1.scale) / Math.fround(Math.fround(q2.scale) * Math.fround(qo.scale)))).shift;
      const n = 300;
      const a = new Int8Array(n);
      const b = new Int8Array(n);
      for (let i = 0; i < n; i++) {
        do {
          a[i] = Math.floor(rand() * 256) - 128;
          b[i] = Math.floor(rand() * 256) - 128;
        } while (!tflmDefined(a[i]! - q1.zeroPoint, b[i]! - q2.zeroPoint, shift));
      }
      cases.push({ ...binaryGraph('DIV', [3, 100], [3, 100], [3, 100], q1, q2, qo, { activation: ACTIVATIONS[k % 4] }), inputs: [a, b] });
    }
    // a broadcast one: a constant-free per-channel divisor far from its zero point
    const [q1, q2, qo] = quant(rand, 8);
    cases.push({
      ...binaryGraph('DIV', [1, 4, 4, 8], [8], [1, 4, 4, 8], q1, { ...q2, zeroPoint: -128 }, qo, { activation: 'NONE' }),
      inputs: [randomInt8(rand, 128), randomInt8(rand, 8, 0, 127)],
    });
    expectTflmAgrees(div, cases);
  });
});
