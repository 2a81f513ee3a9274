/* SPDX-License-Identifier: Apache-2.0 */
/* MultiplyByQuantizedMultiplier for a 64-bit accumulator (TFLite's int16x8 kernels with an int64 bias):
 * the multiplier is reduced to 16 bits and one rounding shift follows. The TS twin is fixedpoint64.ts. */
#ifndef TF_FIXEDPOINT64_H
#define TF_FIXEDPOINT64_H
#include <stdint.h>

static inline int32_t tf_mbqm64(int64_t x, int32_t multiplier, int shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t rounded = x * (int64_t)reduced + ((int64_t)1 << (total_shift - 1));
  return (int32_t)(rounded >> total_shift);
}

#endif
