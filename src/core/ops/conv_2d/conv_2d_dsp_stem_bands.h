/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP RGB stems read from a band of a few pixels' int16 values (common/isa/dsp_conv/band_run.ts
 * bandRunAsm): the stem band's packing and the C around the run. */
#ifndef TF_CONV_2D_DSP_STEM_BANDS_H
#define TF_CONV_2D_DSP_STEM_BANDS_H
#include "conv_2d_dsp_bands.h"

/*
 * The stem band (common/isa/dsp_conv/choice.ts stemBandTaken): im2col layers over input channels not a multiple of 4
 * (RGB stems) read their fields from a band of plain int16 values per chunk of `chunk` pixels of an
 * output row. Band column j (image column x0 + j, the input zero point outside the image) holds
 * the k_h filter rows' in_c values, k_h in_c halves back to back, so a pixel's field is k
 * contiguous int16 values in (kx, ky, c) order (the weights re-laid by kxMajorRows, lanes in plain
 * order: dsp.ts plainLanes) and the next pixel's lies stride_w k_h in_c halves on (an even count:
 * every field starts on a word). The k4 - k values past a field meet zero weights (the band is
 * cleared once, so they stay defined). The chunk's whole pixel pairs run in one call of the band
 * routine (bandRunAsm), a lone last pixel in a call of its own with its twin's outputs past the band.
 */
/* one int16 half of the band (memcpy: the band is read back as words) */
static inline __attribute__((always_inline)) void tf_dsp_half(int16_t *d, int32_t v) {
  const int16_t h = (int16_t)v;
  memcpy(d, &h, 2);
}

/* Two neighbouring band columns of a 3x3 RGB stem, both inside the image (`d` word-aligned: 18 halves,
 * nine words; `r` the first column's top-left byte, `line` bytes a row): per row its six bytes in two
 * words (bytes 0-3 and 2-5), widened by SXTB16 into (b0, b2), (b1, b3), (b2, b4), (b3, b5), and each
 * output word one PKHBT or PKHTB of two of those: 36 instructions where the bytes one at a time
 * (a signed byte load and a halfword store each) took 36 accesses of 2 cycles. */
static inline __attribute__((always_inline)) void tf_dsp_stem_band_pair3x3(int16_t *d, const int8_t *r, const int line) {
  /* scalars, not arrays: the compiler keeps them in registers */
  uint32_t a0, b0, a1, b1, a2, b2;
  memcpy(&a0, r, 4), memcpy(&b0, r + 2, 4);
  memcpy(&a1, r + line, 4), memcpy(&b1, r + line + 2, 4);
  memcpy(&a2, r + 2 * line, 4), memcpy(&b2, r + 2 * line + 2, 4);
  const uint32_t e00 = tf_sxtb16(a0), o00 = tf_sxtb16_ror8(a0), e10 = tf_sxtb16(b0), o10 = tf_sxtb16_ror8(b0);
  const uint32_t e01 = tf_sxtb16(a1), o01 = tf_sxtb16_ror8(a1), e11 = tf_sxtb16(b1), o11 = tf_sxtb16_ror8(b1);
  const uint32_t e02 = tf_sxtb16(a2), o02 = tf_sxtb16_ror8(a2), e12 = tf_sxtb16(b2), o12 = tf_sxtb16_ror8(b2);
  /* column A: rows 0..2 of bytes b0 b1 b2, then column B: of b3 b4 b5, two halves a word */
  uint32_t *const w = (uint32_t *)(void *)d;
  w[0] = tf_pack_lo(e00, o00);
  w[1] = tf_pack_lo(e10, e01);
  w[2] = tf_pack_lo(o01, e11);
  w[3] = tf_pack_lo(e02, o02);
  w[4] = tf_pack_lo(e12, o10);
  w[5] = tf_pack_hi(e10, o10);
  w[6] = tf_pack_hi(o01, e11);
  w[7] = tf_pack_hi(o11, o02);
  w[8] = tf_pack_hi(e12, o12);
}

static inline __attribute__((always_inline)) void tf_dsp_stem_band_pack(int16_t *band, const int8_t *image, const tf_conv_geom_t *g, int oy,
                                                                        int x0, int columns, const int in_c, const int k_h) {
  const int col = k_h * in_c;
  const int16_t zp = (int16_t)(-g->input_offset);
  const int lead = x0 < 0 ? (-x0 < columns ? -x0 : columns) : 0;
  const int room = g->in_w - x0;
  const int inside_end = room < columns ? (room > lead ? room : lead) : columns;
  const int iy0 = oy * g->stride_h - g->pad_top;
  if (in_c == 3 && k_h == 3 && iy0 >= 0 && iy0 + 2 < g->in_h) {
    /* 3x3 over 3 channels, the three rows inside the image: a column's nine values in one short
     * loop (its code small beside the band routine's, in the STM32L4+'s 1 KB ART) */
    const int line = g->in_w * 3;
    const int8_t *r = image + (iy0 * g->in_w + x0 + lead) * 3;
    int j = 0;
    for (; j < lead; ++j)
      for (int h = 0; h < 9; ++h) tf_dsp_half(band + j * 9 + h, zp);
    /* from an even column (its halves start on a word) two columns at a time, the odd ones alone */
    int16_t *d = band + j * 9;
    if ((j & 1) && j < inside_end) {
      tf_dsp_half(d, r[0]), tf_dsp_half(d + 1, r[1]), tf_dsp_half(d + 2, r[2]);
      tf_dsp_half(d + 3, r[line]), tf_dsp_half(d + 4, r[line + 1]), tf_dsp_half(d + 5, r[line + 2]);
      tf_dsp_half(d + 6, r[2 * line]), tf_dsp_half(d + 7, r[2 * line + 1]), tf_dsp_half(d + 8, r[2 * line + 2]);
      ++j, d += 9, r += 3;
    }
    for (; j + 2 <= inside_end; j += 2, d += 18, r += 6) tf_dsp_stem_band_pair3x3(d, r, line);
    for (; j < inside_end; ++j, d += 9, r += 3) {
      tf_dsp_half(d, r[0]), tf_dsp_half(d + 1, r[1]), tf_dsp_half(d + 2, r[2]);
      tf_dsp_half(d + 3, r[line]), tf_dsp_half(d + 4, r[line + 1]), tf_dsp_half(d + 5, r[line + 2]);
      tf_dsp_half(d + 6, r[2 * line]), tf_dsp_half(d + 7, r[2 * line + 1]), tf_dsp_half(d + 8, r[2 * line + 2]);
    }
    for (; j < columns; ++j)
      for (int h = 0; h < 9; ++h) tf_dsp_half(band + j * 9 + h, zp);
    return;
  }
  for (int ky = 0; ky < k_h; ++ky) {
    const int iy = iy0 + ky;
    int16_t *d = band + ky * in_c;
    if (iy < 0 || iy >= g->in_h) {
      for (int j = 0; j < columns; ++j, d += col)
        for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, zp);
      continue;
    }
    const int8_t *src = image + (iy * g->in_w + x0 + lead) * in_c;
    int j = 0;
    for (; j < lead; ++j, d += col)
      for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, zp);
    for (; j < inside_end; ++j, d += col, src += in_c)
      for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, src[c]);
    for (; j < columns; ++j, d += col)
      for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, zp);
  }
}

static inline __attribute__((always_inline)) void
tf_dsp_im2col_stem_band_body(const int8_t *in, int batches, const tf_conv_geom_t *g, const int8_t *w, const tf_rq_t *rq, int8_t *out,
                             uint32_t *scratch, const int fast, const int full, tf_dsp_band_run_fn run, const int step_bytes,
                             const int turn, const int in_c, const int k_h, const int chunk, const int round_k) {
  const int k4 = g->k4;
  const int out_c = g->out_c;
  const int col = k_h * in_c;
  const int span = g->stride_w * col;
  const int most = chunk * g->stride_w + g->k_w;
  const int halves = most * col + (k4 - g->k_w * col);
  int16_t *const band = (int16_t *)(void *)scratch;
  int8_t *const twin = (int8_t *)(void *)(scratch + (halves + 1) / 2);
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_pw_run_t s;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  /* the rounding form (round_k: the records hold K in place of P) reads the zero point itself under FAST */
  s.zp4 = round_k && !wide ? (uint32_t)rq->out_zp : zp % 256u * 0x01010101u;
  /* the block's first half step runs before the loop: the loop runs k4 / 2 - 1 halves, entered part-way */
  s.entry = ((1 - (k4 >> 1)) & (2 * turn - 1)) * (step_bytes / 2);
  /* the values past the last field meet zero weights: defined, once */
  memset(band, 0, (size_t)halves * 2u);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * in_c;
    for (int oy = 0; oy < g->out_h; ++oy) {
      for (int ox = 0; ox < g->out_w; ox += chunk) {
        const int n = g->out_w - ox < chunk ? g->out_w - ox : chunk;
        tf_dsp_stem_band_pack(band, image, g, oy, ox * g->stride_w - g->pad_left, (n - 1) * g->stride_w + g->k_w, in_c, k_h);
#if TF_DSP_NATIVE
        (void)full;
        (void)round_k;
        const int pairs = n / 2;
        if (pairs > 0) {
          s.cols = (const uint32_t *)(const void *)band;
          s.stop = s.cols + k4 / 2;
          s.out_a = out;
          s.out_b = out + out_c;
          s.end_a = out + out_c;
          (void)run(s.cols, w, &s, pairs);
          out += 2 * pairs * out_c;
        }
        if (n & 1) {
          s.cols = (const uint32_t *)(const void *)(band + (n - 1) * span);
          s.stop = s.cols + k4 / 2;
          s.out_a = out;
          s.out_b = twin;
          s.end_a = out + out_c;
          (void)run(s.cols, w, &s, 1);
          out += out_c;
        }
#else
        (void)run;
        for (int i = 0; i < n; i += 2) {
          const int pair = i + 1 < n;
          s.cols = (const uint32_t *)(const void *)(band + i * span);
          s.stop = s.cols + k4 / 2;
          s.out_a = out;
          s.out_b = pair ? out + out_c : twin;
          s.end_a = out + out_c;
          tf_dsp_band_quad_twin_rq(&s, w, k4, span * 2, rq, fast, full, round_k);
          out += (pair ? 2 : 1) * out_c;
        }
#endif
      }
    }
  }
}

#endif
