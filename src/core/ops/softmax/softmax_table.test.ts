// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX int8's exp-table variants (table.ts) for the Arm DSP, Armv6-M and RV32 families: the emitted
 * C, on the host (gcc, ASan+UBSan; the Armv6-M 32-bit-product arithmetic is plain C), equals the
 * reference kernel (itself checked against tflm-ref in softmax.test.ts) on random layers: row counts
 * and depths (up to 600, past the int8 shift guard at 512), input scales over decades, zero points,
 * betas, int8 and int16 outputs, rows uniform, all equal, or crowded near their maximum.
 */
import { expect } from 'chai';
import softmax from './index.ts';
import { type CCase, compileAndRun, randomInt, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8 } from '../../../../test/helpers/random_cases.ts';
import type { KernelIsa } from '../op.ts';
import { selectVariant } from '../variant.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FAMILIES: [string, KernelIsa][] = [
  ['arm-dsp', { dsp: true }],
  ['armv6m', { dsp: false, armv6m: true }],
  ['rv32', { dsp: false, rv32: true }],
];

/** Row data: uniform or extreme (extremeInt8), or crowded within a few steps of a random maximum. */
function rowData(rand: () => number, n: number, zeroPoint: number): Int8Array {
  if (rand() < 0.3) {
    const top = randomInt(rand, -128, 127);
    return Int8Array.from({ length: n }, () => Math.max(-128, top - randomInt(rand, 0, rand() < 0.5 ? 3 : 40)));
  }
  return extremeInt8(rand, n, zeroPoint);
}

function randomCases(seed: number, isa: KernelIsa, want: number, variant = 'exp table'): CCase[] {
  const rand = rng(seed);
  const cases: CCase[] = [];
  while (cases.length < want) {
    const big = rand() < 0.15;
    const depth = big ? randomInt(rand, 256, 600) : randomInt(rand, 1, 80);
    const outer = big ? randomInt(rand, 1, 2) : randomInt(rand, 1, 12);
    const shape = rand() < 0.5 ? [outer, depth] : [1, outer, 1, depth];
    const scale = Math.exp(-6 + rand() * 7);
    const zeroPoint = randomInt(rand, -128, 127);
    const beta = rand() < 0.5 ? 1 : Math.exp(-2 + rand() * 4);
    const out = rand() < 0.75 ? { scale: 1 / 256, zeroPoint: -128 } : { dtype: 'int16' as const, scale: 1 / 65536, zeroPoint: -32768 };
    const { graph, op } = singleOpGraph('SOFTMAX', [{ shape, scale, zeroPoint }], [{ shape, ...out }], { beta });
    try {
      softmax.check(graph, op);
    } catch {
      continue;
    }
    if (!selectVariant(softmax, softmax.prepare(graph, op), isa).name.endsWith(variant)) continue;
    cases.push({ def: softmax, graph, op, inputs: [rowData(rand, outer * depth, zeroPoint)], isa });
  }
  return cases;
}

describe('SOFTMAX exp-table variants', () => {
  for (const [family, isa] of FAMILIES) {
    it(`${family}: equals the reference on random layers, quantizations, betas and rows`, function () {
      expectCMatchesReference(randomCases(family.length * 7919, isa, 40));
    });
  }

  it('keeps the row kernel where the table would cost more flash than it saves (a 4-class row)', () => {
    const { graph, op } = singleOpGraph('SOFTMAX', [{ shape: [1, 4], scale: 0.1, zeroPoint: 0 }], [{ shape: [1, 4], scale: 1 / 256, zeroPoint: -128 }], {
      beta: 1,
    });
    for (const [family, isa] of FAMILIES) {
      expect(selectVariant(softmax, softmax.prepare(graph, op), isa).name).to.equal(`${family} rows`);
    }
  });

  it('armv6m rows (32-bit-product exp and reciprocal): equals the reference on random small layers', function () {
    expectCMatchesReference(randomCases(4242, FAMILIES[1]![1], 40, 'armv6m rows'));
  });

  for (const [family, isa] of [FAMILIES[0]!, FAMILIES[2]!]) {
    it(`${family} rows (softmax_fast.h exp and reciprocal): equals the reference on random small layers`, function () {
      expectCMatchesReference(randomCases(family.length * 31337, isa, 40, `${family} rows`));
    });
  }

  it('softmax_fast.h: the SRDHM forms, exp and reciprocal equal gemmlowp.h on their operand ranges', () => {
    const ops = join(import.meta.dirname, '..');
    const files = ['common/numerics/fixedpoint.h', 'common/numerics/gemmlowp.h', 'common/isa/arm_dsp.h', 'common/isa/rv32.h', 'softmax/softmax_fast.h'].map(
      (path) => ({
        name: path.split('/').pop()!,
        path,
        text: readFileSync(join(ops, path), 'utf8'),
      }),
    );
    const program = `#include <stdio.h>
#include "softmax_fast.h"
static uint32_t state = 4321u;
static uint32_t next(void) { state ^= state << 13; state ^= state >> 17; state ^= state << 5; return state; }
int main(void) {
  long bad = 0, i;
  for (i = 0; i < 2000000; ++i) {
    const int32_t a = (int32_t)next();
    const int32_t small = (int32_t)(next() >> ((next() & 31) | 2)) * ((next() & 1) ? -1 : 1); /* |b| < 2^30 */
    const int32_t big = (int32_t)((1u << 30) | (next() >> 2));                                  /* [2^30, 2^31) */
    if (tf_sf_srdhm_small(a, small) != tf_srdhm(a, small) || tf_sf_srdhm_big(a, big) != tf_srdhm(a, big)) bad++;
    if (tf_sf_srdhm(a, big) != tf_srdhm(a, big) || tf_sf_srdhm(a, small) != tf_srdhm(a, small)) bad++;
  }
  for (i = 0; i < 1000000; ++i) {
    /* Q5.26 differences <= 0: every value near 0, then any */
    const int32_t a = i < 500000 ? -(int32_t)i : -(int32_t)(next() >> (next() & 31));
    if (tf_sf_exp_on_negative_values_q5_26(a) != tf_exp_on_negative_values_q5_26(a)) bad++;
  }
  if (tf_sf_exp_on_negative_values_q5_26(INT32_MIN) != tf_exp_on_negative_values_q5_26(INT32_MIN)) bad++;
  for (i = 0; i < 300000; ++i) {
    /* Q12.19 sums from exp(0) = 2^19 up to 2^31 - 1 */
    const int32_t x = (int32_t)((1u << 19) + next() % (0x80000000u - (1u << 19)));
    int nb0, nb1;
    const int32_t r0 = tf_reciprocal(x, 12, &nb0), r1 = tf_sf_reciprocal(x, 12, &nb1);
    if (r0 != r1 || nb0 != nb1) bad++;
  }
  printf("%ld\\n", bad);
  return 0;
}
`;
    expect(new TextDecoder().decode(compileAndRun(program, files)).trim()).to.equal('0');
  });

  it('the Armv6-M SRDHM, exp and reciprocal (32-bit products) equal gemmlowp.h on random and edge values', () => {
    const ops = join(import.meta.dirname, '..');
    const files = ['common/numerics/fixedpoint.h', 'common/numerics/gemmlowp.h', 'common/isa/m0plus_rq.h', 'softmax/softmax_m0.h'].map((path) => ({
      name: path.split('/').pop()!,
      path,
      text: readFileSync(join(ops, path), 'utf8'),
    }));
    const program = `#include <stdio.h>
#include "softmax_m0.h"
static uint32_t state = 12345u;
static uint32_t next(void) { state ^= state << 13; state ^= state >> 17; state ^= state << 5; return state; }
static const int32_t edges[] = { INT32_MIN, INT32_MIN + 1, -1, 0, 1, 2, 46341, -46341, 65535, 65536, -65536, INT32_MAX - 1, INT32_MAX, 1 << 30, -(1 << 30) };
int main(void) {
  long bad = 0, i, j;
  const int n = (int)(sizeof edges / sizeof edges[0]);
  for (i = 0; i < n; ++i)
    for (j = 0; j < n; ++j)
      if (tf_m0_srdhm_any(edges[i], edges[j]) != tf_srdhm(edges[i], edges[j])) bad++;
  for (i = 0; i < 2000000; ++i) {
    const int32_t a = (int32_t)next(), b = (int32_t)(next() >> (next() & 31)) * ((next() & 1) ? -1 : 1);
    if (tf_m0_srdhm_any(a, b) != tf_srdhm(a, b) || tf_m0_srdhm_any(b, a) != tf_srdhm(b, a)) bad++;
  }
  for (i = 0; i < 1000000; ++i) {
    /* Q5.26 differences <= 0: every value near 0, then any */
    const int32_t a = i < 500000 ? -(int32_t)i : -(int32_t)(next() >> (next() & 31));
    if (tf_m0_exp_on_negative_values_q5_26(a) != tf_exp_on_negative_values_q5_26(a)) bad++;
  }
  if (tf_m0_exp_on_negative_values_q5_26(INT32_MIN) != tf_exp_on_negative_values_q5_26(INT32_MIN)) bad++;
  for (i = 0; i < 300000; ++i) {
    /* Q12.19 sums from exp(0) = 2^19 up to 2^31 - 1 */
    const int32_t x = (int32_t)((1u << 19) + next() % (0x80000000u - (1u << 19)));
    int nb0, nb1;
    const int32_t r0 = tf_reciprocal(x, 12, &nb0), r1 = tf_m0_reciprocal(x, 12, &nb1);
    if (r0 != r1 || nb0 != nb1) bad++;
  }
  printf("%ld\\n", bad);
  return 0;
}
`;
    expect(new TextDecoder().decode(compileAndRun(program, files)).trim()).to.equal('0');
  });
});
