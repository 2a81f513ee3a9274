/* SPDX-License-Identifier: Apache-2.0 */
/* Bit length of an unsigned integer (0 for 0, 32 for 2^31 and above): the position of the most
 * significant set bit, which the signal ops' square root, logarithm and PCAN gain table index by.
 * The TS twin is bit_length.ts. */
#ifndef TF_BIT_LENGTH_H
#define TF_BIT_LENGTH_H
#include <stdint.h>

static inline int tf_bit_length32(uint32_t x) {
#if defined(__ARM_FEATURE_CLZ)
  /* one CLZ instruction where the core has it (Armv7-M and later) */
  return x == 0u ? 0 : 32 - __builtin_clz(x);
#else
  /* five compares instead of a library call on cores without a count-leading-zeros instruction */
  int n = 0;
  if (x >= 0x10000u) {
    n += 16;
    x >>= 16;
  }
  if (x >= 0x100u) {
    n += 8;
    x >>= 8;
  }
  if (x >= 0x10u) {
    n += 4;
    x >>= 4;
  }
  if (x >= 0x4u) {
    n += 2;
    x >>= 2;
  }
  if (x >= 0x2u) {
    n += 1;
    x >>= 1;
  }
  return n + (int)x;
#endif
}

static inline int tf_bit_length64(uint64_t x) {
  const uint32_t high = (uint32_t)(x >> 32);
  return high != 0u ? 32 + tf_bit_length32(high) : tf_bit_length32((uint32_t)x);
}

#endif /* TF_BIT_LENGTH_H */
