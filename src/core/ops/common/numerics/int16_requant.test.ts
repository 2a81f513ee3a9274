// SPDX-License-Identifier: Apache-2.0
/**
 * int16_requant.h's 32-bit form of TFLite's 64-bit MultiplyByQuantizedMultiplier against
 * fixedpoint64.h's tf_mbqm64 (itself TFLite's formula, checked against tflm-ref by the int16 op
 * tests), in C under ASan + UBSan: every ts in [16, 32] for reduced multipliers at the ends and random,
 * int32 sums at the extremes and random; and tf_s16_mbqm64 (the test for sums that fit int32 and
 * int16FastMultipliers' table) for random multipliers and shifts over the whole range -31..7 and
 * int64 sums on both sides of the int32 limits. All three forms: Arm DSP (SMMULR's C twin), the
 * 16-bit split of Armv6-M and the MULHSU one of RV32.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { int16FastMultipliers } from '../families/int16_gemv.ts';
import { compileAndRun, randomInt, rng } from '../../../../../test/helpers/op_harness.ts';

function program(split: boolean, layers: { multiplier: number; shift: number; fast: number }[]): string {
  const common = import.meta.dirname;
  return [
    '#include <stdint.h>',
    '#include <stdio.h>',
    ...(split ? ['#define TF_S16_RQ_SPLIT 1'] : []),
    `#include "${join(common, 'int16_requant.h')}"`,
    'static uint32_t state = 2463534242u;',
    'static uint32_t next(void) { state ^= state << 13; state ^= state >> 17; state ^= state << 5; return state; }',
    '/* an int32 sum: the extremes, near them, small, or any */',
    'static int32_t pick32(void) {',
    '  const uint32_t r = next() & 7u;',
    '  if (r == 0u) return (next() & 1u) ? INT32_MAX - (int32_t)(next() % 64u) : INT32_MIN + (int32_t)(next() % 64u);',
    '  if (r == 1u) return (int32_t)(next() % 4096u) - 2048;',
    '  if (r == 2u) return (int32_t)(next() >> (next() % 31u)) * ((next() & 1u) ? 1 : -1);',
    '  return (int32_t)next();',
    '}',
    '/* an int64 sum within 2^40 of the int32 limits, on either side, or an int32 one */',
    'static int64_t pick64(void) {',
    '  const uint32_t r = next() & 3u;',
    '  const int64_t off = (int64_t)(next() >> (next() % 32u)) * (int64_t)(1u + (next() % 255u));',
    '  if (r == 0u) return (int64_t)INT32_MAX + 1 - (int64_t)(next() % 3u) + ((next() & 1u) ? off : -off);',
    '  if (r == 1u) return (int64_t)INT32_MIN + 1 - (int64_t)(next() % 3u) + ((next() & 1u) ? off : -off);',
    '  return pick32();',
    '}',
    'static const int32_t ms[] = { 1, 2, 0x3FFF, 0x4000, 0x4001, 0x5555, 0x7FFE, 0x7FFF };',
    'static const struct { int32_t multiplier, shift, fast; } layers[] = {',
    ...layers.map((l) => `  { ${l.multiplier}, ${l.shift}, ${l.fast} },`),
    '};',
    'int main(void) {',
    '  for (int ts = 16; ts <= 32; ++ts) {',
    '    for (int i = 0; i < 12; ++i) {',
    '      const int32_t m = i < 8 ? ms[i] : (int32_t)(1u + next() % 0x7FFFu);',
    '      const int32_t f = (int32_t)((uint32_t)m << (32 - ts));',
    '      /* the 16-bit multiplier TFLite reduces m << 16 to is m */',
    '      const int32_t q = m == 0x7FFF ? 0x7FFFFFFF : m << 16;',
    '      for (int k = 0; k < 4000; ++k) {',
    '        const int32_t x = pick32();',
    '        const int32_t want = tf_mbqm64(x, q, 15 - ts);',
    '        if (tf_s16_rq_fast(x, f, 0) != want || tf_s16_rq_fast(x, f, 1) != want) {',
    '          printf("ts %d m %ld x %ld: %ld %ld want %ld\\n", ts, (long)m, (long)x, (long)tf_s16_rq_fast(x, f, 0), (long)tf_s16_rq_fast(x, f, 1), (long)want);',
    '          return 0;',
    '        }',
    '      }',
    '    }',
    '  }',
    '  for (unsigned i = 0; i < sizeof layers / sizeof layers[0]; ++i) {',
    '    for (int k = 0; k < 2000; ++k) {',
    '      const int64_t x = pick64();',
    '      const int32_t want = tf_mbqm64(x, layers[i].multiplier, layers[i].shift);',
    '      const int32_t got0 = tf_s16_mbqm64(x, layers[i].multiplier, layers[i].shift, layers[i].fast, 0);',
    '      const int32_t got1 = tf_s16_mbqm64(x, layers[i].multiplier, layers[i].shift, layers[i].fast, 1);',
    '      if (got0 != want || got1 != want) {',
    '        printf("layer %u x %lld: %ld %ld want %ld\\n", i, (long long)x, (long)got0, (long)got1, (long)want);',
    '        return 0;',
    '      }',
    '    }',
    '  }',
    '  printf("ok");',
    '  return 0;',
    '}',
  ].join('\n');
}

describe("int16_requant.h: the 32-bit form of TFLite's 64-bit requantization is exact (C, ASan+UBSan)", () => {
  const rand = rng(1613);
  const layers = Array.from({ length: 200 }, () => {
    const multiplier = rand() < 0.1 ? 0x7fff0000 + randomInt(rand, 0, 0xffff) : randomInt(rand, 2 ** 30, 2 ** 31 - 1);
    const shift = randomInt(rand, -31, 7);
    return { multiplier, shift, fast: int16FastMultipliers([multiplier], [shift])[0]! };
  });
  it('int16FastMultipliers covers shifts -17..-1 and leaves the others to the 64-bit form', () => {
    for (const l of layers) expect(l.fast !== 0, `shift ${l.shift}`).to.equal(l.shift >= -17 && l.shift <= -1);
  });
  for (const split of [false, true]) {
    it(`${split ? 'Armv6-M 16-bit split' : 'RV32 MULHSU'} and Arm DSP forms: every ts in [16, 32], int32 and int64 sums around the limits`, () => {
      expect(new TextDecoder().decode(compileAndRun(program(split, layers)))).to.equal('ok');
    });
  }
});
