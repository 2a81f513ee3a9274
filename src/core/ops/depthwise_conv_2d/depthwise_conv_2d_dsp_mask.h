/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's Arm DSP 3x3 masked-border kernel (dsp_mask.ts): multiplier-1 3x3 layers with a
 * border, every pixel read in place, the padding's taps left out or read as the zero point. */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_MASK_H
#define TF_DEPTHWISE_CONV_2D_DSP_MASK_H
#include "depthwise_conv_2d_dsp.h"

/*
 * Depth multiplier 1, 3x3 undilated, a border of at most one row or column on each side (strides 1
 * and 2, SAME): every pixel read in place, border pixels too. A border pixel's window row and
 * column in the padding are left out, its class's start holding their zero point's products
 * (tf_dwk_mclass); any other tap in the padding (a one-row or one-column image's far side) reads
 * the input zero point's word that follows each group's weights (dsp_mask.ts maskWeights: per group of
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
 * leaves that row's and column's taps out, its start (stored after the group's records, dsp_mask.ts
 * maskWeights) holding their zero point's products instead, as TFLite Micro, which skips them (VWW
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
/* the byte of class k's four starts in a group's weights (dsp_mask.ts maskWeights: 18 weight words, the
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
 * rows inside, a bottom row partly below it (dsp_common.ts maskApplies: no other rows have padding). */
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

#endif
