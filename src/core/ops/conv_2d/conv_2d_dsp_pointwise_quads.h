/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP 1x1 layers of whole channel quads in the assembly run (common/isa/dsp_conv/quad_run.ts quadRunAsm):
 * the C around the run. */
#ifndef TF_CONV_2D_DSP_POINTWISE_QUADS_H
#define TF_CONV_2D_DSP_POINTWISE_QUADS_H
#include "conv_2d_dsp_quad_rq.h"

/*
 * The 1x1 `pairs` layers of whole channel quads (out_c a multiple of 4) run two pixels by four
 * channels (two channel pairs) in one assembly routine (common/isa/dsp_conv/quad_run.ts quadRunAsm): per half step one LDM of
 * two column words against one LDM of two weight words, the pairs' words for the same lanes (dsp.ts
 * halfwordQuads), so that each LDM moves two registers and the block's fixed work is spread over
 * eight outputs. Layout of a quad in the weights: { start r, start r' }, the quad's 4 k4 weight
 * bytes, { start s, start s', m r, P r, m s, P s, m r', P r', m s', P s' } (common/isa/dsp_conv/layouts.ts withQuadRecords).
 * The routine takes tf_dsp_pw_run_t less its `entry`: it computes where its loop is entered from
 * cols and stop (its turn, four to sixteen steps, is the generator's: common/isa/dsp_conv/choice.ts pointwiseQuadTurn), and
 * ends its loop on the sentinel word past the columns (TF_DSP_QUAD_SENTINEL), not on the stop.
 */

/* The word after a 1x1 layer's columns that ends the quad routine's loop (common/isa/dsp_conv/quad_run.ts QUAD_SENTINEL): its
 * high lane -32768, which no SXTB16 of int8 values gives; the loop reads it with the block's starts
 * of the second channels, then tests it. Two words: the loop loads a half step's pair of them. */
#define TF_DSP_QUAD_SENTINEL 0x80000000u
#define TF_DSP_QUAD_SENTINEL_WORDS 2

/* tf_dsp_pointwise_run_body in channel quads through the assembly routine `run` (0 on the host: its
 * twin). FAST or WIDE (with act_min >= zp) requantization, k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS, out_c a
 * multiple of 4. A last lone pixel (odd pixel counts) runs in `lone` (common/isa/dsp_conv/lone_quad_run.ts quadLoneAsm, one pixel
 * by four channels) where it is given, else in `run` as a pair with itself (its twin in the scratch).
 * `round_k`: the records hold K in place of P (dsp.ts roundRecords); under FAST the frame's zp4 word
 * holds the zero point itself, which the routines' rounding form reads (WIDE's clamp reads the four
 * bytes; FAST's other forms read neither). */
static inline __attribute__((always_inline)) void tf_dsp_pointwise_quad_body(const int8_t *in, int pixels, int k4, const int8_t *w,
                                                                             int out_c, const tf_rq_t *rq, int8_t *out, uint32_t *cols,
                                                                             const int fast, const int full, const int round_k,
                                                                             const int pixel_loop, tf_dsp_pw_run_fn run,
                                                                             tf_dsp_pw_run_fn lone) {
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_pw_run_t s;
  s.cols = cols;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = wide ? zp % 256u * 0x01010101u : (uint32_t)rq->out_zp;
  s.stop = cols + k4;
  s.entry = 0; /* unused: the quads' routines compute their entry */
  /* the routine's loop ends on the sentinel past the columns (TF_DSP_QUAD_SENTINEL); a lone pixel's twin outputs past it */
  cols[k4] = TF_DSP_QUAD_SENTINEL;
  cols[k4 + 1] = 0;
#if TF_DSP_NATIVE
  /* the routine runs every whole pair from one call, packing the next pair's columns itself; an odd
   * pixel count's last pixel is one call of one pair (the other routines read neither field) */
  if (pixel_loop) {
    s.in_next = in;
    s.pairs = 1;
  }
  if (pixel_loop && pixels >= 2) {
    const int pairs = pixels / 2;
    tf_dsp_pack_pair(cols, in, in + k4, k4);
    s.out_a = out;
    s.out_b = out + out_c;
    s.end_a = out + out_c;
    s.in_next = in + 2 * k4;
    s.pairs = pairs;
    (void)run(cols, w, &s);
    s.pairs = 1;
    in += 2 * pairs * k4;
    out += 2 * pairs * out_c;
    pixels -= 2 * pairs;
  }
#else
  (void)pixel_loop;
#endif
  for (int p = 0; p < pixels; p += 2, in += 2 * k4, out += 2 * out_c) {
    const int pair = p + 1 < pixels;
    tf_dsp_pack_pair(cols, in, pair ? in + k4 : in, k4);
    s.out_a = out;
    s.out_b = pair ? out + out_c : (int8_t *)(void *)(cols + k4 + TF_DSP_QUAD_SENTINEL_WORDS);
    s.end_a = out + out_c;
#if TF_DSP_NATIVE
    (void)fast;
    (void)full;
    (void)round_k;
    (void)(pair || !lone ? run : lone)(cols, w, &s);
#else
    (void)run;
    (void)lone;
    (void)tf_dsp_pw_quad_twin_rq(&s, w, k4, rq, fast, full, round_k);
#endif
  }
}

#endif
