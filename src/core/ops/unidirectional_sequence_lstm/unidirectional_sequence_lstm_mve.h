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

/* The sums of mve.ts's inline assembly, for unoptimised builds: one pair of gates' x side (xp passes)
 * then h side (hp passes), each eight rows' starts then the passes' eight rows of 16 bytes. Returns
 * the stream past the pair; sums[0..3] and sums[4..7] are the x sums of the pair's first and second
 * gate, sums[8..15] the h sums. */
static inline const int8_t *tf_lstm_mve_pair_sums(const int8_t *w, const int8_t *buf, int xp, int hp, int32_t *sums) {
  for (int side = 0; side < 2; ++side, sums += 8) {
    int32_t acc[8];
    memcpy(acc, w, sizeof acc);
    w += sizeof acc;
    for (int k = side ? hp : xp; k > 0; --k, buf += 16) {
      const int8x16_t x = vldrbq_s8(buf);
      for (int j = 0; j < 8; ++j, w += 16) acc[j] = vmladavaq_s8(acc[j], x, vldrbq_s8(w));
    }
    memcpy(sums, acc, sizeof acc);
  }
  return w;
}

/* int32 lanes saturated to int16, into the bottom int16 lanes; the top ones keep `spare`'s halves
 * (a vector the caller is done with: narrowing writes half of its destination, and a register that
 * is free anyway costs no copy) */
static inline __attribute__((always_inline)) int16x8_t tf_lstm_mve_narrow(int32x4_t spare, int32x4_t x) {
  return vqmovnbq_s32(vreinterpretq_s16_s32(spare), x);
}

/* RoundingDivideByPOT's first step for a right shift e >= 1: a negative x one lower, so that the
 * half-up rounding shift rounds its ties away from zero (arm_helium.h) */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_down(int32x4_t x) { return vqaddq_s32(x, vshrq_n_s32(x, 31)); }

/* the rounding shift right by e (1 to 16) saturated to int16, into the bottom int16 lanes (the top
 * ones: tf_lstm_mve_narrow's `spare`) */
#define tf_lstm_mve_rshr_narrow(spare, x, e) vqrshrnbq_n_s32(vreinterpretq_s16_s32(spare), (x), (e))

/* tf_lstm_sigmoid3 per lane (sigmoid_int16.h): |3 pre| < 255 * 2^9 for int16 pre, so the table
 * index stays below 255 with no saturation branch. With a = |3 pre|, h = a >> 9 and the interpolated
 * R = 2^9 T[h] + (a - 2^9 h) (T[h + 1] - T[h]), q = ((R + 2^9) >> 10) - 2^14 comes from R - 2^24
 * (VMLA, VMLAS: no shifts, adds or predicates); the result is 2^14 + q, or 2^14 - q = 2^15 - p for
 * a negative input: 2^14 plus q times the input's sign (x >> 31 | 1). */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_sigmoid3(int32x4_t pre) {
  const int32x4_t x = vmulq_n_s32(pre, 3);
  const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(x));
  const uint32x4_t uh = vshrq_n_u32(a, 9);
  const uint32x4_t ua = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, uh);
  const uint32x4_t ub = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16 + 1, uh);
  const uint32x4_t frac = vmlaq_n_u32(a, uh, (uint32_t)-512);
  const uint32x4_t r = vmlaq_n_u32(vmlasq_n_u32(frac, vsubq_u32(ub, ua), (uint32_t) - (1 << 24)), ua, 512u);
  const int32x4_t q = vrshrq_n_s32(vreinterpretq_s32_u32(r), 10);
  return vmlasq_n_s32(q, vorrq_n_s32(vshrq_n_s32(x, 31), 1), 16384);
}

/* tf_lstm_tanh per lane (sigmoid_int16.h): from |x| = 255 * 2^8 on the output saturates at 2^15 - 1,
 * which the table gives at 255 * 2^8 - 1 (T[254] = 2^16 - 2, T[255] = 2^16 - 1), so |x| is clamped
 * there (a saturating subtraction, no predicate). p = ((R + 2^7) >> 8) - 2^15 comes from R - 2^23 as
 * in tf_lstm_mve_sigmoid3; the result is p times the input's sign. */
static inline __attribute__((always_inline)) int32x4_t tf_lstm_mve_tanh(int32x4_t x) {
  const uint32x4_t abs = vreinterpretq_u32_s32(vabsq_s32(x));
  const uint32x4_t a = vsubq_u32(abs, vqsubq_n_u32(abs, 255u * 256u - 1u));
  const uint32x4_t uh = vshrq_n_u32(a, 8);
  const uint32x4_t ua = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16, uh);
  const uint32x4_t ub = vldrhq_gather_shifted_offset_u32(tf_sigmoid_table_q16 + 1, uh);
  const uint32x4_t frac = vmlaq_n_u32(a, uh, (uint32_t)-256);
  const uint32x4_t r = vmlaq_n_u32(vmlasq_n_u32(frac, vsubq_u32(ub, ua), (uint32_t) - (1 << 23)), ua, 256u);
  const int32x4_t p = vrshrq_n_s32(vreinterpretq_s32_u32(r), 8);
  return vmulq_s32(p, vorrq_n_s32(vshrq_n_s32(x, 31), 1));
}

#endif
