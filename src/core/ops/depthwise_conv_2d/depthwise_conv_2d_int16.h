/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D 16x8 at depth multiplier 1 (int16 activations, int8 weights, int64 or no bias):
 * per output pixel, four channels at a time hold their sums in registers over the window's taps (the
 * input and the filter both channel-contiguous), then the left-over 1-3 channels one by one. Sums are
 * int32: at most 511 taps (the variant's `applies`) of products of at most 128 * 32768 = 2^22, so
 * below 2^31 and exactly TFLite Micro's int64 sum; the requantization is TFLite Micro's 64-bit one,
 * through int16_requant.h's 32-bit form where the sum plus bias fits int32. The Arm DSP twin reads two int16 channels per word and the filter's four
 * weights per word, stored w0 w2 w1 w3 (SXTB16: (w0, w1), ROR 8: (w2, w3)), and multiplies lanes with
 * SMLABB / SMLATT; the plain one (Armv6-M, RV32) reads the model's filter. */
#ifndef TF_DEPTHWISE_CONV_2D_INT16_H
#define TF_DEPTHWISE_CONV_2D_INT16_H
#include <stdint.h>
#include "isa.h"
#include "fixedpoint.h"
#include "fixedpoint64.h"
#include "int16_requant.h"

/* One layer's geometry and requantization. */
typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  /* int64 bias per channel, or NULL */
  const int64_t *bias;
  /* Q31 multiplier and shift: per channel when per_channel, else [0] for all */
  const int32_t *multiplier, *shift;
  /* int16_requant.h's 32-bit multiplier F per channel (0: the 64-bit form), indexed as multiplier */
  const int32_t *fast;
  int32_t per_channel;
  int32_t act_min, act_max;
} tf_s16_dw_t;

static inline __attribute__((always_inline)) int16_t tf_s16_dw_requantize(int32_t sum, int c, const tf_s16_dw_t *p, const int dsp) {
  const int k = p->per_channel ? c : 0;
  const int64_t x = p->bias ? (int64_t)sum + p->bias[c] : (int64_t)sum;
  return (int16_t)tf_clamp(tf_s16_mbqm64(x, p->multiplier[k], p->shift[k], p->fast[k], dsp), p->act_min, p->act_max);
}

static inline __attribute__((always_inline)) void tf_s16_dw_body(const int16_t *input, const int8_t *w, const tf_s16_dw_t *p, int16_t *out,
                                                                 const int dsp) {
  const int C = p->channels, blocks = C >> 2;
  const int in_row = p->in_w * C, filter_row = p->k_w * C;
  for (int b = 0; b < p->batches; ++b) {
    const int16_t *const image = input + b * p->in_h * in_row;
    for (int oy = 0; oy < p->out_h; ++oy) {
      const int iy0 = oy * p->stride_h - p->pad_top;
      /* padded taps are skipped: only filter rows and columns that land in the image */
      const int fy_lo = iy0 < 0 ? (p->dilation_h - 1 - iy0) / p->dilation_h : 0;
      const int fy_end = (p->in_h + p->dilation_h - 1 - iy0) / p->dilation_h;
      const int fy_hi = fy_end < p->k_h ? fy_end : p->k_h;
      for (int ox = 0; ox < p->out_w; ++ox, out += C) {
        const int ix0 = ox * p->stride_w - p->pad_left;
        const int fx_lo = ix0 < 0 ? (p->dilation_w - 1 - ix0) / p->dilation_w : 0;
        const int fx_end = (p->in_w + p->dilation_w - 1 - ix0) / p->dilation_w;
        const int fx_hi = fx_end < p->k_w ? fx_end : p->k_w;
        const int origin = iy0 * in_row + ix0 * C; /* may be negative: only offsets in the image are read */
        const int x_step = p->dilation_w * C;
        for (int i = 0; i < blocks; ++i) {
          const int c = 4 * i;
          int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (int fy = fy_lo; fy < fy_hi; ++fy) {
            const int16_t *xp = image + origin + fy * p->dilation_h * in_row + fx_lo * x_step + c;
            const int8_t *wp = w + fy * filter_row + fx_lo * C + c;
            for (int fx = fx_lo; fx < fx_hi; ++fx, xp += x_step, wp += C) {
              if (dsp) {
                const uint32_t x01 = tf_read_u32(xp), x23 = tf_read_u32(xp + 2), wv = tf_read_u32(wp);
                const uint32_t e = tf_sxtb16(wv), o = tf_sxtb16_ror8(wv);
                a0 = tf_smlabb(x01, e, a0);
                a1 = tf_smlatt(x01, e, a1);
                a2 = tf_smlabb(x23, o, a2);
                a3 = tf_smlatt(x23, o, a3);
              } else {
                a0 += wp[0] * xp[0];
                a1 += wp[1] * xp[1];
                a2 += wp[2] * xp[2];
                a3 += wp[3] * xp[3];
              }
            }
          }
          out[c] = tf_s16_dw_requantize(a0, c, p, dsp);
          out[c + 1] = tf_s16_dw_requantize(a1, c + 1, p, dsp);
          out[c + 2] = tf_s16_dw_requantize(a2, c + 2, p, dsp);
          out[c + 3] = tf_s16_dw_requantize(a3, c + 3, p, dsp);
        }
        for (int j = 0; j < (C & 3); ++j) {
          const int c = 4 * blocks + j;
          int32_t a = 0;
          for (int fy = fy_lo; fy < fy_hi; ++fy) {
            const int16_t *xp = image + origin + fy * p->dilation_h * in_row + fx_lo * x_step + c;
            const int8_t *wp = w + fy * filter_row + fx_lo * C + c;
            for (int fx = fx_lo; fx < fx_hi; ++fx, xp += x_step, wp += C) a += *wp * *xp;
          }
          out[c] = tf_s16_dw_requantize(a, c, p, dsp);
        }
      }
    }
  }
}

/* Arm DSP: the filter's whole words of four channels stored w0 w2 w1 w3 per tap. */
static __attribute__((unused)) void tf_s16_dw_dsp(const int16_t *input, const int8_t *w, const tf_s16_dw_t *p, int16_t *out) {
  tf_s16_dw_body(input, w, p, out, 1);
}

/* Armv6-M, RV32: the model's filter. */
static __attribute__((unused)) void tf_s16_dw(const int16_t *input, const int8_t *w, const tf_s16_dw_t *p, int16_t *out) {
  tf_s16_dw_body(input, w, p, out, 0);
}

#endif
