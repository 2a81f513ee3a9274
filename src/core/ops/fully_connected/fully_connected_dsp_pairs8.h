/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets, one block of eight rows (four row pairs in halfwords, as in
 * fully_connected_dsp_pairs.h) for layers of eight rows over 256+ inputs in whole words
 * (dsp_pairs8.ts): 30 instructions per 32 MACs in the block's loop against two blocks of four rows'
 * 17 per 16, the input's LDR and two SXTB16 shared by eight rows. The block runs in
 * fully_connected_dsp_pairs8.S's tf_fcp8_dot (every register of Thumb code); elsewhere (the host
 * tests, compilers without the DSP extension) its C twin below.
 *
 * Layout (the model's bytes and 8 B of padding, every weight fits its pair: dsp_pairs8.ts): per word
 * k of x eight words, the four pairs' (columns 4k, 4k + 2), then their (4k + 1, 4k + 3). `chunk`
 * (dsp_pairs8.ts, from the weights) bounds row s's sums between two extractions. */
#ifndef TF_FULLY_CONNECTED_DSP_PAIRS8_H
#define TF_FULLY_CONNECTED_DSP_PAIRS8_H
#include <stdint.h>
#include <string.h>
#include "arm_dsp.h"
#include "dsp_requant.h"
#include "fully_connected_dsp_pairs6.h"

#if TF_DSP_NATIVE
const int8_t *tf_fcp8_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words, int chunk);
#else
/* the same sums as the assembly, pair by pair: row r from SMLAD(SXTB16(W), X), row s from the
 * difference SMLAD(W, X) makes, taken at the end of each chunk (the first of words - chunk *
 * floor((words - 1) / chunk) words, then of `chunk`) */
static inline const int8_t *tf_fcp8_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words, int chunk) {
  for (int j = 0; j < 8; ++j) acc[j] = start[j];
  int n = words - chunk * ((words - 1) / chunk);
  while (words > 0) {
    words -= n;
    int32_t r[4], rs[4];
    for (int p = 0; p < 4; ++p) r[p] = rs[p] = acc[2 * p];
    for (int k = 0; k < n; ++k, x += 4, w += 32) {
      const uint32_t xv = tf_read4(x);
      const uint32_t xe = tf_sxtb16(xv), xo = tf_sxtb16_ror8(xv);
      for (int p = 0; p < 4; ++p) {
        const uint32_t we = TF_LOAD32(w + 4 * p), wo = TF_LOAD32(w + 16 + 4 * p);
        rs[p] = tf_smlad(we, xe, rs[p]);
        r[p] = tf_smlad(tf_sxtb16(we), xe, r[p]);
        rs[p] = tf_smlad(wo, xo, rs[p]);
        r[p] = tf_smlad(tf_sxtb16(wo), xo, r[p]);
      }
    }
    for (int p = 0; p < 4; ++p) {
      acc[2 * p] = r[p];
      acc[2 * p + 1] = (int32_t)((uint32_t)acc[2 * p + 1] + (uint32_t)((int32_t)((uint32_t)rs[p] - (uint32_t)r[p]) >> 8));
    }
    n = chunk;
  }
  return w;
}
#endif

/*
 * FULLY_CONNECTED of eight rows: out[b][o] = rq(start[o] + sum_k w[o][k] * x[b][k]) for `batches` rows
 * of `in_n` = 4 * words inputs (start NULL: all 0), in one block (no fix table: every weight fits its
 * pair; `rows` is 8; `chunk` words at most between two extractions of row s's sums, dsp_pairs8.ts).
 */
static inline __attribute__((always_inline)) void tf_fcp8_dsp_body(const int8_t *x, int batches, int in_n, const int8_t *w, int rows,
                                                                   const int32_t *start, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                   int chunk, const int fast, const int full, const int per_channel) {
  /* the starts of a layer without any: the block loads eight starts unconditionally */
  static const int32_t zero[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int words = in_n >> 2;
  const int32_t m = q[0], pk = q[1];
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  (void)rows;
  for (int b = 0; b < batches; ++b, x += in_n, out += 8) {
    int32_t acc[8];
    (void)tf_fcp8_dot(x, w, start ? start : zero, acc, words, chunk);
    /* spelt out, not a loop over j (as in fully_connected_dsp_pairs6.h) */
#define TF_FCP8_RQ(j) (per_channel ? tf_dsp_rq_sat(acc[j], q[2 * (j)], q[2 * (j) + 1], rq, fast) : tf_dsp_rq_sat(acc[j], m, pk, rq, fast))
    const int32_t v0 = TF_FCP8_RQ(0), v1 = TF_FCP8_RQ(1), v2 = TF_FCP8_RQ(2), v3 = TF_FCP8_RQ(3);
    const int32_t v4 = TF_FCP8_RQ(4), v5 = TF_FCP8_RQ(5), v6 = TF_FCP8_RQ(6), v7 = TF_FCP8_RQ(7);
#undef TF_FCP8_RQ
    if (full) {
      out[0] = (int8_t)v0;
      out[1] = (int8_t)v1;
      out[2] = (int8_t)v2;
      out[3] = (int8_t)v3;
      out[4] = (int8_t)v4;
      out[5] = (int8_t)v5;
      out[6] = (int8_t)v6;
      out[7] = (int8_t)v7;
    } else {
      /* a narrower activation range clamps four outputs at once (SSUB8/SEL on the bytes of a word) */
      uint32_t lo = tf_bytes4(v0, v1, v2, v3), hi = tf_bytes4(v4, v5, v6, v7);
      if (rq->act_min > -128) {
        lo = tf_smax8(lo, lo4);
        hi = tf_smax8(hi, lo4);
      }
      if (rq->act_max < 127) {
        lo = tf_smin8(lo, hi4);
        hi = tf_smin8(hi, hi4);
      }
      tf_fcp6_put4(out, lo);
      tf_fcp6_put4(out + 4, hi);
    }
  }
}

#endif
