/* SPDX-License-Identifier: Apache-2.0 */
/* The family header of the Armv8.1-M MVE (Helium) targets, the Cortex-M55 and Cortex-M85: the Arm DSP
 * primitives of arm_dsp.h (an MVE core has the DSP extension, and runs the Arm DSP kernels of every op
 * that has no MVE kernel), the compiler's <arm_mve.h> intrinsics, and the vector building blocks the
 * MVE kernels share. Named apart from <arm_mve.h>: the generated folder is on the include path, and a
 * header of ours called arm_mve.h would hide the compiler's.
 *
 * Requantization, four lanes at a time, equal to TFLite Micro's MultiplyByQuantizedMultiplier
 * (fixedpoint.h's tf_mbqm) for every input:
 *   - x << left wraps as TFLM's int32 product does (VSHL by a non-negative vector);
 *   - SaturatingRoundingDoublingHighMul is VQRDMULH: both round half up ((2ab + 2^31) >> 32), and both
 *     saturate only INT32_MIN * INT32_MIN, to INT32_MAX;
 *   - RoundingDivideByPOT rounds half away from zero, VRSHL by -e half up: x - 1 for a negative x
 *     and e > 0 moves every negative tie down one step and no other value across one. The sign is
 *     x & -e's sign bit (-e < 0 exactly when e > 0), and the add saturates so INT32_MIN stays put
 *     (INT32_MIN is a multiple of 2^e: no tie). */
#ifndef TF_ARM_HELIUM_H
#define TF_ARM_HELIUM_H
#include <stdint.h>
#include "arm_dsp.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#define TF_MVE_NATIVE 1

/* RoundingDivideByPOT(x, e) per lane, `neg_e` holding -e (e >= 0) */
static inline __attribute__((always_inline)) int32x4_t tf_mve_rdbpot(int32x4_t x, int32x4_t neg_e) {
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, neg_e), 31);
  return vrshlq_s32(vqaddq_s32(x, fixup), neg_e);
}

/* MultiplyByQuantizedMultiplier per lane: `left` = max(shift, 0), `neg_right` = min(shift, 0) */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mbqm(int32x4_t x, int32x4_t multiplier, int32x4_t left, int32x4_t neg_right) {
  return tf_mve_rdbpot(vqrdmulhq_s32(vshlq_s32(x, left), multiplier), neg_right);
}

/* The same with one multiplier and shift for every lane (per-tensor quantization) */
static inline __attribute__((always_inline)) int32x4_t tf_mve_mbqm_n(int32x4_t x, int32_t multiplier, int32_t shift) {
  const int32x4_t left = vdupq_n_s32(shift > 0 ? shift : 0);
  const int32x4_t neg_right = vdupq_n_s32(shift > 0 ? 0 : shift);
  return tf_mve_rdbpot(vqrdmulhq_n_s32(vshlq_s32(x, left), multiplier), neg_right);
}

/* zp + x clamped to [lo, hi], the int8 result in each lane's low byte (VSTRB.32 stores it) */
static inline __attribute__((always_inline)) int32x4_t tf_mve_zp_clamp(int32x4_t x, int32_t zp, int32_t lo, int32_t hi) {
  return vminq_s32(vmaxq_s32(vaddq_n_s32(x, zp), vdupq_n_s32(lo)), vdupq_n_s32(hi));
}
#else
#error "arm_helium.h is the family header of MVE (Helium) cores: compile with -mcpu=cortex-m55 or cortex-m85"
#endif

#endif
