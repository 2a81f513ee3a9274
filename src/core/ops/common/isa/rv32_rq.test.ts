// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { join } from 'node:path';
import { rv32RequantFn } from './rv32_rq.ts';
import { compileAndRun, randomInt, rng } from '../../../../../test/helpers/op_harness.ts';

describe("rv32_rq.ts: RV32 requantizations equal TFLite's MultiplyByQuantizedMultiplier (C, ASan+UBSan)", () => {
  it('random multipliers (powers of two among them), shifts -31..+8, bounds up to any int32, zero points and int8 / int16 ranges', () => {
    const rand = rng(31);
    const fns: string[] = [];
    const checks: string[] = [];
    for (let n = 0; n < 300; n++) {
      const pow = rand() < 0.3;
      const multiplier = pow ? 2 ** randomInt(rand, 0, 30) : randomInt(rand, 2 ** 30, 2 ** 31 - 1);
      const shift = rand() < 0.2 ? randomInt(rand, 1, 8) : randomInt(rand, -31, 0);
      const bound = rand() < 0.2 ? 2 ** 31 : Math.floor(2 ** (rand() * 31));
      const int8 = rand() < 0.5;
      const zp = int8 ? randomInt(rand, -128, 127) : 0;
      const [lo, hi] = int8 ? [-128, 127] : [-32768, 32767];
      fns.push(rv32RequantFn({ name: `rq${n}`, multiplier, shift, bound, zp, lo, hi }));
      const b = Math.min(bound, 2 ** 31 - 1);
      checks.push(
        `  for (int k = 0; k < 2000; ++k) { const int32_t acc = pick(${b}); if (rq${n}(acc) != tf_clamp(tf_mbqm(acc, ${multiplier}, ${shift}) + ${zp}, ${lo}, ${hi})) { printf("rq${n} %ld\\n", (long)acc); return 0; } }`,
      );
    }
    const common = import.meta.dirname;
    const program = [
      '#include <stdint.h>',
      '#include <stdio.h>',
      `#include "${join(common, '..', 'numerics', 'fixedpoint.h')}"`,
      `#include "${join(common, 'rv32.h')}"`,
      ...fns,
      'static uint32_t state = 12345u;',
      'static uint32_t next(void) { state ^= state << 13; state ^= state >> 17; state ^= state << 5; return state; }',
      '/* an accumulator within +-b, its ends and small values often */',
      'static int32_t pick(int32_t b) {',
      '  const uint32_t r = next();',
      '  if ((r & 7u) == 0u) return (r & 8u) ? b : -b;',
      '  if ((r & 7u) == 1u) return (int32_t)(next() % 64u) - 32;',
      '  return (int32_t)((int64_t)(next() % (2u * (uint32_t)b + 1u)) - b);',
      '}',
      'int main(void) {',
      ...checks,
      '  printf("ok");',
      '  return 0;',
      '}',
    ].join('\n');
    expect(new TextDecoder().decode(compileAndRun(program))).to.equal('ok');
  });
  it('tf_rv32_mbqm_right (and tf_rv32_mbqm_right1 from 2m and e - 1): every right shift 0..31, multipliers 0..2^31-1 (their ends among them), accumulators over all of int32', () => {
    const common = import.meta.dirname;
    const program = [
      '#include <stdint.h>',
      '#include <stdio.h>',
      `#include "${join(common, '..', 'numerics', 'fixedpoint.h')}"`,
      `#include "${join(common, 'rv32.h')}"`,
      'static uint32_t state = 2463534242u;',
      'static uint32_t next(void) { state ^= state << 13; state ^= state >> 17; state ^= state << 5; return state; }',
      'int main(void) {',
      '  static const int32_t ends[] = {0, 1, -1, 2, -2, 1073741824, -1073741824, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1};',
      '  static const int32_t mults[] = {0, 1, 2, 1073741823, 1073741824, 1073741825, 1518500250, INT32_MAX - 1, INT32_MAX};',
      '  for (int e = 0; e <= 31; ++e) {',
      '    for (unsigned i = 0; i < sizeof ends / sizeof ends[0]; ++i)',
      '      for (unsigned j = 0; j < sizeof mults / sizeof mults[0]; ++j) {',
      '        const int32_t ref = tf_mbqm(ends[i], mults[j], -e);',
      '        if (tf_rv32_mbqm_right(ends[i], mults[j], e) != ref) { printf("%ld %ld %d\\n", (long)ends[i], (long)mults[j], e); return 0; }',
      '        if (e > 0 && tf_rv32_mbqm_right1(ends[i], (int32_t)(2u * (uint32_t)mults[j]), e - 1) != ref) { printf("1: %ld %ld %d\\n", (long)ends[i], (long)mults[j], e); return 0; }',
      '      }',
      '    for (int k = 0; k < 20000; ++k) {',
      '      const int32_t acc = (int32_t)next() >> (next() % 32u);',
      '      const int32_t m = (k & 1) ? (int32_t)(next() >> 1) : (int32_t)(1073741824u + (next() >> 2));',
      '      if (tf_rv32_mbqm_right(acc, m, e) != tf_mbqm(acc, m, -e)) { printf("%ld %ld %d\\n", (long)acc, (long)m, e); return 0; }',
      '      if (e > 0 && tf_rv32_mbqm_right1(acc, (int32_t)(2u * (uint32_t)m), e - 1) != tf_mbqm(acc, m, -e)) { printf("1: %ld %ld %d\\n", (long)acc, (long)m, e); return 0; }',
      '    }',
      '  }',
      '  printf("ok");',
      '  return 0;',
      '}',
    ].join('\n');
    expect(new TextDecoder().decode(compileAndRun(program))).to.equal('ok');
  });
});
