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
 * instructions (dsp.ts roundsHalfUp; M4 VWW: -4.8 % estimated cycles over the depthwise layers). */
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
 * instead of 5; dsp.ts splitLoads) */
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

#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
/* Three taps at x + o0, x + o1, x + o2: in a layer's own instance of the multiplier-1 loop (dsp.ts
 * mult1Constants) the channel count and row length are constants, and so are these offsets, which
 * then sit in the LDRs as immediates ("J": up to 4095; a larger one takes a register). Every row
 * reads from x itself: no row pointers, no offset registers, which leaves the loop its output
 * pointer, bound and clamp word in registers. Unoptimised builds keep the C twin. */
#define TF_DWK_ROW3K 1
static inline __attribute__((always_inline)) void tf_dwk_row3k(const int8_t *x, const int o0, const int o1, const int o2,
                                                               const uint32_t **wp, int32_t *acc0, int32_t *acc1, int32_t *acc2,
                                                               int32_t *acc3, const int split) {
  int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
  const uint32_t *wq = *wp;
  uint32_t v, e, we, wo;
  /* split: the weights by two LDRs (TF_DWK_MAC2_ASM) */
  if (split)
    __asm__(TF_DWK_MAC2_ASM("ldr %[x], [%[p], %[o0]]\n\t") TF_DWK_MAC2_ASM("ldr %[x], [%[p], %[o1]]\n\t")
                TF_DWK_MAC2_ASM("ldr %[x], [%[p], %[o2]]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wq] "+r"(wq), [x] "=&r"(v), [e] "=&r"(e), [we] "=&r"(we),
              [wo] "=&r"(wo)
            : [p] "r"(x), [o0] "rJ"(o0), [o1] "rJ"(o1), [o2] "rJ"(o2)
            : "memory");
  else
    __asm__(TF_DWK_MAC_ASM("ldr %[x], [%[p], %[o0]]\n\t") TF_DWK_MAC_ASM("ldr %[x], [%[p], %[o1]]\n\t")
                TF_DWK_MAC_ASM("ldr %[x], [%[p], %[o2]]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wq] "+r"(wq), [x] "=&r"(v), [e] "=&r"(e), [we] "=&r"(we),
              [wo] "=&r"(wo)
            : [p] "r"(x), [o0] "rJ"(o0), [o1] "rJ"(o1), [o2] "rJ"(o2)
            : "memory");
  *wp = wq;
  *acc0 = a0;
  *acc1 = a1;
  *acc2 = a2;
  *acc3 = a3;
}
/* One tap of two output pixels (tf_dwk_pair3k): the weights' LDRD read once for both, each pixel's
 * input word at its own immediate offset of p. Ordered for the Cortex-M7's dual issue (an SXTB16
 * ahead of a MAC, a MAC ahead of a load). */
#define TF_DWK_PAIR_ASM(wld, o) \
  wld "ldr %[x], [%[p], #(" o ")]\n\t" \
      "sxtb16 %[e], %[x]\n\t" \
      "smlabb %[a0], %[e], %[we], %[a0]\n\t" \
      "sxtb16 %[x], %[x], ror #8\n\t" \
      "smlabb %[a1], %[x], %[wo], %[a1]\n\t" \
      "smlatt %[a2], %[e], %[we], %[a2]\n\t" \
      "smlatt %[a3], %[x], %[wo], %[a3]\n\t" \
      "ldr %[x], [%[p], #(%c[s] + " o ")]\n\t" \
      "sxtb16 %[e], %[x]\n\t" \
      "smlabb %[b0], %[e], %[we], %[b0]\n\t" \
      "sxtb16 %[x], %[x], ror #8\n\t" \
      "smlabb %[b1], %[x], %[wo], %[b1]\n\t" \
      "smlatt %[b2], %[e], %[we], %[b2]\n\t" \
      "smlatt %[b3], %[x], %[wo], %[b3]\n\t"
/* The 3x3 window of two output pixels, at p and p + s (s: the stride times the channels), rows r
 * bytes apart, channels c apart (all constants: immediates), four channels each: every weight word
 * pair feeds eight MACs. Fourteen register operands, every one the core has (r0-r12, lr): the
 * loop's other values wait on the stack for the block's time. */
/* a kernel row's three taps at row offset r, then the window's three rows */
#define TF_DWK_PAIR3_ASM(wld, r) TF_DWK_PAIR_ASM(wld, r) TF_DWK_PAIR_ASM(wld, r " + %c[c]") TF_DWK_PAIR_ASM(wld, r " + 2 * %c[c]")
#define TF_DWK_PAIR9_ASM(wld) TF_DWK_PAIR3_ASM(wld, "0") TF_DWK_PAIR3_ASM(wld, "%c[r]") TF_DWK_PAIR3_ASM(wld, "2 * %c[r]")
/* split: each tap's weights by two LDRs, the first pixel's LDR right behind them (TF_DWK_MAC2_ASM) */
static inline __attribute__((always_inline)) void tf_dwk_pair3k(const int8_t *p, const int c, const int r, const int s, const uint32_t **wp,
                                                                int32_t *acc, const int split) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], b0 = acc[4], b1 = acc[5], b2 = acc[6], b3 = acc[7];
  const uint32_t *wq = *wp;
  uint32_t x, e, we, wo;
  /* the offsets: assembler expressions of the constants c, r, s */
  if (split)
    __asm__(TF_DWK_PAIR9_ASM("ldr %[wo], [%[wq], #4]\n\tldr %[we], [%[wq]], #8\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3),
              [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we), [wo] "=&r"(wo)
            : [p] "r"(p), [c] "i"(c), [r] "i"(r), [s] "i"(s)
            : "memory");
  else
    __asm__(TF_DWK_PAIR9_ASM("ldrd %[we], %[wo], [%[wq]], #8\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3),
              [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we), [wo] "=&r"(wo)
            : [p] "r"(p), [c] "i"(c), [r] "i"(r), [s] "i"(s)
            : "memory");
  *wp = wq;
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  acc[4] = b0;
  acc[5] = b1;
  acc[6] = b2;
  acc[7] = b3;
}
#undef TF_DWK_PAIR9_ASM
#undef TF_DWK_PAIR3_ASM
#undef TF_DWK_PAIR_ASM
/* Border pixels of the same instances: three taps through tap pointers at byte offsets o0..o2 of
 * tp (constants: immediates), channel offset `ch`; every row from the one tp register. */
static inline __attribute__((always_inline)) void tf_dwk_row3pk(const int8_t *const *tp, const int o0, const int o1, const int o2, int ch,
                                                                const uint32_t **wp, int32_t *acc0, int32_t *acc1, int32_t *acc2,
                                                                int32_t *acc3, const int split) {
  int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
  const uint32_t *wq = *wp;
  uint32_t v, e, we, wo;
  if (split)
    __asm__(TF_DWK_MAC2_ASM("ldr %[x], [%[tp], %[o0]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                TF_DWK_MAC2_ASM("ldr %[x], [%[tp], %[o1]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                    TF_DWK_MAC2_ASM("ldr %[x], [%[tp], %[o2]]\n\tldr %[x], [%[x], %[ch]]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wq] "+r"(wq), [x] "=&r"(v), [e] "=&r"(e), [we] "=&r"(we),
              [wo] "=&r"(wo)
            : [tp] "r"(tp), [ch] "r"(ch), [o0] "rJ"(o0), [o1] "rJ"(o1), [o2] "rJ"(o2)
            : "memory");
  else
    __asm__(TF_DWK_MAC_ASM("ldr %[x], [%[tp], %[o0]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                TF_DWK_MAC_ASM("ldr %[x], [%[tp], %[o1]]\n\tldr %[x], [%[x], %[ch]]\n\t")
                    TF_DWK_MAC_ASM("ldr %[x], [%[tp], %[o2]]\n\tldr %[x], [%[x], %[ch]]\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wq] "+r"(wq), [x] "=&r"(v), [e] "=&r"(e), [we] "=&r"(we),
              [wo] "=&r"(wo)
            : [tp] "r"(tp), [ch] "r"(ch), [o0] "rJ"(o0), [o1] "rJ"(o1), [o2] "rJ"(o2)
            : "memory");
  *wp = wq;
  *acc0 = a0;
  *acc1 = a1;
  *acc2 = a2;
  *acc3 = a3;
}
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

/* A group of four lanes' records (dsp.ts groupRecords): the four accumulator starts first (loaded
 * together), then { m, P } per lane. */
#define TF_DWK_GROUP_WORDS (4 * TF_RQ_FIELDS)

/* `full` of the four-lane kernels: 1 the activation range is int8's, 0 it is narrower at both ends,
 * TF_DWK_CEILING_ONLY its floor is -128 (dsp.ts laneClamp) */
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

/* One lane of tf_dwk_out8 on records holding K = 2^(32 - e) in place of P (conv_2d/dsp.ts
 * roundRecords, roundLines): h by SMMLAR as above, then SMMLAR(h, K, zp), h / 2^e rounded half up
 * with the zero point added, then SSAT: TFLite Micro's rounding for h >= 0 and at most the zero
 * point for h < 0, which a floor at or above the zero point makes the same output (dsp.ts
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

/* Widens the weight words of `n` taps x lane groups into SXTB16 halves (lanes 0, 2 then 1, 3), a
 * word pair per tap. `lsh` (or null): per lane, the left shift of its requantization, applied to
 * its weights here (dsp.ts laneScaling: the start and record are scaled to match); lane group
 * k / taps. Not inlined, and the unscaled loop kept apart: the kernels' tap loops then keep their
 * accumulators in registers. */
static inline __attribute__((always_inline)) void tf_dwk_widen_plain(uint32_t *wx, const int8_t *w, int n) {
  for (int k = 0; k < n; ++k) {
    const uint32_t v = TF_LOAD32(w + 4 * k);
    wx[2 * k] = tf_sxtb16(v);
    wx[2 * k + 1] = tf_sxtb16_ror8(v);
  }
}
static __attribute__((noinline)) void tf_dwk_widen_scaled(uint32_t *wx, const int8_t *w, int n, int taps, const uint8_t *lsh) {
  for (int k = 0; k < n; ++k) {
    const uint32_t v = TF_LOAD32(w + 4 * k);
    uint32_t e = tf_sxtb16(v), o = tf_sxtb16_ror8(v);
    const uint8_t *s = lsh + 4 * (k / taps);
    /* |w| * 2^s <= 127 * 256 stays an int16 */
    e = tf_pack_lo((uint32_t)((int16_t)(e & 0xffffu) * (1 << s[0])), (uint32_t)((int16_t)(e >> 16) * (1 << s[2])));
    o = tf_pack_lo((uint32_t)((int16_t)(o & 0xffffu) * (1 << s[1])), (uint32_t)((int16_t)(o >> 16) * (1 << s[3])));
    wx[2 * k] = e;
    wx[2 * k + 1] = o;
  }
}
#define TF_DWK_WIDEN(wx, w, n, taps, lsh) \
  do { \
    if (lsh) \
      tf_dwk_widen_scaled(wx, w, n, taps, lsh); \
    else \
      tf_dwk_widen_plain(wx, w, n); \
  } while (0)

/* The activation bound in every byte of a word */
static inline uint32_t tf_dwk_bytes4(int32_t v) { return (uint32_t)(uint8_t)v * 0x01010101u; }

/*
 * Depth multiplier 1, channels a multiple of 4. Weights in flash: per group of four channels, the
 * taps in order, four int8 each (the model's [tap][channel] bytes regrouped). Each call first
 * extends them into the scratch, SXTB16 halves (channels 0, 2 and 1, 3) as a word pair per tap, so
 * that a tap of a group is one input word, one LDRD, two SXTB16 and four SMLAxy. 3x3 undilated
 * kernels have their taps unrolled. `scratch`: the extended weights (8 bytes per tap and group),
 * a pointer per tap, `in_c` bytes of the zero-point row, then (kpad) the padded copy of a band of
 * rows. With `kw` the table in flash holds the extended weights already (scaled by lsh at compile
 * time) and the scratch only the padded copy, its rows one pixel of padding apart (in_w + 1
 * pixels: a row's right padding is the next row's left), in_c bytes of padding after the last.
 */
static inline __attribute__((always_inline)) void tf_dwk_mult1_body(const int8_t *in, int batches, const tf_dwk_geom_t *g, const int8_t *w,
                                                                    const uint8_t *lsh, const int32_t *q, const tf_rq_t *rq, int8_t *out,
                                                                    void *scratch, const int fast, const int full, const int kc,
                                                                    const int krow, const int ks, const int kpad, const int split,
                                                                    const int kw) {
  /* kc, krow: the layer's channels and row bytes when its own instance is made (0: read from g);
   * ks: its stride along rows when pixels are paired (tf_dwk_pair3k), else 0; kpad: the image's
   * rows are first copied into the scratch, kpad output rows' windows (kpad + 2 rows of krow
   * bytes) at a time, with their padding (the input zero point) written out, so that every window
   * lies inside the copy (stride 1); split: the in-place and border taps read their weights by two
   * LDRs (the Cortex-M4's pipelined loads, dsp.ts splitLoads) */
  const int c = kc ? kc : g->in_c;
  const int taps = g->k_h * g->k_w;
  const int row_bytes = kc ? krow : g->in_w * c;
  (void)split;
  const int step = g->stride_w * c;
  uint32_t *const wxs = (uint32_t *)scratch;
  const int8_t **tp = (const int8_t **)(void *)(wxs + taps * c / 2);
  int8_t *zp_row = (int8_t *)(void *)(tp + taps);
  const int three = g->k_h == 3 && g->k_w == 3 && g->dilation_h == 1 && g->dilation_w == 1;
  const uint32_t lo4 = tf_dwk_bytes4(rq->act_min), hi4 = tf_dwk_bytes4(rq->act_max);
  const uint32_t *const wx = kw ? (const uint32_t *)(const void *)w : wxs;
  if (!kw) {
    memset(zp_row, g->input_zero_point, (size_t)c);
    TF_DWK_WIDEN(wxs, w, taps * c / 4, taps, lsh);
  }
  /* the padded copy: every output pixel in place, windows from its top left corner */
  int8_t *const padded = kw ? (int8_t *)scratch : zp_row + c;
  const int oy_lo = kpad ? 0 : g->oy_lo, oy_hi = kpad ? g->out_h : g->oy_hi;
  const int ox_lo = kpad ? 0 : g->ox_lo, ox_hi = kpad ? g->out_w : g->ox_hi;
  /* the copy's pixels [pad_left, pad_left + copied) from the image */
  const int copied = kpad ? (krow / c - g->pad_left < g->in_w ? krow / c - g->pad_left : g->in_w) : 0;
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * c;
    int band = 0;
    for (int oy = 0; oy < g->out_h; ++oy) {
      if (kpad && oy == band) {
        /* the next kpad output rows' windows: input rows from oy - pad_top */
        const int rows = g->out_h - oy < kpad ? g->out_h - oy + 2 : kpad + 2;
        int8_t *d = padded;
        for (int r = 0; r < rows; ++r, d += krow) {
          const int iy = oy + r - g->pad_top;
          if (iy < 0 || iy >= g->in_h) {
            memset(d, g->input_zero_point, (size_t)krow);
            continue;
          }
          memset(d, g->input_zero_point, (size_t)(g->pad_left * c));
          memcpy(d + g->pad_left * c, image + iy * g->in_w * c, (size_t)(copied * c));
          memset(d + (g->pad_left + copied) * c, g->input_zero_point, (size_t)(krow - (g->pad_left + copied) * c));
        }
        /* rows in_w + 1 pixels apart: the last row's right padding */
        if (kw) memset(d, g->input_zero_point, (size_t)c);
        band += kpad;
      }
      const int row_in = three && oy >= oy_lo && oy < oy_hi;
      /* [lo, hi): pixels read in place, with no tap pointers */
      const int lo = row_in ? ox_lo : g->out_w, hi = row_in ? ox_hi : g->out_w;
      for (int ox = 0; ox < g->out_w; ++ox) {
        if (ox == lo && lo < hi) {
          const int8_t *x0 = kpad ? padded + (oy - (band - kpad)) * krow + lo * c
                                  : image + ((oy * g->stride_h - g->pad_top) * g->in_w + lo * g->stride_w - g->pad_left) * c;
          /* its own count, not `for (; ox < hi; ++ox)` running on from the outer loop's value: a
           * loop whose start GCC learns only after it has copied and rotated it can be counted
           * negative once shapes are constants (fully_connected_dsp.h's row tail failed
           * -Werror=aggressive-loop-optimizations that way) */
#ifdef TF_DWK_ROW3K
          const int pairs = ks ? (hi - lo) / 2 : 0;
#else
          const int pairs = 0;
          (void)ks;
#endif
#ifdef TF_DWK_ROW3K
          /* two pixels at a time, ks * c bytes apart: each of their groups' weights read once */
          for (int n = pairs; n > 0; --n, ox += 2, x0 += 2 * step, out += c) {
            const int8_t *x = x0;
            const uint32_t *wp = wx;
            const int32_t *qc = q;
            for (int8_t *const end = out + c; out < end; out += 4, x += 4, qc += TF_DWK_GROUP_WORDS) {
              int32_t a[8];
              a[0] = a[4] = qc[0];
              a[1] = a[5] = qc[1];
              a[2] = a[6] = qc[2];
              a[3] = a[7] = qc[3];
              tf_dwk_pair3k(x, kc, row_bytes, ks * kc, &wp, a, split);
              uint32_t va, vb;
              tf_dwk_out8(a, qc, lo4, hi4, rq, fast, full, 0, &va, &vb);
              tf_dwk_put4(out, va);
              tf_dwk_put4(out + c, vb);
            }
          }
#endif
          for (int n = hi - lo - 2 * pairs; n > 0; --n, ++ox, x0 += step) {
            const int8_t *x = x0;
            const uint32_t *wp = wx;
            const int32_t *qc = q;
            for (int8_t *const end = out + c; out < end; out += 4, x += 4, qc += TF_DWK_GROUP_WORDS) {
              int32_t a0 = qc[0], a1 = qc[1], a2 = qc[2], a3 = qc[3];
#ifdef TF_DWK_ROW3K
              if (kc) {
                tf_dwk_row3k(x, 0, c, 2 * c, &wp, &a0, &a1, &a2, &a3, split);
                tf_dwk_row3k(x, row_bytes, row_bytes + c, row_bytes + 2 * c, &wp, &a0, &a1, &a2, &a3, split);
                tf_dwk_row3k(x, 2 * row_bytes, 2 * row_bytes + c, 2 * row_bytes + 2 * c, &wp, &a0, &a1, &a2, &a3, split);
              } else
#endif
              {
                tf_dwk_row3(x, c, &wp, &a0, &a1, &a2, &a3, 0);
                tf_dwk_row3(x + row_bytes, c, &wp, &a0, &a1, &a2, &a3, 0);
                tf_dwk_row3(x + 2 * row_bytes, c, &wp, &a0, &a1, &a2, &a3, 0);
              }
              tf_dwk_put4(out, tf_dwk_out4(a0, a1, a2, a3, qc, lo4, hi4, rq, fast, full, 0));
            }
          }
          if (ox == g->out_w) break;
        }
        const uint32_t *wp = wx;
        const int32_t *qc = q;
        tf_dwk_taps(g, image, oy, ox, zp_row, tp);
        for (int ch = 0; ch < c; ch += 4, out += 4, qc += TF_DWK_GROUP_WORDS) {
          int32_t a0 = qc[0], a1 = qc[1], a2 = qc[2], a3 = qc[3];
#ifdef TF_DWK_ROW3K
          if (kc) {
            const int n = (int)sizeof tp[0];
            tf_dwk_row3pk(tp, 0, n, 2 * n, ch, &wp, &a0, &a1, &a2, &a3, split);
            tf_dwk_row3pk(tp, 3 * n, 4 * n, 5 * n, ch, &wp, &a0, &a1, &a2, &a3, split);
            tf_dwk_row3pk(tp, 6 * n, 7 * n, 8 * n, ch, &wp, &a0, &a1, &a2, &a3, split);
          } else
#endif
              if (three) {
            tf_dwk_row3p(tp, ch, &wp, &a0, &a1, &a2, &a3, 0);
            tf_dwk_row3p(tp + 3, ch, &wp, &a0, &a1, &a2, &a3, 0);
            tf_dwk_row3p(tp + 6, ch, &wp, &a0, &a1, &a2, &a3, 0);
          } else {
            for (int t = 0; t < taps; ++t, wp += 2) TF_DWK_TAP(TF_LOAD32(tp[t] + ch), wp[0], wp[1]);
          }
          tf_dwk_put4(out, tf_dwk_out4(a0, a1, a2, a3, qc, lo4, hi4, rq, fast, full, 0));
        }
      }
    }
  }
}

/*
 * Depth multiplier 1, 3x3 undilated, a border of at most one row or column on each side (strides 1
 * and 2, SAME): every pixel read in place, border pixels too. A border pixel's window row and
 * column in the padding are left out, its class's start holding their zero point's products
 * (tf_dwk_mclass); any other tap in the padding (a one-row or one-column image's far side) reads
 * the input zero point's word that follows each group's weights (dsp.ts maskWeights: per group of
 * four channels the extended weights of the 9 taps, word pairs, that word, then the starts), its
 * offset from the weight pointer a constant. Which taps lie in the padding is known when the
 * instance is made (the row's class, top, inside or bottom, and the pixel's column: `.if` in the
 * assembly), and so is every offset; a pixel's pointer moves into the image by `d` bytes where its
 * window starts above or left of it. No scratch: no tap pointers, no zero-point row, no copy, no
 * extended weights.
 */
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
/* tap t's input word of a pixel: the zero point's word (72 bytes past the weight pointer) when bit
 * t of mask `m` is set, else the word at offset o of p */
#define TF_DWK_MX(m, t, o) \
  ".if (%c[" m "] >> " t ") & 1\n\t" \
  "ldr %[x], [%[wq], #72]\n\t" \
  ".else\n\t" \
  "ldr %[x], [%[p], #(" o ")]\n\t" \
  ".endif\n\t"
/* tap t of a pixel (mask m, its taps left out in bits 9 to 17: their class's start holds them),
 * accumulated from s0..s3 into a0..a3 */
#define TF_DWK_TAP_INTO(m, t, o, a0, a1, a2, a3, s0, s1, s2, s3) \
  ".ifeq (%c[" m "] >> (9 + " t ")) & 1\n\t" TF_DWK_MX(m, t, o) "sxtb16 %[e], %[x]\n\t" \
                                                                "smlabb %[" a0 "], %[e], %[we], %[" s0 "]\n\t" \
                                                                "sxtb16 %[x], %[x], ror #8\n\t" \
                                                                "smlabb %[" a1 "], %[x], %[wo], %[" s1 "]\n\t" \
                                                                "smlatt %[" a2 "], %[e], %[we], %[" s2 "]\n\t" \
                                                                "smlatt %[" a3 "], %[x], %[wo], %[" s3 "]\n\t" \
                                                                ".endif\n\t"
#define TF_DWK_ONE_TAP(m, t, o, a0, a1, a2, a3) TF_DWK_TAP_INTO(m, t, o, a0, a1, a2, a3, a0, a1, a2, a3)
/* Tap t of both pixels: its weights read unless both leave it out. Pixels of one class (one start,
 * in a0..a3) take the second's accumulators from the first's start at their first tap kept, ahead
 * of the first pixel's, in place of four MOVs. */
#define TF_DWK_PAIRM_ASM(wld, t, o) \
  ".ifeq ((%c[ma] & %c[mb]) >> (9 + " t \
  ")) & 1\n\t" wld(t) ".endif\n\t" \
                      ".if ((%c[ma] >> 18) == (%c[mb] >> 18)) && (((%c[ma] >> 9) & ((1 << " t ") - 1)) == ((1 << " t \
                      ") - 1))\n\t" TF_DWK_TAP_INTO("mb", t, "%c[s] + (" o ") - %c[d]", "b0", "b1", "b2", "b3", "a0", "a1", "a2", "a3") \
                          TF_DWK_ONE_TAP("ma", t, "(" o ") - %c[d]", "a0", "a1", "a2", \
                                         "a3") ".else\n\t" TF_DWK_ONE_TAP("ma", t, "(" o ") - %c[d]", "a0", "a1", "a2", "a3") \
                              TF_DWK_ONE_TAP("mb", t, "%c[s] + (" o ") - %c[d]", "b0", "b1", "b2", "b3") ".endif\n\t"
/* the starts of a pixel's class at byte (m >> 18) of the group's weights; the second pixel's
 * loaded apart only when its class differs */
#define TF_DWK_START_ASM(m, a0, a1, a2, a3) \
  "ldrd %[" a0 "], %[" a1 "], [%[wq], #(%c[" m "] >> 18)]\n\t" \
  "ldrd %[" a2 "], %[" a3 "], [%[wq], #((%c[" m "] >> 18) + 8)]\n\t"
#define TF_DWK_STARTS2_ASM \
  TF_DWK_START_ASM("ma", "a0", "a1", "a2", "a3") \
  ".if (%c[ma] >> 18) != (%c[mb] >> 18)\n\t" TF_DWK_START_ASM("mb", "b0", "b1", "b2", "b3") ".endif\n\t"
#define TF_DWK_PAIRM9_ASM(wld) \
  TF_DWK_STARTS2_ASM \
  TF_DWK_PAIRM_ASM(wld, "0", "0") \
  TF_DWK_PAIRM_ASM(wld, "1", "%c[c]") \
  TF_DWK_PAIRM_ASM(wld, "2", "2 * %c[c]") \
  TF_DWK_PAIRM_ASM(wld, "3", "%c[r]") \
  TF_DWK_PAIRM_ASM(wld, "4", "%c[r] + %c[c]") \
  TF_DWK_PAIRM_ASM(wld, "5", "%c[r] + 2 * %c[c]") \
  TF_DWK_PAIRM_ASM(wld, "6", "2 * %c[r]") \
  TF_DWK_PAIRM_ASM(wld, "7", "2 * %c[r] + %c[c]") \
  TF_DWK_PAIRM_ASM(wld, "8", "2 * %c[r] + 2 * %c[c]")
#define TF_DWK_ONEM_ASM(wld, t, o) \
  ".ifeq (%c[ma] >> (9 + " t ")) & 1\n\t" wld(t) ".endif\n\t" TF_DWK_ONE_TAP("ma", t, "(" o ") - %c[d]", "a0", "a1", "a2", "a3")
#define TF_DWK_ONEM9_ASM(wld) \
  TF_DWK_START_ASM("ma", "a0", "a1", "a2", "a3") \
  TF_DWK_ONEM_ASM(wld, "0", "0") \
  TF_DWK_ONEM_ASM(wld, "1", "%c[c]") \
  TF_DWK_ONEM_ASM(wld, "2", "2 * %c[c]") \
  TF_DWK_ONEM_ASM(wld, "3", "%c[r]") \
  TF_DWK_ONEM_ASM(wld, "4", "%c[r] + %c[c]") \
  TF_DWK_ONEM_ASM(wld, "5", "%c[r] + 2 * %c[c]") \
  TF_DWK_ONEM_ASM(wld, "6", "2 * %c[r]") \
  TF_DWK_ONEM_ASM(wld, "7", "2 * %c[r] + %c[c]") \
  TF_DWK_ONEM_ASM(wld, "8", "2 * %c[r] + 2 * %c[c]")
/* tap t's weight words at their offset of the group's (no write-back: taps may be left out) */
#define TF_DWK_WLD_SPLIT(t) "ldr %[wo], [%[wq], #(8 * " t " + 4)]\n\tldr %[we], [%[wq], #(8 * " t ")]\n\t"
#define TF_DWK_WLD_PAIR(t) "ldrd %[we], %[wo], [%[wq], #(8 * " t ")]\n\t"
#endif

/* Two pixels' 3x3 windows (the second s bytes after the first), or one (`two` 0), of a lane group
 * at p - d, rows r and channels c bytes apart; taps whose bit is set in ma (mb: the second pixel's)
 * read the zero point's word after the group's weights, those set in sa (sb) are left out, their
 * class's start, at byte qa (qb) of the group's weights, holding them. acc: the pixels' four
 * accumulators each. */
static inline __attribute__((always_inline)) void tf_dwk_mask9(const int8_t *p, const int c, const int r, const int s, const int d,
                                                               const int ma, const int mb, const int sa, const int sb, const int qa,
                                                               const int qb, const uint32_t *wq, int32_t *acc, const int two,
                                                               const int split) {
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  uint32_t x, e, we, wo;
  /* masks, skips and start offsets in one operand each: an asm takes 30 at most */
  if (two) {
    int32_t a0, a1, a2, a3, b0, b1, b2, b3;
    if (split)
      __asm__(
          TF_DWK_PAIRM9_ASM(TF_DWK_WLD_SPLIT)
          : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [b0] "=&r"(b0), [b1] "=&r"(b1), [b2] "=&r"(b2), [b3] "=&r"(b3),
            [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we), [wo] "=&r"(wo)
          : [p] "r"(p), [c] "i"(c), [r] "i"(r), [s] "i"(s), [d] "i"(d), [ma] "i"(ma | sa << 9 | qa << 18), [mb] "i"(mb | sb << 9 | qb << 18)
          : "memory");
    else
      __asm__(
          TF_DWK_PAIRM9_ASM(TF_DWK_WLD_PAIR)
          : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [b0] "=&r"(b0), [b1] "=&r"(b1), [b2] "=&r"(b2), [b3] "=&r"(b3),
            [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we), [wo] "=&r"(wo)
          : [p] "r"(p), [c] "i"(c), [r] "i"(r), [s] "i"(s), [d] "i"(d), [ma] "i"(ma | sa << 9 | qa << 18), [mb] "i"(mb | sb << 9 | qb << 18)
          : "memory");
    acc[4] = b0;
    acc[5] = b1;
    acc[6] = b2;
    acc[7] = b3;
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
  } else {
    int32_t a0, a1, a2, a3;
    if (split)
      __asm__(TF_DWK_ONEM9_ASM(TF_DWK_WLD_SPLIT)
              : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we),
                [wo] "=&r"(wo)
              : [p] "r"(p), [c] "i"(c), [r] "i"(r), [d] "i"(d), [ma] "i"(ma | sa << 9 | qa << 18)
              : "memory");
    else
      __asm__(TF_DWK_ONEM9_ASM(TF_DWK_WLD_PAIR)
              : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [wq] "+r"(wq), [x] "=&r"(x), [e] "=&r"(e), [we] "=&r"(we),
                [wo] "=&r"(wo)
              : [p] "r"(p), [c] "i"(c), [r] "i"(r), [d] "i"(d), [ma] "i"(ma | sa << 9 | qa << 18)
              : "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    (void)mb;
    (void)sb;
    (void)qb;
    (void)s;
  }
#else
  (void)split;
  const uint32_t zz = wq[18];
  for (int k = 0; k < (two ? 2 : 1); ++k) {
    const int m = k ? mb : ma, skip = k ? sb : sa;
    const int32_t *const start = (const int32_t *)(const void *)wq + (k ? qb : qa) / 4;
    int32_t a0 = start[0], a1 = start[1], a2 = start[2], a3 = start[3];
    for (int t = 0; t < 9; ++t) {
      if ((skip >> t) & 1) continue;
      /* taps in the image only: their offsets from p are not negative */
      const uint32_t v = (m >> t) & 1 ? zz : TF_LOAD32(p + (k * s + (t / 3) * r + (t % 3) * c - d));
      TF_DWK_TAP(v, wq[2 * t], wq[2 * t + 1]);
    }
    acc[4 * k] = a0;
    acc[4 * k + 1] = a1;
    acc[4 * k + 2] = a2;
    acc[4 * k + 3] = a3;
  }
#endif
}

/* The taps of kernel row ky's three columns, bits 3ky .. 3ky + 2; of column kx in every row */
#define TF_DWK_ROWBITS(ky) (7 << (3 * (ky)))
#define TF_DWK_COLBITS(kx) (0x49 << (kx))

/* The taps in the padding of output row oy's windows (image rows oy * sh - pt + ky) */
static inline __attribute__((always_inline)) int tf_dwk_rmask(int oy, int sh, int pt, int ih) {
  int m = 0;
  for (int ky = 0; ky < 3; ++ky) {
    const int iy = oy * sh - pt + ky;
    if (iy < 0 || iy >= ih) m |= TF_DWK_ROWBITS(ky);
  }
  return m;
}
static inline __attribute__((always_inline)) int tf_dwk_cmask(int ox, int sw, int pl, int iw) {
  int m = 0;
  for (int kx = 0; kx < 3; ++kx) {
    const int ix = ox * sw - pl + kx;
    if (ix < 0 || ix >= iw) m |= TF_DWK_COLBITS(kx);
  }
  return m;
}

/*
 * Border classes: a pixel whose window's top or bottom row, left or right column lies in the padding
 * leaves that row's and column's taps out, its start (stored after the group's records, dsp.ts
 * maskRecords) holding their zero point's products instead, as TFLite Micro, which skips them (VWW
 * 6x6x128: 68 of 324 taps a channel). The class of taps-in-the-padding mask m: 3 x its row (1 the
 * top one, 2 the bottom one) + its column (1 the left one, 2 the right one); `cls`, bit k set for
 * each class k >= 1 whose starts the records hold, in order (constants: the instance's shape).
 */
static inline __attribute__((always_inline)) int tf_dwk_mclass(int m, int cls) {
  /* arithmetic, no conditionals: GCC may turn those into a table read, which an "i" operand cannot take */
  const int top = (m & TF_DWK_ROWBITS(0)) == TF_DWK_ROWBITS(0), below = (m & TF_DWK_ROWBITS(2)) == TF_DWK_ROWBITS(2);
  const int left = (m & TF_DWK_COLBITS(0)) == TF_DWK_COLBITS(0), right = (m & TF_DWK_COLBITS(2)) == TF_DWK_COLBITS(2);
  const int k = 3 * (top + 2 * (below & !top)) + left + 2 * (right & !left);
  return k * ((cls >> k) & 1);
}
/* the taps class k leaves out */
static inline __attribute__((always_inline)) int tf_dwk_mskip(int k) {
  const int r = k / 3, c = k % 3;
  return (r & 1) * TF_DWK_ROWBITS(0) | (r >> 1) * TF_DWK_ROWBITS(2) | (c & 1) * TF_DWK_COLBITS(0) | (c >> 1) * TF_DWK_COLBITS(2);
}
/* the classes in cls from 1 to k - 1 (no loop: the count folds to a constant) */
static inline __attribute__((always_inline)) int tf_dwk_mcount(int cls, int k) {
  const int v = cls & ((1 << k) - 2);
  return ((v >> 1) & 1) + ((v >> 2) & 1) + ((v >> 3) & 1) + ((v >> 4) & 1) + ((v >> 5) & 1) + ((v >> 6) & 1) + ((v >> 7) & 1) +
         ((v >> 8) & 1);
}
/* the byte of class k's four starts in a group's weights (dsp.ts maskWeights: 18 weight words, the
 * zero point's, the starts of class 0, then of each class in cls) */
static inline __attribute__((always_inline)) int tf_dwk_mstart(int cls, int k) { return 76 + (k ? 16 + 16 * tf_dwk_mcount(cls, k) : 0); }

/* Output pixels at x (two with `two`, the second sw * c bytes on) over every lane group: windows
 * at x - d (ma, mb: their taps in the padding), requantized, stored. */
static inline __attribute__((always_inline)) void tf_dwk_mask_px(const int8_t *x, int8_t *out, const int32_t *w, const int32_t *q,
                                                                 const tf_rq_t *rq, uint32_t lo4, uint32_t hi4, const int fast,
                                                                 const int full, const int c, const int iw, const int sw, const int d,
                                                                 const int ma, const int mb, const int two, const int split,
                                                                 const int round, const int cls) {
  const uint32_t *wq = (const uint32_t *)(const void *)w;
  const int32_t *qc = q;
  const int ka = tf_dwk_mclass(ma, cls), kb = two ? tf_dwk_mclass(mb, cls) : 0;
  const int qa = tf_dwk_mstart(cls, ka), qb = tf_dwk_mstart(cls, kb);
  const int group = 23 + 4 * tf_dwk_mcount(cls, 9);
  for (int8_t *const end = out + c; out < end; out += 4, x += 4, qc += TF_DWK_GROUP_WORDS, wq += group) {
    int32_t a[8];
    tf_dwk_mask9(x, c, iw * c, sw * c, d, ma, mb, tf_dwk_mskip(ka), tf_dwk_mskip(kb), qa, qb, wq, a, two, split);
    if (two) {
      uint32_t va, vb;
      tf_dwk_out8(a, qc, lo4, hi4, rq, fast, full, round, &va, &vb);
      tf_dwk_put4(out, va);
      tf_dwk_put4(out + c, vb);
    } else if (round) {
      tf_dwk_put4(out, tf_dwk_out4_round(a[0], a[1], a[2], a[3], qc, lo4, hi4, rq, full));
    } else {
      tf_dwk_put4(out, tf_dwk_out4(a[0], a[1], a[2], a[3], qc, lo4, hi4, rq, fast, full, 0));
    }
  }
}

/* Output pixel ox (a constant) of a row whose windows start dy rows above the image (rowp: the
 * row of the image they start on), rm its taps in the padding: one pixel, or two with `two`. */
static inline __attribute__((always_inline)) void tf_dwk_mask_at(const int8_t *rowp, int8_t *out, const int32_t *w, const int32_t *q,
                                                                 const tf_rq_t *rq, uint32_t lo4, uint32_t hi4, const int fast,
                                                                 const int full, const int c, const int iw, const int sw, const int pl,
                                                                 const int rm, const int dy, const int ox, const int two, const int split,
                                                                 const int round, const int cls) {
  const int ix0 = ox * sw - pl;
  const int dx = ix0 < 0 ? -ix0 : 0;
  const int ma = rm | tf_dwk_cmask(ox, sw, pl, iw), mb = two ? rm | tf_dwk_cmask(ox + 1, sw, pl, iw) : 0;
  tf_dwk_mask_px(rowp + (ix0 + dx) * c, out + ox * c, w, q, rq, lo4, hi4, fast, full, c, iw, sw, dy * iw * c + dx * c, ma, mb, two, split,
                 round, cls);
}

/* An output row (rm, dy constants; iy0 its windows' first image row): its first pair, the pairs
 * inside (every tap in the image but the row's), its last pair and an odd last pixel. */
static inline __attribute__((always_inline)) void tf_dwk_mask_row(const int8_t *image, int8_t *out, const int iy0, const int rm,
                                                                  const int dy, const int32_t *w, const int32_t *q, const tf_rq_t *rq,
                                                                  uint32_t lo4, uint32_t hi4, const int fast, const int full, const int c,
                                                                  const int iw, const int ow, const int sw, const int pl, const int split,
                                                                  const int round, const int cls) {
  const int8_t *const rowp = image + (iy0 + dy) * iw * c;
  const int pairs = ow / 2;
  if (pairs > 0) tf_dwk_mask_at(rowp, out, w, q, rq, lo4, hi4, fast, full, c, iw, sw, pl, rm, dy, 0, 1, split, round, cls);
  for (int n = 1; n < pairs - 1; ++n)
    tf_dwk_mask_px(rowp + (2 * n * sw - pl) * c, out + 2 * n * c, w, q, rq, lo4, hi4, fast, full, c, iw, sw, dy * iw * c, rm, rm, 1, split,
                   round, cls);
  if (pairs > 1) tf_dwk_mask_at(rowp, out, w, q, rq, lo4, hi4, fast, full, c, iw, sw, pl, rm, dy, 2 * pairs - 2, 1, split, round, cls);
  if (ow & 1) tf_dwk_mask_at(rowp, out, w, q, rq, lo4, hi4, fast, full, c, iw, sw, pl, rm, dy, ow - 1, 0, split, round, cls);
}

/* The instances of tf_dwk_mask_body: called once each, and GCC would otherwise clone them with the
 * arena's addresses as constants, which leaves its 14-register asm blocks too few registers. On a
 * 32-byte line, so that their loops' place against a flash accelerator's cache lines does not move
 * with the code before them. */
#if defined(__GNUC__) && !defined(__clang__)
#define TF_DWK_NOCLONE __attribute__((noinline, noclone, aligned(32)))
#else
#define TF_DWK_NOCLONE __attribute__((noinline, aligned(32)))
#endif

/* The layer (every shape a constant): a top row of windows partly above the image (pt > 0), the
 * rows inside, a bottom row partly below it (dsp.ts maskApplies: no other rows have padding). */
static inline __attribute__((always_inline)) void tf_dwk_mask_body(const int8_t *in, int batches, const int32_t *w, const int32_t *q,
                                                                   const tf_rq_t *rq, int8_t *out, const int fast, const int full,
                                                                   const int c, const int ih, const int iw, const int oh, const int ow,
                                                                   const int sh, const int sw, const int pt, const int pl, const int split,
                                                                   const int round, const int cls) {
  /* a copy the asm blocks' memory clobber does not reach (its fields scalars): the zero point
   * read once, not after every block */
  const tf_rq_t rq_local = *rq;
  const uint32_t lo4 = tf_dwk_bytes4(rq->act_min), hi4 = tf_dwk_bytes4(rq->act_max);
  const int top = pt > 0 ? 1 : 0;
  const int ylast = (oh - 1) * sh - pt;
  const int bottom = oh - 1 >= top && ylast + 2 >= ih ? 1 : 0;
  const int orow = ow * c;
  for (int b = 0; b < batches; ++b, out += oh * orow) {
    const int8_t *const image = in + b * ih * iw * c;
    if (top)
      tf_dwk_mask_row(image, out, -pt, tf_dwk_rmask(0, sh, pt, ih), pt, w, q, &rq_local, lo4, hi4, fast, full, c, iw, ow, sw, pl, split,
                      round, cls);
    for (int oy = top; oy < oh - bottom; ++oy)
      tf_dwk_mask_row(image, out + oy * orow, oy * sh - pt, 0, 0, w, q, &rq_local, lo4, hi4, fast, full, c, iw, ow, sw, pl, split, round,
                      cls);
    if (bottom)
      tf_dwk_mask_row(image, out + (oh - 1) * orow, ylast, tf_dwk_rmask(oh - 1, sh, pt, ih), ylast < 0 ? -ylast : 0, w, q, &rq_local, lo4,
                      hi4, fast, full, c, iw, ow, sw, pl, split, round, cls);
  }
}

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
 * Depth multiplier 1 under an undilated 3x3 window at stride 1, channels a multiple of 4 (dsp.ts
 * planeApplies): every image row widened once into int16 planes (per channel a ring of three rows
 * of 2 * wh columns, the padding written out as the input zero point, which the starts cancel as
 * above), then channel by channel over an output row, its nine weights held as int16 pairs, output
 * pixels two at a time: A (columns 0..2) and B (1..3) from the words (x0, x1) and (x2, x3) of each
 * kernel row,
 *   A += SMLAD((x0, x1), (w0, w1)) + SMLABB((x2, x3), (w2, w1))
 *   B += SMLATB((x0, x1), (w0, w1)) + SMLADX((x2, x3), (w2, w1)),
 * 12 multiplies for 18 MACs. Weights: per channel per kernel row the words (w0, w1), (w2, w1)
 * (int16, scaled by 2^lsh where the records were: dsp.ts laneScaling). Records { start, m, P } per
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
 * tf_dwk_plane_body over four channels at a time (dsp.ts planeGroupRows: maps of 8 to 19 pixels a
 * row, and wider ones of 16 rows and more): bands of rows - 2 output rows (the whole image where it
 * fits the scratch) of those channels widened (rows - 2 + 2 padded rows of wh words each), then each
 * channel over every output row of the band with its nine weights and record held, so that a
 * channel's entry is paid once per band rather than once per row. A band after the first takes the
 * band before's last two widened rows and widens the rest: a group's outputs are written only after
 * its input rows are widened, so the output may lie exactly over the input (dsp.ts dspOverlap).
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

/*
 * Three input channels under an undilated 3x3 window, any multiplier and stride (RGB stems; dsp.ts
 * narrowApplies): the loop above over one group from channel 0, pixels read in place. A tap's word
 * holds the pixel's 3 channels and the next pixel's channel 0, which lane 3 would meet with weight
 * 0: the device's assembly leaves lane 3 out (3 SMLAxy per tap; the row kernel spent 36 MACs per 9),
 * the C twin computes it and drops it. The word of the image's last pixel would read a byte past
 * the tensor, so the in-place window ending there goes through tap pointers, and a tap pointer at
 * that pixel is moved to a copy of it. Its own loop, not the one above with a flag: sharing it cost
 * 56x56x10 3.4% (its registers allocated otherwise). Weights and records as tf_dwk_multm's (lane 3:
 * weight 0, start 0). `scratch`: the extended weights, 9 tap pointers, the zero-point word, the
 * copy of the last pixel.
 */
static inline __attribute__((always_inline)) void tf_dwk_c3_body(const int8_t *in, int batches, const tf_dwk_geom_t *g, int mult,
                                                                 const int8_t *w, const uint8_t *lsh, const int32_t *q, const tf_rq_t *rq,
                                                                 int8_t *out, void *scratch, const int fast, const int full) {
  const int c = 3, taps = 9;
  const int out_c = c * mult;
  const int row_bytes = g->in_w * c;
  uint32_t *const wx = (uint32_t *)scratch;
  const int8_t **tp = (const int8_t **)(void *)(wx + 2 * taps * mult);
  int8_t *zp_row = (int8_t *)(void *)(tp + taps);
  int8_t *const tail = zp_row + 4;
  const uint32_t lo4 = tf_dwk_bytes4(rq->act_min), hi4 = tf_dwk_bytes4(rq->act_max);
  memset(zp_row, g->input_zero_point, 4);
  TF_DWK_WIDEN(wx, w, taps * mult, taps, lsh);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_bytes;
    const int8_t *const last_px = image + (g->in_h * g->in_w - 1) * c;
    /* its fourth byte meets weight 0; any value will do */
    memset(tail, 0, 4);
    memcpy(tail, last_px, (size_t)c);
    for (int oy = 0; oy < g->out_h; ++oy) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      const int row_in = oy >= g->oy_lo && oy < g->oy_hi;
      /* windows of this row end on the image's last row */
      const int last_row = iy0 + 2 == g->in_h - 1;
      for (int ox = 0; ox < g->out_w; ++ox, out += out_c) {
        const int ix0 = ox * g->stride_w - g->pad_left;
        const int in_place = row_in && ox >= g->ox_lo && ox < g->ox_hi && !(last_row && ix0 + 2 == g->in_w - 1);
        const int8_t *const x0 = image + (iy0 * g->in_w + ix0) * c;
        if (!in_place) {
          tf_dwk_taps(g, image, oy, ox, zp_row, tp);
          for (int t = 0; t < taps; ++t)
            if (tp[t] == last_px) tp[t] = tail;
        }
        const uint32_t *wp = wx;
        const int32_t *qc = q;
        for (int m = 0; m < mult; ++m, qc += TF_DWK_GROUP_WORDS) {
          int32_t a0 = qc[0], a1 = qc[1], a2 = qc[2], a3 = qc[3];
          if (in_place) {
            tf_dwk_row3(x0, c, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3(x0 + row_bytes, c, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3(x0 + 2 * row_bytes, c, &wp, &a0, &a1, &a2, &a3, 1);
          } else {
            tf_dwk_row3p(tp, 0, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3p(tp + 3, 0, &wp, &a0, &a1, &a2, &a3, 1);
            tf_dwk_row3p(tp + 6, 0, &wp, &a0, &a1, &a2, &a3, 1);
          }
          const uint32_t v = tf_dwk_out4(a0, a1, a2, a3, qc, lo4, hi4, rq, fast, full, 1);
          int8_t *const o = out + m;
          o[0] = (int8_t)v;
          o[mult] = (int8_t)(v >> 8);
          o[2 * mult] = (int8_t)(v >> 16);
        }
      }
    }
  }
}

/*
 * One to three input channels, any depth multiplier (out_c = in_c * multiplier): a convolution over
 * the window, whose kernel rows are runs of k_w * in_c contiguous input bytes (undilated rows). Each
 * run is read a word at a time (rounded up to kw4 bytes; the weights of bytes past the run, and of
 * the other input channels' bytes, are 0) and split by SXTB16 into columns: per four bytes, words
 * A even, B even, A odd, B odd for a pixel pair. Weights: per output channel a row of
 * k4 = k_h * kw4 int8 (kernel rows of kw4, tap kx of input channel ch at kx * in_c + ch), laid out
 * with the records as CONV_2D's are (conv_2d/dsp.ts withRecords), so that conv_2d_dsp.h's
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
