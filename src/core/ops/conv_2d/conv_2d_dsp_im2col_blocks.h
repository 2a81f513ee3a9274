/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP im2col layers in C loops (the `blocks in C` kernel): pixel pairs, or triples in
 * the `pairs` layout, by channel pairs in SMLAD. */
#ifndef TF_CONV_2D_DSP_IM2COL_BLOCKS_H
#define TF_CONV_2D_DSP_IM2COL_BLOCKS_H
#include "conv_2d_dsp_im2col.h"

/* One channel pair of a pixel triple: { start r, start s }, the 2 k4 weight bytes of the pair, then
 * the four record words into `rec`; `acc` gets r of pixels A, B, C then s. `end` is cols + 3 k4 / 2
 * (words), `first` the words of the first chunk (6 per step: tf_dsp_first_chunk's steps). Returns the
 * blob past the records. */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_dot3x2p(const uint32_t *x, const int8_t *w, const uint32_t *end,
                                                                          int first, int entry, int32_t acc[6], int32_t rec[4]) {
  const int32_t start_r = (int32_t)TF_LOAD32(w), start_s = (int32_t)TF_LOAD32(w + 4);
  w += 8;
  int32_t sa = start_s, sb = start_s, sc = start_s;
#if TF_DSP_NATIVE
  const uint32_t *stop = x + first + TF_DSP_STEP3X2P_AHEAD;
  register int32_t ra __asm__("r0") = start_r;
  register int32_t rb __asm__("r1") = start_r;
  register int32_t rc __asm__("r2") = start_r;
  register int32_t ca __asm__("r3") = start_r;
  register int32_t cb __asm__("r4") = start_r;
  register int32_t cc __asm__("r5") = start_r;
  register uint32_t x0 __asm__("r6");
  register uint32_t x1 __asm__("r8");
  register uint32_t x2 __asm__("r9");
  register uint32_t w0 __asm__("r10");
  register uint32_t w1 __asm__("r11");
  register const uint32_t *rx __asm__("r12") = x;
  register const int8_t *rw __asm__("lr") = w;
  for (;;) {
    /* a chunk: the first turn entered `entry` bytes in (as tf_dsp_dot2x2p; 0 after the first chunk) */
    w1 = (uint32_t)entry;
    __asm__ volatile(
        TF_DSP_STEP3X2P_PRE
        "11:\n\t"
        "add pc, %[w1]\n\t"
        "nop\n\t"
        "10:\n\t" TF_DSP_STEP3X2P
        "12:\n\t" TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P "13:\n\t"
        ".if (10b - 11b) != 4\n\t"
        ".error \"tf_dsp_dot3x2p: the loop must start 4 bytes past ADD PC (where PC reads)\"\n\t"
        ".endif\n\t"
        ".if (12b - 10b) != %c[step]\n\t"
        ".error \"tf_dsp_dot3x2p: TF_DSP_STEP3X2P is no longer TF_DSP_STEP3X2P_BYTES of code (tf_dsp_entry_triple)\"\n\t"
        ".endif\n\t"
        ".if (13b - 10b) != %c[step] * %c[steps]\n\t"
        ".error \"tf_dsp_dot3x2p: the turn is not TF_DSP_STEPS_PER_TURN steps (tf_dsp_entry_triple)\"\n\t"
        ".endif\n\t"
        "ldr %[w1], %[stop]\n\t"
        "cmp %[x], %[w1]\n\t"
        "bne 10b\n\t" TF_DSP_STEP3X2P_POST
        : [ra] "+&r"(ra), [rb] "+&r"(rb), [rc] "+&r"(rc), [ca] "+&r"(ca), [cb] "+&r"(cb), [cc] "+&r"(cc), [x] "+&r"(rx), [w] "+&r"(rw),
          [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [w0] "=&r"(w0), [w1] "+&r"(w1)
        : [stop] "m"(stop), [step] "i"(TF_DSP_STEP3X2P_BYTES), [steps] "i"(TF_DSP_STEPS_PER_TURN)
        : "cc", "memory");
    sa += (int32_t)((uint32_t)ca - (uint32_t)ra) >> 8;
    sb += (int32_t)((uint32_t)cb - (uint32_t)rb) >> 8;
    sc += (int32_t)((uint32_t)cc - (uint32_t)rc) >> 8;
    if (rx == end) break;
    ca = ra;
    cb = rb;
    cc = rc;
    entry = 0;
    stop = rx + 6 * TF_DSP_PAIR_CHUNK_STEPS + TF_DSP_STEP3X2P_AHEAD;
  }
  acc[0] = ra;
  acc[1] = rb;
  acc[2] = rc;
  w = rw;
#else
  (void)entry;
  int32_t ra = start_r, rb = start_r, rc = start_r;
  for (const uint32_t *stop = x + first;; stop = x + 6 * TF_DSP_PAIR_CHUNK_STEPS) {
    int32_t ca = ra, cb = rb, cc = rc;
    for (; x < stop; x += 6, w += 8) {
      tf_dsp_step3x2p_c(x, w, &ra, &rb, &rc, &ca, &cb, &cc);
    }
    sa += (int32_t)((uint32_t)ca - (uint32_t)ra) >> 8;
    sb += (int32_t)((uint32_t)cb - (uint32_t)rb) >> 8;
    sc += (int32_t)((uint32_t)cc - (uint32_t)rc) >> 8;
    if (x == end) break;
  }
  acc[0] = ra;
  acc[1] = rb;
  acc[2] = rc;
#endif
  acc[3] = sa;
  acc[4] = sb;
  acc[5] = sc;
  /* written out: a loop here may be kept as one (a copy through the stack) */
  rec[0] = (int32_t)TF_LOAD32(w);
  rec[1] = (int32_t)TF_LOAD32(w + 4);
  rec[2] = (int32_t)TF_LOAD32(w + 8);
  rec[3] = (int32_t)TF_LOAD32(w + 12);
  return w + 16;
}

/* Every output channel of a pixel triple (outputs of pixel A at `out`, B and C out_c and 2 out_c
 * on): channel pairs in the `pairs` layout, then an odd last channel ({ start }, k4 plain weights,
 * { m, P }) in C. */
static inline __attribute__((always_inline)) void tf_dsp_triple_channels(const uint32_t *cols, int k4, int entry, const int8_t *w,
                                                                         int out_c, const tf_rq_t *rq, int8_t *out, const int fast,
                                                                         const int full) {
  const uint32_t *const end = cols + 3 * (k4 >> 1);
  const int first = tf_dsp_first_chunk(k4) / 4 * 6;
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  for (int8_t *const end_a = out + (out_c & ~1); out < end_a; out += 2) {
    int32_t acc[6], rec[4];
    w = tf_dsp_dot3x2p(cols, w, end, first, entry, acc, rec);
    const int32_t ma = rec[0], pa = rec[1], mb = rec[2], pb = rec[3];
    const int32_t ar = tf_dsp_rq_sat(acc[0], ma, pa, rq, fast), br = tf_dsp_rq_sat(acc[1], ma, pa, rq, fast);
    const int32_t cr = tf_dsp_rq_sat(acc[2], ma, pa, rq, fast), as = tf_dsp_rq_sat(acc[3], mb, pb, rq, fast);
    const int32_t bs = tf_dsp_rq_sat(acc[4], mb, pb, rq, fast), cs = tf_dsp_rq_sat(acc[5], mb, pb, rq, fast);
    if (full) {
      out[0] = (int8_t)ar;
      out[1] = (int8_t)as;
      out[out_c] = (int8_t)br;
      out[out_c + 1] = (int8_t)bs;
      out[2 * out_c] = (int8_t)cr;
      out[2 * out_c + 1] = (int8_t)cs;
    } else {
      const uint32_t v = tf_smin8(tf_smax8(tf_bytes4(ar, as, br, bs), lo4), hi4);
      const uint32_t u = tf_smin8(tf_smax8(tf_bytes4(cr, cs, 0, 0), lo4), hi4);
      tf_put2(out, v);
      tf_put2(out + out_c, v >> 16);
      tf_put2(out + 2 * out_c, u);
    }
  }
  if (out_c & 1) tf_dsp_triple_odd_channel(cols, end, w, out_c, rq, out, fast, full);
}

/*
 * A convolution through columns: two output pixels' receptive fields, as int8 in filter order, are
 * packed and multiplied as the 1x1 kernel does, the weight rows in filter order padded with zeros to
 * k4 and the input offset folded into the starts. With input channels a multiple of 4 every filter
 * row packs on its own, straight from the image where it lies inside; otherwise whole fields are
 * gathered first (tf_dsp_gather_field; their tails past k meet zero weights). `cols`: k4 words of
 * columns (`pairs`: 3 k4 / 2, three pixels), two rows (`pairs`: three) of k_w in_c bytes, or of k4
 * when whole fields are gathered (then 4 bytes of slack), then out_c bytes where a lone last pixel,
 * computed as a pair with itself, writes its twin.
 */
static inline __attribute__((always_inline)) void tf_dsp_im2col_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                     const int8_t *w, const tf_rq_t *rq, int8_t *out, uint32_t *cols,
                                                                     const int fast, const int full, const int pairs) {
  const int k4 = g->k4;
  const int run = g->k_w * g->in_c;
  const int out_c = g->out_c;
  const int by_rows = (g->in_c & 3) == 0;
  const uint32_t *const end = cols + k4;
  const int entry = pairs ? tf_dsp_entry_pairs(k4) : tf_dsp_entry(k4);
  const int entry3 = tf_dsp_entry_triple(k4);
  /* the `pairs` layers' columns hold three pixels (k4 / 4 groups of six words); a row buffer holds
   * one filter row (padded rows, by_rows) or a whole field */
  const int row_bytes = by_rows ? run : k4;
  int8_t *const row_a = (int8_t *)(void *)(cols + (pairs ? 3 * (k4 >> 1) : k4));
  int8_t *const row_b = row_a + row_bytes;
  int8_t *const row_c = row_b + row_bytes;
  int8_t *const twin = (pairs ? row_c : row_b) + row_bytes + (by_rows ? 0 : 4);
  /* the tails past k: any value meets a zero weight, but a defined one */
  memset(row_a, 0, (size_t)((pairs ? 3 : 2) * row_bytes));
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * g->in_c;
    const int image_bytes = g->in_h * g->in_w * g->in_c;
    int oy = 0, ox = 0;
    int left = g->out_h * g->out_w;
    if (pairs) {
      for (; left >= 3; left -= 3) {
        /* the whole fields in a loop (one inlined copy of the gathering: code size); the rows of
         * the layers over channels a multiple of 4, the usual 3x3 ones, inlined per pixel */
        int8_t *const rows[3] = {row_a, row_b, row_c};
        int at[3][2];
        for (int i = 0; i < 3; ++i) {
          at[i][0] = oy;
          at[i][1] = ox;
          if (++ox == g->out_w) {
            ox = 0;
            ++oy;
          }
        }
        if (by_rows) {
          for (int ky = 0; ky < g->k_h; ++ky) {
            const int8_t *const ra = tf_dsp_filter_row(row_a, image, at[0][0], at[0][1], ky, g);
            const int8_t *const rb = tf_dsp_filter_row(row_b, image, at[1][0], at[1][1], ky, g);
            const int8_t *const rc = tf_dsp_filter_row(row_c, image, at[2][0], at[2][1], ky, g);
            tf_dsp_pack_triple(cols + 3 * ((ky * run) >> 1), ra, rb, rc, run);
          }
        } else {
          for (int i = 0; i < 3; ++i) tf_dsp_gather_field(rows[i], image, image_bytes, at[i][0], at[i][1], run, g);
          tf_dsp_pack_triple(cols, row_a, row_b, row_c, k4);
        }
        tf_dsp_triple_channels(cols, k4, entry3, w, out_c, rq, out, fast, full);
        out += 3 * out_c;
      }
    }
    for (; left > 0; left -= 2) {
      const int pair = left > 1;
      const int oy_a = oy, ox_a = ox;
      if (++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      const int oy_b = oy, ox_b = ox;
      if (pair && ++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      if (by_rows) {
        for (int ky = 0; ky < g->k_h; ++ky) {
          const int8_t *const ra = tf_dsp_filter_row(row_a, image, oy_a, ox_a, ky, g);
          const int8_t *const rb = pair ? tf_dsp_filter_row(row_b, image, oy_b, ox_b, ky, g) : ra;
          tf_dsp_pack_pair(cols + ky * run, ra, rb, run);
        }
      } else {
        tf_dsp_gather_field(row_a, image, image_bytes, oy_a, ox_a, run, g);
        if (pair) tf_dsp_gather_field(row_b, image, image_bytes, oy_b, ox_b, run, g);
        tf_dsp_pack_pair(cols, row_a, pair ? row_b : row_a, k4);
      }
      tf_dsp_pair_channels_in(cols, k4, entry, &end, w, out_c, rq, out, pair ? out + out_c : twin, fast, full, pairs);
      out += pair ? 2 * out_c : out_c;
    }
  }
}

#endif
