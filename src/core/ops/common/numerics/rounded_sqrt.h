/* SPDX-License-Identifier: Apache-2.0 */
/* Integer square roots rounded to nearest, capped at the type's largest root, as TFLite Micro's
 * signal library rounds them (SignalFilterBankSquareRoot): digit by digit from the highest pair of
 * bits, then one up when the remainder exceeds the root. The TS twin is roundedSquareRoot in
 * signal_filter_bank_square_root/index.ts. */
#ifndef TF_ROUNDED_SQRT_H
#define TF_ROUNDED_SQRT_H
#include <stdint.h>
#include "bit_length.h"

/* at most 0xFFFF */
static inline uint32_t tf_rounded_sqrt32(uint32_t n) {
  uint32_t root = 0u;
  uint32_t bit;
  if (n == 0u) return 0u;
  /* the highest power of four not above n */
  bit = 1u << ((tf_bit_length32(n) - 1) & ~1);
  while (bit != 0u) {
    if (n >= root + bit) {
      n -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  /* n is now the remainder: round up past the midpoint, but not past 0xFFFF */
  if (n > root && root != 0xFFFFu) ++root;
  return root;
}

/* n >= 2^32; at most 0xFFFFFFFF */
static inline uint32_t tf_rounded_sqrt64(uint64_t n) {
  uint64_t root = 0u;
  uint64_t bit = (uint64_t)1u << ((tf_bit_length64(n) - 1) & ~1);
  while (bit != 0u) {
    if (n >= root + bit) {
      n -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  if (n > root && root != 0xFFFFFFFFu) ++root;
  return (uint32_t)root;
}

#endif /* TF_ROUNDED_SQRT_H */
