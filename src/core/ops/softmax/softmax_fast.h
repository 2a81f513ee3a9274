/* SPDX-License-Identifier: Apache-2.0 */
/* SOFTMAX's fixed-point functions for the Arm DSP and RV32 row kernels (the layers too small for the
 * exp table: classifier heads of 2 to ~30 classes): gemmlowp.h's exp and reciprocal with each
 * SaturatingRoundingDoublingHighMul in the cheapest exact form its operands allow. Same results:
 * softmax_table.test.ts compares them with gemmlowp.h's on the host, and the emulated tests run them.
 *
 * SRDHM(a, b) = floor((a b + 2^30) / 2^31) whenever a and b are not both INT32_MIN (fixedpoint.h), and
 * no call here can pass INT32_MIN twice (every b below is a constant or a value shown to be small).
 * - b with |b| < 2^30 (tf_sf_srdhm_small): 2b fits int32 and SRDHM is floor((a 2b + 2^31) / 2^32),
 *   SMMULR(a, 2b) on the DSP cores (one instruction), the high word plus the low word's top bit of
 *   MUL/MULH on RV32 (four);
 * - b in [2^30, 2^31) (tf_sf_srdhm_big): SMMLAR(a, 2b - 2^32, a) on the DSP cores, MULHSU(a, 2b) plus
 *   the low word's top bit on RV32 (tf_rv32_srdhm2);
 * - otherwise (tf_sf_srdhm): the 64-bit product without TFLite's saturation test.
 * Operand ranges: the exp's interval argument is in [-2^29, 0), so its x = a + 2^28 has |x| <= 2^28
 * and x^2, x^3, x^4 are smaller still; the barrel's constants and one_third are below 2^30 or in
 * [2^30, 2^31) as used; the reciprocal's half denominator is in [2^30, 2^31) and meets -1010580540
 * (small) and x (Q2.29, about 2^29..2^30: the general form), and 2^29 - SRDHM(hd, x) is below 2^29 in
 * magnitude. */
#ifndef TF_SOFTMAX_FAST_H
#define TF_SOFTMAX_FAST_H
#include "gemmlowp.h"
#include "isa.h"

static inline int32_t tf_sf_srdhm(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31); }

/* |b| < 2^30 */
static inline int32_t tf_sf_srdhm_small(int32_t a, int32_t b) {
  const int32_t b2 = (int32_t)((uint32_t)b << 1);
#if TF_DSP_NATIVE
  return tf_smmulr(a, b2);
#else
  const int64_t p = (int64_t)a * (int64_t)b2;
  return (int32_t)(p >> 32) + (int32_t)((uint32_t)p >> 31);
#endif
}

/* 2^30 <= b < 2^31 */
static inline int32_t tf_sf_srdhm_big(int32_t a, int32_t b) {
#if TF_DSP_NATIVE
  return tf_dsp_smmlar(a, (int32_t)((uint32_t)b << 1), a);
#elif defined(__riscv)
  return tf_rv32_srdhm2(a, (uint32_t)b << 1);
#else
  return tf_sf_srdhm(a, b);
#endif
}

static inline int32_t tf_sf_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t x = tf_add_wrap(a, 1 << 28);
  const int32_t x2 = tf_sf_srdhm_small(x, x);
  const int32_t x3 = tf_sf_srdhm_small(x2, x);
  const int32_t x4 = tf_sf_srdhm_small(x2, x2);
  const int32_t x4_over_4 = tf_rdbpot(x4, 2);
  const int32_t poly = tf_rdbpot(tf_add_wrap(tf_sf_srdhm_small(tf_add_wrap(x4_over_4, x3), 715827883 /* 1/3 */), x2), 1);
  return tf_add_wrap(1895147668 /* exp(-1/8) */, tf_sf_srdhm_big(tf_add_wrap(x, poly), 1895147668));
}

/* gemmlowp.h's tf_exp_on_negative_values_q5_26 */
static inline int32_t tf_sf_exp_on_negative_values_q5_26(int32_t a) {
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_one_quarter = tf_add_wrap(a & (one_quarter - 1), -one_quarter);
  int32_t result = tf_sf_exp_on_interval_between_negative_one_quarter_and_0_excl(tf_sat_shift_left(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder = (int32_t)((uint32_t)a_mod_quarter_minus_one_quarter - (uint32_t)a);
  /* exp(-2^k) for k = -2..4, one bit of the remainder each */
  if (remainder & (1 << 24)) result = tf_sf_srdhm_big(result, 1672461947);
  if (remainder & (1 << 25)) result = tf_sf_srdhm_big(result, 1302514674);
  if (remainder & (1 << 26)) result = tf_sf_srdhm_small(result, 790015084);
  if (remainder & (1 << 27)) result = tf_sf_srdhm_small(result, 290630308);
  if (remainder & (1 << 28)) result = tf_sf_srdhm_small(result, 39332535);
  if (remainder & (1 << 29)) result = tf_sf_srdhm_small(result, 720401);
  if (remainder & (1 << 30)) result = tf_sf_srdhm_small(result, 242);
  return a == 0 ? INT32_MAX : result;
}

/* gemmlowp.h's tf_reciprocal */
static inline int32_t tf_sf_reciprocal(int32_t sum, int integer_digits, int *num_bits_over_unit) {
  int headroom_plus_one = 0;
  uint32_t probe = (uint32_t)sum;
  int32_t half_denominator, x;
  int i;
  while (!(probe & 0x80000000u)) {
    probe <<= 1;
    headroom_plus_one++;
  }
  *num_bits_over_unit = integer_digits - headroom_plus_one;
  half_denominator = tf_rounding_half_sum((int32_t)(probe - 0x80000000u), INT32_MAX);
  x = tf_add_wrap(1515870810, tf_sf_srdhm_small(half_denominator, -1010580540));
  for (i = 0; i < 3; i++) {
    const int32_t one_minus_half_denominator_times_x = (int32_t)((1u << 29) - (uint32_t)tf_sf_srdhm(half_denominator, x));
    x = tf_add_wrap(x, tf_sat_shift_left(tf_sf_srdhm_small(x, one_minus_half_denominator_times_x), 2));
  }
  return tf_sat_shift_left(x, 1);
}

#endif
