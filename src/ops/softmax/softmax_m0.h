/* SPDX-License-Identifier: Apache-2.0 */
/* SOFTMAX's per-row reciprocal on Armv6-M (Cortex-M0/M0+, the RP2040): gemmlowp.h's tf_reciprocal
 * with every SaturatingRoundingDoublingHighMul built from 32-bit products (m0plus_rq.h's
 * tf_m0_srdhm) instead of libgcc's 64-bit multiply, some 50 cycles each on these cores. Same
 * arithmetic, same results: softmax_table.test.ts compares it with tf_reciprocal on the host. */
#ifndef TF_SOFTMAX_M0_H
#define TF_SOFTMAX_M0_H
#include "gemmlowp.h"
#include "m0plus_rq.h"

/* SRDHM for any signed operands: tf_m0_srdhm needs m >= 0, and x * m = (-x) * (-m). INT32_MIN has
 * no negation: INT32_MIN * m for m < 0 is 2^31 * |m|, whose SRDHM is |m| exactly (and
 * INT32_MIN * INT32_MIN saturates, as tf_srdhm). */
static inline int32_t tf_m0_srdhm_any(int32_t x, int32_t m) {
  if (m >= 0) return tf_m0_srdhm(x, m);
  if (x == INT32_MIN) return m == INT32_MIN ? INT32_MAX : -m;
  if (m == INT32_MIN) return x >= 0 ? tf_m0_srdhm(m, x) : -x;
  return tf_m0_srdhm(-x, -m);
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
