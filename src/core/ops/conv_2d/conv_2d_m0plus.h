/* SPDX-License-Identifier: Apache-2.0 */
/* The shared 1x1 convolution loop of the Armv6-M variant (Cortex-M0/M0+, e.g. the RP2040;
 * conv_2d/m0plus.ts): an always-inline body that a layer's template instantiates once per model (a
 * guarded static function), each layer passing its constants, so flash holds one copy however many
 * layers use it. On the device the loop, the requantization and the stores are one inline assembly
 * block per pixel pair; elsewhere (host tests) the same arithmetic runs as C.
 *
 * Two pixels share one multiply: per input channel the pair's values are packed into one word
 * X = x0 + x1 * 2^16 (a scratch row built once per pixel pair), and w * X = w x0 + w x1 2^16 (mod
 * 2^32). With w, x in [-128, 127] one product is within [-16256, 16384], two within [-32512, 32640]
 * unless both weights are -128 (2^15, which the generator refuses): the sum of two input channels'
 * products fits the signed low half exactly, so after every two input channels the
 * halves are split into the two pixels' int32 accumulators: pixel 1's takes hi = (s + 2^15) >> 16,
 * pixel 0's running total s itself (wrapping), and pixel 0's sum is that total - 2^16 pixel 1's at
 * the end (the C twin splits with SXTH: the same sums). Per channel pair the loop reads one word of
 * weights [w0(k), w0(k+1), w1(k), w1(k+1)] and two words of X: 8 MACs in 4 multiplies, 25 cycles on
 * the M0+ (single-cycle multiplier). The generator checks
 * the weight pairs and, per channel, the requantization bounds (conv_2d/m0plus.ts, packedHolds,
 * fastChannel).
 *
 * Layer blob, per channel pair: { start0, start1 } (int32, input offset and bias folded in), the
 * pair's 2k weights in that read order, { m0, P0, m1, P1 }. m is TFLM's multiplier; for a channel
 * the fast form takes (shift <= 0, bounds below), P = (rnd - 2^16) * 256 + (e + 1) with e = -shift
 * and rnd = 2^e + zp * 2^(e+1) (m0plus_rq.h's tf_m0_requant_raw, shared with DEPTHWISE_CONV_2D);
 * for the others see tf_m0_requant_wide. */
#ifndef TF_CONV_2D_M0PLUS_H
#define TF_CONV_2D_M0PLUS_H
#include "armv6m.h"

/* tf_m0_pw_t's fields the assembly reads: defined once here, checked against the struct below */
#define TF_M0_PW_K 4
#define TF_M0_PW_OUT_C 8
#define TF_M0_PW_ACT_MIN 12
#define TF_M0_PW_ACT_MAX 16
#define TF_M0_PW_C30 20

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "m0plus_rq.h"

/* A layer's constants (the assembly reads k, out_c, act_min, act_max and c30 at the offsets above). */
typedef struct {
  int32_t pixels;
  int32_t k;
  int32_t out_c;
  int32_t act_min;
  int32_t act_max;
  uint32_t c30; /* 2^30 + 2^14 */
} tf_m0_pw_t;
TF_M0_CHECK_OFFSET(tf_m0_pw_t, k, TF_M0_PW_K);
TF_M0_CHECK_OFFSET(tf_m0_pw_t, out_c, TF_M0_PW_OUT_C);
TF_M0_CHECK_OFFSET(tf_m0_pw_t, act_min, TF_M0_PW_ACT_MIN);
TF_M0_CHECK_OFFSET(tf_m0_pw_t, act_max, TF_M0_PW_ACT_MAX);
TF_M0_CHECK_OFFSET(tf_m0_pw_t, c30, TF_M0_PW_C30);

#if TF_M0_NATIVE
/* conv_2d_m0plus.S: every channel pair of one pixel pair (tf_m0_pw_pixels below, in assembly) */
void tf_m0_pw_pixels_s(const uint32_t *cols, const int8_t *w, const tf_m0_pw_t *g, int8_t *o, int32_t off1);
#endif

/* A little-endian int32 of the layer blob (4-byte aligned there; byte reads off the device, where
 * the test buffers carry no alignment promise). */
static inline __attribute__((always_inline)) int32_t tf_m0_word(const int8_t *p) {
#if TF_M0_NATIVE
  return *(const int32_t *)(const void *)p;
#else
  const uint8_t *b = (const uint8_t *)p;
  return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
#endif
}

static inline __attribute__((always_inline)) int8_t tf_m0_requant(int32_t acc, int32_t m, int32_t p, int32_t lo, int32_t hi) {
  int32_t v = tf_m0_requant_raw(acc, m, p);
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int8_t)v;
}

/* Any channel, in a layer some of whose channels the form above cannot take (a left shift: an
 * effective scale >= 1; accumulators or partial sums past +-2^30; a right shift past 30). Those
 * channels' P has bit 7 set: P = zp * 2^16 + right * 2^8 + 128 + left, with TFLite's shift split into
 * its two sides. TFLite Micro's MultiplyByQuantizedMultiplier for any int32 acc: SRDHM(acc * 2^left,
 * m), the product wrapping as its int32 arithmetic does (the TS reference's wrapInt32), then the
 * rounding right shift; tf_m0_srdhm builds SRDHM from four 16x16 products. Other channels (bit 7
 * clear: P's low byte e + 1 <= 31) keep the form above. */
static inline __attribute__((always_inline)) int8_t tf_m0_requant_wide(int32_t acc, int32_t m, int32_t p, int32_t lo, int32_t hi) {
  if (!(p & 0x80)) return tf_m0_requant(acc, m, p, lo, hi);
  const int right = (p >> 8) & 0xff;
  int32_t v = tf_m0_srdhm((int32_t)((uint32_t)acc << (p & 31)), m);
  if (right) v = tf_m0_rshift(v, right);
  v += p >> 16;
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int8_t)v;
}

/* The C twin's requantization by the instance's `wide`: 1 tf_m0_requant_wide's records, 2 ONNX
 * Runtime's (m0plus_rq.h tf_m0_rq_ort: layers that must match ONNX Runtime). */
static inline __attribute__((always_inline)) int8_t tf_m0_requant_c(int32_t acc, int32_t m, int32_t p, int32_t lo, int32_t hi, int wide) {
  return wide == 2 ? (int8_t)tf_m0_rq_ort(acc, m, p, lo, hi) : tf_m0_requant_wide(acc, m, p, lo, hi);
}

/* The pair's packed row: X[i] = x0[i] + x1[i] * 2^16 (x1 absent: the last of an odd pixel count). */
static inline __attribute__((always_inline)) void tf_m0_pack_pair(const int8_t *x0, const int8_t *x1, int k, uint32_t *cols) {
#if TF_M0_NATIVE
  /* four channels per word load where the rows are word aligned (arena tensors are; k % 4 == 0) */
  if (x1 && ((k | (int)(uintptr_t)x0) & 3) == 0) {
    const uint32_t *a4 = (const uint32_t *)(const void *)x0, *b4 = (const uint32_t *)(const void *)x1;
    for (int i = 0; i < k; i += 4, cols += 4) {
      const uint32_t a = *a4++, b = *b4++;
      cols[0] = (uint32_t)(int32_t)(int8_t)a + (uint32_t)((int32_t)(b << 24) >> 8);
      cols[1] = (uint32_t)((int32_t)(a << 16) >> 24) + ((uint32_t)((int32_t)(b << 16) >> 24) << 16);
      cols[2] = (uint32_t)((int32_t)(a << 8) >> 24) + ((uint32_t)((int32_t)(b << 8) >> 24) << 16);
      cols[3] = (uint32_t)((int32_t)a >> 24) + ((uint32_t)((int32_t)b >> 24) << 16);
    }
    return;
  }
#endif
  if (x1) {
    for (int i = 0; i < k; ++i) cols[i] = (uint32_t)(int32_t)x0[i] + ((uint32_t)(int32_t)x1[i] << 16);
  } else {
    for (int i = 0; i < k; ++i) cols[i] = (uint32_t)(int32_t)x0[i];
  }
}

/*
 * One pixel pair, every channel pair: per channel pair the accumulators start from the pair's start
 * words, run the k/2 steps (four per loop pass, entered so that the first pass runs k/2 mod 4 of
 * them; the row's 4k bytes tell which), then the four outputs are requantized, clamped and stored:
 * pixel 0's at o[c], o[c + 1], pixel 1's at o[off1 + c], o[off1 + c + 1], pixel 1's first so that
 * off1 = 0 (no pixel 1) leaves pixel 0's.
 */
static inline __attribute__((always_inline)) void tf_m0_pw_pixels(const uint32_t *cols, const int8_t *w, const tf_m0_pw_t *g, int8_t *o,
                                                                  int32_t off1, int wide) {
#if TF_M0_NATIVE
  /* the assembly requantizes with the fast form only; layers with a channel it cannot take (wide, a
   * constant of the instantiation) run the C below, also on the device */
  if (!wide) {
    tf_m0_pw_pixels_s(cols, w, g, o, off1);
    return;
  }
#endif
  {
    /* the same steps in C: the packed sums wrap as the device's registers do (unsigned: no C overflow) */
    const int k = g->k, lo = g->act_min, hi = g->act_max;
    for (int c = 0; c < g->out_c; c += 2, o += 2) {
      uint32_t a0 = (uint32_t)tf_m0_word(w), b0 = (uint32_t)tf_m0_word(w + 4);
      uint32_t a1 = a0, b1 = b0;
      w += 8;
      for (int i = 0; i < k; i += 2, w += 4) {
        const uint32_t pa = (uint32_t)w[0] * cols[i] + (uint32_t)w[1] * cols[i + 1];
        const uint32_t pb = (uint32_t)w[2] * cols[i] + (uint32_t)w[3] * cols[i + 1];
        const int32_t la = (int16_t)(pa & 0xffffu), lb = (int16_t)(pb & 0xffffu);
        a0 += (uint32_t)la;
        a1 += (uint32_t)((int32_t)(pa - (uint32_t)la) >> 16);
        b0 += (uint32_t)lb;
        b1 += (uint32_t)((int32_t)(pb - (uint32_t)lb) >> 16);
      }
      const int32_t ma = tf_m0_word(w), pa = tf_m0_word(w + 4), mb = tf_m0_word(w + 8), pb = tf_m0_word(w + 12);
      w += 16;
      if (wide) {
        o[off1] = tf_m0_requant_c((int32_t)a1, ma, pa, lo, hi, wide);
        o[0] = tf_m0_requant_c((int32_t)a0, ma, pa, lo, hi, wide);
        o[off1 + 1] = tf_m0_requant_c((int32_t)b1, mb, pb, lo, hi, wide);
        o[1] = tf_m0_requant_c((int32_t)b0, mb, pb, lo, hi, wide);
      } else {
        o[off1] = tf_m0_requant((int32_t)a1, ma, pa, lo, hi);
        o[0] = tf_m0_requant((int32_t)a0, ma, pa, lo, hi);
        o[off1 + 1] = tf_m0_requant((int32_t)b1, mb, pb, lo, hi);
        o[1] = tf_m0_requant((int32_t)b0, mb, pb, lo, hi);
      }
    }
  }
}

/* The whole layer: pixels in pairs (an odd last one alone), channels in pairs. */
static inline __attribute__((always_inline)) void tf_m0_pointwise_body(const int8_t *in, int8_t *out, const int8_t *blob, uint32_t *cols,
                                                                       const tf_m0_pw_t *g, int wide) {
  const int k = g->k, out_c = g->out_c;
  for (int p = 0; p < g->pixels; p += 2, in += 2 * k, out += 2 * out_c) {
    const int pair = p + 1 < g->pixels;
    tf_m0_pack_pair(in, pair ? in + k : 0, k, cols);
    tf_m0_pw_pixels(cols, blob, g, out, pair ? out_c : 0, wide);
  }
}

/* Any other convolution (kernel size, stride, dilation, padding, odd channel counts; groups 1): the
 * same channel-pair loop over a pixel pair's receptive fields gathered into the packed row (im2col,
 * k = kernel rows x columns x input channels in the filter's OHWI order, rounded up to even with a
 * zero-weight tap). Taps in the padding read the input zero point, which the input offset folded
 * into the start values cancels (x + input_offset = 0), so the sums are the portable kernel's. */
typedef struct {
  tf_m0_pw_t pw;    /* pixels: every output pixel of every batch; k: the taps, even; out_c: the channel pairs' */
  int32_t channels; /* all output channels: the output's pixel stride (odd: the last one runs alone) */
  int16_t in_h, in_w, in_c, out_h, out_w, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
  int16_t in_zp;
} tf_m0_conv_t;

/* X = a[i] + b[i] * 2^16 over n bytes of two sources (input rows, gathered rows or the zero-point
 * row). */
static inline __attribute__((always_inline)) uint32_t *tf_m0_pack2(const int8_t *a, const int8_t *b, int n, uint32_t *cols) {
#if TF_M0_NATIVE
  /* four taps per word load where both sources are word aligned */
  if (((n | (int)(uintptr_t)a | (int)(uintptr_t)b) & 3) == 0) {
    const uint32_t *a4 = (const uint32_t *)(const void *)a, *b4 = (const uint32_t *)(const void *)b;
    for (int i = 0; i < n; i += 4, cols += 4) {
      const uint32_t x = *a4++, y = *b4++;
      cols[0] = (uint32_t)(int32_t)(int8_t)x + (uint32_t)((int32_t)(y << 24) >> 8);
      cols[1] = (uint32_t)((int32_t)(x << 16) >> 24) + ((uint32_t)((int32_t)(y << 16) >> 24) << 16);
      cols[2] = (uint32_t)((int32_t)(x << 8) >> 24) + ((uint32_t)((int32_t)(y << 8) >> 24) << 16);
      cols[3] = (uint32_t)((int32_t)x >> 24) + ((uint32_t)((int32_t)y >> 24) << 16);
    }
    return cols;
  }
#endif
  /* two taps per pass: byte loads at immediate offsets (Thumb-1's LDRSB has only a register offset) */
  for (; n >= 2; n -= 2, a += 2, b += 2, cols += 2) {
    cols[0] = (uint32_t)(int32_t)a[0] + ((uint32_t)(int32_t)b[0] << 16);
    cols[1] = (uint32_t)(int32_t)a[1] + ((uint32_t)(int32_t)b[1] << 16);
  }
  if (n) *cols++ = (uint32_t)(int32_t)a[0] + ((uint32_t)(int32_t)b[0] << 16);
  return cols;
}

/* Where a pixel's window starts: its image, top-left tap (may lie in the padding), and the kernel
 * columns inside the image, [fx_lo, fx_hi) (all of them and dilation 1: every row is contiguous). */
typedef struct {
  const int8_t *image;
  int iy, ix, fx_lo, fx_hi, whole_rows;
} tf_m0_window_t;

static inline __attribute__((always_inline)) void tf_m0_window(const tf_m0_conv_t *g, const int8_t *in, int b, int oy, int ox,
                                                               tf_m0_window_t *w) {
  const int dil = g->dil_w, ix = ox * g->stride_w - g->pad_left;
  w->image = in + b * g->in_h * g->in_w * g->in_c;
  w->iy = oy * g->stride_h - g->pad_top;
  w->ix = ix;
  /* as the portable kernel's tap range: the first column at or after 0, the last before in_w */
  w->fx_lo = ix < 0 ? (dil - 1 - ix) / dil : 0;
  const int end = (g->in_w + dil - 1 - ix) / dil;
  w->fx_hi = end < g->k_w ? end : g->k_w;
  w->whole_rows = dil == 1 && w->fx_lo == 0 && w->fx_hi == g->k_w;
}

/* A kernel row's bytes: the image's (contiguous), the zero-point row when the image row is outside,
 * else gathered into `tmp` (the zero point where a column lies in the padding). */
static inline __attribute__((always_inline)) const int8_t *tf_m0_row(const tf_m0_conv_t *g, const tf_m0_window_t *w, int iy,
                                                                     const int8_t *zp_row, int8_t *tmp) {
  if (iy < 0 || iy >= g->in_h) return zp_row;
  const int8_t *const row = w->image + iy * g->in_w * g->in_c;
  if (w->whole_rows) return row + w->ix * g->in_c;
  const int in_c = g->in_c, row_bytes = g->k_w * in_c, lo = w->fx_lo * in_c, hi = w->fx_hi * in_c;
  for (int i = 0; i < lo; ++i) tmp[i] = (int8_t)g->in_zp;
  for (int i = hi > lo ? hi : lo; i < row_bytes; ++i) tmp[i] = (int8_t)g->in_zp;
  for (int fx = w->fx_lo; fx < w->fx_hi; ++fx) {
    const int8_t *const x = row + (w->ix + fx * g->dil_w) * in_c;
    for (int c = 0; c < in_c; ++c) tmp[fx * in_c + c] = x[c];
  }
  return tmp;
}

/* The pair's packed row over every kernel row, then the zero tap of an odd count. `tmp`: two
 * gathered rows of k_w * in_c bytes. */
static inline __attribute__((always_inline)) void tf_m0_im2col_pair(const tf_m0_conv_t *g, const tf_m0_window_t *w0,
                                                                    const tf_m0_window_t *w1, const int8_t *zp_row, int8_t *tmp0,
                                                                    int8_t *tmp1, uint32_t *cols) {
  const int row_bytes = g->k_w * g->in_c;
  for (int fy = 0; fy < g->k_h; ++fy) {
    const int dy = fy * g->dil_h;
    cols = tf_m0_pack2(tf_m0_row(g, w0, w0->iy + dy, zp_row, tmp0), tf_m0_row(g, w1, w1->iy + dy, zp_row, tmp1), row_bytes, cols);
  }
  if ((g->k_h * row_bytes) & 1) *cols = 0;
}

/* The odd last output channel of a pixel pair: blob { start, k weights rounded up to a whole word, m, P }. */
static inline __attribute__((always_inline)) void tf_m0_conv_last_channel(const uint32_t *cols, const int8_t *w, const tf_m0_conv_t *g,
                                                                          int8_t *o, int32_t off1, int wide) {
  const int k = g->pw.k;
  uint32_t a0 = (uint32_t)tf_m0_word(w), a1 = a0;
  w += 4;
  for (int i = 0; i < k; i += 2, w += 2) {
    const uint32_t s = (uint32_t)w[0] * cols[i] + (uint32_t)w[1] * cols[i + 1];
    const int32_t l = (int16_t)(s & 0xffffu);
    a0 += (uint32_t)l;
    a1 += (uint32_t)((int32_t)(s - (uint32_t)l) >> 16);
  }
  w += (k & 2); /* the weights' whole words */
  const int32_t m = tf_m0_word(w), p = tf_m0_word(w + 4);
  if (wide) {
    o[off1] = tf_m0_requant_c((int32_t)a1, m, p, g->pw.act_min, g->pw.act_max, wide);
    o[0] = tf_m0_requant_c((int32_t)a0, m, p, g->pw.act_min, g->pw.act_max, wide);
  } else {
    o[off1] = tf_m0_requant((int32_t)a1, m, p, g->pw.act_min, g->pw.act_max);
    o[0] = tf_m0_requant((int32_t)a0, m, p, g->pw.act_min, g->pw.act_max);
  }
}

/* The whole layer: output pixels in pairs (an odd last one alone, pixel 1 then repeating pixel 0's
 * window, its outputs overwritten), in order across rows and batches. `scratch`: the packed row (k
 * words), then the zero-point row and two gathered rows (k_w * in_c bytes each, rounded up to words). */
static inline __attribute__((always_inline)) void tf_m0_conv_body(const int8_t *in, int8_t *out, const int8_t *blob, uint32_t *scratch,
                                                                  const tf_m0_conv_t *g, int wide) {
  const int row_bytes = g->k_w * g->in_c, channels = g->channels;
  int8_t *const zp_row = (int8_t *)(void *)(scratch + g->pw.k);
  const int row_words = (row_bytes + 3) >> 2;
  int8_t *const tmp0 = zp_row + 4 * row_words, *const tmp1 = tmp0 + 4 * row_words;
  for (int i = 0; i < row_bytes; ++i) zp_row[i] = (int8_t)g->in_zp;
  const int8_t *const last = blob + (g->pw.out_c / 2) * (2 * g->pw.k + 24);
  int b = 0, oy = 0, ox = 0;
  for (int p = 0; p < g->pw.pixels; p += 2, out += 2 * channels) {
    tf_m0_window_t w0, w1;
    tf_m0_window(g, in, b, oy, ox, &w0);
    const int pair = p + 1 < g->pw.pixels;
    if (++ox == g->out_w) {
      ox = 0;
      if (++oy == g->out_h) oy = 0, ++b;
    }
    if (pair) {
      tf_m0_window(g, in, b, oy, ox, &w1);
      if (++ox == g->out_w) {
        ox = 0;
        if (++oy == g->out_h) oy = 0, ++b;
      }
    } else {
      w1 = w0;
    }
    tf_m0_im2col_pair(g, &w0, &w1, zp_row, tmp0, tmp1, scratch);
    const int32_t off1 = pair ? channels : 0;
    if (g->pw.out_c) tf_m0_pw_pixels(scratch, blob, &g->pw, out, off1, wide);
    if (channels & 1) tf_m0_conv_last_channel(scratch, last, g, out + channels - 1, off1, wide);
  }
}

#endif /* __ASSEMBLER__ */
#endif
