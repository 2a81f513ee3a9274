/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's Arm DSP 1x1 layers in the `pairs` layout by channel pairs in the assembly run
 * (common/isa/dsp_conv/pairs_run.ts pairsRunAsm): the C around the run, its twin outputs and odd channel. */
#ifndef TF_CONV_2D_DSP_POINTWISE_PAIRS_H
#define TF_CONV_2D_DSP_POINTWISE_PAIRS_H
#include "conv_2d_dsp.h"

/* The routine's C twin (the host's; the same layout and the same integers). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_pw_run_twin(const tf_dsp_pw_run_t *s, const int8_t *w, int k4,
                                                                              const tf_rq_t *rq, const int fast, const int full) {
  int8_t *out_b = s->out_b;
  for (int8_t *out_a = s->out_a; out_a < s->end_a; out_a += 2, out_b += 2) {
    const int32_t start_r = (int32_t)TF_LOAD32(w);
    int32_t ra = start_r, rb = start_r, ca = start_r, cb = start_r;
    w += 4;
    for (const uint32_t *x = s->cols; x < s->cols + k4; x += 4, w += 8) tf_dsp_pair_step(x, w, &ra, &rb, &ca, &cb);
    const int32_t start_s = (int32_t)TF_LOAD32(w), ma = (int32_t)TF_LOAD32(w + 4), pa = (int32_t)TF_LOAD32(w + 8);
    const int32_t mb = (int32_t)TF_LOAD32(w + 12), pb = (int32_t)TF_LOAD32(w + 16);
    w += 20;
    const int32_t sa = start_s + ((int32_t)((uint32_t)ca - (uint32_t)ra) >> 8);
    const int32_t sb = start_s + ((int32_t)((uint32_t)cb - (uint32_t)rb) >> 8);
    const int32_t raa = tf_dsp_rq_sat(ra, ma, pa, rq, fast), rab = tf_dsp_rq_sat(rb, ma, pa, rq, fast);
    const int32_t rba = tf_dsp_rq_sat(sa, mb, pb, rq, fast), rbb = tf_dsp_rq_sat(sb, mb, pb, rq, fast);
    const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
    const uint32_t v = full ? tf_bytes4(raa, rba, rab, rbb) : tf_smin8(tf_smax8(tf_bytes4(raa, rba, rab, rbb), lo4), hi4);
    tf_put2(out_a, v);
    tf_put2(out_b, v >> 16);
  }
  return w;
}

/* tf_dsp_pointwise_body with the channel pairs in the assembly routine `run` (0 on the host: its
 * twin). FAST or WIDE (with act_min >= zp) requantization, k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS, out_c >= 2. */
static inline __attribute__((always_inline)) void tf_dsp_pointwise_run_body(const int8_t *in, int pixels, int k4, const int8_t *w,
                                                                            int out_c, const tf_rq_t *rq, int8_t *out, uint32_t *cols,
                                                                            const int fast, const int full, tf_dsp_pw_run_fn run) {
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_pw_run_t s;
  s.cols = cols;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  s.stop = cols + k4;
  s.entry = tf_dsp_entry_pairs(k4);
  const int pairs_c = out_c & ~1;
  for (int p = 0; p < pixels; p += 2, in += 2 * k4, out += 2 * out_c) {
    const int pair = p + 1 < pixels;
    tf_dsp_pack_pair(cols, in, pair ? in + k4 : in, k4);
    s.out_a = out;
    s.out_b = pair ? out + out_c : (int8_t *)(void *)(cols + k4);
    s.end_a = out + pairs_c;
#if TF_DSP_NATIVE
    const int8_t *const rest = run(cols, w, &s);
#else
    (void)run;
    const int8_t *const rest = tf_dsp_pw_run_twin(&s, w, k4, rq, fast, full);
#endif
    if (out_c & 1) tf_dsp_odd_channel(cols, k4, rest, rq, s.out_a + pairs_c, s.out_b + pairs_c, fast, full);
  }
}

#endif
