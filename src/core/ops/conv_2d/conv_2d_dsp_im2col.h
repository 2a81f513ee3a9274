/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP im2col pieces that its im2col kernels share: filter rows, the triple step and
 * packing, a field's gathering. */
#ifndef TF_CONV_2D_DSP_IM2COL_H
#define TF_CONV_2D_DSP_IM2COL_H
#include "conv_2d_dsp.h"

/* Filter row ky of an output pixel's receptive field, k_w * in_c int8 values: a pointer into the
 * image when the row lies inside it at dilation 1, else gathered into `tmp` (taps outside the image
 * read the input zero point, so that with the offset folded into the start they add 0). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_filter_row(int8_t *tmp, const int8_t *image, int oy, int ox, int ky,
                                                                             const tf_conv_geom_t *g) {
  const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int in_c = g->in_c;
  const int zp = -g->input_offset;
  if (iy < 0 || iy >= g->in_h) {
    memset(tmp, zp, (size_t)(g->k_w * in_c));
    return tmp;
  }
  const int8_t *const src = image + iy * g->in_w * in_c;
  if (g->dilation_w == 1 && ix0 >= 0 && ix0 + g->k_w <= g->in_w) return src + ix0 * in_c;
  for (int kx = 0; kx < g->k_w; ++kx) {
    const int ix = ix0 + kx * g->dilation_w;
    if (ix >= 0 && ix < g->in_w) {
      memcpy(tmp + kx * in_c, src + ix * in_c, (size_t)in_c);
    } else {
      memset(tmp + kx * in_c, zp, (size_t)in_c);
    }
  }
  return tmp;
}

/*
 * Three output pixels by one channel pair in the `pairs` layout (im2col layers whose rows take it):
 * per 4 values the columns hold six words, lanes (0, 2) of pixels A, B, C then lanes (1, 3), and a
 * step of 24 MACs is 3 LDM, 2 SXTB16 and 12 SMLAD (M4: 25 cycles, against 18 for the 16 MACs of the
 * two-pixel step). Thirteen registers: six accumulators (r and r + 256 s per pixel), three column
 * words (each LDM fills them for one lane pair), the two weight words, the two pointers; the raw
 * weight word is used before SXTB16 overwrites it, and the second weight word's register takes the
 * entry and the stop. Pixel counts not a multiple of 3 end with the two-pixel path.
 */
#if TF_DSP_NATIVE && defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && (__ARM_FP & 8)
/* Armv7E-M with a double-precision FPU: the Cortex-M7 (no Cortex-M4 has one), which issues a MAC
 * with a load or an ALU instruction beside it, never two multiplies, and moves LDM's registers two
 * a cycle without pairing it. The step loads its eight words one LDR at a time, each beside an
 * SMLAD, and extends the second weight word into the first one's register (free by then); its
 * last two loads fetch the next step's first weight and column words (TF_DSP_STEP3X2P_AHEAD words
 * ahead: the chunk's first two are loaded before the jump into the loop, and the pointers step
 * back past the loop), so that every SMLAD but two follows a load or an SXTB16: 13 cycles per 24
 * MACs in the timing model (docs/timing.md) against 18 with the LDMs. On the M4 and M33, whose LDM
 * moves a word a cycle and whose LDR costs 2 outside a run of loads, the LDM step stays. The words
 * read ahead past a chunk's end are the row buffers' (columns) and the records' (weights). */
#define TF_DSP_DUAL_ISSUE 1
#define TF_DSP_STEP3X2P_BYTES 88
#define TF_DSP_STEP3X2P_AHEAD 1
#define TF_DSP_STEP3X2P_PRE \
  "ldr.w %[w0], [%[w]], #4\n\t" \
  "ldr.w %[x0], [%[x]], #4\n\t"
#define TF_DSP_STEP3X2P_POST \
  "sub %[x], %[x], #4\n\t" \
  "sub %[w], %[w], #4\n\t"
#define TF_DSP_STEP3X2P \
  "smlad %[ca], %[x0], %[w0], %[ca]\n\t" \
  "ldr.w %[x1], [%[x]], #4\n\t" \
  "smlad %[cb], %[x1], %[w0], %[cb]\n\t" \
  "ldr.w %[x2], [%[x]], #4\n\t" \
  "smlad %[cc], %[x2], %[w0], %[cc]\n\t" \
  "sxtb16 %[w0], %[w0]\n\t" \
  "smlad %[ra], %[x0], %[w0], %[ra]\n\t" \
  "ldr.w %[w1], [%[w]], #4\n\t" \
  "smlad %[rb], %[x1], %[w0], %[rb]\n\t" \
  "ldr.w %[x0], [%[x]], #4\n\t" \
  "smlad %[rc], %[x2], %[w0], %[rc]\n\t" \
  "sxtb16 %[w0], %[w1]\n\t" \
  "smlad %[ra], %[x0], %[w0], %[ra]\n\t" \
  "ldr.w %[x1], [%[x]], #4\n\t" \
  "smlad %[ca], %[x0], %[w1], %[ca]\n\t" \
  "ldr.w %[x2], [%[x]], #4\n\t" \
  "smlad %[rb], %[x1], %[w0], %[rb]\n\t" \
  "smlad %[rc], %[x2], %[w0], %[rc]\n\t" \
  "ldr.w %[w0], [%[w]], #4\n\t" \
  "smlad %[cb], %[x1], %[w1], %[cb]\n\t" \
  "ldr.w %[x0], [%[x]], #4\n\t" \
  "smlad %[cc], %[x2], %[w1], %[cc]\n\t"
#else
#define TF_DSP_DUAL_ISSUE 0
#define TF_DSP_STEP3X2P_BYTES 68
#define TF_DSP_STEP3X2P_AHEAD 0
#define TF_DSP_STEP3X2P_PRE ""
#define TF_DSP_STEP3X2P_POST ""
#endif

#if TF_DSP_NATIVE && !defined(TF_DSP_STEP3X2P)
#define TF_DSP_STEP3X2P \
  "ldm.w %[x]!, {%[x0], %[x1], %[x2]}\n\t" \
  "ldm.w %[w]!, {%[w0], %[w1]}\n\t" \
  "smlad %[ca], %[x0], %[w0], %[ca]\n\t" \
  "smlad %[cb], %[x1], %[w0], %[cb]\n\t" \
  "smlad %[cc], %[x2], %[w0], %[cc]\n\t" \
  "sxtb16 %[w0], %[w0]\n\t" \
  "smlad %[ra], %[x0], %[w0], %[ra]\n\t" \
  "smlad %[rb], %[x1], %[w0], %[rb]\n\t" \
  "smlad %[rc], %[x2], %[w0], %[rc]\n\t" \
  "ldm.w %[x]!, {%[x0], %[x1], %[x2]}\n\t" \
  "smlad %[ca], %[x0], %[w1], %[ca]\n\t" \
  "smlad %[cb], %[x1], %[w1], %[cb]\n\t" \
  "smlad %[cc], %[x2], %[w1], %[cc]\n\t" \
  "sxtb16 %[w1], %[w1]\n\t" \
  "smlad %[ra], %[x0], %[w1], %[ra]\n\t" \
  "smlad %[rb], %[x1], %[w1], %[rb]\n\t" \
  "smlad %[rc], %[x2], %[w1], %[rc]\n\t"
#endif

/* Where tf_dsp_dot3x2p enters its loop: as tf_dsp_entry_pairs, in its own step size. */
static inline int tf_dsp_entry_triple(int k4) { return ((-(k4 >> 2)) & (TF_DSP_STEPS_PER_TURN - 1)) * TF_DSP_STEP3X2P_BYTES; }

#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
/* tf_dsp_pack_triple's loop out of line: four values of the three pixels a group, three LDR, six
 * SXTB16, one STM of r4..r9 (the STM's register order fixes the words'), two groups a turn after an
 * odd first one. A naked routine with its own registers, never inlined: pinned registers in an
 * inlined asm left GCC no allocation in register-hungry callers (the strided up-sampling op's phase
 * kernels: "impossible constraints"). r0 cols, r1..r3 the three pixels' values, k4 on the stack
 * (AAPCS); reads exactly k4 bytes of each pixel. */
#define TF_DSP_PACK_TRIPLE_GROUP \
  "ldr r7, [r1], #4\n\t" \
  "ldr r8, [r2], #4\n\t" \
  "ldr r9, [r3], #4\n\t" \
  "sxtb16 r4, r7\n\t" \
  "sxtb16 r5, r8\n\t" \
  "sxtb16 r6, r9\n\t" \
  "sxtb16 r7, r7, ror #8\n\t" \
  "sxtb16 r8, r8, ror #8\n\t" \
  "sxtb16 r9, r9, ror #8\n\t" \
  "stm r0!, {r4-r9}\n\t"
__attribute__((naked, noinline, unused)) static void
tf_dsp_pack_triple_asm(uint32_t *cols __attribute__((unused)), const int8_t *xa __attribute__((unused)),
                       const int8_t *xb __attribute__((unused)), const int8_t *xc __attribute__((unused)), int k4 __attribute__((unused))) {
  __asm__ volatile("ldr r12, [sp]\n\t"
                   "push {r4-r9}\n\t"
                   "lsls r4, r12, #30\n\t" /* C: bit 2 of k4, an odd group */
                   "add r12, r1, r12\n\t"
                   "bcc 2f\n\t" TF_DSP_PACK_TRIPLE_GROUP "cmp r1, r12\n\t"
                   "beq 3f\n\t"
                   "2:\n\t" TF_DSP_PACK_TRIPLE_GROUP TF_DSP_PACK_TRIPLE_GROUP "cmp r1, r12\n\t"
                   "bne 2b\n\t"
                   "3:\n\t"
                   "pop {r4-r9}\n\t"
                   "bx lr\n\t");
}
#endif

/* The values of three pixels (k4 each, a multiple of 4, at least 4) as SXTB16 halves into columns:
 * per group of four values, words 0..2 the lanes (0, 2) of pixels A, B, C, words 3..5 lanes (1, 3). */
static inline __attribute__((always_inline)) void tf_dsp_pack_triple(uint32_t *cols, const int8_t *xa, const int8_t *xb, const int8_t *xc,
                                                                     int k4) {
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  tf_dsp_pack_triple_asm(cols, xa, xb, xc, k4);
#else
  for (const int8_t *const end = xa + k4; xa < end; xa += 4, xb += 4, xc += 4, cols += 6) {
    const uint32_t a = TF_LOAD32(xa), b = TF_LOAD32(xb), c = TF_LOAD32(xc);
    cols[0] = tf_sxtb16(a);
    cols[1] = tf_sxtb16(b);
    cols[2] = tf_sxtb16(c);
    cols[3] = tf_sxtb16_ror8(a);
    cols[4] = tf_sxtb16_ror8(b);
    cols[5] = tf_sxtb16_ror8(c);
  }
#endif
}

/* One step of a pixel triple's channel pair in C: 4 values of pixels A, B, C (x[0..5], two halfword
 * pairs each) against the pair's two weight words; r in r*, the combined lanes r + 256 s in c*. */
static inline __attribute__((always_inline)) void tf_dsp_step3x2p_c(const uint32_t *x, const int8_t *w, int32_t *ra, int32_t *rb,
                                                                    int32_t *rc, int32_t *ca, int32_t *cb, int32_t *cc) {
  const uint32_t w0 = tf_read_u32(w), w1 = tf_read_u32(w + 4);
  *ca = tf_smlad(x[0], w0, *ca);
  *cb = tf_smlad(x[1], w0, *cb);
  *cc = tf_smlad(x[2], w0, *cc);
  *ra = tf_smlad(x[0], tf_sxtb16(w0), *ra);
  *rb = tf_smlad(x[1], tf_sxtb16(w0), *rb);
  *rc = tf_smlad(x[2], tf_sxtb16(w0), *rc);
  *ca = tf_smlad(x[3], w1, *ca);
  *cb = tf_smlad(x[4], w1, *cb);
  *cc = tf_smlad(x[5], w1, *cc);
  *ra = tf_smlad(x[3], tf_sxtb16(w1), *ra);
  *rb = tf_smlad(x[4], tf_sxtb16(w1), *rb);
  *rc = tf_smlad(x[5], tf_sxtb16(w1), *rc);
}

/* The odd last output channel of a pixel triple in C: { start }, k4 plain weights, { m, P } at `w`
 * (outputs of pixel A at `out`, B and C out_c and 2 out_c on). */
static inline __attribute__((always_inline)) void tf_dsp_triple_odd_channel(const uint32_t *cols, const uint32_t *end, const int8_t *w,
                                                                            int out_c, const tf_rq_t *rq, int8_t *out, const int fast,
                                                                            const int full) {
  int32_t a = (int32_t)TF_LOAD32(w), b = a, c = a;
  w += 4;
  for (const uint32_t *x = cols; x < end; x += 6, w += 4) {
    const uint32_t w1 = TF_LOAD32(w);
    const uint32_t e = tf_sxtb16(w1), o = tf_sxtb16_ror8(w1);
    a = tf_smlad(x[0], e, a);
    b = tf_smlad(x[1], e, b);
    c = tf_smlad(x[2], e, c);
    a = tf_smlad(x[3], o, a);
    b = tf_smlad(x[4], o, b);
    c = tf_smlad(x[5], o, c);
  }
  const int32_t m = (int32_t)TF_LOAD32(w), p = (int32_t)TF_LOAD32(w + 4);
  out[0] = tf_dsp_rq(a, m, p, rq, fast, full);
  out[out_c] = tf_dsp_rq(b, m, p, rq, fast, full);
  out[2 * out_c] = tf_dsp_rq(c, m, p, rq, fast, full);
}

/*
 * A whole receptive field as int8 in filter order into `dst` (k_h rows of `run` = k_w * in_c values,
 * back to back), for input channels that are not a multiple of 4 (rows that straddle the column
 * groups). Where the field lies inside the image at dilation_w 1, each row is copied a word at a
 * time: the rows of a stem are 1 to 30 bytes, which a memcpy call per row costs several times over.
 * A row's last word may run up to 3 bytes past it, into the next row (copied after it) or past the
 * field (the tail that meets zero weights, then the next buffer, gathered after it; the scratch
 * keeps 4 bytes of slack, dsp.ts); on the read side it is taken only while those bytes lie inside
 * the image. Elsewhere the rows go through tf_dsp_filter_row.
 */
static inline __attribute__((always_inline)) void tf_dsp_gather_field(int8_t *dst, const int8_t *image, int image_bytes, int oy, int ox,
                                                                      int run, const tf_conv_geom_t *g) {
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int row_step = g->dilation_h * g->in_w * g->in_c;
  const int span = (g->k_h - 1) * row_step;
  const int at = (iy0 * g->in_w + ix0) * g->in_c;
  if (g->dilation_w == 1 && iy0 >= 0 && iy0 + (g->k_h - 1) * g->dilation_h < g->in_h && ix0 >= 0 && ix0 + g->k_w <= g->in_w &&
      image_bytes - (at + span) >= ((run + 3) & ~3)) {
    const int8_t *src = image + at;
    for (const int8_t *const last = src + span;; src += row_step, dst += run) {
      for (int i = 0; i < run; i += 4) tf_write_u32(dst + i, TF_LOAD32(src + i));
      if (src == last) break;
    }
    return;
  }
  for (int ky = 0; ky < g->k_h; ++ky) {
    int8_t *const row = dst + ky * run;
    const int8_t *const r = tf_dsp_filter_row(row, image, oy, ox, ky, g);
    if (r != row) memcpy(row, r, (size_t)run);
  }
}

#endif
