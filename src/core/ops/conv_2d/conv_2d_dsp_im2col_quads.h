/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP im2col layers in pixel pairs by channel quads in the quad run (common/isa/dsp_conv/quad_run.ts
 * quadRunAsm): the C around the run, filter rows packed as the 1x1 layers' pixel pairs. */
#ifndef TF_CONV_2D_DSP_IM2COL_QUADS_H
#define TF_CONV_2D_DSP_IM2COL_QUADS_H
#include "conv_2d_dsp_im2col.h"
#include "conv_2d_dsp_quad_rq.h"

/* The quads' routine's C twin with { m, P } records. */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_pw_quad_twin(const tf_dsp_pw_run_t *s, const int8_t *w, int k4,
                                                                               const tf_rq_t *rq, const int fast, const int full) {
  return tf_dsp_pw_quad_twin_rq(s, w, k4, rq, fast, full, 0);
}

/* tf_dsp_filter_row for filter rows of one word (k_w in_c = 4, common/isa/dsp_conv/choice.ts quadRows: 1, 2 or 4 input
 * channels): the padding's bytes set one by one, no memcpy / memset call per column */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_word_row(int8_t *tmp, const int8_t *image, int oy, int ox, int ky,
                                                                           const tf_conv_geom_t *g) {
  const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int in_c = g->in_c;
  const int8_t zp = (int8_t)(-g->input_offset);
  if (iy < 0 || iy >= g->in_h) {
    tmp[0] = zp;
    tmp[1] = zp;
    tmp[2] = zp;
    tmp[3] = zp;
    return tmp;
  }
  const int8_t *const src = image + iy * g->in_w * in_c;
  if (g->dilation_w == 1 && ix0 >= 0 && ix0 + g->k_w <= g->in_w) return src + ix0 * in_c;
  const int shift = in_c == 1 ? 0 : in_c == 2 ? 1 : 2;
  for (int b = 0; b < 4; ++b) {
    const int ix = ix0 + (b >> shift) * g->dilation_w;
    tmp[b] = ix >= 0 && ix < g->in_w ? src[ix * in_c + (b & (in_c - 1))] : zp;
  }
  return tmp;
}

/*
 * The im2col `pairs` layers over input channels a multiple of 4 and whole channel quads (out_c a
 * multiple of 4) on the cores without dual issue (common/isa/dsp_conv/choice.ts quadIm2colTaken): two pixels by four
 * channels a block in the 1x1 layers' quad routine `run` (common/isa/dsp_conv/quad_run.ts quadRunAsm, its weights and records
 * in withQuadRecords' layout; 0 on the host: its twin). Each pixel pair's filter rows are packed
 * into the columns as the 1x1 layers' pixel pairs (tf_dsp_pack_pair, one call a filter row): two
 * pixels of one output row whose fields lie inside the image straight from it, else through the two
 * row buffers (tf_dsp_filter_row). A last lone pixel runs as a pair with itself, its twin's outputs
 * into the scratch. `cols`: k4 words of columns, two row buffers of k_w in_c bytes, out_c bytes.
 */
static inline __attribute__((always_inline)) void tf_dsp_im2col_quad_run_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                              const int8_t *w, const tf_rq_t *rq, int8_t *out,
                                                                              uint32_t *cols, const int fast, const int full,
                                                                              tf_dsp_pw_run_fn run, const int step_bytes, const int turn,
                                                                              const int signed_wide) {
  const int k4 = g->k4;
  const int run_bytes = g->k_w * g->in_c;
  const int out_c = g->out_c;
  int8_t *const row_a = (int8_t *)(void *)(cols + k4);
  int8_t *const row_b = row_a + run_bytes;
  int8_t *const twin = row_b + run_bytes;
  /* the zero point after the unsigned clamp (WIDE), or before the SSAT (signed WIDE: the clamp on signed lanes) */
  const int wide = fast == 2 && !signed_wide;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  const int step = g->stride_w * g->in_c;
  const int line = g->in_w * g->in_c;
  tf_dsp_pw_run_t s;
  s.cols = cols;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  s.stop = cols + k4;
  /* the code bytes into the loop's first turn (bandRunAsm reads them; quadRunAsm computes its own) */
  s.entry = ((-(k4 >> 2)) & (turn - 1)) * step_bytes;
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * line;
    int oy = 0, ox = 0;
    for (int left = g->out_h * g->out_w; left > 0; left -= 2) {
      const int pair = left > 1;
      const int ay = oy, ax = ox;
      if (++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      int by = ay, bx = ax;
      if (pair) {
        by = oy;
        bx = ox;
        if (++ox == g->out_w) {
          ox = 0;
          ++oy;
        }
      }
      /* two pixels of one output row whose fields lie inside the image at dilation 1: their rows
       * straight from it, stride_w in_c bytes apart */
      const int iy0 = ay * g->stride_h - g->pad_top, ix0 = ax * g->stride_w - g->pad_left;
      const int inside = pair && by == ay && g->dilation_h == 1 && g->dilation_w == 1 && iy0 >= 0 && iy0 + g->k_h <= g->in_h && ix0 >= 0 &&
                         ix0 + g->stride_w + g->k_w <= g->in_w;
      const int8_t *src = inside ? image + (iy0 * g->in_w + ix0) * g->in_c : image;
      for (int ky = 0; ky < g->k_h; ++ky) {
        const int8_t *ra, *rb;
        if (inside) {
          ra = src;
          rb = src + step;
          src += line;
        } else if (run_bytes == 4) {
          ra = tf_dsp_word_row(row_a, image, ay, ax, ky, g);
          rb = pair ? tf_dsp_word_row(row_b, image, by, bx, ky, g) : ra;
        } else {
          ra = tf_dsp_filter_row(row_a, image, ay, ax, ky, g);
          rb = pair ? tf_dsp_filter_row(row_b, image, by, bx, ky, g) : ra;
        }
        tf_dsp_pack_pair(cols + ky * run_bytes, ra, rb, run_bytes);
      }
      s.out_a = out;
      s.out_b = pair ? out + out_c : twin;
      s.end_a = out + out_c;
#if TF_DSP_NATIVE
      (void)full;
      (void)run(cols, w, &s);
#else
      (void)run;
      (void)tf_dsp_pw_quad_twin(&s, w, k4, rq, fast, full);
#endif
      out += (pair ? 2 : 1) * out_c;
    }
  }
}

#endif
