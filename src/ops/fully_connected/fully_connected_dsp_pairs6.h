/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets in blocks of six rows (three row pairs in halfwords, as in
 * fully_connected_dsp_pairs.h) for layers of 256+ inputs in whole words (dsp_pairs6.ts): 23
 * instructions per 24 MACs in the block's loop against the four-row pairs' 17 per 16, the input's LDR
 * and two SXTB16 now shared by six rows instead of four. The block runs in
 * fully_connected_dsp_pairs6.S's tf_fcp6_dot (every register of Thumb code: assembly, not inline asm);
 * elsewhere (the host tests, compilers without the DSP extension) its C twin below.
 *
 * Layout (as many bytes as the model's, every weight fits its pair: dsp_pairs6.ts): `blocks6` blocks
 * of six rows, per word k of x six words (pair 0: columns 4k, 4k + 2; 4k + 1, 4k + 3; then pair 1's,
 * pair 2's); the other rows as fully_connected_dsp_pairs.h lays them out (blocks of four, then 1-3
 * plain rows). */
#ifndef TF_FULLY_CONNECTED_DSP_PAIRS6_H
#define TF_FULLY_CONNECTED_DSP_PAIRS6_H
#include <stdint.h>
#include "dsp.h"
#include "dsp_requant.h"
#include "fully_connected_dsp_pairs.h"

#if TF_DSP_NATIVE
const int8_t *tf_fcp6_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words);
#else
/* the same sums as the assembly, pair by pair: row r from SMLAD(SXTB16(W), X), row s from the
 * difference SMLAD(W, X) makes, taken every 120 words */
static inline const int8_t *tf_fcp6_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words) {
  for (int j = 0; j < 6; ++j) acc[j] = start ? start[j] : 0;
  while (words > 0) {
    const int n = words < 120 ? words : 120;
    words -= n;
    int32_t r[3], rs[3];
    for (int p = 0; p < 3; ++p) r[p] = rs[p] = acc[2 * p];
    for (int k = 0; k < n; ++k, x += 4, w += 24) {
      const uint32_t xv = tf_read4(x);
      const uint32_t xe = tf_sxtb16(xv), xo = tf_sxtb16_ror8(xv);
      for (int p = 0; p < 3; ++p) {
        const uint32_t we = TF_LOAD32(w + 8 * p), wo = TF_LOAD32(w + 8 * p + 4);
        rs[p] = tf_smlad(we, xe, rs[p]);
        r[p] = tf_smlad(tf_sxtb16(we), xe, r[p]);
        rs[p] = tf_smlad(wo, xo, rs[p]);
        r[p] = tf_smlad(tf_sxtb16(wo), xo, r[p]);
      }
    }
    for (int p = 0; p < 3; ++p) {
      acc[2 * p] = r[p];
      acc[2 * p + 1] = (int32_t)((uint32_t)acc[2 * p + 1] + (uint32_t)((int32_t)((uint32_t)rs[p] - (uint32_t)r[p]) >> 8));
    }
  }
  return w;
}
#endif

/* How many blocks of six rows a layer of `rows` runs (dsp_pairs6.ts's sixBlocks): all it can, but
 * that 2 or 3 rows left go into two blocks of four with the last block of six (8 = 4 + 4, 9 = 4 + 4 + 1)
 * rather than into the one-row loop. */
static inline int tf_fcp6_blocks(int rows) {
  const int b = rows / 6, left = rows - 6 * b;
  return b > 0 && (left == 2 || left == 3) ? b - 1 : b;
}

/*
 * FULLY_CONNECTED: out[b][o] = rq(start[o] + sum_k w[o][k] * x[b][k]) for `batches` rows of
 * `in_n` = 4 * words inputs (start NULL: all 0), the first rows in blocks of six, the others as
 * tf_fcp_dsp_body runs them (no fix table: every weight fits its pair).
 */
static inline __attribute__((always_inline)) void tf_fcp6_dsp_body(const int8_t *x, int batches, int in_n, const int8_t *w, int rows,
                                                                   const int32_t *start, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                   const int fast, const int full, const int per_channel) {
  const int words = in_n >> 2;
  const int blocks = tf_fcp6_blocks(rows), rest = rows - 6 * blocks;
  const int32_t m = q[0], pk = q[1];
  for (int b = 0; b < batches; ++b, x += in_n) {
    const int8_t *wp = w;
    const int32_t *qp = q;
    for (int i = 0; i < blocks; ++i, out += 6) {
      int32_t acc[6];
      wp = tf_fcp6_dot(x, wp, start ? start + 6 * i : (const int32_t *)0, acc, words);
      for (int j = 0; j < 6; ++j)
        out[j] = per_channel ? tf_dsp_rq(acc[j], qp[2 * j], qp[2 * j + 1], rq, fast, full) : tf_dsp_rq(acc[j], m, pk, rq, fast, full);
      if (per_channel) qp += 12;
    }
    if (rest > 0) {
      tf_fcp_dsp_body(x, 1, in_n, wp, rest, start ? start + 6 * blocks : (const int32_t *)0, per_channel ? qp : q, rq, out,
                      (const uint16_t *)0, (uint32_t *)0, fast, full, per_channel);
      out += rest;
    }
  }
}

#endif
