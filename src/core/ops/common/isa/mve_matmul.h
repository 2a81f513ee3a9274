/* SPDX-License-Identifier: Apache-2.0 */
/* The requantization end of the MVE matrix product (mve_matmul.ts): four channels' int32 sums of one
 * row, gathered in one vector, get their start values, TFLite Micro's MultiplyByQuantizedMultiplier
 * (arm_helium.h's tf_mve_mbqm, bit-exact); the layer's code then adds the output zero point, clamps
 * and writes the four int8 results with one VSTRB.32 (predicated where a group has fewer channels).
 * The records of one group of four channels: multipliers, then (when some shift is positive) left
 * shifts max(shift, 0), then min(shift, 0), as int32 vectors, loaded with one VLDRW each. */
#ifndef TF_MVE_MATMUL_H
#define TF_MVE_MATMUL_H
#include <stdint.h>
#include "arm_helium.h"

/* four scalar sums as one vector: two VMOVs of two general registers into two lanes each */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mm_lanes(int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
  const int32x4_t v = {a0, a1, a2, a3};
  return v;
}

/* per-channel requantization with left shifts: rq = {mult[4], left[4], neg_right[4]} */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mm_rq_left(int32x4_t acc, const int32_t *rq) {
  return tf_mve_mbqm(acc, vldrwq_s32(rq), vldrwq_s32(rq + 4), vldrwq_s32(rq + 8));
}

/* per-channel requantization, every shift <= 0: rq = {mult[4], neg_right[4]} */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mm_rq_right(int32x4_t acc, const int32_t *rq) {
  return tf_mve_rdbpot(vqrdmulhq_s32(acc, vldrwq_s32(rq)), vldrwq_s32(rq + 4));
}

/* RoundingDivideByPOT(x, e) for e >= 1 in every lane (`neg_e` = -e): a negative x is one step lower
 * for VRSHL's half-up rounding without tf_mve_rdbpot's mask (x's own sign, as -e < 0) */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mm_rdbpot_down(int32x4_t x, int32x4_t neg_e) {
  return vrshlq_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), neg_e);
}

/* per-channel requantization, every shift < 0: rq = {mult[4], neg_right[4]} */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mm_rq_down(int32x4_t acc, const int32_t *rq) {
  return tf_mve_mm_rdbpot_down(vqrdmulhq_s32(acc, vldrwq_s32(rq)), vldrwq_s32(rq + 4));
}

/* per-tensor requantization by a shift < 0 */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mm_rq_down_n(int32x4_t acc, int32_t multiplier, int32_t shift) {
  return tf_mve_mm_rdbpot_down(vqrdmulhq_n_s32(acc, multiplier), vdupq_n_s32(shift));
}

/* per-tensor requantization by a shift <= 0: no left shift to make */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mm_rq_right_n(int32x4_t acc, int32_t multiplier, int32_t shift) {
  return tf_mve_rdbpot(vqrdmulhq_n_s32(acc, multiplier), vdupq_n_s32(shift));
}

#endif
