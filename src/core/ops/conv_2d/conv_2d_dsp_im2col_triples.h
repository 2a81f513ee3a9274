/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP im2col layers in pixel triples by channel pairs in the assembly run
 * (common/isa/dsp_conv/triple_run.ts tripleRunAsm): the C around the run, the columns' packing. */
#ifndef TF_CONV_2D_DSP_IM2COL_TRIPLES_H
#define TF_CONV_2D_DSP_IM2COL_TRIPLES_H
#include "conv_2d_dsp_im2col.h"

/*
 * The im2col `pairs` layers' channel pairs of a pixel triple as one assembly routine (dsp.ts
 * tripleRunAsm, one per model and mode, the Cortex-M7's schedule where TF_DSP_DUAL_ISSUE): starts,
 * the SMLAD loop, the extraction, the requantization, the clamp and the stores of every channel pair
 * without leaving the assembly (in C the loop's thirteen pinned registers left the block's state on
 * the stack). One extraction chunk (k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS), FAST or WIDE (act_min >= zp)
 * requantization, as the 1x1 run. Layout of a pair in the weights: { start r }, the pair's 2 k4
 * weight bytes, { start s, m r, P r, m s, P s } (dsp.ts withRecords, `split`); an odd last channel
 * { start }, k4 plain weights, { m, P }, in C. Every pixel goes in a triple: the last one or two of an
 * image with copies of the last as the others, their outputs into the scratch and copied out.
 */
typedef struct {
  const uint32_t *cols; /* the triple's columns */
  int8_t *out;          /* pixel A's first output of the run (B's out_c on, C's 2 out_c) */
  int8_t *end;          /* out past the last channel pair */
  int32_t out_c;        /* output channels */
  uint32_t lo4, hi4;    /* the clamp's bounds in four bytes (WIDE: minus the zero point) */
  uint32_t zp4;         /* the zero point in four bytes (WIDE) */
  const uint32_t *stop; /* cols + 3 k4 / 2, and TF_DSP_STEP3X2P_AHEAD words read ahead */
  int32_t entry;        /* code bytes into the loop's first turn (k4 / 4 mod the turn's steps) */
} tf_dsp_tr_run_t;

#if TF_DSP_NATIVE
#define TF_DSP_CHECK_TR_OFFSET(field, offset) \
  typedef char tf_dsp_tr_run_check_##field[(offsetof(tf_dsp_tr_run_t, field) == (offset)) ? 1 : -1]
/* the offsets tripleRunAsm's LDM and LDR read (32-bit pointers) */
TF_DSP_CHECK_TR_OFFSET(cols, 0);
TF_DSP_CHECK_TR_OFFSET(out, 4);
TF_DSP_CHECK_TR_OFFSET(end, 8);
TF_DSP_CHECK_TR_OFFSET(out_c, 12);
TF_DSP_CHECK_TR_OFFSET(lo4, 16);
TF_DSP_CHECK_TR_OFFSET(hi4, 20);
TF_DSP_CHECK_TR_OFFSET(zp4, 24);
TF_DSP_CHECK_TR_OFFSET(stop, 28);
TF_DSP_CHECK_TR_OFFSET(entry, 32);
#endif

/* the assembly routine: returns the weights past the channel pairs */
typedef const int8_t *(*tf_dsp_tr_run_fn)(const uint32_t *cols, const int8_t *w, const tf_dsp_tr_run_t *s);

/* The routine's C twin (the host's; the same layout and the same integers). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_tr_run_twin(const tf_dsp_tr_run_t *s, const int8_t *w, int k4,
                                                                              const tf_rq_t *rq, const int fast, const int full) {
  const int out_c = s->out_c;
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  for (int8_t *out = s->out; out < s->end; out += 2) {
    const int32_t start_r = (int32_t)TF_LOAD32(w);
    int32_t ra = start_r, rb = start_r, rc = start_r, ca = start_r, cb = start_r, cc = start_r;
    w += 4;
    for (const uint32_t *x = s->cols; x < s->cols + 3 * (k4 >> 1); x += 6, w += 8) {
      tf_dsp_step3x2p_c(x, w, &ra, &rb, &rc, &ca, &cb, &cc);
    }
    const int32_t start_s = (int32_t)TF_LOAD32(w), mr = (int32_t)TF_LOAD32(w + 4), pr = (int32_t)TF_LOAD32(w + 8);
    const int32_t ms = (int32_t)TF_LOAD32(w + 12), ps = (int32_t)TF_LOAD32(w + 16);
    w += 20;
    const int32_t sa = start_s + ((int32_t)((uint32_t)ca - (uint32_t)ra) >> 8);
    const int32_t sb = start_s + ((int32_t)((uint32_t)cb - (uint32_t)rb) >> 8);
    const int32_t sc = start_s + ((int32_t)((uint32_t)cc - (uint32_t)rc) >> 8);
    const int32_t ar = tf_dsp_rq_sat(ra, mr, pr, rq, fast), br = tf_dsp_rq_sat(rb, mr, pr, rq, fast);
    const int32_t cr = tf_dsp_rq_sat(rc, mr, pr, rq, fast), as = tf_dsp_rq_sat(sa, ms, ps, rq, fast);
    const int32_t bs = tf_dsp_rq_sat(sb, ms, ps, rq, fast), cs = tf_dsp_rq_sat(sc, ms, ps, rq, fast);
    const uint32_t v = tf_bytes4(ar, as, br, bs), u = tf_bytes4(cr, cs, 0, 0);
    const uint32_t cv = full ? v : tf_smin8(tf_smax8(v, lo4), hi4), cu = full ? u : tf_smin8(tf_smax8(u, lo4), hi4);
    tf_put2(out, cv);
    tf_put2(out + out_c, cv >> 16);
    tf_put2(out + 2 * out_c, cu);
  }
  return w;
}

/*
 * One pixel of a triple into the columns (at `cols`, the pixel's lane: 0, 1 or 2) in the `split`
 * order of the values (common/isa/dsp_conv/layouts.ts splitRows): each filter row's first 4 q values (q words straight from
 * the row, which starts at `src`, `stride` bytes after the one before), then the rows' last values
 * (run = 4 q + 1) four a group, zeros past the last row (`tail` 1), or none (run = 4 q, `tail` 0).
 * k_h, q and tail are constants of the layer, so the loops unroll: two SXTB16 and two stores a word.
 */
static inline __attribute__((always_inline)) void tf_dsp_pack_split(uint32_t *cols, const int8_t *src, int stride, const int k_h,
                                                                    const int q, const int tail) {
  uint32_t *c = cols;
  const int8_t *row = src;
  for (int ky = 0; ky < k_h; ++ky, row += stride) {
    for (int j = 0; j < q; ++j, c += 6) {
      const uint32_t v = tf_read_u32(row + 4 * j);
      c[0] = tf_sxtb16(v);
      c[3] = tf_sxtb16_ror8(v);
    }
  }
  if (tail) {
    const int8_t *last = src + 4 * q;
    for (int ky = 0; ky < k_h; ky += 4, c += 6, last += 4 * stride) {
      const int32_t a = last[0];
      const int32_t b = ky + 1 < k_h ? last[stride] : 0;
      const int32_t d = ky + 2 < k_h ? last[2 * stride] : 0;
      const int32_t e = ky + 3 < k_h ? last[3 * stride] : 0;
      c[0] = ((uint32_t)a & 0xffffu) | ((uint32_t)d << 16);
      c[3] = ((uint32_t)b & 0xffffu) | ((uint32_t)e << 16);
    }
  }
}

/*
 * Three pixels of one output row into the columns in the `split` order, their fields inside the
 * image: pixel A's rows start at `src`, B's and C's `step` (stride_w in_c) and 2 `step` bytes on.
 * Per word of the three: three loads, six SXTB16, six stores.
 */
static inline __attribute__((always_inline)) void tf_dsp_pack_split3(uint32_t *cols, const int8_t *src, int step, int stride, const int k_h,
                                                                     const int q, const int tail) {
  uint32_t *c = cols;
  const int8_t *row = src;
  for (int ky = 0; ky < k_h; ++ky, row += stride) {
    for (int j = 0; j < q; ++j, c += 6) {
      const uint32_t a = tf_read_u32(row + 4 * j), b = tf_read_u32(row + step + 4 * j), d = tf_read_u32(row + 2 * step + 4 * j);
      c[0] = tf_sxtb16(a);
      c[1] = tf_sxtb16(b);
      c[2] = tf_sxtb16(d);
      c[3] = tf_sxtb16_ror8(a);
      c[4] = tf_sxtb16_ror8(b);
      c[5] = tf_sxtb16_ror8(d);
    }
  }
  if (tail) {
    for (int i = 0; i < 3; ++i) {
      const int8_t *last = src + i * step + 4 * q;
      uint32_t *t = c + i;
      for (int ky = 0; ky < k_h; ky += 4, t += 6, last += 4 * stride) {
        const int32_t a = last[0];
        const int32_t b = ky + 1 < k_h ? last[stride] : 0;
        const int32_t d = ky + 2 < k_h ? last[2 * stride] : 0;
        const int32_t e = ky + 3 < k_h ? last[3 * stride] : 0;
        t[0] = ((uint32_t)a & 0xffffu) | ((uint32_t)d << 16);
        t[3] = ((uint32_t)b & 0xffffu) | ((uint32_t)e << 16);
      }
    }
  }
}

/*
 * Every output channel of a packed triple into `dst` (pixel A's, B's out_c on, C's 2 out_c): the
 * channel pairs in the routine `run` (0 on the host: its twin), an odd last channel in C.
 */
static inline __attribute__((always_inline)) void tf_dsp_tr_run_channels(tf_dsp_tr_run_t *s, const uint32_t *cols, const int8_t *w,
                                                                         const int k4, const tf_rq_t *rq, int8_t *dst, const int out_c,
                                                                         const int fast, const int full, tf_dsp_tr_run_fn run) {
  const int pairs_c = out_c & ~1;
  const int8_t *rest = w;
  if (pairs_c) {
    s->out = dst;
    s->end = dst + pairs_c;
#if TF_DSP_NATIVE
    rest = run(cols, w, s);
#else
    (void)run;
    rest = tf_dsp_tr_run_twin(s, w, k4, rq, fast, full);
#endif
  }
  if (out_c & 1) tf_dsp_triple_odd_channel(cols, cols + 3 * (k4 >> 1), rest, out_c, rq, dst + pairs_c, fast, full);
}

/*
 * tf_dsp_im2col_body's `pairs` path with the channel pairs of each pixel triple in the assembly
 * routine `run` (0 on the host: its twin). `cols`: 3 k4 / 2 words of columns, three row buffers (of
 * k_w in_c bytes, or of k4 and 4 bytes of slack when whole fields are gathered), at least 3 out_c
 * bytes (rounded up to 4), where a last partial triple writes its outputs before they are copied out.
 */
static inline __attribute__((always_inline)) void tf_dsp_im2col_triple_run_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                                const int8_t *w, const tf_rq_t *rq, int8_t *out,
                                                                                uint32_t *cols, const int fast, const int full,
                                                                                tf_dsp_tr_run_fn run, const int turn, const int split_kh,
                                                                                const int split_q, const int split_tail) {
  const int k4 = g->k4;
  const int run_bytes = g->k_w * g->in_c;
  const int out_c = g->out_c;
  const int by_rows = (g->in_c & 3) == 0;
  const int row_bytes = by_rows ? run_bytes : k4;
  int8_t *const row_a = (int8_t *)(void *)(cols + 3 * (k4 >> 1));
  int8_t *const row_b = row_a + row_bytes;
  int8_t *const row_c = row_b + row_bytes;
  /* a last partial triple's outputs: over the row buffers, packed into the columns by then (the
   * Cortex-M7 loop's read-ahead word there is never used; the tails past k stay defined values) */
  int8_t *const spare = row_a;
  int8_t *const rows[3] = {row_a, row_b, row_c};
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_tr_run_t s;
  s.cols = cols;
  s.out_c = out_c;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  s.stop = cols + 3 * (k4 >> 1) + TF_DSP_STEP3X2P_AHEAD;
  /* the run's loop turns every `turn` steps (2 or 8, common/isa/dsp_conv/choice.ts tripleTurn): the first turn entered past
   * the steps k4 / 4 mod turn does not need */
  s.entry = ((-(k4 >> 2)) & (turn - 1)) * TF_DSP_STEP3X2P_BYTES;
  /* the tails past k: any value meets a zero weight, but a defined one */
  memset(row_a, 0, (size_t)(3 * row_bytes));
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * g->in_c;
    const int image_bytes = g->in_h * g->in_w * g->in_c;
    int oy = 0, ox = 0;
    for (int left = g->out_h * g->out_w; left > 0; left -= 3) {
      if (split_kh && (g->out_w - ox) >= 3) {
        /* the `split` order: the run of whole triples of this output row whose fields lie inside
         * the image, each packed straight from it, the row's pointers stepped (no per-pixel
         * coordinates) */
        const int iy0 = oy * g->stride_h - g->pad_top, ix0 = ox * g->stride_w - g->pad_left;
        const int x_last = g->in_w - 2 * g->stride_w - g->k_w;
        if (iy0 >= 0 && iy0 + (split_kh - 1) * g->dilation_h < g->in_h && ix0 >= 0 && ix0 <= x_last) {
          const int by_room = (g->out_w - ox) / 3, by_image = (x_last - ix0) / (3 * g->stride_w) + 1;
          const int count = by_room < by_image ? by_room : by_image;
          const int step = g->stride_w * g->in_c;
          const int8_t *src = image + (iy0 * g->in_w + ix0) * g->in_c;
          for (int t = 0; t < count; ++t, src += 3 * step, out += 3 * out_c) {
            tf_dsp_pack_split3(cols, src, step, g->dilation_h * g->in_w * g->in_c, split_kh, split_q, split_tail);
            tf_dsp_tr_run_channels(&s, cols, w, k4, rq, out, out_c, fast, full, run);
          }
          ox += 3 * count;
          if (ox == g->out_w) {
            ox = 0;
            ++oy;
          }
          /* the loop's own step takes the last of the run's triples */
          left -= 3 * (count - 1);
          continue;
        }
      }
      const int n = left < 3 ? left : 3;
      /* the pixels of the triple; past the image's last pixel, copies of it */
      int at[3][2];
      for (int i = 0; i < 3; ++i) {
        at[i][0] = oy;
        at[i][1] = ox;
        if (i + 1 < n && ++ox == g->out_w) {
          ox = 0;
          ++oy;
        }
      }
      if (++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      if (by_rows) {
        /* three pixels of one output row whose fields lie inside the image at dilation 1: their
         * rows straight from it, stride_w in_c bytes apart (no per-row bounds) */
        const int iy0 = at[0][0] * g->stride_h - g->pad_top, ix0 = at[0][1] * g->stride_w - g->pad_left;
        const int inside = n == 3 && at[2][0] == at[0][0] && g->dilation_h == 1 && g->dilation_w == 1 && iy0 >= 0 &&
                           iy0 + g->k_h <= g->in_h && ix0 >= 0 && ix0 + 2 * g->stride_w + g->k_w <= g->in_w;
        const int8_t *src = image + (iy0 * g->in_w + ix0) * g->in_c;
        const int step = g->stride_w * g->in_c;
        for (int ky = 0; ky < g->k_h; ++ky) {
          const int8_t *ra, *rb, *rc;
          if (inside) {
            ra = src;
            rb = src + step;
            rc = rb + step;
            src += g->in_w * g->in_c;
          } else {
            ra = tf_dsp_filter_row(row_a, image, at[0][0], at[0][1], ky, g);
            rb = tf_dsp_filter_row(row_b, image, at[1][0], at[1][1], ky, g);
            rc = tf_dsp_filter_row(row_c, image, at[2][0], at[2][1], ky, g);
          }
          tf_dsp_pack_triple(cols + 3 * ((ky * run_bytes) >> 1), ra, rb, rc, run_bytes);
        }
      } else if (split_kh) {
        /* the `split` order (common/isa/dsp_conv/layouts.ts splitRows): three pixels of one row inside the image packed
         * together from it; else each field inside the image packed from it, another gathered into
         * its row buffer first (rows back to back) */
        const int iy0 = at[0][0] * g->stride_h - g->pad_top, ix0 = at[0][1] * g->stride_w - g->pad_left;
        const int step = g->stride_w * g->in_c;
        if (n == 3 && at[2][0] == at[0][0] && iy0 >= 0 && iy0 + (split_kh - 1) * g->dilation_h < g->in_h && ix0 >= 0 &&
            ix0 + 2 * g->stride_w + g->k_w <= g->in_w) {
          tf_dsp_pack_split3(cols, image + (iy0 * g->in_w + ix0) * g->in_c, step, g->dilation_h * g->in_w * g->in_c, split_kh, split_q,
                             split_tail);
        } else {
          for (int i = 0; i < 3; ++i) {
            const int y0 = at[i][0] * g->stride_h - g->pad_top, x0 = at[i][1] * g->stride_w - g->pad_left;
            if (y0 >= 0 && y0 + (split_kh - 1) * g->dilation_h < g->in_h && x0 >= 0 && x0 + g->k_w <= g->in_w) {
              tf_dsp_pack_split(cols + i, image + (y0 * g->in_w + x0) * g->in_c, g->dilation_h * g->in_w * g->in_c, split_kh, split_q,
                                split_tail);
            } else {
              tf_dsp_gather_field(rows[i], image, image_bytes, at[i][0], at[i][1], run_bytes, g);
              tf_dsp_pack_split(cols + i, rows[i], run_bytes, split_kh, split_q, split_tail);
            }
          }
        }
      } else {
        for (int i = 0; i < 3; ++i) tf_dsp_gather_field(rows[i], image, image_bytes, at[i][0], at[i][1], run_bytes, g);
        tf_dsp_pack_triple(cols, row_a, row_b, row_c, k4);
      }
      int8_t *const dst = n == 3 ? out : spare;
      tf_dsp_tr_run_channels(&s, cols, w, k4, rq, dst, out_c, fast, full, run);
      if (n < 3) memcpy(out, spare, (size_t)(n * out_c));
      out += n * out_c;
    }
  }
}

#endif
