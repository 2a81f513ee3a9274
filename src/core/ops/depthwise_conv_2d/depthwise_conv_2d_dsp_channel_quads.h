/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's Arm DSP channel-quad kernel (dsp_channel_quads.ts): depth multiplier 1 over
 * channels that are a multiple of 4, four channels per step; a layer's own 3x3 instance reads its
 * taps at constant offsets, pixels in pairs, optionally from a padded copy of its rows. */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_CHANNEL_QUADS_H
#define TF_DEPTHWISE_CONV_2D_DSP_CHANNEL_QUADS_H
#include "depthwise_conv_2d_dsp.h"
#include "depthwise_conv_2d_dsp_widen.h"

#ifdef TF_DWK_ROW3K
/* Three taps at x + o0, x + o1, x + o2: in a layer's own instance of the multiplier-1 loop (dsp_common.ts
 * mult1Constants) the channel count and row length are constants, and so are these offsets, which
 * then sit in the LDRs as immediates ("J": up to 4095; a larger one takes a register). Every row
 * reads from x itself: no row pointers, no offset registers, which leaves the loop its output
 * pointer, bound and clamp word in registers. Unoptimised builds keep the C twin. */
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
   * LDRs (the Cortex-M4's pipelined loads, dsp_common.ts splitLoads) */
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

#endif
