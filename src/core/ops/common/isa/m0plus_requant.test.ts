// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { m0Requant, pieceSrdhm, piecePlan, pieceTop } from './m0plus_requant.ts';
import { randomInt, rng } from '../../../../../test/helpers/op_harness.ts';

/** TFLite's SaturatingRoundingDoublingHighMul in exact integers (m >= 0 never saturates) */
function srdhm(x: number, m: number): number {
  const p = BigInt(x) * BigInt(m) + (1n << 30n);
  // arithmetic shift: floor
  return Number(p >> 31n);
}

describe('Armv6-M requantization pieces (m0plus_requant.ts)', () => {
  it('the piece sums equal the 64-bit SRDHM for every bound, multiplier and x at and inside the bound', () => {
    const rand = rng(31);
    let plans = 0;
    for (let k = 0; k < 400; k++) {
      const X = k % 4 === 0 ? randomInt(rand, 1, 300) : Math.floor(2 ** (rand() * 29.9));
      // normalized multipliers, with trailing zeros (float-derived) or not, and powers of two
      let m = randomInt(rand, 2 ** 30, 2 ** 31 - 1);
      if (k % 3 === 1) m = Math.floor(m / 2 ** 12) * 2 ** 12;
      if (k % 17 === 5) m = 2 ** 30;
      const plan = piecePlan(m, X);
      if (!plan) continue;
      plans++;
      for (const x of [X, -X, 0, 1, -1, ...Array.from({ length: 200 }, () => randomInt(rand, -X, X))]) {
        expect(pieceSrdhm(x, plan), `m ${m} X ${X} x ${x} plan ${JSON.stringify(plan)}`).to.equal(srdhm(x, m));
      }
    }
    expect(plans).to.be.above(300);
  });

  it("the fused form of both roundings equals SRDHM then TFLite's rounding right shift", () => {
    const rand = rng(32);
    for (let k = 0; k < 300; k++) {
      const X = Math.floor(2 ** (rand() * 22));
      const m = k % 2 ? randomInt(rand, 2 ** 30, 2 ** 31 - 1) : Math.floor(randomInt(rand, 2 ** 30, 2 ** 31 - 1) / 256) * 256;
      const r = randomInt(rand, 1, 12);
      const plan = piecePlan(m, X);
      if (!plan) continue;
      const a = plan.B - plan.K;
      for (const x of [X, -X, 0, 1, -1, ...Array.from({ length: 100 }, () => randomInt(rand, -X, X))]) {
        const s = pieceTop(x, plan);
        const fused = Math.floor((s + (s < 0 ? -(2 ** a) : 0) + 2 ** (a - 1) + 2 ** (a + r - 1)) / 2 ** (a + r));
        const q = srdhm(x, m);
        // TFLite's RoundingDivideByPOT
        const rem = q - Math.floor(q / 2 ** r) * 2 ** r;
        const expected = Math.floor(q / 2 ** r) + (rem > 2 ** (r - 1) - 1 + (q < 0 ? 1 : 0) ? 1 : 0);
        expect(fused, `m ${m} X ${X} x ${x} r ${r}`).to.equal(expected);
      }
    }
  });

  it('a float-derived multiplier sheds its trailing zeros: two pieces for an 18-bit bound', () => {
    const plan = piecePlan(1239940864, 300000)!;
    expect(plan.pieces.filter((p) => p !== 0).length).to.equal(2);
  });

  it('falls back to tf_m0_srdhm for unbounded accumulators and uses one add and shift for 2^30', () => {
    expect(m0Requant(1276881792, -1, Infinity).body).to.match(/tf_m0_srdhm/);
    expect(m0Requant(2 ** 30, -14, 2 ** 30).body).to.match(/^int32_t q = \(acc \+ 1\) >> 1;/);
    expect(m0Requant(1276881792, -1, 100000).body).to.not.match(/tf_m0_srdhm/);
  });
});
