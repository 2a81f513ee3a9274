/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets over two batch rows at a time (batch > 1): the four-row pairs
 * layout of fully_connected_dsp_pairs.h (each row pair's weights as int16 lanes r_k + 256 * s_k), with
 * every weight word loaded and widened (SXTB16) once for two batch rows instead of once per row.
 *
 * Loop order chunk-outer, rows-inner: a chunk of TF_FCPB_CHUNK words of both batch rows' inputs is
 * widened once into the scratch (per word of x: (x0, x2), (x1, x3) of batch row 0, then of batch row
 * 1, the lanes SXTB16 and SXTB16 ROR 8 make), then every row pair of a group of up to TF_FCPB_GROUP
 * blocks of four rows runs over the chunk from its int32 sums in the scratch:
 *   LDM of the four x lanes, LDRD of the pair's two weight words, 2 SXTB16, 8 SMLAD = 12 instructions
 *   per 16 MACs (the batch-1 kernels: 17 per 16, or 23 per 24 with the input widened on the fly).
 * SMLAD(W, X) gathers r + 256 s and SMLAD(SXTB16(W), X) r alone, as in fully_connected_dsp_pairs.h; the
 * difference is taken into s's sum after every chunk (128 columns: |s| <= 128 * 128 * 128 = 2^21, so
 * 256 s < 2^31 exactly). Layers taken (dsp_pairsb.ts): whole words of input, no fix table (every row
 * pair fits its halfword); rows past the blocks of four run fully_connected_dsp.h's one-row loop per
 * batch row, an odd last batch row the batch-1 kernel (tf_fcp_dsp_body).
 *
 * Scratch: 16 bytes per word of x in a chunk of widened inputs, then 32 bytes per block of the group (per
 * block and batch row: row 0's sum, row 1's, row 2's, row 3's). */
#ifndef TF_FULLY_CONNECTED_DSP_PAIRSB_H
#define TF_FULLY_CONNECTED_DSP_PAIRSB_H
#include <stddef.h>
#include <stdint.h>
#include "arm_dsp.h"
#include "dsp_requant.h"
#include "fully_connected_dsp.h"
#include "fully_connected_dsp_pairs.h"

/* words of x per chunk (128 columns) and blocks of four rows per group; dsp_pairsb.ts sizes the
 * scratch from both */
#define TF_FCPB_CHUNK 32
#define TF_FCPB_GROUP 8

#if TF_DSP_NATIVE
/* one word of both batch rows' x, widened, against one row pair's two weight words (the next word's
 * 16 bytes on): a1 / c1 gather r + 256 s of batch row 0 / 1, a0 / c0 row r alone */
#define TF_FCPB_STEP \
  "ldmia %[xs]!, {%[xe0], %[xo0], %[xe1], %[xo1]}\n\t" \
  "ldrd %[t0], %[t1], [%[w]], #16\n\t" \
  "smlad %[a1], %[t0], %[xe0], %[a1]\n\t" \
  "smlad %[c1], %[t0], %[xe1], %[c1]\n\t" \
  "sxtb16 %[t0], %[t0]\n\t" \
  "smlad %[a0], %[t0], %[xe0], %[a0]\n\t" \
  "smlad %[c0], %[t0], %[xe1], %[c0]\n\t" \
  "smlad %[a1], %[t1], %[xo0], %[a1]\n\t" \
  "smlad %[c1], %[t1], %[xo1], %[c1]\n\t" \
  "sxtb16 %[t1], %[t1]\n\t" \
  "smlad %[a0], %[t1], %[xo0], %[a0]\n\t" \
  "smlad %[c0], %[t1], %[xo1], %[c0]\n\t"
#define TF_FCPB_OPERANDS \
  [a0] "+r"(a0), [a1] "+r"(a1), [c0] "+r"(c0), [c1] "+r"(c1), [xs] "+r"(xp), [w] "+r"(w), [xe0] "=&r"(xe0), [xo0] "=&r"(xo0), \
      [xe1] "=&r"(xe1), [xo1] "=&r"(xo1), [t0] "=&r"(t0), [t1] "=&r"(t1)
#endif

/* one row pair over n (1..TF_FCPB_CHUNK) widened words xs: acc = { r of batch row 0, s of batch row 0,
 * r of batch row 1, s of batch row 1 } at acc[0], acc[1], acc[4], acc[5] */
static inline __attribute__((always_inline)) void tf_fcpb_pair(const uint32_t *xs, int n, const int8_t *w, int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[0], c0 = acc[4], c1 = acc[4];
#if TF_DSP_NATIVE
  const uint32_t *xp = xs;
  /* the LDM's registers, in ascending order so that they take the words in memory order */
  register uint32_t xe0 __asm__("r8");
  register uint32_t xo0 __asm__("r9");
  register uint32_t xe1 __asm__("r10");
  register uint32_t xo1 __asm__("r11");
  uint32_t t0, t1;
  if (n & 1) __asm__(TF_FCPB_STEP:TF_FCPB_OPERANDS : : "memory");
  if (n & 2) __asm__(TF_FCPB_STEP TF_FCPB_STEP:TF_FCPB_OPERANDS : : "memory");
  if (n > 3) {
    const uint32_t *const end = xs + 4 * n;
    __asm__("1:\n\t" TF_FCPB_STEP TF_FCPB_STEP TF_FCPB_STEP TF_FCPB_STEP "cmp %[xs], %[end]\n\t"
            "bne 1b\n\t"
            : TF_FCPB_OPERANDS
            : [end] "r"(end)
            : "cc", "memory");
  }
#else
  for (int k = 0; k < n; ++k, xs += 4, w += 16) {
    const uint32_t p02 = TF_LOAD32(w), p13 = TF_LOAD32(w + 4);
    a1 = tf_smlad(p02, xs[0], a1);
    c1 = tf_smlad(p02, xs[2], c1);
    a0 = tf_smlad(tf_sxtb16(p02), xs[0], a0);
    c0 = tf_smlad(tf_sxtb16(p02), xs[2], c0);
    a1 = tf_smlad(p13, xs[1], a1);
    c1 = tf_smlad(p13, xs[3], c1);
    a0 = tf_smlad(tf_sxtb16(p13), xs[1], a0);
    c0 = tf_smlad(tf_sxtb16(p13), xs[3], c0);
  }
#endif
  /* 256 * (row s's sum over the chunk), exactly: an arithmetic shift gives the sum */
  acc[0] = a0;
  acc[1] = (int32_t)((uint32_t)acc[1] + (uint32_t)((int32_t)((uint32_t)a1 - (uint32_t)a0) >> 8));
  acc[4] = c0;
  acc[5] = (int32_t)((uint32_t)acc[5] + (uint32_t)((int32_t)((uint32_t)c1 - (uint32_t)c0) >> 8));
}

/*
 * FULLY_CONNECTED: out[b][o] = rq(start[o] + sum_k w[o][k] * x[b][k]) for `batches` rows of `in_n`
 * inputs (a multiple of 4; start NULL: all 0), weights as fully_connected_dsp_pairs.h lays them (no
 * fix table), xs a scratch of 16 * min(in_n / 4, TF_FCPB_CHUNK) + 32 * min(rows / 4, TF_FCPB_GROUP) bytes.
 */
static inline __attribute__((always_inline)) void tf_fcpb_dsp_body(const int8_t *x, int batches, int in_n, const int8_t *w, int rows,
                                                                   const int32_t *start, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                   uint32_t *xs, const int fast, const int full, const int per_channel) {
  const int words = in_n >> 2;
  const int blocks = rows >> 2, left = rows & 3;
  int32_t *const acc = (int32_t *)(xs + 4 * (words < TF_FCPB_CHUNK ? words : TF_FCPB_CHUNK));
  const int32_t m = q[0], pk = q[1];
  for (; batches > 1; batches -= 2, x += 2 * in_n, out += 2 * rows) {
    const int8_t *const x1 = x + in_n;
    int8_t *const out1 = out + rows;
    for (int g = 0; g < blocks; g += TF_FCPB_GROUP) {
      const int nb = blocks - g < TF_FCPB_GROUP ? blocks - g : TF_FCPB_GROUP;
      for (int i = 0; i < nb; ++i)
        for (int j = 0; j < 4; ++j) acc[8 * i + j] = acc[8 * i + 4 + j] = start ? start[4 * (g + i) + j] : 0;
      for (int c = 0; c < words; c += TF_FCPB_CHUNK) {
        const int n = words - c < TF_FCPB_CHUNK ? words - c : TF_FCPB_CHUNK;
        for (int k = 0; k < n; ++k) {
          const uint32_t v0 = tf_read4(x + 4 * (c + k)), v1 = tf_read4(x1 + 4 * (c + k));
          xs[4 * k] = tf_sxtb16(v0);
          xs[4 * k + 1] = tf_sxtb16_ror8(v0);
          xs[4 * k + 2] = tf_sxtb16(v1);
          xs[4 * k + 3] = tf_sxtb16_ror8(v1);
        }
        const int8_t *wb = w + (size_t)16 * ((size_t)g * (size_t)words + (size_t)c);
        for (int i = 0; i < nb; ++i, wb += (size_t)16 * (size_t)words) {
          tf_fcpb_pair(xs, n, wb, acc + 8 * i);
          tf_fcpb_pair(xs, n, wb + 8, acc + 8 * i + 2);
        }
      }
      for (int i = 0; i < nb; ++i) {
        const int o = 4 * (g + i);
        for (int j = 0; j < 4; ++j) {
          const int32_t mm = per_channel ? q[2 * (o + j)] : m, pp = per_channel ? q[2 * (o + j) + 1] : pk;
          out[o + j] = tf_dsp_rq(acc[8 * i + j], mm, pp, rq, fast, full);
          out1[o + j] = tf_dsp_rq(acc[8 * i + 4 + j], mm, pp, rq, fast, full);
        }
      }
    }
    const int8_t *const wl = w + (size_t)16 * (size_t)blocks * (size_t)words;
    for (int b = 0; b < 2; ++b) {
      const int8_t *wp = wl;
      for (int r = 0; r < left; ++r) {
        const int o = 4 * blocks + r;
        int32_t a = start ? start[o] : 0;
        wp = tf_fc_dot1(b ? x1 : x, words, 0, wp, &a);
        (b ? out1 : out)[o] = tf_dsp_rq(a, per_channel ? q[2 * o] : m, per_channel ? q[2 * o + 1] : pk, rq, fast, full);
      }
    }
  }
  if (batches == 1) tf_fcp_dsp_body(x, 1, in_n, w, rows, start, q, rq, out, (const uint16_t *)0, (uint32_t *)0, fast, full, per_channel);
}

#endif
