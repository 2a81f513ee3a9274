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

/* One step of the root digit by digit: the next two bits of n (the top ones of *bits) come down into
 * the remainder, and the root gains the bit 1 where 4 * root + 1 fits in it. */
static inline void tf_sqrt_pairs(uint32_t bits, int pairs, uint32_t *root, uint32_t *remainder) {
  uint32_t r = *root, rem = *remainder;
  for (; pairs > 0; --pairs) {
    const uint32_t trial = (r << 2) | 1u;
    rem = (rem << 2) | (bits >> 30);
    bits <<= 2;
    r <<= 1;
    if (rem >= trial) {
      rem -= trial;
      r |= 1u;
    }
  }
  *root = r;
  *remainder = rem;
}

/* n >= 2^32; at most 0xFFFFFFFF */
static inline uint32_t tf_rounded_sqrt64(uint64_t n) {
  const uint32_t high = (uint32_t)(n >> 32);
  if (high < (1u << 28)) {
    /* below 2^60 the root stays below 2^30 and the remainder (at most 2 * root, then 8 * root + 3
     * while a pair comes down) within 32 bits: the whole root in 32-bit arithmetic */
    const int high_pairs = (tf_bit_length32(high) + 1) >> 1;
    uint32_t root = 0u, remainder = 0u;
    tf_sqrt_pairs(high << (32 - 2 * high_pairs), high_pairs, &root, &remainder);
    tf_sqrt_pairs((uint32_t)n, 16, &root, &remainder);
    return remainder > root ? root + 1u : root;
  } else {
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
}

#endif /* TF_ROUNDED_SQRT_H */
