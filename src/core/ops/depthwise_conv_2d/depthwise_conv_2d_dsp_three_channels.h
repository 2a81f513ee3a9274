/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's Arm DSP three-channel 3x3 kernel (dsp_three_channels.ts): RGB stems, a
 * pixel's three channels read in place as one word. */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_THREE_CHANNELS_H
#define TF_DEPTHWISE_CONV_2D_DSP_THREE_CHANNELS_H
#include "depthwise_conv_2d_dsp.h"
#include "depthwise_conv_2d_dsp_widen.h"

/*
 * Three input channels under an undilated 3x3 window, any multiplier and stride (RGB stems; dsp_common.ts
 * narrowApplies): the loop above over one group from channel 0, pixels read in place. A tap's word
 * holds the pixel's 3 channels and the next pixel's channel 0, which lane 3 would meet with weight
 * 0: the device's assembly leaves lane 3 out (3 SMLAxy per tap; the row kernel spent 36 MACs per 9),
 * the C twin computes it and drops it. The word of the image's last pixel would read a byte past
 * the tensor, so the in-place window ending there goes through tap pointers, and a tap pointer at
 * that pixel is moved to a copy of it. Its own loop, not the one above with a flag: sharing it cost
 * 56x56x10 3.4% (its registers allocated otherwise). Weights and records as tf_dwk_multm's (lane 3:
 * weight 0, start 0). `scratch`: the extended weights, 9 tap pointers, the zero-point word, the
 * copy of the last pixel.
 */
static inline __attribute__((always_inline)) void tf_dwk_c3_body(const int8_t *in, int batches, const tf_dwk_geom_t *g, int mult,
                                                                 const int8_t *w, const uint8_t *lsh, const int32_t *q, const tf_rq_t *rq,
                                                                 int8_t *out, void *scratch, const int fast, const int full) {
  const int c = 3, taps = 9;
  const int out_c = c * mult;
  const int row_bytes = g->in_w * c;
  uint32_t *const wx = (uint32_t *)scratch;
  const int8_t **tp = (const int8_t **)(void *)(wx + 2 * taps * mult);
  int8_t *zp_row = (int8_t *)(void *)(tp + taps);
  int8_t *const tail = zp_row + 4;
  const uint32_t lo4 = tf_dwk_bytes4(rq->act_min), hi4 = tf_dwk_bytes4(rq->act_max);
  memset(zp_row, g->input_zero_point, 4);
  TF_DWK_WIDEN(wx, w, taps * mult, taps, lsh);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_bytes;
    const int8_t *const last_px = image + (g->in_h * g->in_w - 1) * c;
    /* its fourth byte meets weight 0; any value will do */
    memset(tail, 0, 4);
    memcpy(tail, last_px, (size_t)c);
    for (int oy = 0; oy < g->out_h; ++oy) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      const int row_in = oy >= g->oy_lo && oy < g->oy_hi;
      /* windows of this row end on the image's last row */
      const int last_row = iy0 + 2 == g->in_h - 1;
      for (int ox = 0; ox < g->out_w; ++ox, out += out_c) {
        const int ix0 = ox * g->stride_w - g->pad_left;
        const int in_place = row_in && ox >= g->ox_lo && ox < g->ox_hi && !(last_row && ix0 + 2 == g->in_w - 1);
        const int8_t *const x0 = image + (iy0 * g->in_w + ix0) * c;
        if (!in_place) {
          tf_dwk_taps(g, image, oy, ox, zp_row, tp);
          for (int t = 0; t < taps; ++t)
            if (tp[t] == last_px) tp[t] = tail;
        }
        const uint32_t *wp = wx;
        const int32_t *qc = q;
        for (int m = 0; m < mult; ++m, qc += TF_DWK_GROUP_WORDS) {
          int32_t a0 = qc[0], a1 = qc[1], a2 = qc[2], a3 = qc[3];
          if (in_place) {
            tf_dwk_row3(x0, c, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3(x0 + row_bytes, c, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3(x0 + 2 * row_bytes, c, &wp, &a0, &a1, &a2, &a3, 1);
          } else {
            tf_dwk_row3p(tp, 0, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3p(tp + 3, 0, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3p(tp + 6, 0, &wp, &a0, &a1, &a2, &a3, 1);
          }
          const uint32_t v = tf_dwk_out4(a0, a1, a2, a3, qc, lo4, hi4, rq, fast, full, 1);
          int8_t *const o = out + m;
          o[0] = (int8_t)v;
          o[mult] = (int8_t)(v >> 8);
          o[2 * mult] = (int8_t)(v >> 16);
        }
      }
    }
  }
}

#endif
