/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's Arm DSP few-channel row kernel (dsp_few_channels.ts): one to three input
 * channels, kernel rows read as words into CONV_2D's pair loop (conv_2d_dsp.h). */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_FEW_CHANNELS_H
#define TF_DEPTHWISE_CONV_2D_DSP_FEW_CHANNELS_H
#include "depthwise_conv_2d_dsp.h"

/*
 * One to three input channels, any depth multiplier (out_c = in_c * multiplier): a convolution over
 * the window, whose kernel rows are runs of k_w * in_c contiguous input bytes (undilated rows). Each
 * run is read a word at a time (rounded up to kw4 bytes; the weights of bytes past the run, and of
 * the other input channels' bytes, are 0) and split by SXTB16 into columns: per four bytes, words
 * A even, B even, A odd, B odd for a pixel pair. Weights: per output channel a row of
 * k4 = k_h * kw4 int8 (kernel rows of kw4, tap kx of input channel ch at kx * in_c + ch), laid out
 * with the records as CONV_2D's are (common/isa/dsp.ts withRecords), so that conv_2d_dsp.h's
 * tf_dsp_pair_channels does two pixels by two channels. Runs crossing the image's edge, and dilated
 * rows, are gathered into `run` first (the zero point standing in for the padding). With one input
 * channel that costs k_w / kw4 of the MACs, with 2 or 3 a third to a half: still well under the
 * portable C's per-MAC cost. `scratch`: k4 column words, then kw4 bytes for a gathered run.
 */
static inline __attribute__((always_inline)) void tf_dwk_gather_body(uint32_t *cols, int slot, const int8_t *image, int oy, int ox,
                                                                     const tf_dwk_geom_t *g, int kw4, int8_t *run, const int one) {
  /* one: a single input channel and undilated rows, known when the loop is instantiated */
  const int c = one ? 1 : g->in_c;
  const int dil = one ? 1 : g->dilation_w;
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const uint32_t zp4 = (uint32_t)(uint8_t)g->input_zero_point * 0x01010101u;
  const uint32_t zpe = tf_sxtb16(zp4);
  /* undilated: the pixels of the run inside the image, [lo, hi) */
  const int lo = ix0 < 0 ? -ix0 : 0;
  const int hi = g->in_w - ix0 < g->k_w ? g->in_w - ix0 : g->k_w;
  /* a run read in place: undilated, its kw4 bytes inside the image row */
  const int inside_x = dil == 1 && ix0 >= 0 && ix0 * c + kw4 <= g->in_w * c;
  uint32_t *d = cols + slot;
  for (int ky = 0; ky < g->k_h; ++ky) {
    const int iy = iy0 + ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) {
      for (int j = 0; j < kw4; j += 4, d += 4) d[0] = d[2] = zpe;
      continue;
    }
    const int8_t *src = image + (iy * g->in_w + ix0) * c;
    if (!inside_x) {
      for (int j = 0; j < kw4; j += 4) tf_write_u32(run + j, zp4);
      if (dil == 1) {
        for (int j = lo * c; j < hi * c; ++j) run[j] = src[j];
      } else {
        for (int kx = 0; kx < g->k_w; ++kx) {
          const int ix = ix0 + kx * dil;
          if (ix < 0 || ix >= g->in_w) continue;
          for (int ch = 0; ch < c; ++ch) run[kx * c + ch] = image[(iy * g->in_w + ix) * c + ch];
        }
      }
      src = run;
    }
    for (int j = 0; j < kw4; j += 4, d += 4) {
      const uint32_t v = tf_read4(src + j);
      d[0] = tf_sxtb16(v);
      d[2] = tf_sxtb16_ror8(v);
    }
  }
}

/* one pixel's columns (not inlined: the pair loop calls it three times), one copy per channel case */
static inline void tf_dwk_gather1(uint32_t *cols, int slot, const int8_t *image, int oy, int ox, const tf_dwk_geom_t *g, int kw4,
                                  int8_t *run) {
  tf_dwk_gather_body(cols, slot, image, oy, ox, g, kw4, run, 1);
}
static inline void tf_dwk_gather3(uint32_t *cols, int slot, const int8_t *image, int oy, int ox, const tf_dwk_geom_t *g, int kw4,
                                  int8_t *run) {
  tf_dwk_gather_body(cols, slot, image, oy, ox, g, kw4, run, 0);
}
#define TF_DWK_GATHER(one, ...) ((one) ? tf_dwk_gather1(__VA_ARGS__) : tf_dwk_gather3(__VA_ARGS__))

static inline __attribute__((always_inline)) void tf_dwk_single_body(const int8_t *in, int batches, const tf_dwk_geom_t *g, int out_c,
                                                                     int kw4, const int8_t *w, const tf_rq_t *rq, int8_t *out,
                                                                     void *scratch, const int one, const int fast, const int full) {
  const int k4 = g->k_h * kw4;
  const int entry = tf_dsp_entry(k4);
  uint32_t *cols = (uint32_t *)scratch;
  const uint32_t *const end = cols + k4;
  int8_t *run = (int8_t *)(void *)(cols + k4);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * (one ? 1 : g->in_c);
    int oy = 0, ox = 0;
    for (int left = g->out_h * g->out_w; left > 0; left -= 2) {
      const int ay = oy, ax = ox;
      TF_DWK_GATHER(one, cols, 0, image, ay, ax, g, kw4, run);
      if (++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      /* a lone last pixel is paired with itself: both results land on its outputs */
      int8_t *out_b = out;
      if (left > 1) {
        TF_DWK_GATHER(one, cols, 1, image, oy, ox, g, kw4, run);
        if (++ox == g->out_w) {
          ox = 0;
          ++oy;
        }
        out_b = out + out_c;
      } else {
        TF_DWK_GATHER(one, cols, 1, image, ay, ax, g, kw4, run);
      }
      tf_dsp_pair_channels(cols, k4, entry, &end, w, out_c, rq, out, out_b, fast, full);
      out = out_b + out_c;
    }
  }
}

#endif
