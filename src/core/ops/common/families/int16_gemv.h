/* SPDX-License-Identifier: Apache-2.0 */
/* The 16x8 matrix-vector kernels of CONV_2D and FULLY_CONNECTED's target variants (int16 activations,
 * int8 weights): out[r] = requantize(sum_k w[r][k] * x[k] + bias[r]) for every weight row r, the sum
 * exact as TFLite Micro's int64 accumulator (or its int32 one, see tf_s16_rq_t.bias32).
 *
 * Why 32-bit partial sums are exact: one product is at most 128 * 32768 = 2^22 in magnitude, so any
 * TF_S16_CHUNK = 508 of them sum to at most 508 * 2^22 < 2^31. The loops below add at most that many
 * products into an int32 before widening the partial sum to int64; TFLite Micro's int64 sum is the
 * same integer. The requantization is fixedpoint64.h's tf_mbqm64 (or fixedpoint.h's tf_mbqm for the
 * int32-bias CONV_2D), the very functions of the portable kernels.
 *
 * This file: the plain C kernel (Armv6-M, RV32: weights in the model's own row order). The Arm DSP
 * kernel is int16_gemv_dsp.h. */
#ifndef TF_INT16_GEMV_H
#define TF_INT16_GEMV_H
#include <stdint.h>
#include <string.h> /* the CONV_2D variants' im2col copies */
#include "fixedpoint.h"
#include "fixedpoint64.h"
#include "int16_requant.h"

#define TF_S16_CHUNK 508

/* How one layer's sums become int16 outputs. */
typedef struct {
  /* int64 bias per row (TFLite Micro's int64 path), or NULL */
  const int64_t *bias64;
  /* int32 bias per row: when set, the sum and bias are taken modulo 2^32 and requantized by the
   * 32-bit tf_mbqm, as TFLite Micro's CONV_2D does for an int32 bias */
  const int32_t *bias32;
  /* Q31 multiplier and shift: one per row when per_channel, else [0] for every row */
  const int32_t *multiplier;
  const int32_t *shift;
  /* int16_requant.h's 32-bit multiplier F per row (0: the 64-bit form), indexed as multiplier */
  const int32_t *fast;
  int32_t per_channel;
  /* the fused activation's clamp range */
  int32_t act_min, act_max;
} tf_s16_rq_t;

/* `dsp` (a constant) picks SMMULR for the 32-bit form */
static inline int16_t tf_s16_requantize(int64_t sum, int row, const tf_s16_rq_t *q, const int dsp) {
  const int c = q->per_channel ? row : 0;
  int32_t v;
  if (q->bias32) {
    v = tf_mbqm((int32_t)(uint32_t)((uint64_t)sum + (uint32_t)q->bias32[row]), q->multiplier[c], q->shift[c]);
  } else {
    v = tf_s16_mbqm64(q->bias64 ? sum + q->bias64[row] : sum, q->multiplier[c], q->shift[c], q->fast[c], dsp);
  }
  return (int16_t)tf_clamp(v, q->act_min, q->act_max);
}

/* out[r] for `rows` rows of `depth` weights each (the model's layout, row after row) against x. Two
 * rows share each input load; the partial sums stay in int32 for TF_S16_CHUNK inputs at a time. Not
 * inline: the layers of a model share one copy. The row loops count from 0 to
 * bounds computed from `rows` alone (see tf_fc_dsp_body: a loop continuing from another's exit value
 * trips GCC's aggressive-loop-optimizations when `rows` is a constant). */
static __attribute__((unused)) void tf_s16_gemv(const int16_t *x, int depth, const int8_t *w, int rows, const tf_s16_rq_t *q,
                                                int16_t *out) {
  const int pairs = rows >> 1;
  for (int i = 0; i < pairs; ++i, w += 2 * depth) {
    const int r = 2 * i;
    const int8_t *w0 = w, *w1 = w + depth;
    int64_t s0 = 0, s1 = 0;
    for (int k0 = 0; k0 < depth; k0 += TF_S16_CHUNK) {
      const int n = depth - k0 < TF_S16_CHUNK ? depth - k0 : TF_S16_CHUNK;
      /* indices from -n up to 0 off the chunk's ends: the loop tests the count's own flags, and no
       * bound or constant needs a register of its own */
      const int16_t *const xe = x + k0 + n;
      const int8_t *const e0 = w0 + k0 + n, *const e1 = w1 + k0 + n;
      int32_t a0 = 0, a1 = 0;
      for (int k = -n; k != 0; ++k) {
        const int32_t xv = xe[k];
        a0 += e0[k] * xv;
        a1 += e1[k] * xv;
      }
      s0 += a0;
      s1 += a1;
    }
    out[r] = tf_s16_requantize(s0, r, q, 0);
    out[r + 1] = tf_s16_requantize(s1, r + 1, q, 0);
  }
  if (rows & 1) {
    const int r = rows - 1;
    int64_t s = 0;
    for (int k0 = 0; k0 < depth; k0 += TF_S16_CHUNK) {
      const int n = depth - k0 < TF_S16_CHUNK ? depth - k0 : TF_S16_CHUNK;
      int32_t a = 0;
      for (int k = 0; k < n; ++k) a += w[k0 + k] * x[k0 + k];
      s += a;
    }
    out[r] = tf_s16_requantize(s, r, q, 0);
  }
}

#endif
