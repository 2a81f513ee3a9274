/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's Arm DSP multiplier-pass kernel (dsp_multiplier_passes.ts): any depth
 * multiplier over 4 or more input channels, four input channels per step, a pass per multiplier. */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_MULTIPLIER_PASSES_H
#define TF_DEPTHWISE_CONV_2D_DSP_MULTIPLIER_PASSES_H
#include "depthwise_conv_2d_dsp.h"
#include "depthwise_conv_2d_dsp_widen.h"

/*
 * Any depth multiplier `mult` over in_c >= 4 (fewer input channels have the row kernel below):
 * output channel ch * mult + m reads input channel ch. Lanes of four input channels [s, s + 4) as in
 * the multiplier-1 kernel, one pass per m over the same input words, each pass's four results
 * stored `mult` apart. When in_c is not a multiple of 4 the last group starts at in_c - 4,
 * overlapping the one before (its lanes recomputed and stored again, the same values), so that
 * every word read stays inside its pixel. Weights in flash: per group, per m, the taps in order,
 * four int8 each (channels s + j's output m); records in groups of four lanes in the same order.
 * `scratch`: the extended weights, a pointer per tap, then the zero-point row (in_c rounded up to 4
 * bytes).
 */
static inline __attribute__((always_inline)) void tf_dwk_multm_body(const int8_t *in, int batches, const tf_dwk_geom_t *g, int mult,
                                                                    const int8_t *w, const uint8_t *lsh, const int32_t *q,
                                                                    const tf_rq_t *rq, int8_t *out, void *scratch, const int fast,
                                                                    const int full) {
  const int c = g->in_c;
  const int out_c = c * mult;
  const int groups = (c + 3) / 4;
  const int last = c - 4;
  const int taps = g->k_h * g->k_w;
  const int row_bytes = g->in_w * c;
  uint32_t *const wx = (uint32_t *)scratch;
  const int8_t **tp = (const int8_t **)(void *)(wx + 2 * taps * groups * mult);
  int8_t *zp_row = (int8_t *)(void *)(tp + taps);
  const int three = g->k_h == 3 && g->k_w == 3 && g->dilation_h == 1 && g->dilation_w == 1;
  const uint32_t lo4 = tf_dwk_bytes4(rq->act_min), hi4 = tf_dwk_bytes4(rq->act_max);
  memset(zp_row, g->input_zero_point, (size_t)(4 * groups));
  TF_DWK_WIDEN(wx, w, taps * groups * mult, taps, lsh);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_bytes;
    for (int oy = 0; oy < g->out_h; ++oy) {
      const int row_in = three && oy >= g->oy_lo && oy < g->oy_hi;
      for (int ox = 0; ox < g->out_w; ++ox, out += out_c) {
        const int in_place = row_in && ox >= g->ox_lo && ox < g->ox_hi;
        const int8_t *const x0 = image + ((oy * g->stride_h - g->pad_top) * g->in_w + ox * g->stride_w - g->pad_left) * c;
        if (!in_place) tf_dwk_taps(g, image, oy, ox, zp_row, tp);
        const uint32_t *wp = wx;
        const int32_t *qc = q;
        for (int gi = 0; gi < groups; ++gi) {
          const int s = 4 * gi < last ? 4 * gi : last;
          for (int m = 0; m < mult; ++m, qc += TF_DWK_GROUP_WORDS) {
            int32_t a0 = qc[0], a1 = qc[1], a2 = qc[2], a3 = qc[3];
            if (in_place) {
              tf_dwk_row3(x0 + s, c, &wp, &a0, &a1, &a2, &a3, 0);
              tf_dwk_row3(x0 + s + row_bytes, c, &wp, &a0, &a1, &a2, &a3, 0);
              tf_dwk_row3(x0 + s + 2 * row_bytes, c, &wp, &a0, &a1, &a2, &a3, 0);
            } else if (three) {
              tf_dwk_row3p(tp, s, &wp, &a0, &a1, &a2, &a3, 0);
              tf_dwk_row3p(tp + 3, s, &wp, &a0, &a1, &a2, &a3, 0);
              tf_dwk_row3p(tp + 6, s, &wp, &a0, &a1, &a2, &a3, 0);
            } else {
              for (int t = 0; t < taps; ++t, wp += 2) TF_DWK_TAP(TF_LOAD32(tp[t] + s), wp[0], wp[1]);
            }
            const uint32_t v = tf_dwk_out4(a0, a1, a2, a3, qc, lo4, hi4, rq, fast, full, 0);
            int8_t *const o = out + s * mult + m;
            o[0] = (int8_t)v;
            o[mult] = (int8_t)(v >> 8);
            o[2 * mult] = (int8_t)(v >> 16);
            o[3 * mult] = (int8_t)(v >> 24);
          }
        }
      }
    }
  }
}

#endif
