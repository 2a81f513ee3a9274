/* SPDX-License-Identifier: Apache-2.0 */
/* gemmlowp-style fixed-point functions of TFLite Micro's int8 softmax (exp on negative values,
 * 1/(1+x), the reciprocal of a Q12.19 sum) as static inline C99, no float, no libc. The TS twin is
 * gemmlowp.ts. A raw int32 with n integer bits stands for raw / 2^(31-n). Includes fixedpoint.h. */
#ifndef TF_GEMMLOWP_H
#define TF_GEMMLOWP_H
#include "fixedpoint.h"

/* int32 addition that wraps (gemmlowp's plain Add), done in uint32 so it is defined C. */
static inline int32_t tf_add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }

/* x * 2^exponent for 0 < exponent < 31, saturating (SaturatingRoundingMultiplyByPOT, exponent > 0). */
static inline int32_t tf_sat_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* (a + b) / 2 rounded half away from zero. */
static inline int32_t tf_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static inline int32_t tf_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;
  const int32_t one_third = 715827883;
  const int32_t x = tf_add_wrap(a, 1 << 28);
  const int32_t x2 = tf_srdhm(x, x);
  const int32_t x3 = tf_srdhm(x2, x);
  const int32_t x4 = tf_srdhm(x2, x2);
  const int32_t x4_over_4 = tf_rdbpot(x4, 2);
  const int32_t poly = tf_rdbpot(tf_add_wrap(tf_srdhm(tf_add_wrap(x4_over_4, x3), one_third), x2), 1);
  return tf_add_wrap(exp_minus_one_eighth, tf_srdhm(exp_minus_one_eighth, tf_add_wrap(x, poly)));
}

/* exp(a) for a <= 0 in Q5.26 (softmax's scaled input difference); the result is Q0.31. */
static inline int32_t tf_exp_on_negative_values_q5_26(int32_t a) {
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_one_quarter = tf_add_wrap(a & (one_quarter - 1), -one_quarter);
  int32_t result = tf_exp_on_interval_between_negative_one_quarter_and_0_excl(tf_sat_shift_left(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder = (int32_t)((uint32_t)a_mod_quarter_minus_one_quarter - (uint32_t)a);
  /* exp(-2^k) for k = -2..4, one bit of the remainder each */
  if (remainder & (1 << 24)) result = tf_srdhm(result, 1672461947);
  if (remainder & (1 << 25)) result = tf_srdhm(result, 1302514674);
  if (remainder & (1 << 26)) result = tf_srdhm(result, 790015084);
  if (remainder & (1 << 27)) result = tf_srdhm(result, 290630308);
  if (remainder & (1 << 28)) result = tf_srdhm(result, 39332535);
  if (remainder & (1 << 29)) result = tf_srdhm(result, 720401);
  if (remainder & (1 << 30)) result = tf_srdhm(result, 242);
  return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out: three Newton-Raphson steps in Q2.29. */
static inline int32_t tf_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = tf_rounding_half_sum(a, INT32_MAX);
  int32_t x = tf_add_wrap(1515870810, tf_srdhm(half_denominator, -1010580540));
  int i;
  for (i = 0; i < 3; i++) {
    const int32_t one_minus_half_denominator_times_x = (int32_t)((1u << 29) - (uint32_t)tf_srdhm(half_denominator, x));
    x = tf_add_wrap(x, tf_sat_shift_left(tf_srdhm(x, one_minus_half_denominator_times_x), 2));
  }
  return tf_sat_shift_left(x, 1);
}

/* 1/x for x > 0 with `integer_digits` integer bits, as Q0.31 scaled by 2^-(*num_bits_over_unit). */
static inline int32_t tf_reciprocal(int32_t x, int integer_digits, int *num_bits_over_unit) {
  int headroom_plus_one = 0;
  uint32_t probe = (uint32_t)x;
  while (!(probe & 0x80000000u)) {
    probe <<= 1;
    headroom_plus_one++;
  }
  *num_bits_over_unit = integer_digits - headroom_plus_one;
  return tf_one_over_one_plus_x_for_x_in_0_1((int32_t)(probe - 0x80000000u));
}

#endif
