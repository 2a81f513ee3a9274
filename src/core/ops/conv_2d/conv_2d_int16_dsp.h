/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D 16x8 on Arm DSP, two output pixels at a time: two rows (filters) x two columns (the pixels'
 * windows of int16 inputs), so each weight word is loaded and widened once for two pixels and each
 * input pair once for two filters. Per four inputs: two weight words, four SXTB16, the two pixels'
 * four input words (two LDRD when the columns are word-aligned, im2col scratch) and eight SMLAD.
 * Weights: rows in pairs, each pair's whole words alternating between its two rows (each word stored
 * w0 w2 w1 w3 so SXTB16 gives (w0, w1) and SXTB16 ROR 8 (w2, w3), the order of the int16 pairs), then
 * the left-over 1-3 inputs as (row r, row r + 1) byte pairs; an odd last row alone, its words then its
 * left-over bytes (conv_2d/int16_variants.ts's pairRowsOf2). Sums and requantization as
 * common/families/int16_gemv.h: int32 partial sums of at most TF_S16_CHUNK products, widened to int64. */
#ifndef TF_CONV_2D_INT16_DSP_H
#define TF_CONV_2D_INT16_DSP_H
#include <stdint.h>
#include "arm_dsp.h"
#include "int16_gemv.h"

/* whole words (four inputs) per int32 partial sum: 127 * 4 + 3 left-over inputs <= TF_S16_CHUNK */
#define TF_S16_CONV_CHUNK_WORDS 127

/* n words of four inputs for the row pair: both pixels' (x0, x1) (x2, x3) against both rows'
 * weights, a<pixel><row> += ... Each pixel's first input word and both weight words are loaded
 * first, then its second input word into the same registers, so 13 registers hold the loop: in C,
 * GCC spilled an accumulator to the stack every trip. */
static inline __attribute__((always_inline)) void tf_s16_conv2_words(const int16_t **p0, const int16_t **p1, const int8_t **w, int n,
                                                                     int32_t *a00, int32_t *a01, int32_t *a10, int32_t *a11) {
#if TF_DSP_NATIVE
  uint32_t xa, xb, wa, wb, t;
  __asm__ volatile("1:\n\t"
                   "ldr %[xa], [%[p0]], #4\n\t"
                   "ldr %[xb], [%[p1]], #4\n\t"
                   "ldr %[wa], [%[w]], #4\n\t"
                   "ldr %[wb], [%[w]], #4\n\t"
                   "sxtb16 %[t], %[wa]\n\t"
                   "smlad %[a00], %[xa], %[t], %[a00]\n\t"
                   "smlad %[a10], %[xb], %[t], %[a10]\n\t"
                   "sxtb16 %[t], %[wb]\n\t"
                   "smlad %[a01], %[xa], %[t], %[a01]\n\t"
                   "smlad %[a11], %[xb], %[t], %[a11]\n\t"
                   "ldr %[xa], [%[p0]], #4\n\t"
                   "ldr %[xb], [%[p1]], #4\n\t"
                   "sxtb16 %[t], %[wa], ror #8\n\t"
                   "smlad %[a00], %[xa], %[t], %[a00]\n\t"
                   "smlad %[a10], %[xb], %[t], %[a10]\n\t"
                   "sxtb16 %[t], %[wb], ror #8\n\t"
                   "smlad %[a01], %[xa], %[t], %[a01]\n\t"
                   "smlad %[a11], %[xb], %[t], %[a11]\n\t"
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b\n\t"
                   : [p0] "+r"(*p0), [p1] "+r"(*p1), [w] "+r"(*w), [n] "+r"(n), [a00] "+r"(*a00), [a01] "+r"(*a01), [a10] "+r"(*a10),
                     [a11] "+r"(*a11), [xa] "=&r"(xa), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb), [t] "=&r"(t)
                   :
                   : "cc");
#else
  for (; n > 0; --n, *p0 += 4, *p1 += 4, *w += 8) {
    const uint32_t x0a = tf_read_u32(*p0), x0b = tf_read_u32(*p0 + 2);
    const uint32_t x1a = tf_read_u32(*p1), x1b = tf_read_u32(*p1 + 2);
    const uint32_t wa = tf_read_u32(*w), wb = tf_read_u32(*w + 4);
    *a00 = tf_smlad(x0b, tf_sxtb16_ror8(wa), tf_smlad(x0a, tf_sxtb16(wa), *a00));
    *a10 = tf_smlad(x1b, tf_sxtb16_ror8(wa), tf_smlad(x1a, tf_sxtb16(wa), *a10));
    *a01 = tf_smlad(x0b, tf_sxtb16_ror8(wb), tf_smlad(x0a, tf_sxtb16(wb), *a01));
    *a11 = tf_smlad(x1b, tf_sxtb16_ror8(wb), tf_smlad(x1a, tf_sxtb16(wb), *a11));
  }
#endif
}

/* x0, x1: the two pixels' columns of `depth` int16; out0, out1: their `rows` outputs. Shared by the
 * layers of a model; row loops count from 0 to bounds computed from `rows` alone (see int16_gemv.h). */
static __attribute__((unused)) void tf_s16_conv2_dsp(const int16_t *x0, const int16_t *x1, int depth, const int8_t *w, int rows,
                                                     const tf_s16_rq_t *q, int16_t *out0, int16_t *out1) {
  const int words = depth >> 2, tail = depth & 3;
  const int pairs = rows >> 1;
  for (int i = 0; i < pairs; ++i) {
    const int r = 2 * i;
    int64_t s00 = 0, s01 = 0, s10 = 0, s11 = 0; /* s<pixel><row> */
    const int16_t *p0 = x0, *p1 = x1;
    int left = words;
    do {
      int n = left < TF_S16_CONV_CHUNK_WORDS ? left : TF_S16_CONV_CHUNK_WORDS;
      left -= n;
      int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
      if (n > 0) tf_s16_conv2_words(&p0, &p1, &w, n, &a00, &a01, &a10, &a11);
      if (left == 0) {
        for (int j = 0; j < tail; ++j, w += 2) {
          a00 += w[0] * p0[j];
          a01 += w[1] * p0[j];
          a10 += w[0] * p1[j];
          a11 += w[1] * p1[j];
        }
      }
      s00 += a00;
      s01 += a01;
      s10 += a10;
      s11 += a11;
    } while (left > 0);
    out0[r] = tf_s16_requantize(s00, r, q, 1);
    out0[r + 1] = tf_s16_requantize(s01, r + 1, q, 1);
    out1[r] = tf_s16_requantize(s10, r, q, 1);
    out1[r + 1] = tf_s16_requantize(s11, r + 1, q, 1);
  }
  if (rows & 1) {
    const int r = rows - 1;
    int64_t s0 = 0, s1 = 0;
    const int16_t *p0 = x0, *p1 = x1;
    int left = words;
    do {
      int n = left < TF_S16_CONV_CHUNK_WORDS ? left : TF_S16_CONV_CHUNK_WORDS;
      left -= n;
      int32_t a0 = 0, a1 = 0;
      for (; n > 0; --n, p0 += 4, p1 += 4, w += 4) {
        const uint32_t wv = tf_read_u32(w), e = tf_sxtb16(wv), o = tf_sxtb16_ror8(wv);
        a0 = tf_smlad(tf_read_u32(p0), e, a0);
        a0 = tf_smlad(tf_read_u32(p0 + 2), o, a0);
        a1 = tf_smlad(tf_read_u32(p1), e, a1);
        a1 = tf_smlad(tf_read_u32(p1 + 2), o, a1);
      }
      if (left == 0) {
        for (int j = 0; j < tail; ++j) {
          a0 += w[j] * p0[j];
          a1 += w[j] * p1[j];
        }
      }
      s0 += a0;
      s1 += a1;
    } while (left > 0);
    out0[r] = tf_s16_requantize(s0, r, q, 1);
    out1[r] = tf_s16_requantize(s1, r, q, 1);
  }
}

#endif
