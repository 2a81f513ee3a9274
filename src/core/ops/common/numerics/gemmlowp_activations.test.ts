// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INT32_MAX } from './fixedpoint.ts';
import { int8SigmoidScaling, logistic, logisticInt8, oneMinusXOverOnePlusXForXIn0To1, tanh, tanhInt8 } from './gemmlowp_activations.ts';
import { int8Table } from './lookup_table.ts';
import { compileAndRun } from '../../../../../test/helpers/op_harness.ts';

const Q31 = 2 ** 31;

/**
 * An independent C rendering of gemmlowp's logistic/tanh and of TFLite Micro's int8 kernels around
 * them, on native int32/int64 arithmetic (built on fixedpoint.h and gemmlowp.h): the TS twins must
 * agree with it bit for bit, which catches any JS number-semantics slip (wrap, shifts, division).
 */
const C_SIGMOID = String.raw`
static int32_t exp_on_negative(int32_t a, int integer_bits) {
  static const int32_t barrel[7] = { 1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242 };
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t a_mod = tf_add_wrap(a & (one_quarter - 1), -one_quarter);
  int32_t result = tf_exp_on_interval_between_negative_one_quarter_and_0_excl(tf_sat_shift_left(a_mod, integer_bits));
  const uint32_t remainder = (uint32_t)a_mod - (uint32_t)a;
  int k;
  for (k = -2; k <= 4; k++) {
    if (integer_bits > k && (remainder & (1u << (fractional_bits + k)))) result = tf_srdhm(result, barrel[k + 2]);
  }
  return a == 0 ? INT32_MAX : result;
}
static int32_t one_minus_x_over_one_plus_x(int32_t a) {
  const int32_t half_denominator = tf_rounding_half_sum(a, INT32_MAX);
  int32_t x = tf_add_wrap(1515870810, tf_srdhm(half_denominator, -1010580540));
  int i;
  for (i = 0; i < 3; i++) {
    const int32_t one_minus = (int32_t)((1u << 29) - (uint32_t)tf_srdhm(half_denominator, x));
    x = tf_add_wrap(x, tf_sat_shift_left(tf_srdhm(x, one_minus), 2));
  }
  return tf_sat_shift_left(tf_add_wrap(x, -(1 << 29)), 2);
}
static int32_t logistic_raw(int32_t a, int integer_bits) {
  int32_t r;
  if (a == 0) return 1 << 30;
  r = tf_one_over_one_plus_x_for_x_in_0_1(exp_on_negative(a > 0 ? -a : a, integer_bits));
  return a > 0 ? r : INT32_MAX - r;
}
static int32_t tanh_raw(int32_t a, int integer_bits) {
  int32_t t;
  if (a == 0) return 0;
  t = one_minus_x_over_one_plus_x(exp_on_negative(a < 0 ? a : -a, integer_bits + 1));
  return a < 0 ? -t : t;
}
static int8_t sigmoid_int8(int is_tanh, int32_t q, int32_t zp, int32_t mult, int shift, int32_t radius) {
  const int32_t input = q - zp;
  int32_t v;
  if (input <= -radius) return -128;
  if (input >= radius) return 127;
  v = tf_mbqm(input, mult, shift);
  v = is_tanh ? tf_rdbpot(tanh_raw(v, 4), 24) : tf_rdbpot(logistic_raw(v, 4), 23) - 128;
  return (int8_t)tf_clamp(v, -128, 127);
}
`;

const COMMON_DIR = import.meta.dirname;

function cTables(cases: { zp: number; mult: number; shift: number; radius: number }[]): Uint8Array {
  const headers = readdirSync(COMMON_DIR)
    .filter((f) => f.endsWith('.h'))
    .sort();
  const rows = cases.map((c) => `{ ${c.zp}, ${c.mult}, ${c.shift}, ${c.radius} }`).join(',\n');
  const program = [
    '#include <stdint.h>',
    '#include <stdio.h>',
    ...headers.map((h) => `#include "${join(COMMON_DIR, h)}"`),
    C_SIGMOID,
    `static const int32_t cases[][4] = {\n${rows}\n};`,
    'int main(void) {',
    '  unsigned c; int t, q;',
    '  for (c = 0; c < sizeof cases / sizeof cases[0]; c++)',
    '    for (t = 0; t < 2; t++)',
    '      for (q = 0; q < 256; q++) {',
    '        const int8_t v = sigmoid_int8(t, (int8_t)q, cases[c][0], cases[c][1], (int)cases[c][2], cases[c][3]);',
    '        fwrite(&v, 1, 1, stdout);',
    '      }',
    '  return 0;',
    '}',
  ].join('\n');
  return compileAndRun(program);
}

const SCALES = [2 ** -20, 1 / 256, 0.004, 0.01, 0.03125, 0.05, 0.1, 0.25, 0.3, 1, 4, 20];
const ZERO_POINTS = [-128, -3, 0, 17, 127];

describe('gemmlowp logistic and tanh (TS)', () => {
  it('logistic and tanh of Q4.27 raw values are the real functions to within 1e-6', () => {
    for (let x = -15.9; x < 16; x += 0.0625) {
      const raw = Math.round(x * 2 ** 27);
      expect(Math.abs(logistic(raw, 4) / Q31 - 1 / (1 + Math.exp(-raw / 2 ** 27))), `logistic(${x})`).to.be.below(1e-6);
      expect(Math.abs(tanh(raw, 4) / Q31 - Math.tanh(raw / 2 ** 27)), `tanh(${x})`).to.be.below(1e-6);
    }
    expect(logistic(0, 4)).to.equal(1 << 30);
    expect(tanh(0, 4)).to.equal(0);
  });

  it('(1-x)/(1+x) over [0, 1)', () => {
    for (let x = 0; x < 1; x += 1 / 128) {
      expect(Math.abs(oneMinusXOverOnePlusXForXIn0To1(Math.round(x * Q31)) / Q31 - (1 - x) / (1 + x)), `x=${x}`).to.be.below(1e-8);
    }
    expect(oneMinusXOverOnePlusXForXIn0To1(0)).to.be.closeTo(INT32_MAX, 2);
  });

  it("TFLite Micro's int8 input scaling: frexp of scale·2^27, radius floor(15·2^27 / 2^shift)", () => {
    // scale 1: 2^27 = 0.5·2^28 -> multiplier 2^30, shift 28, radius 7 (15/2 rounded down)
    expect(int8SigmoidScaling(1, 3)).to.deep.equal({ inputZeroPoint: 3, inputMultiplier: 2 ** 30, inputLeftShift: 28, inputRangeRadius: 7 });
    // scale 1/256: 2^19 -> shift 20, radius 15·2^27/2^20 = 1920
    expect(int8SigmoidScaling(1 / 256, 0)!.inputRangeRadius).to.equal(1920);
    // scale 0.1 (float32 0.100000001490116...): mantissa 0.8 rounded in Q31
    const s = int8SigmoidScaling(0.1, 0)!;
    expect(s.inputLeftShift).to.equal(24);
    expect(s.inputMultiplier).to.equal(Math.round(((Math.fround(0.1) * 2 ** 27) / 2 ** 24) * 2 ** 31));
    expect(int8SigmoidScaling(2 ** -30, 0)).to.equal(undefined);
  });

  it('int8 outputs are the rounded real sigmoid/tanh within one step inside the radius and saturate past it', () => {
    for (const scale of SCALES) {
      for (const zp of ZERO_POINTS) {
        const s = int8SigmoidScaling(scale, zp)!;
        for (let q = -128; q <= 127; q++) {
          if (Math.abs(q - zp) >= s.inputRangeRadius) {
            // TFLite Micro saturates without computing (for large scales this cuts in early: scale 4
            // has radius 1, so x = 4 already gives the largest output)
            const top = q > zp ? 127 : -128;
            expect([logisticInt8(q, s), tanhInt8(q, s)], `scale ${scale} zp ${zp} q ${q}`).to.deep.equal([top, top]);
            continue;
          }
          const x = Math.fround(scale) * (q - zp);
          const lo = logisticInt8(q, s);
          const th = tanhInt8(q, s);
          expect(
            Math.abs(lo - Math.max(-128, Math.min(127, Math.round(256 / (1 + Math.exp(-x))) - 128))),
            `logistic scale ${scale} zp ${zp} q ${q}`,
          ).to.be.at.most(1);
          expect(Math.abs(th - Math.max(-128, Math.min(127, Math.round(128 * Math.tanh(x))))), `tanh scale ${scale} zp ${zp} q ${q}`).to.be.at.most(1);
        }
        // exactly at the zero point: sigmoid 1/2 -> 0, tanh 0 -> 0 (unless the radius is 0, as for
        // scale 20, where TFLite Micro's `input <= -radius` sends even 0 to the minimum)
        if (s.inputRangeRadius > 0) expect([logisticInt8(zp, s), tanhInt8(zp, s)]).to.deep.equal([0, 0]);
        else expect([logisticInt8(zp, s), tanhInt8(zp, s)]).to.deep.equal([-128, -128]);
      }
    }
    const s = int8SigmoidScaling(1, 0)!;
    expect([logisticInt8(7, s), logisticInt8(-7, s), tanhInt8(7, s), tanhInt8(-7, s)]).to.deep.equal([127, -128, 127, -128]);
  });

  it('agrees bit for bit with an independent C implementation on every int8 input', () => {
    const cases = SCALES.flatMap((scale) => ZERO_POINTS.map((zp) => ({ scale, zp })));
    const params = cases.map(({ scale, zp }) => {
      const s = int8SigmoidScaling(scale, zp)!;
      return { zp, mult: s.inputMultiplier, shift: s.inputLeftShift, radius: s.inputRangeRadius };
    });
    const c = new Int8Array(cTables(params).buffer);
    cases.forEach(({ scale, zp }, k) => {
      const s = int8SigmoidScaling(scale, zp)!;
      // row i of each C table is the value for the input byte i, as int8Table indexes
      expect(
        int8Table((q) => logisticInt8(q, s)),
        `logistic scale ${scale} zp ${zp}`,
      ).to.deep.equal(Array.from(c.subarray(k * 512, k * 512 + 256)));
      expect(
        int8Table((q) => tanhInt8(q, s)),
        `tanh scale ${scale} zp ${zp}`,
      ).to.deep.equal(Array.from(c.subarray(k * 512 + 256, k * 512 + 512)));
    });
  });
});
