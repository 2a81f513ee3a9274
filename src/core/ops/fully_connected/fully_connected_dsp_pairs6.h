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
#include <string.h>
#include "arm_dsp.h"
#include "dsp_requant.h"
#include "fully_connected_dsp_pairs.h"

#if TF_DSP_NATIVE
const int8_t *tf_fcp6_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words);
#else
/* one word of x, its lanes xe = (x0, x2) and xo = (x1, x3), against a block's six weight words (the
 * assembly's tf_fcp6_words): r[p] gathers row 2p, rs[p] row 2p + 256 row 2p + 1 */
static inline void tf_fcp6_words(uint32_t xe, uint32_t xo, const int8_t *w, int32_t *r, int32_t *rs) {
  for (int p = 0; p < 3; ++p) {
    const uint32_t we = TF_LOAD32(w + 8 * p), wo = TF_LOAD32(w + 8 * p + 4);
    rs[p] = tf_smlad(we, xe, rs[p]);
    r[p] = tf_smlad(tf_sxtb16(we), xe, r[p]);
    rs[p] = tf_smlad(wo, xo, rs[p]);
    r[p] = tf_smlad(tf_sxtb16(wo), xo, r[p]);
  }
}

/* the end of a chunk: rows 2p exact, rows 2p + 1 += (r + 256 s - r) >> 8 */
static inline void tf_fcp6_extract(int32_t *acc, const int32_t *r, const int32_t *rs) {
  for (int p = 0; p < 3; ++p) {
    acc[2 * p] = r[p];
    acc[2 * p + 1] = (int32_t)((uint32_t)acc[2 * p + 1] + (uint32_t)((int32_t)((uint32_t)rs[p] - (uint32_t)r[p]) >> 8));
  }
}

/* the same sums as the assembly, pair by pair: row r from SMLAD(SXTB16(W), X), row s from the
 * difference SMLAD(W, X) makes, taken every 112 words */
static inline const int8_t *tf_fcp6_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words) {
  for (int j = 0; j < 6; ++j) acc[j] = start[j];
  while (words > 0) {
    const int n = words < 112 ? words : 112;
    words -= n;
    int32_t r[3], rs[3];
    for (int p = 0; p < 3; ++p) r[p] = rs[p] = acc[2 * p];
    for (int k = 0; k < n; ++k, x += 4, w += 24) {
      const uint32_t xv = tf_read4(x);
      const uint32_t xe = tf_sxtb16(xv), xo = tf_sxtb16_ror8(xv);
      tf_fcp6_words(xe, xo, w, r, rs);
    }
    tf_fcp6_extract(acc, r, rs);
  }
  return w;
}
#endif

/* Four bytes at any address (word stores may be unaligned on Armv7E-M and Armv8-M Mainline). */
static inline __attribute__((always_inline)) void tf_fcp6_put4(int8_t *out, uint32_t v) {
#if TF_DSP_NATIVE
  __asm__("str %1, %0" : "=m"(*(uint32_t *)(void *)out) : "r"(v));
#else
  memcpy(out, &v, 4);
#endif
}

/* Two int8 values (each in [-128, 127], sign-extended) as the low bytes of a word, a0 lowest: one BFI. */
static inline __attribute__((always_inline)) uint32_t tf_bytes2(int32_t a0, int32_t a1) {
#if TF_DSP_NATIVE
  uint32_t r = (uint32_t)a0;
  __asm__("bfi %0, %1, #8, #8" : "+r"(r) : "r"(a1));
  return r;
#else
  return (uint32_t)(uint8_t)a0 | (uint32_t)(uint8_t)a1 << 8;
#endif
}

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
  /* the starts of a layer without any: the block loads six starts unconditionally */
  static const int32_t zero[6] = {0, 0, 0, 0, 0, 0};
  const int words = in_n >> 2;
  const int blocks = tf_fcp6_blocks(rows), rest = rows - 6 * blocks;
  const int32_t m = q[0], pk = q[1];
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  for (int b = 0; b < batches; ++b, x += in_n) {
    const int8_t *wp = w;
    const int32_t *qp = q;
    for (int i = 0; i < blocks; ++i, out += 6) {
      int32_t acc[6];
      wp = tf_fcp6_dot(x, wp, start ? start + 6 * i : zero, acc, words);
      /* spelt out, not a loop over j: GCC 12 -O2 kept such a loop (2 instructions per output) */
#define TF_FCP6_RQ(j) (per_channel ? tf_dsp_rq_sat(acc[j], qp[2 * (j)], qp[2 * (j) + 1], rq, fast) : tf_dsp_rq_sat(acc[j], m, pk, rq, fast))
      const int32_t v0 = TF_FCP6_RQ(0), v1 = TF_FCP6_RQ(1), v2 = TF_FCP6_RQ(2), v3 = TF_FCP6_RQ(3), v4 = TF_FCP6_RQ(4), v5 = TF_FCP6_RQ(5);
#undef TF_FCP6_RQ
      if (full) {
        out[0] = (int8_t)v0;
        out[1] = (int8_t)v1;
        out[2] = (int8_t)v2;
        out[3] = (int8_t)v3;
        out[4] = (int8_t)v4;
        out[5] = (int8_t)v5;
      } else {
        /* a narrower activation range clamps four outputs at once (SSUB8/SEL on the bytes of a word,
         * 4 instructions instead of two compares each), then the last two in the bytes of a halfword;
         * a bound at the int8 limit is SSAT's already (RELU at zero point -128: no SSUB8/SEL) */
        uint32_t lo = tf_bytes4(v0, v1, v2, v3), hi = tf_bytes2(v4, v5);
        if (rq->act_min > -128) {
          lo = tf_smax8(lo, lo4);
          hi = tf_smax8(hi, lo4);
        }
        if (rq->act_max < 127) {
          lo = tf_smin8(lo, hi4);
          hi = tf_smin8(hi, hi4);
        }
        tf_fcp6_put4(out, lo);
        tf_put2(out + 4, hi);
      }
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
