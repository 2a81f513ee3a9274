/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's Arm DSP 3x3 int16-plane kernel (dsp_planes.ts): multiplier-1 3x3 layers at
 * stride 1, the image's rows widened into int16 planes, two taps per SMLAD. */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_PLANES_H
#define TF_DEPTHWISE_CONV_2D_DSP_PLANES_H
#include "depthwise_conv_2d_dsp.h"

/* acc + x.lane0 * y.lane1 + x.lane1 * y.lane0 */
static inline __attribute__((always_inline)) int32_t tf_dwk_smladx(uint32_t x, uint32_t y, int32_t acc) {
#if TF_DSP_NATIVE
  int32_t r;
  __asm__("smladx %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
#else
  return tf_smlad(x, (y >> 16) | (y << 16), acc);
#endif
}

/* One output of the plane kernels' C steps: tf_dsp_rq, or under `round` (records holding K,
 * TF_DWK_PLANE_RQK) conv_2d_dsp.h's rounding form, then the clamp to the activation range. */
static inline __attribute__((always_inline)) int8_t tf_dwk_rq1(int32_t acc, int32_t m, int32_t p, const tf_rq_t *rq, const int fast,
                                                               const int full, const int round) {
  if (!round) return (int8_t)tf_dsp_rq(acc, m, p, rq, fast, full == 1);
  const int32_t v = tf_dsp_rq_round_sat(acc, m, p, rq, 1);
  if (full == 1) return (int8_t)v;
  return (int8_t)(v > rq->act_max ? rq->act_max : v < rq->act_min ? rq->act_min : v);
}

/* Two pixels' words of four channels a, b as four channels' plane words d[0], d[cs], d[2 cs], d[3 cs]:
 * each channel's (a, b) pair of int16 (PKHBT/PKHTB, SXTB16) */
static inline __attribute__((always_inline)) void tf_dwk_widen4(uint32_t *d, int cs, uint32_t a, uint32_t b) {
  const uint32_t lo = tf_pack_lo(a, b), hi = tf_pack_hi(a, b);
  d[0] = tf_sxtb16(lo);
  d[cs] = tf_sxtb16_ror8(lo);
  d[2 * cs] = tf_sxtb16(hi);
  d[3 * cs] = tf_sxtb16_ror8(hi);
}
/* The plane words j in [jlo, jhi) whose two image columns 2j - pad_left and 2j + 1 - pad_left both
 * lie in the image: widened without the column checks, which cost as much as the widening itself
 * (M4 VWW 48x48x8: -5 % est. cycles, 24x24x32: -3 %) */
static inline __attribute__((always_inline)) int tf_dwk_plane_jlo(const tf_dwk_geom_t *g) { return (g->pad_left + 1) / 2; }
static inline __attribute__((always_inline)) int tf_dwk_plane_jhi(const tf_dwk_geom_t *g, int wh) {
  const int last = g->in_w - 2 + g->pad_left;
  const int j = last >= 0 ? last / 2 + 1 : 0;
  return j < wh ? j : wh;
}

/* Plane word j of a row (image columns 2j - pad_left and 2j + 1 - pad_left, the zero point outside
 * the image) of four channels from `row` (their first byte in the row's pixel 0) */
static inline __attribute__((always_inline)) void tf_dwk_plane_edge(uint32_t *d, int cs, const int8_t *row, const tf_dwk_geom_t *g, int j,
                                                                    int c, uint32_t z4) {
  const int ia = 2 * j - g->pad_left, ib = ia + 1;
  tf_dwk_widen4(d, cs, ia >= 0 && ia < g->in_w ? TF_LOAD32(row + ia * c) : z4, ib >= 0 && ib < g->in_w ? TF_LOAD32(row + ib * c) : z4);
}

/* Row `r` of the padded image (image row r - pad_top; the zero point outside it) of channels
 * [ch0, ch0 + 4) widened into d[j], d[cs + j], d[2 cs + j], d[3 cs + j], j < wh: columns 2j and
 * 2j + 1 (image columns 2j - pad_left and 2j + 1 - pad_left) as a word's int16 halves, two
 * pixels' words of four channels becoming four such words (PKHBT/PKHTB, SXTB16). The words at the
 * row's ends are checked, those between run in a loop of their own, not one loop testing which
 * kind each word is (M4: 22 -> 16 instructions a word). */
static inline __attribute__((always_inline)) void tf_dwk_plane_words(uint32_t *d, int cs, int wh, const int8_t *image,
                                                                     const tf_dwk_geom_t *g, int r, int ch0, int c) {
  const uint32_t z4 = (uint32_t)(uint8_t)g->input_zero_point * 0x01010101u;
  const int iy = r - g->pad_top;
  if (iy < 0 || iy >= g->in_h) {
    const uint32_t zz = tf_sxtb16(z4);
    for (int j = 0; j < wh; ++j, ++d) d[0] = d[cs] = d[2 * cs] = d[3 * cs] = zz;
    return;
  }
  const int8_t *const row = image + iy * g->in_w * c + ch0;
  const int jlo = tf_dwk_plane_jlo(g), jhi = tf_dwk_plane_jhi(g, wh);
  int j = 0;
  for (; j < jlo && j < wh; ++j, ++d) tf_dwk_plane_edge(d, cs, row, g, j, c, z4);
  const int8_t *s = row + (2 * j - g->pad_left) * c;
  for (; j < jhi; ++j, ++d, s += 2 * c) tf_dwk_widen4(d, cs, TF_LOAD32(s), TF_LOAD32(s + c));
  for (; j < wh; ++j, ++d) tf_dwk_plane_edge(d, cs, row, g, j, c, z4);
}

/* Row `r` of the padded image widened into ring slot `slot` of every channel's plane: word
 * plane[ch * 3 * wh + slot * wh + j] (tf_dwk_plane_words, four channels at a time). */
static inline __attribute__((always_inline)) void tf_dwk_plane_row(uint32_t *plane, int wh, int slot, const int8_t *image,
                                                                   const tf_dwk_geom_t *g, int r, int c) {
  const int cs = 3 * wh;
  for (int ch0 = 0; ch0 < c; ch0 += 4) tf_dwk_plane_words(plane + ch0 * cs + slot * wh, cs, wh, image, g, r, ch0, c);
}

#ifdef TF_DWK_ROW3K
/* One kernel row of tf_dwk_plane_body's pixel pair: the words (x0, x1), (x2, x3) at byte offset `oa`
 * of x, the row's weight words wa = (w0, w1), wb = (w2, w1), accumulated onto sa / sb */
#define TF_DWK_PLANE_ROW(oa, wa, wb, sb) \
  "ldr %[u], [%[x], #(" oa ")]\n\t" \
  "ldr %[v], [%[x], #(" oa " + 4)]\n\t" \
  "smlatb %[b], %[u], %[" wa "], %[" sb "]\n\t" \
  "smlad %[a], %[u], %[" wa "], %[a]\n\t" \
  "smlabb %[a], %[v], %[" wb "], %[a]\n\t" \
  "smladx %[b], %[v], %[" wb "], %[b]\n\t"
/* The pair's requantization: m and P from the frame (k0, k1), FAST's five instructions an output */
#define TF_DWK_PLANE_RQ \
  "ldr %[u], %[k0]\n\t" \
  "ldr %[v], %[k1]\n\t" \
  "smmlar %[a], %[a], %[u], %[a]\n\t" \
  "smmlar %[b], %[b], %[u], %[b]\n\t" \
  "add %[u], %[v], %[a], lsl #9\n\t" \
  "sub %[u], %[u], %[a], lsr #24\n\t" \
  "asr %[u], %[u], %[v]\n\t" \
  "ssat %[a], #8, %[u]\n\t" \
  "add %[u], %[v], %[b], lsl #9\n\t" \
  "sub %[u], %[u], %[b], lsr #24\n\t" \
  "asr %[u], %[u], %[v]\n\t" \
  "ssat %[b], #8, %[u]\n\t"
/* The same on a record of K (TF_DWK_RQK2_ASM), the zero point in k3 (no floor clamp reads it there) */
#define TF_DWK_PLANE_RQK \
  "ldr %[u], %[k0]\n\t" \
  "ldr %[v], %[k1]\n\t" \
  "smmlar %[a], %[a], %[u], %[a]\n\t" \
  "smmlar %[b], %[b], %[u], %[b]\n\t" \
  "ldr %[u], %[k3]\n\t" \
  "smmlar %[a], %[a], %[v], %[u]\n\t" \
  "smmlar %[b], %[b], %[v], %[u]\n\t" \
  "ssat %[a], #8, %[a]\n\t" \
  "ssat %[b], #8, %[b]\n\t"
/* The clamps after SSAT: none (full 1), the ceiling (TF_DWK_CEILING_ONLY), both (0) */
#define TF_DWK_PLANE_HI \
  "ldr %[u], %[k2]\n\t" \
  "cmp %[a], %[u]\n\t" \
  "it gt\n\t" \
  "movgt %[a], %[u]\n\t" \
  "cmp %[b], %[u]\n\t" \
  "it gt\n\t" \
  "movgt %[b], %[u]\n\t"
#define TF_DWK_PLANE_LO \
  "ldr %[u], %[k3]\n\t" \
  "cmp %[a], %[u]\n\t" \
  "it lt\n\t" \
  "movlt %[a], %[u]\n\t" \
  "cmp %[b], %[u]\n\t" \
  "it lt\n\t" \
  "movlt %[b], %[u]\n\t"
/* The loop over a row's pixel pairs of one channel in one block (the weights, start and pointers
 * in registers, the start, the record's m and P, the bounds and the row's end read from the frame): rows at byte offsets
 * r0, r1, r2 of x (constants: the ring's rotation), both outputs requantized (SMMLAR, dsp_requant.h's
 * FAST steps), stored c bytes apart. */
#define TF_DWK_PLANE_LOOP(rq, clamp) \
  "1:\n\t" \
  "ldr %[a], %[k5]\n\t" TF_DWK_PLANE_ROW("%c[r0]", "w00", "w01", "a") TF_DWK_PLANE_ROW("%c[r1]", "w10", "w11", "b") \
      TF_DWK_PLANE_ROW("%c[r2]", "w20", "w21", "b") rq clamp "strb %[a], [%[o]]\n\t" \
                                                             "strb %[b], [%[o], #%c[c]]\n\t" \
                                                             "add %[o], %[o], #%c[c2]\n\t" \
                                                             "add %[x], %[x], #4\n\t" \
                                                             "ldr %[u], %[k4]\n\t" \
                                                             "cmp %[x], %[u]\n\t" \
                                                             "bne 1b\n\t"
#define TF_DWK_PLANE_OPERANDS(o0, o1, o2) \
  : [a] "=&r"(acc_a), [b] "=&r"(acc_b), [u] "=&r"(u), [v] "=&r"(v), [x] "+r"(x), [o] "+r"(o) \
  : [w00] "r"(w00), [w01] "r"(w01), [w10] "r"(w10), [w11] "r"(w11), [w20] "r"(w20), [w21] "r"(w21), [k0] "m"(k[0]), [k1] "m"(k[1]), \
    [k2] "m"(k[2]), [k3] "m"(k[3]), [k4] "m"(k[4]), [k5] "m"(k[5]), [r0] "i"(o0), [r1] "i"(o1), [r2] "i"(o2), [c] "i"(c), [c2] "i"(2 * c) \
  : "cc", "memory"
/* tf_dwk_gplane_body's loop over a channel's whole image (even rows: the output rows follow each
 * other, the next row's x one word on): rows at byte offsets 0, 4 wh, 8 wh of x, the row's end
 * (`e`, moved on a row at a time) and the image's end (k4) in the frame. */
#define TF_DWK_GPLANE_LOOP(rq, clamp) \
  "1:\n\t" \
  "ldr %[a], %[k5]\n\t" TF_DWK_PLANE_ROW("0", "w00", "w01", "a") TF_DWK_PLANE_ROW("%c[r1]", "w10", "w11", "b") \
      TF_DWK_PLANE_ROW("%c[r2]", "w20", "w21", "b") rq clamp "strb %[a], [%[o]]\n\t" \
                                                             "strb %[b], [%[o], #%c[c]]\n\t" \
                                                             "add %[o], %[o], #%c[c2]\n\t" \
                                                             "add %[x], %[x], #4\n\t" \
                                                             "ldr %[u], %[e]\n\t" \
                                                             "cmp %[x], %[u]\n\t" \
                                                             "bne 1b\n\t" \
                                                             "add %[u], %[u], #%c[r1]\n\t" \
                                                             "str %[u], %[e]\n\t" \
                                                             "add %[x], %[x], #4\n\t" \
                                                             "ldr %[u], %[k4]\n\t" \
                                                             "cmp %[x], %[u]\n\t" \
                                                             "bne 1b\n\t"
#define TF_DWK_GPLANE_OPERANDS(o1, o2) \
  : [a] "=&r"(acc_a), [b] "=&r"(acc_b), [u] "=&r"(u), [v] "=&r"(v), [x] "+r"(x), [o] "+r"(o), [e] "+m"(e) \
  : [w00] "r"(w00), [w01] "r"(w01), [w10] "r"(w10), [w11] "r"(w11), [w20] "r"(w20), [w21] "r"(w21), [k0] "m"(k[0]), [k1] "m"(k[1]), \
    [k2] "m"(k[2]), [k3] "m"(k[3]), [k4] "m"(k[4]), [k5] "m"(k[5]), [r1] "i"(o1), [r2] "i"(o2), [c] "i"(c), [c2] "i"(2 * c) \
  : "cc", "memory"
#define TF_DWK_GPLANE_ASM(o1, o2) \
  do { \
    int32_t acc_a, acc_b; \
    uint32_t u, v; \
    if (round && full == 1) \
      __asm__ volatile(TF_DWK_GPLANE_LOOP(TF_DWK_PLANE_RQK, "") TF_DWK_GPLANE_OPERANDS(o1, o2)); \
    else if (round) \
      __asm__ volatile(TF_DWK_GPLANE_LOOP(TF_DWK_PLANE_RQK, TF_DWK_PLANE_HI) TF_DWK_GPLANE_OPERANDS(o1, o2)); \
    else if (full == 1) \
      __asm__ volatile(TF_DWK_GPLANE_LOOP(TF_DWK_PLANE_RQ, "") TF_DWK_GPLANE_OPERANDS(o1, o2)); \
    else if (full == TF_DWK_CEILING_ONLY) \
      __asm__ volatile(TF_DWK_GPLANE_LOOP(TF_DWK_PLANE_RQ, TF_DWK_PLANE_HI) TF_DWK_GPLANE_OPERANDS(o1, o2)); \
    else \
      __asm__ volatile(TF_DWK_GPLANE_LOOP(TF_DWK_PLANE_RQ, TF_DWK_PLANE_HI TF_DWK_PLANE_LO) TF_DWK_GPLANE_OPERANDS(o1, o2)); \
    (void)acc_a; \
    (void)acc_b; \
    (void)u; \
    (void)v; \
  } while (0)
/* Four output pixels of one channel a step (tf_dwk_plane_body and tf_dwk_gplane_body, rows of a
 * multiple of 4 pixels): A..D from the words (x0, x1), (x2, x3), (x4, x5) of each kernel row,
 *   C += SMLAD((x2, x3), (w0, w1)) + SMLABB((x4, x5), (w2, w1))
 *   D += SMLATB((x2, x3), (w0, w1)) + SMLADX((x4, x5), (w2, w1))
 * beside A and B as in the pair step: 24 multiplies and 9 loads for 36 MACs. Thirteen register
 * operands (the weights, x, four accumulators, two temporaries: what any build can allocate), so
 * the block copies its constants and the output pointer (k: m, P, the bounds, the end, the start,
 * the row's end, o) below the stack pointer on entry, `a` bringing their address, and works on
 * them there. */
#define TF_DWK_QUAD_ROW(oa, wa, wb) \
  "ldr %[u], [%[x], #(" oa ")]\n\t" \
  "ldr %[v], [%[x], #(" oa " + 4)]\n\t" \
  "smlad %[a], %[u], %[" wa "], %[a]\n\t" \
  "smlatb %[b], %[u], %[" wa "], %[b]\n\t" \
  "smlad %[c], %[v], %[" wa "], %[c]\n\t" \
  "smlatb %[d], %[v], %[" wa "], %[d]\n\t" \
  "smlabb %[a], %[v], %[" wb "], %[a]\n\t" \
  "smladx %[b], %[v], %[" wb "], %[b]\n\t" \
  "ldr %[u], [%[x], #(" oa " + 8)]\n\t" \
  "smlabb %[c], %[u], %[" wb "], %[c]\n\t" \
  "smladx %[d], %[u], %[" wb "], %[d]\n\t"
/* the first kernel row, every accumulator from the start (in a) */
#define TF_DWK_QUAD_ROW0(oa, wa, wb) \
  "ldr %[a], [sp, #20]\n\t" \
  "ldr %[u], [%[x], #(" oa ")]\n\t" \
  "ldr %[v], [%[x], #(" oa " + 4)]\n\t" \
  "smlad %[c], %[v], %[" wa "], %[a]\n\t" \
  "smlatb %[d], %[v], %[" wa "], %[a]\n\t" \
  "smlatb %[b], %[u], %[" wa "], %[a]\n\t" \
  "smlad %[a], %[u], %[" wa "], %[a]\n\t" \
  "smlabb %[a], %[v], %[" wb "], %[a]\n\t" \
  "smladx %[b], %[v], %[" wb "], %[b]\n\t" \
  "ldr %[u], [%[x], #(" oa " + 8)]\n\t" \
  "smlabb %[c], %[u], %[" wb "], %[c]\n\t" \
  "smladx %[d], %[u], %[" wb "], %[d]\n\t"
#define TF_DWK_QUAD_RQ(r) \
  "add %[u], %[v], %[" r "], lsl #9\n\t" \
  "sub %[u], %[u], %[" r "], lsr #24\n\t" \
  "asr %[u], %[u], %[v]\n\t" \
  "ssat %[" r "], #8, %[u]\n\t"
#define TF_DWK_QUAD_RQ4 TF_DWK_QUAD_RQ("a") TF_DWK_QUAD_RQ("b") TF_DWK_QUAD_RQ("c") TF_DWK_QUAD_RQ("d")
/* on a record of K (TF_DWK_RQK2_ASM), the zero point in k[3] (no floor clamp reads it there) */
#define TF_DWK_QUAD_RQK(r) \
  "smmlar %[" r "], %[" r "], %[v], %[u]\n\t" \
  "ssat %[" r "], #8, %[" r "]\n\t"
#define TF_DWK_QUAD_RQK4 "ldr %[u], [sp, #12]\n\t" TF_DWK_QUAD_RQK("a") TF_DWK_QUAD_RQK("b") TF_DWK_QUAD_RQK("c") TF_DWK_QUAD_RQK("d")
#define TF_DWK_QUAD_CLAMP(r, cond) \
  "cmp %[" r "], %[u]\n\t" \
  "it " cond "\n\t" \
  "mov" cond " %[" r "], %[u]\n\t"
#define TF_DWK_QUAD_HI \
  "ldr %[u], [sp, #8]\n\t" TF_DWK_QUAD_CLAMP("a", "gt") TF_DWK_QUAD_CLAMP("b", "gt") TF_DWK_QUAD_CLAMP("c", "gt") \
      TF_DWK_QUAD_CLAMP("d", "gt")
#define TF_DWK_QUAD_LO \
  "ldr %[u], [sp, #12]\n\t" TF_DWK_QUAD_CLAMP("a", "lt") TF_DWK_QUAD_CLAMP("b", "lt") TF_DWK_QUAD_CLAMP("c", "lt") \
      TF_DWK_QUAD_CLAMP("d", "lt")
/* the copy of k below sp, then the loop over the rows at q0, q1, q2 of x; `tail` closes it */
#define TF_DWK_QUAD_LOOP(rq, clamp, tail) \
  "sub sp, sp, #32\n\t" \
  "ldr %[u], [%[a], #0]\n\t" \
  "ldr %[v], [%[a], #4]\n\t" \
  "str %[u], [sp, #0]\n\t" \
  "str %[v], [sp, #4]\n\t" \
  "ldr %[u], [%[a], #8]\n\t" \
  "ldr %[v], [%[a], #12]\n\t" \
  "str %[u], [sp, #8]\n\t" \
  "str %[v], [sp, #12]\n\t" \
  "ldr %[u], [%[a], #16]\n\t" \
  "ldr %[v], [%[a], #20]\n\t" \
  "str %[u], [sp, #16]\n\t" \
  "str %[v], [sp, #20]\n\t" \
  "ldr %[u], [%[a], #24]\n\t" \
  "ldr %[v], [%[a], #28]\n\t" \
  "str %[u], [sp, #24]\n\t" \
  "str %[v], [sp, #28]\n\t" \
  "1:\n\t" TF_DWK_QUAD_ROW0("%c[q0]", "w00", "w01") TF_DWK_QUAD_ROW("%c[q1]", "w10", "w11") \
      TF_DWK_QUAD_ROW("%c[q2]", "w20", "w21") "ldr %[u], [sp, #0]\n\t" \
                                              "ldr %[v], [sp, #4]\n\t" \
                                              "smmlar %[a], %[a], %[u], %[a]\n\t" \
                                              "smmlar %[b], %[b], %[u], %[b]\n\t" \
                                              "smmlar %[c], %[c], %[u], %[c]\n\t" \
                                              "smmlar %[d], %[d], %[u], %[d]\n\t" rq clamp "ldr %[u], [sp, #28]\n\t" \
                                              "strb %[a], [%[u]]\n\t" \
                                              "strb %[b], [%[u], #%c[c1]]\n\t" \
                                              "strb %[c], [%[u], #%c[c2]]\n\t" \
                                              "strb %[d], [%[u], #%c[c3]]\n\t" \
                                              "add %[u], %[u], #%c[c4]\n\t" \
                                              "str %[u], [sp, #28]\n\t" \
                                              "add %[x], %[x], #8\n\t" tail "add sp, sp, #32\n\t"
/* a row (the ring): on to the row's end, k[4] */
#define TF_DWK_QUAD_ROW_END \
  "ldr %[u], [sp, #16]\n\t" \
  "cmp %[x], %[u]\n\t" \
  "bne 1b\n\t"
/* the whole image (tf_dwk_gplane_body): the row's end k[6] moved on a row at a time, the next row's
 * x one word on, up to the image's end k[4] */
#define TF_DWK_QUAD_IMAGE_END \
  "ldr %[u], [sp, #24]\n\t" \
  "cmp %[x], %[u]\n\t" \
  "bne 1b\n\t" \
  "add %[u], %[u], #%c[q1]\n\t" \
  "str %[u], [sp, #24]\n\t" \
  "add %[x], %[x], #4\n\t" \
  "ldr %[u], [sp, #16]\n\t" \
  "cmp %[x], %[u]\n\t" \
  "bne 1b\n\t"
#define TF_DWK_QUAD_OPERANDS(o0, o1, o2) \
  : [a] "+r"(kp), [b] "=&r"(acc_b), [c] "=&r"(acc_c), [d] "=&r"(acc_d), [u] "=&r"(u), [v] "=&r"(v), [x] "+r"(x) \
  : [w00] "r"(w00), [w01] "r"(w01), [w10] "r"(w10), [w11] "r"(w11), [w20] "r"(w20), [w21] "r"(w21), [q0] "i"(o0), [q1] "i"(o1), [q2] "i"(o2), \
    [c1] "i"(c), [c2] "i"(2 * c), [c3] "i"(3 * c), [c4] "i"(4 * c) \
  : "cc", "memory"
/* k: int32_t[8] (m, P, act_max, act_min, the end of x, the start, the row's end, o); rows at byte
 * offsets o0, o1, o2 of x (in tf_dwk_gplane_body o1 is also the row's step) */
#define TF_DWK_QUAD_ASM(o0, o1, o2, tail) \
  do { \
    int32_t acc_b, acc_c, acc_d; \
    uint32_t u, v; \
    const int32_t *kp = k; \
    if (round && full == 1) \
      __asm__ volatile(TF_DWK_QUAD_LOOP(TF_DWK_QUAD_RQK4, "", tail) TF_DWK_QUAD_OPERANDS(o0, o1, o2)); \
    else if (round) \
      __asm__ volatile(TF_DWK_QUAD_LOOP(TF_DWK_QUAD_RQK4, TF_DWK_QUAD_HI, tail) TF_DWK_QUAD_OPERANDS(o0, o1, o2)); \
    else if (full == 1) \
      __asm__ volatile(TF_DWK_QUAD_LOOP(TF_DWK_QUAD_RQ4, "", tail) TF_DWK_QUAD_OPERANDS(o0, o1, o2)); \
    else if (full == TF_DWK_CEILING_ONLY) \
      __asm__ volatile(TF_DWK_QUAD_LOOP(TF_DWK_QUAD_RQ4, TF_DWK_QUAD_HI, tail) TF_DWK_QUAD_OPERANDS(o0, o1, o2)); \
    else \
      __asm__ volatile(TF_DWK_QUAD_LOOP(TF_DWK_QUAD_RQ4, TF_DWK_QUAD_HI TF_DWK_QUAD_LO, tail) TF_DWK_QUAD_OPERANDS(o0, o1, o2)); \
    (void)kp; \
    (void)acc_b; \
    (void)acc_c; \
    (void)acc_d; \
    (void)u; \
    (void)v; \
  } while (0)
#define TF_DWK_PLANE_ASM(o0, o1, o2) \
  do { \
    int32_t acc_a, acc_b; \
    uint32_t u, v; \
    if (round && full == 1) \
      __asm__ volatile(TF_DWK_PLANE_LOOP(TF_DWK_PLANE_RQK, "") TF_DWK_PLANE_OPERANDS(o0, o1, o2)); \
    else if (round) \
      __asm__ volatile(TF_DWK_PLANE_LOOP(TF_DWK_PLANE_RQK, TF_DWK_PLANE_HI) TF_DWK_PLANE_OPERANDS(o0, o1, o2)); \
    else if (full == 1) \
      __asm__ volatile(TF_DWK_PLANE_LOOP(TF_DWK_PLANE_RQ, "") TF_DWK_PLANE_OPERANDS(o0, o1, o2)); \
    else if (full == TF_DWK_CEILING_ONLY) \
      __asm__ volatile(TF_DWK_PLANE_LOOP(TF_DWK_PLANE_RQ, TF_DWK_PLANE_HI) TF_DWK_PLANE_OPERANDS(o0, o1, o2)); \
    else \
      __asm__ volatile(TF_DWK_PLANE_LOOP(TF_DWK_PLANE_RQ, TF_DWK_PLANE_HI TF_DWK_PLANE_LO) TF_DWK_PLANE_OPERANDS(o0, o1, o2)); \
    (void)acc_a; \
    (void)acc_b; \
    (void)u; \
    (void)v; \
  } while (0)
#endif

/* A plane row's output A (columns 0..2 of the words at r0, r1, r2: see tf_dwk_plane_body) from st */
static inline __attribute__((always_inline)) int32_t tf_dwk_plane_a(const uint32_t *r0, const uint32_t *r1, const uint32_t *r2,
                                                                    uint32_t w00, uint32_t w01, uint32_t w10, uint32_t w11, uint32_t w20,
                                                                    uint32_t w21, int32_t st) {
  int32_t a = tf_smlad(r0[0], w00, st);
  a = tf_smlabb(r0[1], w01, a);
  a = tf_smlad(r1[0], w10, a);
  a = tf_smlabb(r1[1], w11, a);
  a = tf_smlad(r2[0], w20, a);
  return tf_smlabb(r2[1], w21, a);
}

/* The C form of a plane row (tf_dwk_plane_body, tf_dwk_gplane_body): `pairs` pixel pairs from the
 * kernel rows' words at r0, r1, r2 (one word a pair), then with `odd` the last pixel alone; the
 * outputs c bytes apart from o */
static inline __attribute__((always_inline)) void tf_dwk_plane_row_c(const uint32_t *r0, const uint32_t *r1, const uint32_t *r2, int8_t *o,
                                                                     int pairs, int odd, uint32_t w00, uint32_t w01, uint32_t w10,
                                                                     uint32_t w11, uint32_t w20, uint32_t w21, int32_t st, int32_t m,
                                                                     int32_t p, const tf_rq_t *rq, const int fast, const int full,
                                                                     const int round, const int c) {
  for (; pairs > 0; --pairs, ++r0, ++r1, ++r2, o += 2 * c) {
    const int32_t a = tf_dwk_plane_a(r0, r1, r2, w00, w01, w10, w11, w20, w21, st);
    int32_t bb = tf_smlatb(r0[0], w00, st);
    bb = tf_dwk_smladx(r0[1], w01, bb);
    bb = tf_smlatb(r1[0], w10, bb);
    bb = tf_dwk_smladx(r1[1], w11, bb);
    bb = tf_smlatb(r2[0], w20, bb);
    bb = tf_dwk_smladx(r2[1], w21, bb);
    o[0] = tf_dwk_rq1(a, m, p, rq, fast, full, round);
    o[c] = tf_dwk_rq1(bb, m, p, rq, fast, full, round);
  }
  if (odd) o[0] = tf_dwk_rq1(tf_dwk_plane_a(r0, r1, r2, w00, w01, w10, w11, w20, w21, st), m, p, rq, fast, full, round);
}

/*
 * Depth multiplier 1 under an undilated 3x3 window at stride 1, channels a multiple of 4 (dsp_common.ts
 * planeApplies): every image row widened once into int16 planes (per channel a ring of three rows
 * of 2 * wh columns, the padding written out as the input zero point, which the starts cancel as
 * above), then channel by channel over an output row, its nine weights held as int16 pairs, output
 * pixels two at a time: A (columns 0..2) and B (1..3) from the words (x0, x1) and (x2, x3) of each
 * kernel row,
 *   A += SMLAD((x0, x1), (w0, w1)) + SMLABB((x2, x3), (w2, w1))
 *   B += SMLATB((x0, x1), (w0, w1)) + SMLADX((x2, x3), (w2, w1)),
 * 12 multiplies for 18 MACs. Weights: per channel per kernel row the words (w0, w1), (w2, w1)
 * (int16, scaled by 2^lsh where the records were: dsp_common.ts laneScaling). Records { start, m, P } per
 * channel. `scratch`: the planes, in_c x 3 x wh words.
 */
static inline __attribute__((always_inline)) void tf_dwk_plane_body(const int8_t *in, int batches, const tf_dwk_geom_t *g,
                                                                    const uint32_t *w, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                    void *scratch, const int fast, const int full, const int kc,
                                                                    const int wh, const int round) {
  /* k[3] of the asm loops: the floor, or under `round` (no floor clamp then) the zero point */
  const int32_t floor_or_zp = round ? rq->out_zp : rq->act_min;
  (void)floor_or_zp;
  const int c = kc;
  const int cs = 3 * wh;
  uint32_t *const plane = (uint32_t *)scratch;
  const int pairs = g->out_w / 2;
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * c;
    tf_dwk_plane_row(plane, wh, 0, image, g, 0, c);
    tf_dwk_plane_row(plane, wh, 1, image, g, 1, c);
    for (int oy = 0; oy < g->out_h; ++oy, out += g->out_w * c) {
      tf_dwk_plane_row(plane, wh, (oy + 2) % 3, image, g, oy + 2, c);
      const int o0 = (oy % 3) * wh, o1 = ((oy + 1) % 3) * wh, o2 = ((oy + 2) % 3) * wh;
      const uint32_t *wc = w;
      const int32_t *qc = q;
      for (int ch = 0; ch < c; ++ch, wc += 6, qc += TF_RQ_FIELDS) {
        const uint32_t w00 = wc[0], w01 = wc[1], w10 = wc[2], w11 = wc[3], w20 = wc[4], w21 = wc[5];
        const int32_t st = qc[0], m = qc[1], p = qc[2];
        const uint32_t *const pc = plane + ch * cs;
        int8_t *o = out + ch;
        const uint32_t *r0 = pc + o0, *r1 = pc + o1, *r2 = pc + o2;
        int c_pairs = pairs;
#ifdef TF_DWK_ROW3K
        if (fast == 1 && pairs > 0) {
          /* the ring's rows at constant offsets from the channel's plane: one block per rotation */
          const uint32_t *x = pc + (o0 < o1 ? (o0 < o2 ? o0 : o2) : (o1 < o2 ? o1 : o2));
          /* the record, the bounds and the row's end, read from the frame */
          const int32_t k[8] = {m, p, rq->act_max, floor_or_zp, (int32_t)(intptr_t)(x + pairs), st, 0, (int32_t)(intptr_t)o};
          const int rot = oy % 3;
          if (!(g->out_w & 3)) {
            /* four pixels a step */
            if (rot == 0)
              TF_DWK_QUAD_ASM(0, 4 * wh, 8 * wh, TF_DWK_QUAD_ROW_END);
            else if (rot == 1)
              TF_DWK_QUAD_ASM(4 * wh, 8 * wh, 0, TF_DWK_QUAD_ROW_END);
            else
              TF_DWK_QUAD_ASM(8 * wh, 0, 4 * wh, TF_DWK_QUAD_ROW_END);
          } else if (rot == 0)
            TF_DWK_PLANE_ASM(0, 4 * wh, 8 * wh);
          else if (rot == 1)
            TF_DWK_PLANE_ASM(4 * wh, 8 * wh, 0);
          else
            TF_DWK_PLANE_ASM(8 * wh, 0, 4 * wh);
          r0 += pairs;
          r1 += pairs;
          r2 += pairs;
          c_pairs = 0;
        }
#endif
        tf_dwk_plane_row_c(r0, r1, r2, o, c_pairs, g->out_w & 1, w00, w01, w10, w11, w20, w21, st, m, p, rq, fast, full, round, c);
      }
    }
  }
}

/* Rows [first, first + count) of the padded image (image row r - pad_top; the zero point outside it)
 * of channels [ch0, ch0 + 4) widened (tf_dwk_plane_words) into plane rows from `at` on: channel k's
 * rows in plane[k * rows * wh ...], plane row r at r * wh. */
static inline __attribute__((always_inline)) void tf_dwk_plane_group(uint32_t *plane, int wh, int rows, int at, int first, int count,
                                                                     const int8_t *image, const tf_dwk_geom_t *g, int ch0, int c) {
  for (int r = first; r < first + count; ++r) tf_dwk_plane_words(plane + (at + r - first) * wh, rows * wh, wh, image, g, r, ch0, c);
}

/* The four channels' plane rows band and band + 1 (of `rows` a channel) moved to rows 0 and 1: the
 * next band's first two rows, whose input may lie under outputs written since */
static inline __attribute__((always_inline)) void tf_dwk_plane_carry(uint32_t *plane, int wh, int rows, int band) {
  for (int k = 0; k < 4; ++k) {
    uint32_t *const p = plane + k * rows * wh;
    for (int j = 0; j < 2 * wh; ++j) p[j] = p[band * wh + j];
  }
}

/*
 * tf_dwk_plane_body over four channels at a time (dsp_common.ts planeGroupRows: maps of 8 to 19 pixels a
 * row, and wider ones of 16 rows and more): bands of rows - 2 output rows (the whole image where it
 * fits the scratch) of those channels widened (rows - 2 + 2 padded rows of wh words each), then each
 * channel over every output row of the band with its nine weights and record held, so that a
 * channel's entry is paid once per band rather than once per row. A band after the first takes the
 * band before's last two widened rows and widens the rest: a group's outputs are written only after
 * its input rows are widened, so the output may lie exactly over the input (dsp_planes.ts planeOverlap).
 * Weights and records as tf_dwk_plane_body's. `scratch`: 4 x rows x wh words.
 */
static inline __attribute__((always_inline)) void tf_dwk_gplane_body(const int8_t *in, int batches, const tf_dwk_geom_t *g,
                                                                     const uint32_t *w, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                     void *scratch, const int fast, const int full, const int kc,
                                                                     const int wh, const int rows, const int round) {
  const int32_t floor_or_zp = round ? rq->out_zp : rq->act_min;
  (void)floor_or_zp;
  const int c = kc;
  const int cs = rows * wh;
  uint32_t *const plane = (uint32_t *)scratch;
  const int pairs = g->out_w / 2;
  const int ow = g->out_w;
  const int band = rows - 2;
  for (int b = 0; b < batches; ++b, out += g->out_h * ow * c) {
    const int8_t *image = in + b * g->in_h * g->in_w * c;
    const uint32_t *wg = w;
    const int32_t *qg = q;
    for (int ch0 = 0; ch0 < c; ch0 += 4, wg += 4 * 6, qg += 4 * TF_RQ_FIELDS)
      for (int y0 = 0; y0 < g->out_h; y0 += band) {
        const int n = g->out_h - y0 < band ? g->out_h - y0 : band;
        if (y0 == 0) {
          tf_dwk_plane_group(plane, wh, rows, 0, 0, n + 2, image, g, ch0, c);
        } else {
          tf_dwk_plane_carry(plane, wh, rows, band);
          tf_dwk_plane_group(plane, wh, rows, 2, y0 + 2, n, image, g, ch0, c);
        }
        const uint32_t *wc = wg;
        const int32_t *qc = qg;
        for (int lane = 0; lane < 4; ++lane, wc += 6, qc += TF_RQ_FIELDS) {
          const int ch = ch0 + lane;
          const uint32_t w00 = wc[0], w01 = wc[1], w10 = wc[2], w11 = wc[3], w20 = wc[4], w21 = wc[5];
          const int32_t st = qc[0], m = qc[1], p = qc[2];
          const uint32_t *pc = plane + lane * cs;
          int8_t *orow = out + y0 * ow * c + ch;
#ifdef TF_DWK_ROW3K
          if (fast == 1 && pairs > 0 && !(ow & 1)) {
            /* every row of the band in one block: wh = pairs + 1, the output rows contiguous */
            const uint32_t *x = pc;
            int32_t e = (int32_t)(intptr_t)(pc + pairs);
            int8_t *o = orow;
            const int32_t k[8] = {m, p, rq->act_max, floor_or_zp, (int32_t)(intptr_t)(pc + n * wh), st, e, (int32_t)(intptr_t)o};
            if (!(ow & 3))
              TF_DWK_QUAD_ASM(0, 4 * wh, 8 * wh, TF_DWK_QUAD_IMAGE_END);
            else
              TF_DWK_GPLANE_ASM(4 * wh, 8 * wh);
            continue;
          }
#endif
          for (int oy = 0; oy < n; ++oy, pc += wh, orow += ow * c) {
            int8_t *o = orow;
            const uint32_t *r0 = pc, *r1 = pc + wh, *r2 = pc + 2 * wh;
            int c_pairs = pairs;
#ifdef TF_DWK_ROW3K
            if (fast == 1 && pairs > 0) {
              const uint32_t *x = pc;
              const int32_t k[6] = {m, p, rq->act_max, floor_or_zp, (int32_t)(intptr_t)(x + pairs), st};
              TF_DWK_PLANE_ASM(0, 4 * wh, 8 * wh);
              r0 += pairs;
              r1 += pairs;
              r2 += pairs;
              c_pairs = 0;
            }
#endif
            tf_dwk_plane_row_c(r0, r1, r2, o, c_pairs, ow & 1, w00, w01, w10, w11, w20, w21, st, m, p, rq, fast, full, round, c);
          }
        }
      }
  }
}

#endif
