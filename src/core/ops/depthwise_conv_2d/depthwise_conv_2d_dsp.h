/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's int8 Arm DSP kernels (Armv7E-M, Armv8-M Mainline): always-inline bodies that
 * a layer's template instantiates once per model and requantization mode (ctx.defineOnce).
 *
 * Output pixels whose window lies inside the image (the generator gives their range) read every
 * tap at a constant offset, no checks. The others read through one pointer per tap, a row of the
 * input zero point standing in for the padding: that adds w * z_in, which the compile-time starts
 * cancel (they fold -z_in * sum(w) in), the same as TFLite Micro skipping the tap. Weights stay
 * int8 in flash, re-laid at compile time in the order the loops read them (same byte count); the
 * multiplier-1 kernel extends them to 16 bits in its scratch for the time of the call. The
 * int16-plane kernel (3x3, stride 1, rows of 20 pixels and more) widens the image's rows instead,
 * its padding written out as the zero point, and reads int16 weight pairs from flash. Where a
 * layer's activation floor is at or above its output zero point and every shift is 2 or more, the
 * mask and plane kernels' records hold K = 2^(32 - shift) in place of P and requantize in three
 * instructions (dsp_common.ts roundsHalfUp; M4 VWW: -4.8 % estimated cycles over the depthwise layers). */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_H
#define TF_DEPTHWISE_CONV_2D_DSP_H
#include <stdint.h>
#include <string.h>
#include "arm_dsp.h"
#include "dsp_requant.h"
/* the one-channel kernel runs CONV_2D's pair loop (tf_dsp_pair_channels, tf_dsp_entry) */
#include "conv_2d_dsp.h"

typedef struct {
  int16_t in_h, in_w, in_c;
  int16_t out_h, out_w;
  int16_t k_h, k_w;
  int16_t stride_h, stride_w, dilation_h, dilation_w;
  int16_t pad_top, pad_left;
  /* output rows and columns whose window lies inside the image: [lo, hi) */
  int16_t oy_lo, oy_hi, ox_lo, ox_hi;
  int16_t input_zero_point;
} tf_dwk_geom_t;

/* Tap pointers of output pixel (oy, ox): into the image, or `zp_row` for taps in the padding. */
static inline void tf_dwk_taps(const tf_dwk_geom_t *g, const int8_t *image, int oy, int ox, const int8_t *zp_row, const int8_t **tp) {
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * g->stride_w - g->pad_left;
  for (int ky = 0; ky < g->k_h; ++ky) {
    const int iy = iy0 + ky * g->dilation_h;
    const int row_in = iy >= 0 && iy < g->in_h;
    for (int kx = 0; kx < g->k_w; ++kx) {
      const int ix = ix0 + kx * g->dilation_w;
      *tp++ = row_in && ix >= 0 && ix < g->in_w ? image + (iy * g->in_w + ix) * g->in_c : zp_row;
    }
  }
}

/* One tap of four channels: SXTB16 splits the input word into channels (0, 2) and (1, 3), which meet
 * the weights extended the same way (we: channels 0 and 2, wo: 1 and 3) in SMLABB/SMLATT. */
#define TF_DWK_TAP(x, we, wo) \
  do { \
    const uint32_t xw_ = (x), we_ = (we), wo_ = (wo); \
    const uint32_t xe_ = tf_sxtb16(xw_), xo_ = tf_sxtb16_ror8(xw_); \
    a0 = tf_smlabb(xe_, we_, a0); \
    a2 = tf_smlatt(xe_, we_, a2); \
    a1 = tf_smlabb(xo_, wo_, a1); \
    a3 = tf_smlatt(xo_, wo_, a3); \
  } while (0)

#if TF_DSP_NATIVE
/* The same in asm, the input word loaded into %[x] by `load` (one or two LDRs) right after the
 * weights' LDRD, so that it pipelines behind it (TRM 3.3: neighbouring loads pipeline their address
 * and data phases); one block per kernel row so that the compiler cannot hoist every load and
 * extension of the unrolled taps ahead of the MACs (it then spills). Every block keeps to 11
 * register operands, which any build (frame pointer or not) can allocate. */
#define TF_DWK_MAC_ASM(load) \
  "ldrd %[we], %[wo], [%[wq]], #8\n\t" load "sxtb16 %[e], %[x]\n\t" \
  "sxtb16 %[x], %[x], ror #8\n\t" \
  "smlabb %[a0], %[e], %[we], %[a0]\n\t" \
  "smlatt %[a2], %[e], %[we], %[a2]\n\t" \
  "smlabb %[a1], %[x], %[wo], %[a1]\n\t" \
  "smlatt %[a3], %[x], %[wo], %[a3]\n\t"
/* The same with the weights read by two LDRs, the second and the input's LDR right behind the
 * first (the Cortex-M4 pipelines an LDR after an LDR, not after an LDRD: 4 cycles for the three words
 * instead of 5; dsp_common.ts splitLoads) */
#define TF_DWK_MAC2_ASM(load) \
  "ldr %[wo], [%[wq], #4]\n\t" \
  "ldr %[we], [%[wq]], #8\n\t" load "sxtb16 %[e], %[x]\n\t" \
  "sxtb16 %[x], %[x], ror #8\n\t" \
  "smlabb %[a0], %[e], %[we], %[a0]\n\t" \
  "smlatt %[a2], %[e], %[we], %[a2]\n\t" \
  "smlabb %[a1], %[x], %[wo], %[a1]\n\t" \
  "smlatt %[a3], %[x], %[wo], %[a3]\n\t"
/* three lanes (tf_dwk_c3_body): lane 3, weight 0 and never stored, left out */
#define TF_DWK_MAC3_ASM(load) \
  "ldrd %[we], %[wo], [%[wq]], #8\n\t" load "sxtb16 %[e], %[x]\n\t" \
  "sxtb16 %[x], %[x], ror #8\n\t" \
  "smlabb %[a0], %[e], %[we], %[a0]\n\t" \
  "smlatt %[a2], %[e], %[we], %[a2]\n\t" \
  "smlabb %[a1], %[x], %[wo], %[a1]\n\t"
#endif

/* Three taps of a kernel row at p, p + c, p + 2c; extended weights read on from *wp. */
static inline __attribute__((always_inline)) void tf_dwk_row3(const int8_t *p, int c, const uint32_t **wp, int32_t *acc0, int32_t *acc1,
                                                              int32_t *acc2, int32_t *acc3, const int l3) {
  int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
#if TF_DSP_NATIVE
  const uint32_t *wq = *wp;
  uint32_t x, e, we, wo;
  /* l3: lanes 0..2 only (lane 3's accumulator left as it is) */
  if (l3)
    __asm__(TF_DWK_MAC3_ASM("ldr %[x], [%[p]]\n\t") TF_DWK_MAC3_ASM("ldr %[x], [%[p], %[c]]\n\t")
                TF_DWK_MAC3_ASM("ldr %[x], [%[p], %[c], lsl #1]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we), [wo] "=&r"(wo)
            : [p] "r"(p), [c] "r"(c)
            : "memory");
  else
    __asm__(TF_DWK_MAC_ASM("ldr %[x], [%[p]]\n\t") TF_DWK_MAC_ASM("ldr %[x], [%[p], %[c]]\n\t")
                TF_DWK_MAC_ASM("ldr %[x], [%[p], %[c], lsl #1]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we),
              [wo] "=&r"(wo)
            : [p] "r"(p), [c] "r"(c)
            : "memory");
  *wp = wq;
#else
  /* the C twin runs lane 3 too: its result is dropped */
  (void)l3;
  const uint32_t *w = *wp;
  TF_DWK_TAP(TF_LOAD32(p), w[0], w[1]);
  TF_DWK_TAP(TF_LOAD32(p + c), w[2], w[3]);
  TF_DWK_TAP(TF_LOAD32(p + 2 * c), w[4], w[5]);
  *wp = w + 6;
#endif
  *acc0 = a0;
  *acc1 = a1;
  *acc2 = a2;
  *acc3 = a3;
}

/* The device's optimised build, where the kernels' asm blocks take their offsets as immediates
 * (the channel quads' tf_dwk_row3k, the plane loops); unoptimised builds keep the C twins. */
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
#define TF_DWK_ROW3K 1
#endif

/* Three taps through their pointers tp[0..2] (loaded inside the block), channel offset `ch`. */
static inline __attribute__((always_inline)) void tf_dwk_row3p(const int8_t *const *tp, int ch, const uint32_t **wp, int32_t *acc0,
                                                               int32_t *acc1, int32_t *acc2, int32_t *acc3, const int l3) {
  int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
#if TF_DSP_NATIVE
  const uint32_t *wq = *wp;
  uint32_t x, e, we, wo;
  if (l3)
    __asm__(TF_DWK_MAC3_ASM("ldr %[x], [%[tp]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                TF_DWK_MAC3_ASM("ldr %[x], [%[tp], %[tp1]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                    TF_DWK_MAC3_ASM("ldr %[x], [%[tp], %[tp2]]\n\tldr %[x], [%[x], %[ch]]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we), [wo] "=&r"(wo)
            : [tp] "r"(tp), [ch] "r"(ch), [tp1] "i"(sizeof tp[0]), [tp2] "i"(2 * sizeof tp[0])
            : "memory");
  else
    __asm__(TF_DWK_MAC_ASM("ldr %[x], [%[tp]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                TF_DWK_MAC_ASM("ldr %[x], [%[tp], %[tp1]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                    TF_DWK_MAC_ASM("ldr %[x], [%[tp], %[tp2]]\n\tldr %[x], [%[x], %[ch]]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we),
              [wo] "=&r"(wo)
            /* the offsets of tp[1] and tp[2], from the pointer size rather than written in */
            : [tp] "r"(tp), [ch] "r"(ch), [tp1] "i"(sizeof tp[0]), [tp2] "i"(2 * sizeof tp[0])
            : "memory");
  *wp = wq;
#else
  (void)l3;
  const uint32_t *w = *wp;
  TF_DWK_TAP(TF_LOAD32(tp[0] + ch), w[0], w[1]);
  TF_DWK_TAP(TF_LOAD32(tp[1] + ch), w[2], w[3]);
  TF_DWK_TAP(TF_LOAD32(tp[2] + ch), w[4], w[5]);
  *wp = w + 6;
#endif
  *acc0 = a0;
  *acc1 = a1;
  *acc2 = a2;
  *acc3 = a3;
}

/* A group of four lanes' records (dsp_common.ts groupRecords): the four accumulator starts first (loaded
 * together), then { m, P } per lane. */
#define TF_DWK_GROUP_WORDS (4 * TF_RQ_FIELDS)

/* `full` of the four-lane kernels: 1 the activation range is int8's, 0 it is narrower at both ends,
 * TF_DWK_CEILING_ONLY its floor is -128 (dsp_common.ts defineKernelInstance) */
#define TF_DWK_CEILING_ONLY 2

/* One lane of tf_dwk_out4's FAST requantization in its asm blocks: SMMLAR by m, the rounding shift
 * by P, SSAT to int8, the record {m, P} at byte `at` of q. */
#define TF_DWK_RQ_ASM(a, at) \
  "ldrd %[m], %[p], [%[q], #" #at "]\n\t" \
  "smmlar %[" a "], %[" a "], %[m], %[" a "]\n\t" \
  "add %[m], %[p], %[" a "], lsl #9\n\t" \
  "sub %[m], %[m], %[" a "], lsr #24\n\t" \
  "asr %[m], %[m], %[p]\n\t" \
  "ssat %[" a "], #8, %[m]\n\t"

/* Four outputs of a lane group as one word, lane j in byte j: each saturated to int8 by the
 * requantization (SSAT), then, when the activation range is narrower, clamped four at a time
 * (SSUB8/SEL against the range's bounds in every byte, lo4 and hi4) instead of two compares each.
 * FAST mode on the device is one asm block: an LDRD of each lane's { m, P }, dsp_requant.h's
 * SMMLAR, ADD, SUB, ASR, SSAT, then lanes (0, 2) and (1, 3) paired in halfwords (PKHBT), their low
 * bytes kept (UXTB16) and interleaved (ORR with LSL 8). */
static inline __attribute__((always_inline)) uint32_t tf_dwk_out4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *q,
                                                                  uint32_t lo4, uint32_t hi4, const tf_rq_t *rq, const int fast,
                                                                  const int full, const int l3) {
  uint32_t v;
#if TF_DSP_NATIVE
  if (fast == 1 && l3) {
    /* lanes 0..2 (byte 3 left 0): lane 1's SSAT result masked to its byte instead of paired */
    int32_t m, p;
    __asm__(TF_DWK_RQ_ASM("a0", 16) TF_DWK_RQ_ASM("a1", 24) TF_DWK_RQ_ASM("a2", 32) "pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"
                                                                                    "uxtb16 %[a0], %[a0]\n\t"
                                                                                    "and %[a1], %[a1], #255\n\t"
                                                                                    "orr %[a0], %[a0], %[a1], lsl #8"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [m] "=&r"(m), [p] "=&r"(p)
            : [q] "r"(q)
            : "memory");
    (void)a3;
    v = (uint32_t)a0;
  } else if (fast == 1) {
    int32_t m, p;
    __asm__(TF_DWK_RQ_ASM("a0", 16) TF_DWK_RQ_ASM("a1", 24) TF_DWK_RQ_ASM("a2", 32)
                TF_DWK_RQ_ASM("a3", 40) "pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"
                                        "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t"
                                        "uxtb16 %[a0], %[a0]\n\t"
                                        "uxtb16 %[a1], %[a1]\n\t"
                                        "orr %[a0], %[a0], %[a1], lsl #8"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m] "=&r"(m), [p] "=&r"(p)
            : [q] "r"(q)
            : "memory");
    v = (uint32_t)a0;
  } else
#endif
  {
    const uint32_t r0 = (uint8_t)tf_dsp_rq(a0, q[4], q[5], rq, fast, 1);
    const uint32_t r1 = (uint8_t)tf_dsp_rq(a1, q[6], q[7], rq, fast, 1);
    const uint32_t r2 = (uint8_t)tf_dsp_rq(a2, q[8], q[9], rq, fast, 1);
    const uint32_t r3 = (uint8_t)tf_dsp_rq(a3, q[10], q[11], rq, fast, 1);
    v = r0 | r1 << 8 | r2 << 16 | r3 << 24;
    (void)l3;
  }
  if (full == 1) return v;
  /* a floor of -128 cuts nothing after SSAT: RELU6 under zero point -128 clamps the ceiling only */
  if (full == TF_DWK_CEILING_ONLY) return tf_smin8(v, hi4);
  return tf_smin8(tf_smax8(v, lo4), hi4);
}
#undef TF_DWK_RQ_ASM

/* One lane of tf_dwk_out8: the record { m, P } read once for the lane of both pixels. */
#define TF_DWK_RQ2_ASM(a, b, at) \
  "ldrd %[m], %[p], [%[q], #" #at "]\n\t" \
  "smmlar %[" a "], %[" a "], %[m], %[" a "]\n\t" \
  "smmlar %[" b "], %[" b "], %[m], %[" b "]\n\t" \
  "add %[t], %[p], %[" a "], lsl #9\n\t" \
  "sub %[t], %[t], %[" a "], lsr #24\n\t" \
  "asr %[t], %[t], %[p]\n\t" \
  "ssat %[" a "], #8, %[t]\n\t" \
  "add %[t], %[p], %[" b "], lsl #9\n\t" \
  "sub %[t], %[t], %[" b "], lsr #24\n\t" \
  "asr %[t], %[t], %[p]\n\t" \
  "ssat %[" b "], #8, %[t]\n\t"

/* One lane of tf_dwk_out8 on records holding K = 2^(32 - e) in place of P (common/isa/dsp.ts
 * roundRecords, common/isa/dsp_conv/run_asm.ts roundLines): h by SMMLAR as above, then
 * SMMLAR(h, K, zp), h / 2^e rounded half up with the zero point added, then SSAT: TFLite Micro's
 * rounding for h >= 0 and at most the zero point for h < 0, which a floor at or above the zero point makes the same output (dsp_common.ts
 * roundsHalfUp). Three instructions an output instead of five. */
#define TF_DWK_RQK2_ASM(a, b, at) \
  "ldrd %[m], %[p], [%[q], #" #at "]\n\t" \
  "smmlar %[" a "], %[" a "], %[m], %[" a "]\n\t" \
  "smmlar %[" b "], %[" b "], %[m], %[" b "]\n\t" \
  "smmlar %[" a "], %[" a "], %[p], %[z]\n\t" \
  "smmlar %[" b "], %[" b "], %[p], %[z]\n\t" \
  "ssat %[" a "], #8, %[" a "]\n\t" \
  "ssat %[" b "], #8, %[" b "]\n\t"
/* each pixel's lanes (0, 2) and (1, 3) paired in halfwords, low bytes kept, interleaved */
#define TF_DWK_PACK8_ASM \
  "pkhbt %[a0], %[a0], %[a2], lsl #16\n\t" \
  "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t" \
  "pkhbt %[b0], %[b0], %[b2], lsl #16\n\t" \
  "pkhbt %[b1], %[b1], %[b3], lsl #16\n\t" \
  "uxtb16 %[a0], %[a0]\n\t" \
  "uxtb16 %[a1], %[a1]\n\t" \
  "uxtb16 %[b0], %[b0]\n\t" \
  "uxtb16 %[b1], %[b1]\n\t" \
  "orr %[a0], %[a0], %[a1], lsl #8\n\t" \
  "orr %[b0], %[b0], %[b1], lsl #8"

/* tf_dwk_out4 on records holding K (TF_DWK_RQK2_ASM), FAST only: the device's assembly where
 * optimised, else the C steps of conv_2d_dsp.h's quads (the same integers). */
static inline __attribute__((always_inline)) uint32_t tf_dwk_out4_round(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *q,
                                                                        uint32_t lo4, uint32_t hi4, const tf_rq_t *rq, const int full) {
  uint32_t v;
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  int32_t m, k;
  __asm__("ldrd %[m], %[k], [%[q], #16]\n\t"
          "smmlar %[a0], %[a0], %[m], %[a0]\n\t"
          "smmlar %[a0], %[a0], %[k], %[z]\n\t"
          "ldrd %[m], %[k], [%[q], #24]\n\t"
          "smmlar %[a1], %[a1], %[m], %[a1]\n\t"
          "smmlar %[a1], %[a1], %[k], %[z]\n\t"
          "ldrd %[m], %[k], [%[q], #32]\n\t"
          "smmlar %[a2], %[a2], %[m], %[a2]\n\t"
          "smmlar %[a2], %[a2], %[k], %[z]\n\t"
          "ldrd %[m], %[k], [%[q], #40]\n\t"
          "smmlar %[a3], %[a3], %[m], %[a3]\n\t"
          "smmlar %[a3], %[a3], %[k], %[z]\n\t"
          "ssat %[a0], #8, %[a0]\n\t"
          "ssat %[a1], #8, %[a1]\n\t"
          "ssat %[a2], #8, %[a2]\n\t"
          "ssat %[a3], #8, %[a3]\n\t"
          "pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"
          "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t"
          "uxtb16 %[a0], %[a0]\n\t"
          "uxtb16 %[a1], %[a1]\n\t"
          "orr %[a0], %[a0], %[a1], lsl #8"
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m] "=&r"(m), [k] "=&r"(k)
          : [q] "r"(q), [z] "r"(rq->out_zp)
          : "memory");
  v = (uint32_t)a0;
#else
  const uint32_t r0 = (uint8_t)tf_dsp_rq_round_sat(a0, q[4], q[5], rq, 1);
  const uint32_t r1 = (uint8_t)tf_dsp_rq_round_sat(a1, q[6], q[7], rq, 1);
  const uint32_t r2 = (uint8_t)tf_dsp_rq_round_sat(a2, q[8], q[9], rq, 1);
  const uint32_t r3 = (uint8_t)tf_dsp_rq_round_sat(a3, q[10], q[11], rq, 1);
  v = r0 | r1 << 8 | r2 << 16 | r3 << 24;
#endif
  if (full == 1) return v;
  if (full == TF_DWK_CEILING_ONLY) return tf_smin8(v, hi4);
  return tf_smin8(tf_smax8(v, lo4), hi4);
}

/* tf_dwk_out4 of two pixels' accumulators of the same lane group (acc[0..3] and acc[4..7]), their
 * words in *va and *vb: in FAST mode on the device each lane's record is read once for both. The
 * asm holds 12 registers, more than GCC gives at -O0: unoptimised builds take tf_dwk_out4 twice. */
static inline __attribute__((always_inline)) void tf_dwk_out8(const int32_t *acc, const int32_t *q, uint32_t lo4, uint32_t hi4,
                                                              const tf_rq_t *rq, const int fast, const int full, const int round,
                                                              uint32_t *va, uint32_t *vb) {
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  if (fast == 1) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], b0 = acc[4], b1 = acc[5], b2 = acc[6], b3 = acc[7];
    int32_t m, p, t;
    if (round)
      __asm__(TF_DWK_RQK2_ASM("a0", "b0", 16) TF_DWK_RQK2_ASM("a1", "b1", 24) TF_DWK_RQK2_ASM("a2", "b2", 32)
                  TF_DWK_RQK2_ASM("a3", "b3", 40) TF_DWK_PACK8_ASM
              : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3),
                [m] "=&r"(m), [p] "=&r"(p)
              : [q] "r"(q), [z] "r"(rq->out_zp)
              : "memory");
    else
      __asm__(TF_DWK_RQ2_ASM("a0", "b0", 16) TF_DWK_RQ2_ASM("a1", "b1", 24) TF_DWK_RQ2_ASM("a2", "b2", 32) TF_DWK_RQ2_ASM("a3", "b3", 40)
                  TF_DWK_PACK8_ASM
              : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3),
                [m] "=&r"(m), [p] "=&r"(p), [t] "=&r"(t)
              : [q] "r"(q)
              : "memory");
    (void)t;
    uint32_t v = (uint32_t)a0, w = (uint32_t)b0;
    if (full == TF_DWK_CEILING_ONLY) {
      v = tf_smin8(v, hi4);
      w = tf_smin8(w, hi4);
    } else if (full != 1) {
      v = tf_smin8(tf_smax8(v, lo4), hi4);
      w = tf_smin8(tf_smax8(w, lo4), hi4);
    }
    *va = v;
    *vb = w;
    return;
  }
#endif
  if (round) {
    *va = tf_dwk_out4_round(acc[0], acc[1], acc[2], acc[3], q, lo4, hi4, rq, full);
    *vb = tf_dwk_out4_round(acc[4], acc[5], acc[6], acc[7], q, lo4, hi4, rq, full);
    return;
  }
  *va = tf_dwk_out4(acc[0], acc[1], acc[2], acc[3], q, lo4, hi4, rq, fast, full, 0);
  *vb = tf_dwk_out4(acc[4], acc[5], acc[6], acc[7], q, lo4, hi4, rq, fast, full, 0);
}
#undef TF_DWK_RQ2_ASM
#undef TF_DWK_RQK2_ASM
#undef TF_DWK_PACK8_ASM

/* A word of four outputs (at a multiple of 4 in the arena on the device; the host's test buffers
 * promise no alignment) */
static inline __attribute__((always_inline)) void tf_dwk_put4(int8_t *out, uint32_t v) {
#if TF_DSP_NATIVE
  *(uint32_t *)(void *)out = v;
#else
  tf_write_u32(out, v);
#endif
}

/* The activation bound in every byte of a word */
static inline uint32_t tf_dwk_bytes4(int32_t v) { return (uint32_t)(uint8_t)v * 0x01010101u; }

#endif
