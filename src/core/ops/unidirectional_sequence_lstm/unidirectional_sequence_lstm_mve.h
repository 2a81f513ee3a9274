/* SPDX-License-Identifier: Apache-2.0 */
/* UNIDIRECTIONAL_SEQUENCE_LSTM's Arm MVE variant (Cortex-M55, Cortex-M85): the block sums' C form and
 * the four-lane pieces of the gate and cell arithmetic (unidirectional_sequence_lstm_mve.c.hbs, whose
 * layer code writes every shift as a literal). Values saturated to int16 live in the bottom int16
 * lanes of an int16x8_t, which are the low halves of the int32 lanes: VSTRH.32 stores them as they
 * are, VMOVLB widens them back. */
#ifndef TF_UNIDIRECTIONAL_SEQUENCE_LSTM_MVE_H
#define TF_UNIDIRECTIONAL_SEQUENCE_LSTM_MVE_H
#include <stdint.h>
#include <string.h>
#include "arm_helium.h"
#include "sigmoid_int16.h"

/* x and h of the step into the scratch, each zero-padded to whole 16-byte passes */
static inline __attribute__((always_inline)) void tf_lstm_mve_pad(int8_t *dst, const int8_t *src, int n) {
  for (int k = 0; k < n; k += 16) vstrbq_s8(dst + k, vldrbq_z_s8(src + k, vctp8q((uint32_t)(n - k))));
}

/* The block sums of mve.ts's inline assembly, for unoptimised builds: per pair of gates, the x side
 * (xp passes) then the h side (hp passes), each eight rows' starts then the passes' eight rows of 16
 * bytes; the sums go to s in the same order. Returns the stream past the block. */
static inline const int8_t *tf_lstm_mve_block_sums(const int8_t *w, const int8_t *buf, int xp, int hp, int32_t *s) {
  for (int pair = 0; pair < 2; ++pair) {
    const int8_t *v = buf;
    for (int side = 0; side < 2; ++side, s += 8) {
      int32_t acc[8];
      memcpy(acc, w, sizeof acc);
      w += sizeof acc;
      for (int k = side ? hp : xp; k > 0; --k, v += 16) {
        const int8x16_t x = vldrbq_s8(v);
        for (int j = 0; j < 8; ++j, w += 16) acc[j] = vmladavaq_s8(acc[j], x, vldrbq_s8(w));
      }
      memcpy(s, acc, sizeof acc);
    }
  }
  return w;
}

/* int32 lanes saturated to int16, into the bottom int16 lanes (the top ones are don't-cares) */
static inline __attribute__((always_inline)) int16x8_t tf_lstm_mve_narrow(int32x4_t x) { return vqmovnbq_s32(vreinterpretq_s16_s32(x), x); }

/* RoundingDivideByPOT's first step for a right shift e >= 1: a negative x one lower, so that the
 * half-up rounding shift rounds its ties away from zero (arm_helium.h) */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_down(int32x4_t x) { return vqaddq_s32(x, vshrq_n_s32(x, 31)); }

/* the rounding shift right by e (1 to 16) saturated to int16, into the bottom int16 lanes */
#define tf_lstm_mve_rshr_narrow(x, e) vqrshrnbq_n_s32(vreinterpretq_s16_s32(x), (x), (e))

/* tf_lstm_sigmoid3 per lane (sigmoid_int16.h): |3 pre| < 255 * 2^9 for int16 pre, so the table
 * index stays below 255 with no saturation branch; the negative side is 2^15 - p */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_sigmoid3(int32x4_t pre) {
  const int32x4_t x = vmulq_n_s32(pre, 3);
  const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(x));
  const uint32x4_t uh = vshrq_n_u32(a, 9);
  const uint32x4_t ua = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, uh);
  const uint32x4_t ub = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16 + 1, uh);
  const uint32x4_t frac = vsubq_u32(a, vshlq_n_u32(uh, 9));
  const uint32x4_t r = vaddq_u32(vshlq_n_u32(ua, 9), vmulq_u32(frac, vsubq_u32(ub, ua)));
  const int32x4_t p = vreinterpretq_s32_u32(vrshrq_n_u32(r, 10));
  return vpselq_s32(vaddq_n_s32(vnegq_s32(p), 32768), p, vcmpltq_n_s32(x, 0));
}

/* tf_lstm_tanh per lane (sigmoid_int16.h): indices from 255 on give the saturated value 2^15 - 1;
 * the gathers read a clamped index there, whose value is discarded */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_tanh(int32x4_t x) {
  const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(x));
  const uint32x4_t uh = vshrq_n_u32(a, 8);
  const uint32x4_t index = vminq_u32(uh, vdupq_n_u32(254u));
  const uint32x4_t ua = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, index);
  const uint32x4_t ub = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16 + 1, index);
  const uint32x4_t frac = vsubq_u32(a, vshlq_n_u32(uh, 8));
  const uint32x4_t r = vaddq_u32(vshlq_n_u32(ua, 8), vmulq_u32(frac, vsubq_u32(ub, ua)));
  int32x4_t p = vsubq_n_s32(vreinterpretq_s32_u32(vrshrq_n_u32(r, 8)), 32768);
  p = vdupq_m_n_s32(p, 32767, vcmpcsq_n_u32(uh, 255u));
  return vpselq_s32(vnegq_s32(p), p, vcmpltq_n_s32(x, 0));
}

#endif
