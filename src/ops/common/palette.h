/* SPDX-License-Identifier: Apache-2.0 */
/* Palette (LUT) weights, decoded in registers: each weight is a b-bit index into a small int8 table
 * (palette.ts: rows of indices on byte boundaries, least significant bits first). The functions
 * return sum over k of lut[index_k] * x[k]; no weight is ever written to memory. b = 2 and 4 take
 * indices from a byte with shifts and masks; any b <= 8 reads a bit buffer refilled a byte at a time
 * (b = 3, 5, 6: indices straddle bytes). */
#ifndef TF_PALETTE_H
#define TF_PALETTE_H

#include <stdint.h>

/* b = 2: four indices a byte */
static inline int32_t tf_palette_dot2(const uint8_t *idx, const int8_t *lut, const int8_t *x, int n) {
  int32_t acc = 0;
  for (; n >= 8; n -= 8, x += 8, idx += 2) {
    uint32_t i = (uint32_t)idx[0] | ((uint32_t)idx[1] << 8);
    acc += lut[i & 3u] * x[0];
    acc += lut[(i >> 2) & 3u] * x[1];
    acc += lut[(i >> 4) & 3u] * x[2];
    acc += lut[(i >> 6) & 3u] * x[3];
    acc += lut[(i >> 8) & 3u] * x[4];
    acc += lut[(i >> 10) & 3u] * x[5];
    acc += lut[(i >> 12) & 3u] * x[6];
    acc += lut[i >> 14] * x[7];
  }
  if (n > 0) {
    uint32_t i = idx[0];
    if (n > 4) i |= (uint32_t)idx[1] << 8;
    for (; n > 0; --n, i >>= 2) acc += lut[i & 3u] * *x++;
  }
  return acc;
}

/* b = 4: two indices a byte */
static inline int32_t tf_palette_dot4(const uint8_t *idx, const int8_t *lut, const int8_t *x, int n) {
  int32_t acc = 0;
  for (; n >= 4; n -= 4, x += 4, idx += 2) {
    uint32_t i = (uint32_t)idx[0] | ((uint32_t)idx[1] << 8);
    acc += lut[i & 15u] * x[0];
    acc += lut[(i >> 4) & 15u] * x[1];
    acc += lut[(i >> 8) & 15u] * x[2];
    acc += lut[i >> 12] * x[3];
  }
  if (n > 0) {
    uint32_t i = idx[0];
    if (n > 2) i |= (uint32_t)idx[1] << 8;
    for (; n > 0; --n, i >>= 4) acc += lut[i & 15u] * *x++;
  }
  return acc;
}

/* Any b in 1..8, starting `bit` bits into `idx` (a conv tap inside a row): a bit buffer that holds
 * at least b bits before each lookup, refilled one byte at a time (never a byte past the last index) */
static inline int32_t tf_palette_dotn(const uint8_t *idx, uint32_t bit, int bits, const int8_t *lut, const int8_t *x, int n) {
  int32_t acc = 0;
  if (n <= 0) return 0;
  const uint8_t *p = idx + (bit >> 3);
  const uint32_t mask = (1u << bits) - 1u;
  uint32_t buf = (uint32_t)*p++ >> (bit & 7u);
  int have = 8 - (int)(bit & 7u);
  for (;;) {
    if (have < bits) {
      buf |= (uint32_t)*p++ << have;
      have += 8;
    }
    acc += lut[buf & mask] * *x++;
    if (--n == 0) break;
    buf >>= bits;
    have -= bits;
  }
  return acc;
}

/* sum of lut[index_k] over n indices from `bit` on (the weights of padded conv taps, whose input
 * offset the folded start value must take back) */
static inline int32_t tf_palette_sum(const uint8_t *idx, uint32_t bit, int bits, const int8_t *lut, int n) {
  int32_t acc = 0;
  if (n <= 0) return 0;
  const uint8_t *p = idx + (bit >> 3);
  const uint32_t mask = (1u << bits) - 1u;
  uint32_t buf = (uint32_t)*p++ >> (bit & 7u);
  int have = 8 - (int)(bit & 7u);
  for (;;) {
    if (have < bits) {
      buf |= (uint32_t)*p++ << have;
      have += 8;
    }
    acc += lut[buf & mask];
    if (--n == 0) break;
    buf >>= bits;
    have -= bits;
  }
  return acc;
}

#endif
