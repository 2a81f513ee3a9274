/* SPDX-License-Identifier: Apache-2.0 */
/* UNIDIRECTIONAL_SEQUENCE_LSTM's Arm MVE variant (Cortex-M55, Cortex-M85): the four gate rows' sums
 * (unidirectional_sequence_lstm_mve.c.hbs); the requantizations and activations are the Arm DSP
 * variant's (unidirectional_sequence_lstm_dsp.h). */
#ifndef TF_UNIDIRECTIONAL_SEQUENCE_LSTM_MVE_H
#define TF_UNIDIRECTIONAL_SEQUENCE_LSTM_MVE_H
#include <stdint.h>
#include "arm_helium.h"
#include "unidirectional_sequence_lstm_dsp.h"

/* acc[g] += sum_k x[k] w[g n + k] for the four rows g of w (n int8 columns each, rows contiguous),
 * 16 columns a pass with the tail under a predicate: x is loaded once for the four rows. Partial
 * sums wrap like int32; the generator bounds the whole sum. */
static inline __attribute__((always_inline)) void tf_lstm_mve_dot4(const int8_t *x, const int8_t *w, int n, int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  for (int k = 0; k < n; k += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - k));
    const int8x16_t xv = vldrbq_z_s8(x + k, p);
    a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w + k, p), p);
    a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w + n + k, p), p);
    a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w + 2 * n + k, p), p);
    a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w + 3 * n + k, p), p);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* int32 lanes saturated to int16 */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_sat16(int32x4_t x) {
  return vminq_s32(vmaxq_s32(x, vdupq_n_s32(-32768)), vdupq_n_s32(32767));
}

/* tf_lstm_sigmoid3 per lane (sigmoid_int16.h): |3 pre| < 255 * 2^9 for int16 pre, so the table
 * index stays below 255 with no saturation branch */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_sigmoid3(int32x4_t pre) {
  const int32x4_t x = vmulq_n_s32(pre, 3);
  const mve_pred16_t negative = vcmpltq_n_s32(x, 0);
  const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(x));
  const uint32x4_t uh = vshrq_n_u32(a, 9);
  const uint32x4_t ua = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, uh);
  const uint32x4_t ub = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, vaddq_n_u32(uh, 1));
  const uint32x4_t r = vaddq_u32(vshlq_n_u32(ua, 9), vmulq_u32(vandq_u32(a, vdupq_n_u32(0x1FFu)), vsubq_u32(ub, ua)));
  const int32x4_t p = vreinterpretq_s32_u32(vshrq_n_u32(vaddq_n_u32(r, 512u), 10));
  return vpselq_s32(vsubq_s32(vdupq_n_s32(32768), p), p, negative);
}

/* tf_lstm_tanh per lane (sigmoid_int16.h): indices from 255 on give the saturated value; the
 * gathers read a clamped index there, whose value is discarded */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_tanh(int32x4_t x) {
  const mve_pred16_t negative = vcmpltq_n_s32(x, 0);
  const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(x));
  const uint32x4_t uh = vshrq_n_u32(a, 8);
  const mve_pred16_t saturated = vcmpcsq_n_u32(uh, 255u);
  const uint32x4_t index = vminq_u32(uh, vdupq_n_u32(254u));
  const uint32x4_t ua = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, index);
  const uint32x4_t ub = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, vaddq_n_u32(index, 1));
  uint32x4_t r = vaddq_u32(vshlq_n_u32(ua, 8), vmulq_u32(vandq_u32(a, vdupq_n_u32(0xFFu)), vsubq_u32(ub, ua)));
  r = vpselq_u32(vdupq_n_u32(0xFFFFu << 8), r, saturated);
  const int32x4_t p = vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(vaddq_n_u32(r, 128u), 8)), vdupq_n_s32(32768));
  return vpselq_s32(vnegq_s32(p), p, negative);
}

/* TFLite Micro's MultiplyByQuantizedMultiplier per lane, saturated to int16 */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_rq16(int32x4_t acc, int32_t multiplier, int32_t shift) {
  return tf_lstm_mve_sat16(tf_mve_mbqm_n(acc, multiplier, shift));
}

#endif
