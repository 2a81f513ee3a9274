/* SPDX-License-Identifier: Apache-2.0 */
/* SignalFilterBankSquareRoot's rounded root on cores with a 32-bit hardware divide (Armv7-M's UDIV):
 * Newton's iteration on the top 31-32 bits of n, one more digit group from the remainder by one
 * division, then exact squares settle the floor root. Whatever the estimates give, the settling
 * steps make the result floor(sqrt(n)); the estimates only keep those steps to one or two. Rounded
 * and capped as rounded_sqrt.h (TFLite Micro's rule); n of 2^60 and more take its digit loop. */
#ifndef TF_SQRT_UDIV_H
#define TF_SQRT_UDIV_H
#include <stdint.h>
#include "bit_length.h"
#include "rounded_sqrt.h"

/* floor(sqrt(top)) for 2^30 <= top < 2^32 */
static inline uint32_t tf_sqrt_udiv_top(uint32_t top) {
  /* the chord of sqrt over [2^30, 2^32) (at most 6% low), then two Newton steps (from above: 2e-3,
   * then 2e-6 of 2^16, under one unit) */
  uint32_t s = 0x8000u + (top - 0x40000000u) / 0x18000u;
  s = (s + top / s) >> 1;
  s = (s + top / s) >> 1;
  while ((uint64_t)s * s > top) --s;
  while ((uint64_t)(s + 1u) * (s + 1u) <= top) ++s;
  return s;
}

/* TFLite Micro's rounded root of any uint64 (see rounded_sqrt.h) */
static inline uint32_t tf_rounded_sqrt_udiv(uint64_t n) {
  const int bits = tf_bit_length64(n);
  if (n == 0u) return 0u;
  if (bits <= 32) {
    /* shifted up by an even 2j to 31-32 bits: floor(floor(sqrt(4^j n)) / 2^j) = floor(sqrt(n)) */
    const int j = (32 - bits) >> 1;
    const uint32_t root = tf_sqrt_udiv_top((uint32_t)n << (2 * j)) >> j;
    return ((uint32_t)n - root * root > root && root != 0xFFFFu) ? root + 1u : root;
  }
  if (bits <= 60) {
    /* the top 31-32 bits give s = floor(sqrt(top)) and R = top - s^2 <= 2s; the next k root bits are
     * about (R 4^k + low) / (2 s 2^k), within one of the floor root (the second-order term is below
     * 2^k / 2s <= 1/4); the numerator stays below 2^31 for k <= 14 */
    const int k = (bits - 31) >> 1;
    const uint32_t top = (uint32_t)(n >> (2 * k));
    const uint32_t s = tf_sqrt_udiv_top(top);
    const uint32_t low = (uint32_t)n & ((1u << (2 * k)) - 1u);
    uint32_t root = (s << k) + (((top - s * s) << k) + (low >> k)) / (2u * s);
    while ((uint64_t)root * root > n) --root;
    while ((uint64_t)(root + 1u) * (root + 1u) <= n) ++root;
    return n - (uint64_t)root * root > root ? root + 1u : root;
  }
  return tf_rounded_sqrt64(n);
}

#endif /* TF_SQRT_UDIV_H */
