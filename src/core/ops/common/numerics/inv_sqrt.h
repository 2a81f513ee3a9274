/* SPDX-License-Identifier: Apache-2.0 */
/* TFLite's GetInvSqrtQuantizedMultiplierExp (1/sqrt of a positive int32 as a multiplier and shift,
 * Newton-Raphson in Q3.28) as static inline C99, used by int8 L2_NORMALIZATION. The TS twin is
 * inv_sqrt.ts. Needs fixedpoint.h and gemmlowp.h first (the common headers are included in name
 * order, and both sort before this one). */
#ifndef TF_INV_SQRT_H
#define TF_INV_SQRT_H
#include "fixedpoint.h"
#include "gemmlowp.h"

/* 1/sqrt(input) = multiplier * 2^(shift - 31) for reverse_shift = -1 (shift is a left shift). */
static inline void tf_inv_sqrt_quantized_multiplier_exp(int32_t input, int reverse_shift, int32_t *multiplier, int *shift) {
  const int32_t half_three = (1 << 28) + (1 << 27);
  int output_shift = 11;
  int left_shift_bit_pairs = 0;
  int32_t half_input;
  int32_t y = 1 << 28;
  int i;
  if (input <= 1) {
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  while (input >= (1 << 29)) {
    input /= 4;
    ++output_shift;
  }
  /* normalise to [2^27, 2^29) by whole bit pairs, so the square root stays a shift */
  while (input < (1 << 27)) {
    input <<= 2;
    ++left_shift_bit_pairs;
  }
  output_shift -= left_shift_bit_pairs;
  half_input = tf_rdbpot(input >> 1, 1);
  for (i = 0; i < 5; i++) {
    const int32_t y3 = tf_sat_shift_left(tf_srdhm(tf_srdhm(y, y), y), 6);
    y = tf_sat_shift_left(tf_add_wrap(tf_srdhm(half_three, y), -tf_srdhm(half_input, y3)), 3);
  }
  y = tf_srdhm(y, 1518500250);
  if (output_shift < 0) {
    y = (int32_t)((uint32_t)y << -output_shift);
    output_shift = 0;
  }
  *multiplier = y;
  *shift = output_shift * reverse_shift;
}

#endif
