/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP im2col layers read from a band of int16 columns per output row (common/isa/dsp_conv/band_run.ts
 * bandRunAsm): the band's packing and the C around the run. */
#ifndef TF_CONV_2D_DSP_ROW_BANDS_H
#define TF_CONV_2D_DSP_ROW_BANDS_H
#include "conv_2d_dsp_bands.h"

/*
 * The im2col quad layers at dilation 1 on the Cortex-M4 and M33 (common/isa/dsp_conv/choice.ts bandRunTaken): each output row's
 * fields from a band of int16 columns instead of per-pixel columns. Band column j (image column
 * j - pad_left, the input zero point outside the image) holds the k_h filter rows' in_c values of
 * that column, four a group as SXTB16 halves (lanes 0, 2 then 1, 3), so a pixel's field (k_w
 * columns from ox stride_w) is k4 contiguous int16 values in (kx, ky, c) order, the weights laid out
 * in the same order (common/isa/dsp_conv/layouts.ts kxMajorRows), and the next pixel's field lies `off` (stride_w k_h in_c
 * 2) bytes on. The band packs each value k_h / stride_h times per row of outputs where the pixel
 * columns packed it k_h k_w / stride_h times. `run` (common/isa/dsp_conv/band_run.ts bandRunAsm) reads pixel A's words and
 * B's at that offset, `entry` the code bytes into its loop's first turn (past the block's first half
 * step), and runs a row's whole pixel pairs in one call; a lone last pixel of a row runs as a pair
 * with the columns past it, its twin's outputs into the scratch. `band`: (out_w
 * stride_w + k_w) columns of k_h in_c int16, then out_c bytes.
 */
/* `count` neighbouring image columns (in_c values each, contiguous in the image) into their band
 * columns, col_words apart: eight values a turn, then a last four */
static inline __attribute__((always_inline)) void tf_dsp_band_pack(uint32_t *dst, const int8_t *src, int count, int in_c, int col_words) {
  const int skip = col_words - in_c / 2;
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  /* one LDRD, four SXTB16 and one STM a turn (registers pinned for the STM order): the rows of a
   * layer over channels a multiple of 4 are word aligned */
  register uint32_t t0 __asm__("r0");
  register uint32_t a0 __asm__("r1");
  register uint32_t t1 __asm__("r2");
  register uint32_t a1 __asm__("r3");
  for (; count > 0; --count, dst += skip) {
    if (in_c >= 8) {
      const int8_t *const end = src + (in_c & ~7);
      __asm__ volatile("1:\n\t"
                       "ldrd %[a0], %[a1], [%[s]], #8\n\t"
                       "sxtb16 %[t0], %[a0]\n\t"
                       "sxtb16 %[a0], %[a0], ror #8\n\t"
                       "sxtb16 %[t1], %[a1]\n\t"
                       "sxtb16 %[a1], %[a1], ror #8\n\t"
                       "stm %[d]!, {%[t0], %[a0], %[t1], %[a1]}\n\t"
                       "cmp %[s], %[end]\n\t"
                       "bne 1b\n\t"
                       : [t0] "=&r"(t0), [a0] "=&r"(a0), [t1] "=&r"(t1), [a1] "=&r"(a1), [s] "+&r"(src), [d] "+&r"(dst)
                       : [end] "r"(end)
                       : "cc", "memory");
    }
    if (in_c & 4) {
      __asm__ volatile("ldr %[a0], [%[s]], #4\n\t"
                       "sxtb16 %[t0], %[a0]\n\t"
                       "sxtb16 %[a0], %[a0], ror #8\n\t"
                       "stm %[d]!, {%[t0], %[a0]}\n\t"
                       : [t0] "=&r"(t0), [a0] "=&r"(a0), [s] "+&r"(src), [d] "+&r"(dst)
                       :
                       : "memory");
    }
  }
#else
  for (; count > 0; --count, dst += skip) {
    int c = in_c;
    for (; c >= 8; c -= 8, src += 8, dst += 4) {
      const uint32_t v0 = tf_read_u32(src), v1 = tf_read_u32(src + 4);
      dst[0] = tf_sxtb16(v0);
      dst[1] = tf_sxtb16_ror8(v0);
      dst[2] = tf_sxtb16(v1);
      dst[3] = tf_sxtb16_ror8(v1);
    }
    if (c) {
      const uint32_t v = tf_read_u32(src);
      dst[0] = tf_sxtb16(v);
      dst[1] = tf_sxtb16_ror8(v);
      src += 4;
      dst += 2;
    }
  }
#endif
}

/* `count` band columns of the padding: the input zero point's word */
static inline __attribute__((always_inline)) void tf_dsp_band_fill(uint32_t *dst, int count, int in_c, int col_words, uint32_t zpw) {
  for (; count > 0; --count, dst += col_words) {
    for (int c = 0; c < in_c / 2; ++c) dst[c] = zpw;
  }
}

/* The routine's C twin with { m, P } records. */
static inline __attribute__((always_inline)) void tf_dsp_band_quad_twin(const tf_dsp_pw_run_t *s, const int8_t *w, int k4, int off,
                                                                        const tf_rq_t *rq, const int fast, const int full) {
  tf_dsp_band_quad_twin_rq(s, w, k4, off, rq, fast, full, 0);
}

static inline __attribute__((always_inline)) void tf_dsp_im2col_band_run_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                              const int8_t *w, const tf_rq_t *rq, int8_t *out,
                                                                              uint32_t *band, const int fast, const int full,
                                                                              tf_dsp_band_run_fn run, const int step_bytes, const int turn,
                                                                              const int signed_wide) {
  const int k4 = g->k4;
  const int in_c = g->in_c;
  const int out_c = g->out_c;
  const int col_words = g->k_h * in_c / 2;
  const int columns = g->out_w * g->stride_w + g->k_w;
  const int off = g->stride_w * col_words * 4;
  int8_t *const twin = (int8_t *)(void *)(band + columns * col_words);
  const int wide = fast == 2 && !signed_wide;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  /* the padding's words: the input zero point in both lanes */
  const uint32_t zpw = tf_sxtb16((uint32_t)(uint8_t)(-g->input_offset) * 0x01010101u);
  tf_dsp_pw_run_t s;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  /* the block's first half step runs before the loop: the loop runs k4 / 2 - 1 halves, entered part-way */
  s.entry = ((1 - (k4 >> 1)) & (2 * turn - 1)) * (step_bytes / 2);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * in_c;
    for (int oy = 0; oy < g->out_h; ++oy) {
      /* the band of this output row: per filter row, the columns left of the image, the image
       * row's span (column j is image column j - pad_left), the columns past it */
      for (int ky = 0; ky < g->k_h; ++ky) {
        const int iy = oy * g->stride_h - g->pad_top + ky;
        uint32_t *dst = band + ky * (in_c / 2);
        const int8_t *row = image;
        int lead = columns, span = 0;
        if (iy >= 0 && iy < g->in_h) {
          row = image + iy * g->in_w * in_c;
          lead = g->pad_left < columns ? g->pad_left : columns;
          span = g->in_w < columns - lead ? g->in_w : columns - lead;
        }
        tf_dsp_band_fill(dst, lead, in_c, col_words, zpw);
        tf_dsp_band_pack(dst + lead * col_words, row, span, in_c, col_words);
        tf_dsp_band_fill(dst + (lead + span) * col_words, columns - lead - span, in_c, col_words, zpw);
      }
#if TF_DSP_NATIVE
      /* the row's whole pixel pairs in one call, then a lone last pixel with its twin */
      (void)full;
      (void)off;
      const int pairs = g->out_w / 2;
      if (pairs > 0) {
        s.cols = band;
        s.stop = band + k4 / 2;
        s.out_a = out;
        s.out_b = out + out_c;
        s.end_a = out + out_c;
        (void)run(s.cols, w, &s, pairs);
        out += 2 * pairs * out_c;
      }
      if (g->out_w & 1) {
        s.cols = band + (g->out_w - 1) * g->stride_w * col_words;
        s.stop = s.cols + k4 / 2;
        s.out_a = out;
        s.out_b = twin;
        s.end_a = out + out_c;
        (void)run(s.cols, w, &s, 1);
        out += out_c;
      }
#else
      (void)run;
      for (int ox = 0; ox < g->out_w; ox += 2) {
        const int pair = ox + 1 < g->out_w;
        s.cols = band + ox * g->stride_w * col_words;
        s.stop = s.cols + k4 / 2;
        s.out_a = out;
        s.out_b = pair ? out + out_c : twin;
        s.end_a = out + out_c;
        tf_dsp_band_quad_twin(&s, w, k4, off, rq, fast, full);
        out += (pair ? 2 : 1) * out_c;
      }
#endif
    }
  }
}

#endif
