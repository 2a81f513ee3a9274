// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mbqm } from '../numerics/fixedpoint.ts';
import { type S3Requant, s3Requant } from './s3simd.ts';

/** xtensa_s3_dot.h's tf_s3_requant_floor (on 4·acc) or tf_s3_requant, in exact integers. */
function requant(rq: S3Requant, acc: number): number {
  const [m, add, shift] = [rq.multiplier[0]!, rq.add[0]!, rq.exponent[0]!];
  let sum: number;
  if (rq.form === 'floor') {
    expect(4 * acc, '4 acc stays within int32').to.be.within(-(2 ** 31), 2 ** 31 - 1);
    sum = Number((BigInt(4 * acc) * BigInt(m)) >> 32n) + add;
  } else {
    const high = Number((BigInt(acc) * BigInt(m) + (1n << 30n)) >> 31n);
    sum = high + add - (high < 0 ? 1 : 0);
  }
  expect(sum, 'the sum stays within int32').to.be.within(-(2 ** 31), 2 ** 31 - 1);
  return Math.floor(sum / 2 ** shift);
}

const layer = (multiplier: number[], shift: number[], outputZeroPoint: number, actMin = -128) => ({
  multiplier,
  shift,
  inputOffset: 0,
  outputZeroPoint,
  actMin,
  actMax: 127,
});

const clamp = (x: number, lo: number) => Math.min(127, Math.max(lo, x));

describe('ESP32-S3 requantization (s3Requant, tf_s3_requant_floor, tf_s3_requant)', () => {
  it('is TFLite MultiplyByQuantizedMultiplier + zero point, clamped, for every right shift, zero point, floor and accumulator up to the bound', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) as number;
    const multipliers = [0, 1, 2 ** 30, 2 ** 30 + 1, 1518500250, 2 ** 31 - 1];
    const forms = { floor: 0, round: 0 };
    for (let e = 1; e <= 31; e++) {
      for (const zp of [-128, -1, 0, 5, 127]) {
        // the floor at the zero point (RELU), above it (RELU6's upper layers, a clamp), or under it
        for (const actMin of [-128, zp, Math.min(127, zp + 3)]) {
          for (const m of multipliers) {
            const bound = e >= 25 ? 2 ** 29 - 1 : 2 ** 24;
            const rq = s3Requant(layer([m], [-e], zp, actMin), [bound]);
            if (!rq) continue;
            if (rq.form === 'floor') expect(actMin, 'the floor form wants the floor at or above the zero point').to.be.at.least(zp);
            else expect(actMin < zp || e > 16, `the floor form for e ${e} zp ${zp} min ${actMin}`).to.equal(true);
            forms[rq.form]++;
            const accs = [0, 1, -1, bound, -bound, 2 ** (e - 1), -(2 ** (e - 1)), Math.floor(3 * 2 ** (e - 2)), -Math.floor(3 * 2 ** (e - 2))];
            // the accumulators next to each rounding edge of the first and the second rounding
            if (m > 0) {
              for (let k = 1; k < 20; k++) {
                const edge = Math.round(((k + 0.5) * 2 ** (31 + e)) / m / (1 + rand() * 20));
                accs.push(edge - 1, edge, edge + 1, -edge - 1, -edge, -edge + 1);
              }
            }
            for (let i = 0; i < 100; i++) accs.push(Math.round((rand() * 2 - 1) * bound));
            for (const acc of accs.filter((a) => Math.abs(a) <= bound)) {
              expect(clamp(requant(rq, acc), actMin), `${rq.form}: acc ${acc} m ${m} e ${e} zp ${zp} min ${actMin}`).to.equal(
                clamp(mbqm(acc, m, -e) + zp, actMin),
              );
            }
          }
        }
      }
    }
    expect(forms.floor).to.be.greaterThan(300);
    expect(forms.round).to.be.greaterThan(300);
  });

  it('takes the floor form only where the activation floor is at or above the zero point and 4 acc and the sum fit', () => {
    expect(s3Requant(layer([2 ** 30, 2 ** 30], [-3, -7], 4, 4), [1000, 1000])).to.deep.equal({
      form: 'floor',
      multiplier: [2 ** 30, 2 ** 30],
      add: [1 + 8 + 4 * 16, 1 + 128 + 4 * 256],
      exponent: [4, 8],
    });
    expect(s3Requant(layer([2 ** 30], [-3], 4, 3), [1000])?.form, 'floor under the zero point').to.equal('round');
    expect(s3Requant(layer([2 ** 30], [-3], 4, 4), [2 ** 29])?.form, '4 acc overflows').to.equal('round');
    expect(s3Requant(layer([2 ** 30], [-31], 0, 0), [1000])?.form, 'shift 32').to.equal('round');
    expect(s3Requant(layer([2 ** 31 - 1], [-30], 0, 0), [2 ** 29 - 1])?.form, 'the sum overflows').to.equal('round');
  });

  it('takes the layer only when every channel has a right shift, m >= 0 and an int32 sum', () => {
    expect(s3Requant(layer([2 ** 30, 2 ** 30], [-3, -7], 4), [1000, 1000])).to.deep.equal({
      form: 'round',
      multiplier: [2 ** 30, 2 ** 30],
      add: [4 + 4 * 8, 64 + 4 * 128],
      exponent: [3, 7],
    });
    expect(s3Requant(layer([2 ** 30, 2 ** 30], [-3, 0], 4), [1000, 1000]), 'shift 0').to.equal(undefined);
    expect(s3Requant(layer([2 ** 30], [1], 4), [1000]), 'left shift').to.equal(undefined);
    expect(s3Requant(layer([2 ** 31 - 1], [-31], 127), [1000]), 'zp 2^31 overflows').to.equal(undefined);
    expect(s3Requant(layer([2 ** 31 - 1], [-20], 0), [2 ** 31 - 1]), 'h + 2^19 overflows').to.equal(undefined);
    expect(s3Requant({ ...layer([2 ** 30], [-3], 0), ortScale: [0.5] }, [1000]), 'ONNX Runtime arithmetic').to.equal(undefined);
  });
});
