/* SPDX-License-Identifier: Apache-2.0 */
/* What CONV_2D's Arm DSP band kernels share (conv_2d_dsp_row_bands.h, conv_2d_dsp_stem_bands.h):
 * the band run's type and the requantization of its twin outputs. */
#ifndef TF_CONV_2D_DSP_BANDS_H
#define TF_CONV_2D_DSP_BANDS_H
#include "conv_2d_dsp.h"

/* The routine's C twin (the host's): tf_dsp_pw_quad_twin_rq with pixel B's words `off` bytes past A's;
 * `round_k`: the records hold K in place of P (tf_dsp_rq_round_sat). */
static inline __attribute__((always_inline)) void tf_dsp_band_quad_twin_rq(const tf_dsp_pw_run_t *s, const int8_t *w, int k4, int off,
                                                                           const tf_rq_t *rq, const int fast, const int full,
                                                                           const int round_k) {
  int8_t *out_b = s->out_b;
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  const uint32_t *const xb0 = (const uint32_t *)(const void *)((const int8_t *)(const void *)s->cols + off);
  for (int8_t *out_a = s->out_a; out_a < s->end_a; out_a += 4, out_b += 4) {
    const int32_t start_p = (int32_t)TF_LOAD32(w), start_q = (int32_t)TF_LOAD32(w + 4);
    int32_t pra = start_p, prb = start_p, pca = start_p, pcb = start_p;
    int32_t qra = start_q, qrb = start_q, qca = start_q, qcb = start_q;
    w += 8;
    for (int i = 0; i < k4 / 2; i += 2, w += 16) {
      for (int h = 0; h < 2; ++h) {
        const uint32_t xa = s->cols[i + h], xb = xb0[i + h];
        const uint32_t wp = TF_LOAD32(w + 8 * h), wq = TF_LOAD32(w + 8 * h + 4);
        pca = tf_smlad(xa, wp, pca);
        pcb = tf_smlad(xb, wp, pcb);
        pra = tf_smlad(xa, tf_sxtb16(wp), pra);
        prb = tf_smlad(xb, tf_sxtb16(wp), prb);
        qca = tf_smlad(xa, wq, qca);
        qcb = tf_smlad(xb, wq, qcb);
        qra = tf_smlad(xa, tf_sxtb16(wq), qra);
        qrb = tf_smlad(xb, tf_sxtb16(wq), qrb);
      }
    }
    const int32_t start_ps = (int32_t)TF_LOAD32(w), start_qs = (int32_t)TF_LOAD32(w + 4);
    const int32_t psa = start_ps + ((int32_t)((uint32_t)pca - (uint32_t)pra) >> 8);
    const int32_t psb = start_ps + ((int32_t)((uint32_t)pcb - (uint32_t)prb) >> 8);
    const int32_t qsa = start_qs + ((int32_t)((uint32_t)qca - (uint32_t)qra) >> 8);
    const int32_t qsb = start_qs + ((int32_t)((uint32_t)qcb - (uint32_t)qrb) >> 8);
    w += 8;
    int32_t q[8];
    for (int i = 0; i < 8; ++i) q[i] = (int32_t)TF_LOAD32(w + 4 * i);
    w += 32;
#define TF_DSP_BAND_RQ(acc, m, p) (round_k ? tf_dsp_rq_round_sat(acc, m, p, rq, fast) : tf_dsp_rq_sat(acc, m, p, rq, fast))
    const int32_t a0 = TF_DSP_BAND_RQ(pra, q[0], q[1]), b0 = TF_DSP_BAND_RQ(prb, q[0], q[1]);
    const int32_t a1 = TF_DSP_BAND_RQ(psa, q[2], q[3]), b1 = TF_DSP_BAND_RQ(psb, q[2], q[3]);
    const int32_t a2 = TF_DSP_BAND_RQ(qra, q[4], q[5]), b2 = TF_DSP_BAND_RQ(qrb, q[4], q[5]);
    const int32_t a3 = TF_DSP_BAND_RQ(qsa, q[6], q[7]), b3 = TF_DSP_BAND_RQ(qsb, q[6], q[7]);
#undef TF_DSP_BAND_RQ
    const uint32_t va = tf_bytes4(a0, a1, a2, a3), vb = tf_bytes4(b0, b1, b2, b3);
    const uint32_t ca = full ? va : tf_smin8(tf_smax8(va, lo4), hi4), cb = full ? vb : tf_smin8(tf_smax8(vb, lo4), hi4);
    tf_put2(out_a, ca);
    tf_put2(out_a + 2, ca >> 16);
    tf_put2(out_b, cb);
    tf_put2(out_b + 2, cb >> 16);
  }
}

/* common/isa/dsp_conv/band_run.ts bandRunAsm: `pairs` pixel pairs of one band, each 2 off bytes of columns and 2 out_c outputs past the one before */
typedef const int8_t *(*tf_dsp_band_run_fn)(const uint32_t *cols, const int8_t *w, const tf_dsp_pw_run_t *s, int pairs);

#endif
