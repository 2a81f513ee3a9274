/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming int8 matrix-vector loops of FULLY_CONNECTED and of the LSTM's gates on Arm DSP targets:
 * each word of four inputs is sign-extended once (SXTB16: bytes 0,2; ROR 8: bytes 1,3) and meets
 * four weight rows, whose words get the same treatment, so the byte orders agree and no permutation
 * is needed. Weights are laid out at compile time (fully_connected/dsp.ts) so that one pointer walks
 * them in order, with no padding (never more bytes than the model's): rows in blocks of four whose
 * words alternate (row 0's word k, row 1's, row 2's, row 3's, then word k+1), then per left-over
 * input j (n mod 4 of them) one word of the four rows' weights j; the last 1-3 rows plain, one after
 * another. FULLY_CONNECTED reads its int8 input directly (no scratch) with the input offset folded
 * into the accumulator starts; the LSTM, which reads each step's inputs once per unit, extends them
 * to int16 once per step, offset applied (tf_fc_dot4_x16). Symmetric weights only. */
#ifndef TF_FULLY_CONNECTED_DSP_H
#define TF_FULLY_CONNECTED_DSP_H
#include <stdint.h>
#include "arm_dsp.h"
#include "dsp_requant.h"

#if TF_DSP_NATIVE
/* the weights of one word of x for a block of four rows, against xe = (x0, x2), xo = (x1, x3):
 * 2 LDRD, 8 SXTB16, 8 SMLAD */
#define TF_FC_W4 \
  "ldrd %[t0], %[t1], [%[w]], #8\n\t" \
  "sxtb16 %[e], %[t0]\n\t" \
  "smlad %[a0], %[xe], %[e], %[a0]\n\t" \
  "sxtb16 %[t0], %[t0], ror #8\n\t" \
  "smlad %[a0], %[xo], %[t0], %[a0]\n\t" \
  "sxtb16 %[e], %[t1]\n\t" \
  "smlad %[a1], %[xe], %[e], %[a1]\n\t" \
  "sxtb16 %[t1], %[t1], ror #8\n\t" \
  "smlad %[a1], %[xo], %[t1], %[a1]\n\t" \
  "ldrd %[t0], %[t1], [%[w]], #8\n\t" \
  "sxtb16 %[e], %[t0]\n\t" \
  "smlad %[a2], %[xe], %[e], %[a2]\n\t" \
  "sxtb16 %[t0], %[t0], ror #8\n\t" \
  "smlad %[a2], %[xo], %[t0], %[a2]\n\t" \
  "sxtb16 %[e], %[t1]\n\t" \
  "smlad %[a3], %[xe], %[e], %[a3]\n\t" \
  "sxtb16 %[t1], %[t1], ror #8\n\t" \
  "smlad %[a3], %[xo], %[t1], %[a3]\n\t"
/* one word of int8 x (LDR: unaligned allowed), extended here */
#define TF_FC_STEP4 \
  "ldr %[xe], [%[x]], #4\n\t" \
  "sxtb16 %[xo], %[xe], ror #8\n\t" \
  "sxtb16 %[xe], %[xe]\n\t" TF_FC_W4
/* one word of x already extended: two int16 lane pairs */
#define TF_FC_STEP4H "ldrd %[xe], %[xo], [%[x]], #8\n\t" TF_FC_W4
/* an odd step, then the loop over pairs of steps, with the accumulators held in registers however
 * much the caller keeps live */
#define TF_FC_DOT4_ASM(step, stride) \
  uint32_t xe, xo, e, t0, t1; \
  if (words & 1) { \
    __asm__(step \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo), \
              [e] "=&r"(e), [t0] "=&r"(t0), [t1] "=&r"(t1) \
            : \
            : "memory"); \
  } \
  if (words > 1) { \
    const void *const end = (const char *)x + (stride) * (words & ~1); \
    __asm__("1:\n\t" step step "cmp %[x], %[end]\n\t" \
            "bne 1b\n\t" \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo), \
              [e] "=&r"(e), [t0] "=&r"(t0), [t1] "=&r"(t1) \
            : [end] "r"(end) \
            : "cc", "memory"); \
  }
#endif

/* The four rows' weights of one word against xe, xo (C twin of TF_FC_W4). */
#define TF_FC_W4_C(xe, xo) \
  do { \
    const uint32_t w0 = TF_LOAD32(w), w1 = TF_LOAD32(w + 4), w2 = TF_LOAD32(w + 8), w3 = TF_LOAD32(w + 12); \
    a0 = tf_smlad(xe, tf_sxtb16(w0), a0); \
    a0 = tf_smlad(xo, tf_sxtb16_ror8(w0), a0); \
    a1 = tf_smlad(xe, tf_sxtb16(w1), a1); \
    a1 = tf_smlad(xo, tf_sxtb16_ror8(w1), a1); \
    a2 = tf_smlad(xe, tf_sxtb16(w2), a2); \
    a2 = tf_smlad(xo, tf_sxtb16_ror8(w2), a2); \
    a3 = tf_smlad(xe, tf_sxtb16(w3), a3); \
    a3 = tf_smlad(xo, tf_sxtb16_ror8(w3), a3); \
    w += 16; \
  } while (0)

/* Left-over input j (value xj): one word holds the four rows' weights j, (w0, w2) and (w1, w3) once
 * extended, each lane meeting xj. */
#define TF_FC_TAIL4(xj) \
  do { \
    const uint32_t wv = TF_LOAD32(w); \
    const uint32_t even = tf_sxtb16(wv), odd = tf_sxtb16_ror8(wv); \
    a0 = tf_smlabb(even, (uint32_t)(xj), a0); \
    a2 = tf_smlatb(even, (uint32_t)(xj), a2); \
    a1 = tf_smlabb(odd, (uint32_t)(xj), a1); \
    a3 = tf_smlatb(odd, (uint32_t)(xj), a3); \
    w += 4; \
  } while (0)

/* acc[r] += sum_k w_r[k] * x[k] for a block of four rows over `words` whole words of x, then `tail`
 * (0-3) values; returns the weights past the block. */
static inline __attribute__((always_inline)) const int8_t *tf_fc_dot4(const int8_t *x, int words, int tail, const int8_t *w, int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if TF_DSP_NATIVE
  TF_FC_DOT4_ASM(TF_FC_STEP4, 4)
#else
  for (int k = words; k > 0; --k, x += 4) {
    const uint32_t xv = tf_read4(x);
    TF_FC_W4_C(tf_sxtb16(xv), tf_sxtb16_ror8(xv));
  }
#endif
  for (int j = 0; j < tail; ++j) TF_FC_TAIL4((int32_t)x[j]);
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

/*
 * The same over inputs already extended to int16 (offset applied): `words` pairs of words, each
 * pair the lanes that meet SXTB16 and SXTB16 ROR 8 of the weight word (bytes 0,2 then 1,3 of the
 * weights: (x0, x2), (x1, x3) for weights in natural order, (x0, x1), (x2, x3) for weights stored
 * w0 w2 w1 w3), then `tail` values. xs is 4-byte aligned.
 */
static inline __attribute__((always_inline)) const int8_t *tf_fc_dot4_x16(const int16_t *xs, int words, int tail, const int8_t *w,
                                                                          int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const uint32_t *x = (const uint32_t *)(const void *)xs;
#if TF_DSP_NATIVE
  TF_FC_DOT4_ASM(TF_FC_STEP4H, 8)
#else
  for (int k = words; k > 0; --k, x += 2) TF_FC_W4_C(tf_read_u32(x), tf_read_u32(x + 1));
#endif
  for (int j = 0; j < tail; ++j) TF_FC_TAIL4(xs[4 * words + j]);
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

/* The same for one plain row (n bytes, no alignment promised). */
static inline __attribute__((always_inline)) const int8_t *tf_fc_dot1(const int8_t *x, int words, int tail, const int8_t *w, int32_t *acc) {
  int32_t a = *acc;
  for (int k = words; k > 0; --k, x += 4, w += 4) {
    const uint32_t xv = tf_read4(x), wv = tf_read4(w);
    a = tf_smlad(tf_sxtb16(xv), tf_sxtb16(wv), a);
    a = tf_smlad(tf_sxtb16_ror8(xv), tf_sxtb16_ror8(wv), a);
  }
  for (int j = 0; j < tail; ++j) a = (int32_t)((uint32_t)a + (uint32_t)(w[j] * x[j]));
  *acc = a;
  return w + tail;
}

/*
 * FULLY_CONNECTED: out[b][o] = rq(start[o] + sum_k w[o][k] * x[b][k]) for `batches` rows of `in_n`
 * inputs (start NULL: all 0). q holds dsp_requant.h's requantization records less their start,
 * { m, P }: one per output (`per_channel`), or one for every output.
 */
static inline __attribute__((always_inline)) void tf_fc_dsp_body(const int8_t *x, int batches, int in_n, const int8_t *w, int rows,
                                                                 const int32_t *start, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                 const int fast, const int full, const int per_channel) {
  const int words = in_n >> 2, tail = in_n & 3;
  /* Both row loops count from 0 to bounds computed from `rows` alone: with `rows` a constant each
   * trip count is a constant from the start (an empty tail loop vanishes at once), and neither
   * loop's start waits on the other's exit value. A tail loop going on from the block loop's exit
   * value (`for (; o < rows; ++o)`) learnt its start only after GCC had copied and rotated it: a
   * dead copy starting at rows + 1 against `!= rows` counted 2^32 - 1 iterations, and start[o]
   * "overflowed" at iteration 2^30 - 1 (-Werror=aggressive-loop-optimizations, arm-none-eabi-gcc
   * 12 -O2, 8 or 12 rows: no tail, more than one block). */
  const int blocks = rows >> 2, left = rows & 3;
  /* per tensor, loaded once: stores through out (int8_t) could alias them otherwise */
  int32_t m = q[0], pk = q[1];
  for (int b = 0; b < batches; ++b, x += in_n) {
    const int8_t *wp = w;
    const int32_t *qp = q;
    for (int i = 0; i < blocks; ++i, out += 4) {
      const int o = 4 * i;
      int32_t acc[4] = {0, 0, 0, 0};
      if (start) {
        acc[0] = start[o];
        acc[1] = start[o + 1];
        acc[2] = start[o + 2];
        acc[3] = start[o + 3];
      }
      wp = tf_fc_dot4(x, words, tail, wp, acc);
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

/* One input feature: out[b][o] = rq(start[o] + w[o] * x[b]), the weights in plain order. */
static inline __attribute__((always_inline)) void tf_fc1_dsp_body(const int8_t *x, int batches, const int8_t *w, int rows,
                                                                  const int32_t *start, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                  const int fast, const int full, const int per_channel) {
  int32_t m = q[0], pk = q[1];
  for (int b = 0; b < batches; ++b) {
    const int32_t xv = x[b];
    const int32_t *qp = q;
    for (int r = 0; r < rows; ++r) {
      /* int32 wraps as in TFLM's sum; unsigned keeps C from calling it overflow */
      const int32_t acc = (int32_t)((uint32_t)(start ? start[r] : 0) + (uint32_t)(w[r] * xv));
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
