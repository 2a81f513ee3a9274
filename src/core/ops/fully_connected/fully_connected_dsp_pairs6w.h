/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets in blocks of six rows over inputs widened once per chunk
 * (dsp_pairs6w.ts): the weights of fully_connected_dsp_pairs6.h (same layout, same bytes), read
 * chunk-middle, rows-inner. A chunk of up to TF_FCP6W_CHUNK words of x is widened into the scratch
 * once (per word: SXTB16 and SXTB16 ROR 8 lanes) for a group of up to TF_FCP6W_GROUP blocks, whose
 * int32 sums wait in the scratch between chunks; fully_connected_dsp_pairs6.S's tf_fcp6w_dot runs one
 * block over one chunk: 21 instructions per 24 MACs in its loop where the block that widens x itself
 * (tf_fcp6_dot) takes 23, for ~25 instructions per call and ~4 per word of x and group.
 *
 * Scratch: 8 bytes per word of a chunk (the lanes), then 24 bytes per block of a group (its six sums). */
#ifndef TF_FULLY_CONNECTED_DSP_PAIRS6W_H
#define TF_FULLY_CONNECTED_DSP_PAIRS6W_H
#include <stddef.h>
#include <stdint.h>
#include "arm_dsp.h"
#include "dsp_requant.h"
#include "fully_connected_dsp_pairs.h"
#include "fully_connected_dsp_pairs6.h"

/* words of x per chunk (the pair extraction's bound: 448 inputs) and blocks of six rows per group;
 * dsp_pairs6w.ts sizes the scratch from both */
#define TF_FCP6W_CHUNK 112
#define TF_FCP6W_GROUP 16

#if TF_DSP_NATIVE
void tf_fcp6w_dot(const uint32_t *xs, const int8_t *w, int32_t *acc, int words);
#else
/* the same sums as the assembly: row r of each pair from SMLAD(SXTB16(W), X), row s from the
 * difference SMLAD(W, X) makes over the chunk */
static inline void tf_fcp6w_dot(const uint32_t *xs, const int8_t *w, int32_t *acc, int words) {
  int32_t r[3], rs[3];
  for (int p = 0; p < 3; ++p) r[p] = rs[p] = acc[2 * p];
  for (int k = 0; k < words; ++k, xs += 2, w += 24) tf_fcp6_words(xs[0], xs[1], w, r, rs);
  tf_fcp6_extract(acc, r, rs);
}
#endif

/* the lanes of n >= 1 words of x (any alignment): per word SXTB16 and SXTB16 ROR 8; out of line, so
 * that the layer's loops around it leave it its registers (inlined, GCC 12 spilled: 10 instructions
 * per word instead of 5) */
static __attribute__((noinline)) void tf_fcp6w_widen(uint32_t *d, const int8_t *x, int n) {
  const int8_t *const end = x + 4 * n;
  if (n & 1) {
    const uint32_t v = tf_read4(x);
    d[0] = tf_sxtb16(v);
    d[1] = tf_sxtb16_ror8(v);
    d += 2;
    x += 4;
  }
  for (; x != end; x += 8, d += 4) {
    const uint32_t v = tf_read4(x), u = tf_read4(x + 4);
    d[0] = tf_sxtb16(v);
    d[1] = tf_sxtb16_ror8(v);
    d[2] = tf_sxtb16(u);
    d[3] = tf_sxtb16_ror8(u);
  }
}

/*
 * FULLY_CONNECTED: out[b][o] = rq(start[o] + sum_k w[o][k] * x[b][k]) for `batches` rows of
 * `in_n` = 4 * words inputs (start NULL: all 0), the first rows in blocks of six (tf_fcp6_blocks), the
 * others as tf_fcp_dsp_body runs them.
 */
static inline __attribute__((always_inline)) void tf_fcp6w_dsp_body(const int8_t *x, int batches, int in_n, const int8_t *w, int rows,
                                                                    const int32_t *start, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                    uint32_t *xs, const int fast, const int full, const int per_channel) {
  const int words = in_n >> 2;
  const int blocks = tf_fcp6_blocks(rows), rest = rows - 6 * blocks;
  int32_t *const sums = (int32_t *)(void *)(xs + 2 * (words < TF_FCP6W_CHUNK ? words : TF_FCP6W_CHUNK));
  const size_t block_bytes = (size_t)words * 24;
  for (int b = 0; b < batches; ++b, x += in_n, out += rows) {
    for (int g0 = 0; g0 < blocks; g0 += TF_FCP6W_GROUP) {
      const int gb = blocks - g0 < TF_FCP6W_GROUP ? blocks - g0 : TF_FCP6W_GROUP;
      for (int j = 0; j < 6 * gb; ++j) sums[j] = start ? start[6 * g0 + j] : 0;
      for (int c0 = 0; c0 < words; c0 += TF_FCP6W_CHUNK) {
        const int n = words - c0 < TF_FCP6W_CHUNK ? words - c0 : TF_FCP6W_CHUNK;
        tf_fcp6w_widen(xs, x + 4 * c0, n);
        const int8_t *wp = w + (size_t)g0 * block_bytes + (size_t)c0 * 24;
        for (int i = 0; i < gb; ++i, wp += block_bytes) tf_fcp6w_dot(xs, wp, sums + 6 * i, n);
      }
      const int32_t *qp = q + 2 * 6 * g0;
      int8_t *o = out + 6 * g0;
      for (int j = 0; j < 6 * gb; ++j) {
        int32_t v = per_channel ? tf_dsp_rq_sat(sums[j], qp[2 * j], qp[2 * j + 1], rq, fast) : tf_dsp_rq_sat(sums[j], q[0], q[1], rq, fast);
        if (!full) {
          if (v < rq->act_min) v = rq->act_min;
          if (v > rq->act_max) v = rq->act_max;
        }
        o[j] = (int8_t)v;
      }
    }
    if (rest > 0)
      tf_fcp_dsp_body(x, 1, in_n, w + (size_t)blocks * block_bytes, rest, start ? start + 6 * blocks : (const int32_t *)0,
                      per_channel ? q + 12 * blocks : q, rq, out + 6 * blocks, (const uint16_t *)0, (uint32_t *)0, fast, full, per_channel);
  }
}

#endif
