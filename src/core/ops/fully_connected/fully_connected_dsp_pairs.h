/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets with two weight rows in one halfword: for a row pair (r, s) and
 * an input column k the weights r_k, s_k are stored as the int16 lane r_k + 256 * s_k, as bytes
 * (low, high) = (r_k, s_k - [r_k < 0]): the low byte read unsigned adds 256 exactly when r_k < 0, the
 * high byte takes it back. The one pair that does not fit, s_k = -128 under a negative r_k (never in
 * TFLite's symmetric weights, which stay in [-127, 127]), is stored as s_k = -127 and listed in the
 * layer's `fix` table: the kernel subtracts x_k from row s's sum once the block's sums are in
 * (fully_connected/dsp_pairs.ts builds both). One weight word holds the
 * pair's lanes for columns (k, k + 2), matching the input lanes SXTB16 makes of a word of x, (x0, x2),
 * or (k + 1, k + 3) for SXTB16 ROR 8's (x1, x3). Then per word W and input lanes X:
 *   SMLAD(SXTB16(W), X)  adds row r's products exactly (SXTB16 takes the low bytes, r_k itself),
 *   SMLAD(W, X)          adds row r's products + 256 * row s's (mod 2^32),
 * so the difference of the two accumulators is 256 * (row s's sum) exactly while that sum stays
 * under 2^23 in magnitude: every 127 words (508 columns, at most 508 * 128 * 128 < 2^23) the
 * difference is taken into row s's sum and the second accumulator restarts from the first. Four
 * rows (two pairs) meet each word of x: 2 LDRD, 4 SXTB16, 8 SMLAD for 16 MACs, plus the input's LDR
 * and two SXTB16 (fully_connected_dsp.h's four rows take 2 LDRD, 10 SXTB16, 8 SMLAD and the LDR).
 *
 * Layout (no padding, as many bytes as the model's): rows in blocks of four, per word k of x the
 * words (pair 0: columns 0,2; 1,3), (pair 1: columns 0,2; 1,3); then per left-over column j one word
 * of the four rows' weights j (fully_connected_dsp.h's tail word); the last 1-3 rows plain, one
 * after another, run by fully_connected_dsp.h's one-row loop. */
#ifndef TF_FULLY_CONNECTED_DSP_PAIRS_H
#define TF_FULLY_CONNECTED_DSP_PAIRS_H
#include <stdint.h>
#include "arm_dsp.h"
#include "dsp_requant.h"
#include "fully_connected_dsp.h"

/* words of x between two takings of the pair differences: 127 * 4 columns * 128 * 128 < 2^23 */
#define TF_FCP_CHUNK_WORDS 127

#if TF_DSP_NATIVE
/* one word of x against the two pairs' four weight words: a1 (a3) gathers r + 256 s of pair 0 (1),
 * a0 (a2) row r alone */
#define TF_FCP_STEP \
  "ldr %[xe], [%[x]], #4\n\t" \
  "sxtb16 %[xo], %[xe], ror #8\n\t" \
  "sxtb16 %[xe], %[xe]\n\t" \
  "ldrd %[t0], %[t1], [%[w]], #8\n\t" \
  "smlad %[a1], %[t0], %[xe], %[a1]\n\t" \
  "sxtb16 %[t0], %[t0]\n\t" \
  "smlad %[a0], %[t0], %[xe], %[a0]\n\t" \
  "smlad %[a1], %[t1], %[xo], %[a1]\n\t" \
  "sxtb16 %[t1], %[t1]\n\t" \
  "smlad %[a0], %[t1], %[xo], %[a0]\n\t" \
  "ldrd %[t0], %[t1], [%[w]], #8\n\t" \
  "smlad %[a3], %[t0], %[xe], %[a3]\n\t" \
  "sxtb16 %[t0], %[t0]\n\t" \
  "smlad %[a2], %[t0], %[xe], %[a2]\n\t" \
  "smlad %[a3], %[t1], %[xo], %[a3]\n\t" \
  "sxtb16 %[t1], %[t1]\n\t" \
  "smlad %[a2], %[t1], %[xo], %[a2]\n\t"
#endif

/* acc = { row 0, row 1, row 2, row 3 } += the block's dot products over `words` whole words of x,
 * then `tail` (0-3) left-over values; returns the weights past the block. */
static inline __attribute__((always_inline)) const int8_t *tf_fcp_dot4(const int8_t *x, int words, int tail, const int8_t *w,
                                                                       int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[0], a2 = acc[2], a3 = acc[2];
  uint32_t s1 = (uint32_t)acc[1], s3 = (uint32_t)acc[3];
  while (words > 0) {
    const int n = words < TF_FCP_CHUNK_WORDS ? words : TF_FCP_CHUNK_WORDS;
    words -= n;
#if TF_DSP_NATIVE
    uint32_t xe, xo, t0, t1;
    if (n & 1) {
      __asm__(TF_FCP_STEP
              : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo),
                [t0] "=&r"(t0), [t1] "=&r"(t1)
              :
              : "memory");
    }
    if (n > 1) {
      const int8_t *const end = x + 4 * (n & ~1);
      __asm__("1:\n\t" TF_FCP_STEP TF_FCP_STEP "cmp %[x], %[end]\n\t"
              "bne 1b\n\t"
              : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo),
                [t0] "=&r"(t0), [t1] "=&r"(t1)
              : [end] "r"(end)
              : "cc", "memory");
    }
#else
    for (int k = n; k > 0; --k, x += 4, w += 16) {
      const uint32_t xv = tf_read4(x);
      const uint32_t xe = tf_sxtb16(xv), xo = tf_sxtb16_ror8(xv);
      const uint32_t p02 = TF_LOAD32(w), p13 = TF_LOAD32(w + 4), q02 = TF_LOAD32(w + 8), q13 = TF_LOAD32(w + 12);
      a1 = tf_smlad(p02, xe, a1);
      a0 = tf_smlad(tf_sxtb16(p02), xe, a0);
      a1 = tf_smlad(p13, xo, a1);
      a0 = tf_smlad(tf_sxtb16(p13), xo, a0);
      a3 = tf_smlad(q02, xe, a3);
      a2 = tf_smlad(tf_sxtb16(q02), xe, a2);
      a3 = tf_smlad(q13, xo, a3);
      a2 = tf_smlad(tf_sxtb16(q13), xo, a2);
    }
#endif
    /* 256 * (row s's sum over the chunk), exactly: an arithmetic shift gives the sum */
    s1 += (uint32_t)((int32_t)((uint32_t)a1 - (uint32_t)a0) >> 8);
    s3 += (uint32_t)((int32_t)((uint32_t)a3 - (uint32_t)a2) >> 8);
    a1 = a0;
    a3 = a2;
  }
  a1 = (int32_t)s1;
  a3 = (int32_t)s3;
  for (int j = 0; j < tail; ++j) TF_FC_TAIL4((int32_t)x[j]);
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

/* The inputs unpacked once per batch row (fully_connected/dsp_pairs.ts gives layers of 64-128 inputs
 * a scratch of 8 * words + 4 * tail bytes): per word k of x the lanes SXTB16 makes of it, (x0, x2)
 * then (x1, x3), so that each block reads a word's lanes with one LDRD instead of an LDR and two
 * SXTB16 (the four weight words come in one LDM): 14 instructions per 16 MACs instead of 17; then
 * the left-over values, one word each. Past the unpacking the blocks read x no more (its buffer may
 * then take the output: dsp_pairs.ts's overlap rule). */
static inline __attribute__((always_inline)) void tf_fcp_unpack(const int8_t *x, int words, int tail, uint32_t *xs) {
  for (int k = 0; k < words; ++k, x += 4, xs += 2) {
    const uint32_t v = tf_read4(x);
    xs[0] = tf_sxtb16(v);
    xs[1] = tf_sxtb16_ror8(v);
  }
  for (int j = 0; j < tail; ++j) xs[j] = (uint32_t)(int32_t)x[j];
}

/* column k (of the whole words) of the unpacked x: lane k & 2 of word 2 (k >> 2) + (k & 1) */
static inline int32_t tf_fcp_unpacked_at(const uint32_t *xs, unsigned k) {
  const uint32_t v = xs[2 * (k >> 2) + (k & 1)];
  return (k & 2) ? (int32_t)v >> 16 : (int32_t)(int16_t)(uint16_t)v;
}

#if TF_DSP_NATIVE
/* one word of x, unpacked, against the two pairs' four weight words (as TF_FCP_STEP) */
#define TF_FCPX_STEP \
  "ldrd %[xe], %[xo], [%[xs]], #8\n\t" \
  "ldmia %[w]!, {%[t0], %[t1], %[t2], %[t3]}\n\t" \
  "smlad %[a1], %[t0], %[xe], %[a1]\n\t" \
  "sxtb16 %[t0], %[t0]\n\t" \
  "smlad %[a0], %[t0], %[xe], %[a0]\n\t" \
  "smlad %[a1], %[t1], %[xo], %[a1]\n\t" \
  "sxtb16 %[t1], %[t1]\n\t" \
  "smlad %[a0], %[t1], %[xo], %[a0]\n\t" \
  "smlad %[a3], %[t2], %[xe], %[a3]\n\t" \
  "sxtb16 %[t2], %[t2]\n\t" \
  "smlad %[a2], %[t2], %[xe], %[a2]\n\t" \
  "smlad %[a3], %[t3], %[xo], %[a3]\n\t" \
  "sxtb16 %[t3], %[t3]\n\t" \
  "smlad %[a2], %[t3], %[xo], %[a2]\n\t"
#define TF_FCPX_OPERANDS \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xs] "+r"(xs), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo), [t0] "=&r"(t0), \
      [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
#endif

/* tf_fcp_dot4 over the unpacked x, xs (tf_fcp_unpack) */
static inline __attribute__((always_inline)) const int8_t *tf_fcp_dot4x(const uint32_t *xs, int words, int tail, const int8_t *w,
                                                                        int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[0], a2 = acc[2], a3 = acc[2];
  uint32_t s1 = (uint32_t)acc[1], s3 = (uint32_t)acc[3];
  const uint32_t *const xt = xs + 2 * words;
  while (words > 0) {
    const int n = words < TF_FCP_CHUNK_WORDS ? words : TF_FCP_CHUNK_WORDS;
    words -= n;
#if TF_DSP_NATIVE
    uint32_t xe, xo;
    /* the LDM's registers, in ascending order so that t0..t3 take the words in memory order */
    register uint32_t t0 __asm__("r8");
    register uint32_t t1 __asm__("r9");
    register uint32_t t2 __asm__("r10");
    register uint32_t t3 __asm__("r11");
    if (n & 1) __asm__(TF_FCPX_STEP:TF_FCPX_OPERANDS : : "memory");
    if (n & 2) __asm__(TF_FCPX_STEP TF_FCPX_STEP:TF_FCPX_OPERANDS : : "memory");
    if (n > 3) {
      /* turns of eight steps (half the loop's CMP/BNE of four); a run of 8 m + 4 steps enters the
       * first turn at its fifth step (the byte count's bit 5: 4 steps of 8 bytes of xs) */
      const uint32_t *const end = xs + 2 * (n & ~3);
      __asm__("sub %[xe], %[end], %[xs]\n\t"
              "tst %[xe], #32\n\t"
              "bne 2f\n\t"
              "1:\n\t" TF_FCPX_STEP TF_FCPX_STEP TF_FCPX_STEP TF_FCPX_STEP "2:\n\t" TF_FCPX_STEP TF_FCPX_STEP TF_FCPX_STEP TF_FCPX_STEP
              "cmp %[xs], %[end]\n\t"
              "bne 1b\n\t"
              : TF_FCPX_OPERANDS
              : [end] "r"(end)
              : "cc", "memory");
    }
#else
    for (int k = n; k > 0; --k, xs += 2, w += 16) {
      const uint32_t xe = xs[0], xo = xs[1];
      const uint32_t p02 = TF_LOAD32(w), p13 = TF_LOAD32(w + 4), q02 = TF_LOAD32(w + 8), q13 = TF_LOAD32(w + 12);
      a1 = tf_smlad(p02, xe, a1);
      a0 = tf_smlad(tf_sxtb16(p02), xe, a0);
      a1 = tf_smlad(p13, xo, a1);
      a0 = tf_smlad(tf_sxtb16(p13), xo, a0);
      a3 = tf_smlad(q02, xe, a3);
      a2 = tf_smlad(tf_sxtb16(q02), xe, a2);
      a3 = tf_smlad(q13, xo, a3);
      a2 = tf_smlad(tf_sxtb16(q13), xo, a2);
    }
#endif
    s1 += (uint32_t)((int32_t)((uint32_t)a1 - (uint32_t)a0) >> 8);
    s3 += (uint32_t)((int32_t)((uint32_t)a3 - (uint32_t)a2) >> 8);
    a1 = a0;
    a3 = a2;
  }
  a1 = (int32_t)s1;
  a3 = (int32_t)s3;
  for (int j = 0; j < tail; ++j) TF_FC_TAIL4((int32_t)xt[j]);
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

/*
 * FULLY_CONNECTED: out[b][o] = rq(start[o] + sum_k w[o][k] * x[b][k]) for `batches` rows of `in_n`
 * inputs (start NULL: all 0), as fully_connected_dsp.h's tf_fc_dsp_body with the paired blocks.
 * fix (NULL: none) lists the weights stored as -127 for -128, as uint16 pairs { block, 2 k + p }
 * (column k of pair p's second row) in block order, ended by block 0xffff. xs (NULL: none; a literal
 * NULL compiles to the kernel without it) is a scratch of 8 * words + 4 * tail bytes for the unpacked
 * inputs; the 1-3 rows after the blocks still read x.
 */
static inline __attribute__((always_inline)) void tf_fcp_dsp_body(const int8_t *x, int batches, int in_n, const int8_t *w, int rows,
                                                                  const int32_t *start, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                  const uint16_t *fix, uint32_t *xs, const int fast, const int full,
                                                                  const int per_channel) {
  const int words = in_n >> 2, tail = in_n & 3;
  /* both row loops count from 0 to bounds of `rows` alone (fully_connected_dsp.h says why) */
  const int blocks = rows >> 2, left = rows & 3;
  int32_t m = q[0], pk = q[1];
  for (int b = 0; b < batches; ++b, x += in_n) {
    const int8_t *wp = w;
    const int32_t *qp = q;
    const uint16_t *fp = fix;
    if (xs) tf_fcp_unpack(x, words, tail, xs);
    for (int i = 0; i < blocks; ++i, out += 4) {
      const int o = 4 * i;
      int32_t acc[4] = {0, 0, 0, 0};
      if (start) {
        acc[0] = start[o];
        acc[1] = start[o + 1];
        acc[2] = start[o + 2];
        acc[3] = start[o + 3];
      }
      wp = xs ? tf_fcp_dot4x(xs, words, tail, wp, acc) : tf_fcp_dot4(x, words, tail, wp, acc);
      if (fp) {
        /* the sums used s_k = -127 for -128: one x_k too many */
        for (; fp[0] == (uint16_t)i; fp += 2) {
          const unsigned e = fp[1];
          const uint32_t xk = (uint32_t)(xs ? tf_fcp_unpacked_at(xs, e >> 1) : (int32_t)x[e >> 1]);
          if (e & 1)
            acc[3] = (int32_t)((uint32_t)acc[3] - xk);
          else
            acc[1] = (int32_t)((uint32_t)acc[1] - xk);
        }
      }
      const int8_t v0 = per_channel ? tf_dsp_rq(acc[0], qp[0], qp[1], rq, fast, full) : tf_dsp_rq(acc[0], m, pk, rq, fast, full);
      const int8_t v1 = per_channel ? tf_dsp_rq(acc[1], qp[2], qp[3], rq, fast, full) : tf_dsp_rq(acc[1], m, pk, rq, fast, full);
      const int8_t v2 = per_channel ? tf_dsp_rq(acc[2], qp[4], qp[5], rq, fast, full) : tf_dsp_rq(acc[2], m, pk, rq, fast, full);
      const int8_t v3 = per_channel ? tf_dsp_rq(acc[3], qp[6], qp[7], rq, fast, full) : tf_dsp_rq(acc[3], m, pk, rq, fast, full);
      if (per_channel) qp += 8;
      out[0] = v0;
      out[1] = v1;
      out[2] = v2;
      out[3] = v3;
    }
    for (int r = 0; r < left; ++r) {
      const int o = 4 * blocks + r;
      int32_t acc = start ? start[o] : 0;
      wp = tf_fc_dot1(x, words, tail, wp, &acc);
      if (per_channel) {
        m = qp[0];
        pk = qp[1];
        qp += 2;
      }
      *out++ = tf_dsp_rq(acc, m, pk, rq, fast, full);
    }
  }
}

#endif
