// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAndRun } from '../../../../../test/helpers/op_harness.ts';

/**
 * fixedpoint.h's tf_srdhm rounds by adding 2^30 and shifting; TFLite Micro's
 * SaturatingRoundingDoublingHighMul picks a sign-dependent nudge and divides. The two must agree on
 * every product: checked on the edges (ties of both signs, extremes) and a few million random pairs.
 */
describe('fixedpoint.h tf_srdhm', () => {
  it("equals TFLite Micro's nudge-and-divide form on edges and random operands", () => {
    const header = readFileSync(join(import.meta.dirname, 'fixedpoint.h'), 'utf8');
    const program = `${header}
#include <stdio.h>
static int32_t tflm_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}
static uint32_t state = 12345u;
static int32_t next(void) { state = state * 1664525u + 1013904223u; return (int32_t)state; }
int main(void) {
  static const int32_t edges[] = { 0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1, 1 << 30, -(1 << 30),
                                   (1 << 30) + 1, -(1 << 30) - 1, 3 << 29, -(3 << 29), 1073741823, 1518500250, 46341, -46341 };
  const int n = (int)(sizeof edges / sizeof edges[0]);
  long bad = 0, checked = 0;
  for (int i = 0; i < n; i++) for (int j = 0; j < n; j++, checked++) bad += tf_srdhm(edges[i], edges[j]) != tflm_srdhm(edges[i], edges[j]);
  for (long k = 0; k < 4000000; k++, checked++) {
    int32_t a = next(), b = next();
    if (k & 1) a >>= (k >> 1) & 31;
    bad += tf_srdhm(a, b) != tflm_srdhm(a, b);
    /* exact ties: a * b = (2m + 1) * 2^30 */
    const int32_t t = (int32_t)(((uint32_t)next() >> 2) | 1u);
    bad += tf_srdhm(t, 1 << 30) != tflm_srdhm(t, 1 << 30);
    bad += tf_srdhm(-t, 1 << 30) != tflm_srdhm(-t, 1 << 30);
  }
  printf("%ld %ld", bad, checked);
  return 0;
}
`;
    const [bad, checked] = new TextDecoder().decode(compileAndRun(program)).split(' ').map(Number);
    expect(checked).to.be.greaterThan(4_000_000);
    expect(bad).to.equal(0);
  });
});
