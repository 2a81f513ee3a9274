/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP 1x1 layers in C loops (the `blocks in C` kernel, and the 1x1 layers whose
 * weights the assembly runs do not take at emit): pixel pairs by channel pairs in SMLAD. */
#ifndef TF_CONV_2D_DSP_POINTWISE_BLOCKS_H
#define TF_CONV_2D_DSP_POINTWISE_BLOCKS_H
#include "conv_2d_dsp.h"

/*
 * 1x1 convolution at stride 1: out[p][c] = rq(q[c].start + sum_k w[c][k] * x[p][k]), two pixels at a
 * time (k4 = channels, a multiple of 4): the columns hold SXTB16 halves (bytes 0,2 then 1,3) and so do
 * the weights, in their own byte order, once extended. `cols` holds k4 words, then (odd pixel
 * counts) out_c bytes where a lone last pixel, computed as a pair with itself, writes its twin.
 */
static inline __attribute__((always_inline)) void tf_dsp_pointwise_body(const int8_t *in, int pixels, int k4, const int8_t *w, int out_c,
                                                                        const tf_rq_t *rq, int8_t *out, uint32_t *cols, const int fast,
                                                                        const int full, const int pairs) {
  const uint32_t *const end = cols + k4;
  const int entry = pairs ? tf_dsp_entry_pairs(k4) : tf_dsp_entry(k4);
  for (int p = 0; p < pixels; p += 2, in += 2 * k4, out += 2 * out_c) {
    const int pair = p + 1 < pixels;
    tf_dsp_pack_pair(cols, in, pair ? in + k4 : in, k4);
    tf_dsp_pair_channels_in(cols, k4, entry, &end, w, out_c, rq, out, pair ? out + out_c : (int8_t *)(void *)(cols + k4), fast, full,
                            pairs);
  }
}

#endif
