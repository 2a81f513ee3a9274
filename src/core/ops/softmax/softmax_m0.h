/* SPDX-License-Identifier: Apache-2.0 */
/* SOFTMAX's fixed-point functions on Armv6-M (Cortex-M0/M0+, the RP2040): gemmlowp.h's exp and
 * reciprocal with every SaturatingRoundingDoublingHighMul built from 32-bit products (m0plus_rq.h's
 * tf_m0_srdhm) instead of libgcc's 64-bit multiply, some 50 cycles each on these cores. Same
 * arithmetic, same results: softmax_table.test.ts compares them with gemmlowp.h's on the host. */
#ifndef TF_SOFTMAX_M0_H
#define TF_SOFTMAX_M0_H
#include "gemmlowp.h"
#include "m0plus_rq.h"

/* SRDHM for any signed operands: tf_m0_srdhm needs m >= 0, and x * m = (-x) * (-m). INT32_MIN has
 * no negation: INT32_MIN * m for m < 0 is 2^31 * |m|, whose SRDHM is |m| exactly (and
 * INT32_MIN * INT32_MIN saturates, as tf_srdhm). */
/* called from a dozen places: one out-of-line copy keeps the code small (a call costs ~4 cycles) */
#if defined(__GNUC__)
#define TF_SOFTMAX_M0_OUTLINE static __attribute__((unused, noinline))
#else
#define TF_SOFTMAX_M0_OUTLINE static inline
#endif

TF_SOFTMAX_M0_OUTLINE int32_t tf_m0_srdhm_any(int32_t x, int32_t m) {
  if (m >= 0) return tf_m0_srdhm(x, m);
  if (x == INT32_MIN) return m == INT32_MIN ? INT32_MAX : -m;
  if (m == INT32_MIN) return x >= 0 ? tf_m0_srdhm(m, x) : -x;
  return tf_m0_srdhm(-x, -m);
}

/* tf_exp_on_interval_between_negative_one_quarter_and_0_excl and tf_exp_on_negative_values_q5_26
 * (gemmlowp.h) with tf_m0_srdhm_any (one out-of-line copy: smaller than the 64-bit code it replaces). */
static inline int32_t tf_m0_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;
  const int32_t one_third = 715827883;
  const int32_t x = tf_add_wrap(a, 1 << 28);
  const int32_t x2 = tf_m0_srdhm_any(x, x);
  const int32_t x3 = tf_m0_srdhm_any(x2, x);
  const int32_t x4 = tf_m0_srdhm_any(x2, x2);
  const int32_t x4_over_4 = tf_rdbpot(x4, 2);
  const int32_t poly = tf_rdbpot(tf_add_wrap(tf_m0_srdhm_any(tf_add_wrap(x4_over_4, x3), one_third), x2), 1);
  return tf_add_wrap(exp_minus_one_eighth, tf_m0_srdhm_any(tf_add_wrap(x, poly), exp_minus_one_eighth));
}

TF_SOFTMAX_M0_OUTLINE int32_t tf_m0_exp_on_negative_values_q5_26(int32_t a) {
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_one_quarter = tf_add_wrap(a & (one_quarter - 1), -one_quarter);
  int32_t result = tf_m0_exp_on_interval_between_negative_one_quarter_and_0_excl(tf_sat_shift_left(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder = (int32_t)((uint32_t)a_mod_quarter_minus_one_quarter - (uint32_t)a);
  /* exp(-2^k) for k = -2..4, one bit of the remainder each */
  if (remainder & (1 << 24)) result = tf_m0_srdhm_any(result, 1672461947);
  if (remainder & (1 << 25)) result = tf_m0_srdhm_any(result, 1302514674);
  if (remainder & (1 << 26)) result = tf_m0_srdhm_any(result, 790015084);
  if (remainder & (1 << 27)) result = tf_m0_srdhm_any(result, 290630308);
  if (remainder & (1 << 28)) result = tf_m0_srdhm_any(result, 39332535);
  if (remainder & (1 << 29)) result = tf_m0_srdhm_any(result, 720401);
  if (remainder & (1 << 30)) result = tf_m0_srdhm_any(result, 242);
  return a == 0 ? INT32_MAX : result;
}

/* tf_one_over_one_plus_x_for_x_in_0_1 and tf_reciprocal (gemmlowp.h) with tf_m0_srdhm_any. */
static inline int32_t tf_m0_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = tf_rounding_half_sum(a, INT32_MAX);
  int32_t x = tf_add_wrap(1515870810, tf_m0_srdhm_any(half_denominator, -1010580540));
  int i;
  for (i = 0; i < 3; i++) {
    const int32_t one_minus_half_denominator_times_x = (int32_t)((1u << 29) - (uint32_t)tf_m0_srdhm_any(half_denominator, x));
    x = tf_add_wrap(x, tf_sat_shift_left(tf_m0_srdhm_any(x, one_minus_half_denominator_times_x), 2));
  }
  return tf_sat_shift_left(x, 1);
}

static inline int32_t tf_m0_reciprocal(int32_t x, int integer_digits, int *num_bits_over_unit) {
  int headroom_plus_one = 0;
  uint32_t probe = (uint32_t)x;
  while (!(probe & 0x80000000u)) {
    probe <<= 1;
    headroom_plus_one++;
  }
  *num_bits_over_unit = integer_digits - headroom_plus_one;
  return tf_m0_one_over_one_plus_x_for_x_in_0_1((int32_t)(probe - 0x80000000u));
}

#endif
