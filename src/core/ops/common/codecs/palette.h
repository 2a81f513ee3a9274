/* SPDX-License-Identifier: Apache-2.0 */
/* Palette (LUT) weights, decoded in registers: each weight is a b-bit index into a small int8 table
 * (palette.ts: rows of indices on byte boundaries, least significant bits first). The functions
 * return sum over k of lut[index_k] * x[k]; no weight is ever written to memory. Rows start on a byte
 * boundary: b = 2, 3, 4, 5, 6 take whole groups of indices (1, 3, 1, 5, 3 bytes) into a register and
 * unpack them with shifts and masks; tails and runs that start inside a byte (conv taps) read a bit
 * buffer refilled a byte at a time (tf_palette_dotn). */
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

/* b = 3: eight indices in three bytes */
static inline int32_t tf_palette_dot3(const uint8_t *idx, const int8_t *lut, const int8_t *x, int n) {
  int32_t acc = 0;
  for (; n >= 8; n -= 8, x += 8, idx += 3) {
    uint32_t i = (uint32_t)idx[0] | ((uint32_t)idx[1] << 8) | ((uint32_t)idx[2] << 16);
    acc += lut[i & 7u] * x[0];
    acc += lut[(i >> 3) & 7u] * x[1];
    acc += lut[(i >> 6) & 7u] * x[2];
    acc += lut[(i >> 9) & 7u] * x[3];
    acc += lut[(i >> 12) & 7u] * x[4];
    acc += lut[(i >> 15) & 7u] * x[5];
    acc += lut[(i >> 18) & 7u] * x[6];
    acc += lut[i >> 21] * x[7];
  }
  return acc + tf_palette_dotn(idx, 0, 3, lut, x, n);
}

/* b = 5: eight indices in five bytes (the seventh straddles the fourth and fifth) */
static inline int32_t tf_palette_dot5(const uint8_t *idx, const int8_t *lut, const int8_t *x, int n) {
  int32_t acc = 0;
  for (; n >= 8; n -= 8, x += 8, idx += 5) {
    uint32_t i = (uint32_t)idx[0] | ((uint32_t)idx[1] << 8) | ((uint32_t)idx[2] << 16) | ((uint32_t)idx[3] << 24);
    uint32_t j = idx[4];
    acc += lut[i & 31u] * x[0];
    acc += lut[(i >> 5) & 31u] * x[1];
    acc += lut[(i >> 10) & 31u] * x[2];
    acc += lut[(i >> 15) & 31u] * x[3];
    acc += lut[(i >> 20) & 31u] * x[4];
    acc += lut[(i >> 25) & 31u] * x[5];
    acc += lut[(i >> 30) | ((j & 7u) << 2)] * x[6];
    acc += lut[j >> 3] * x[7];
  }
  return acc + tf_palette_dotn(idx, 0, 5, lut, x, n);
}

/* b = 6: four indices in three bytes */
static inline int32_t tf_palette_dot6(const uint8_t *idx, const int8_t *lut, const int8_t *x, int n) {
  int32_t acc = 0;
  for (; n >= 4; n -= 4, x += 4, idx += 3) {
    uint32_t i = (uint32_t)idx[0] | ((uint32_t)idx[1] << 8) | ((uint32_t)idx[2] << 16);
    acc += lut[i & 63u] * x[0];
    acc += lut[(i >> 6) & 63u] * x[1];
    acc += lut[(i >> 12) & 63u] * x[2];
    acc += lut[i >> 18] * x[3];
  }
  return acc + tf_palette_dotn(idx, 0, 6, lut, x, n);
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
