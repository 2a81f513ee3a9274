// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mbqm } from '../numerics/fixedpoint.ts';
import { s3Requant } from './s3simd.ts';

/** xtensa_s3_dot.h's tf_s3_requant, in exact integers. */
function requant(acc: number, m: number, add: number, e: number): number {
  const high = Number((BigInt(acc) * BigInt(m) + (1n << 30n)) >> 31n);
  const sum = high + add - (high < 0 ? 1 : 0);
  expect(sum, 'the sum stays within int32').to.be.within(-(2 ** 31), 2 ** 31 - 1);
  return Math.floor(sum / 2 ** e);
}

const layer = (multiplier: number[], shift: number[], outputZeroPoint: number) => ({
  multiplier,
  shift,
  inputOffset: 0,
  outputZeroPoint,
  actMin: -128,
  actMax: 127,
});

describe('ESP32-S3 requantization (s3Requant, tf_s3_requant)', () => {
  it('is TFLite MultiplyByQuantizedMultiplier + zero point for every right shift, zero point and accumulator up to the bound', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) as number;
    const multipliers = [0, 1, 2 ** 30, 2 ** 30 + 1, 1518500250, 2 ** 31 - 1];
    for (let e = 1; e <= 31; e++) {
      for (const zp of [-128, -1, 0, 5, 127]) {
        for (const m of multipliers) {
          const bound = e >= 25 ? 2 ** 31 - 2 ** 30 : 2 ** 24;
          const rq = s3Requant(layer([m], [-e], zp), [bound]);
          if (!rq) continue;
          const accs = [0, 1, -1, bound, -bound, 2 ** (e - 1), -(2 ** (e - 1)), Math.floor(3 * 2 ** (e - 2)), -Math.floor(3 * 2 ** (e - 2))];
          for (let i = 0; i < 200; i++) accs.push(Math.round((rand() * 2 - 1) * bound));
          for (const acc of accs.filter((a) => Math.abs(a) <= bound)) {
            expect(requant(acc, rq.multiplier[0]!, rq.add[0]!, rq.exponent[0]!), `acc ${acc} m ${m} e ${e} zp ${zp}`).to.equal(mbqm(acc, m, -e) + zp);
          }
        }
      }
    }
  });

  it('takes the layer only when every channel has a right shift, m >= 0 and an int32 sum', () => {
    expect(s3Requant(layer([2 ** 30, 2 ** 30], [-3, -7], 4), [1000, 1000])).to.deep.equal({
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
