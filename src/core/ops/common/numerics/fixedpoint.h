/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-point helpers of TFLite Micro's int8 arithmetic, as static inline C99 (no float, no libc).
 * Generated into every model's output; the TS twin is fixedpoint.ts. */
#ifndef TF_FIXEDPOINT_H
#define TF_FIXEDPOINT_H
#include <stdint.h>

/* TFLM adds 2^30 (or 1 - 2^30 when negative) and divides by 2^31 truncating; adding 2^30 and
 * shifting right arithmetically gives the same integer for every product (round half up both ways),
 * in SMLAL + two shifts instead of a 64-bit division. */
static inline int32_t tf_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
  return (int32_t)(ab >> 31);
}

static inline int32_t tf_rdbpot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t tf_mbqm(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return tf_rdbpot(tf_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

static inline int32_t tf_clamp(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : (x > hi ? hi : x); }

#endif
