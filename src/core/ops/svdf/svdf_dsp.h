/* SPDX-License-Identifier: Apache-2.0 */
/* SVDF's Arm DSP requantization (svdf/dsp.ts svdfDspRequantFn): TFLite Micro's
 * MultiplyByQuantizedMultiplier(acc, m, -e) + zp, clamped to a signed Q-bit type (int8 or int16),
 * exact for ANY int32 acc, as the time sums may wrap. With m normalized (2^30 <= m < 2^31),
 * 1 <= e and m2 = 2m - 2^32 (an int32):
 *   h = SRDHM(acc, m) = floor((acc m + 2^30) / 2^31) = SMMLAR(acc, m2, acc), the 64-bit sum
 *       acc 2^32 + acc m2 + 2^31 = 2 acc m + 2^31 exact (|2 acc m| < 2^63), its top word the floor;
 *   RDBPOT(h, e) + zp = floor((h - [h<0] + K) / 2^e) with K = 2^(e-1) + zp 2^e (round half away
 *       from zero; the zero point is a multiple of 2^e, so it adds after the floor unchanged);
 *       h - [h<0] = h + (h >> 31) >= -2^31 as |h| <= 2^31 - 1;
 *   the sum h - [h<0] + K by QADD (saturating): where it does not saturate it is exact; where it
 *       saturates high the true result is >= 2^(31-e) and ours (2^31 - 1) >> e = 2^(31-e) - 1, both
 *       >= 2^(Q-1) - 1 (the type's top) as dsp.ts requires e <= 32 - Q; saturating low, both <=
 *       -2^(31-e) <= -2^(Q-1): the clamp (SSAT) gives the same value either way.
 * SMMLAR, ADD, QADD, ASR and SSAT per output. svdf.test.ts checks it against tf_mbqm on the host. */
#ifndef TF_SVDF_DSP_H
#define TF_SVDF_DSP_H
#include <stdint.h>
#include "arm_dsp.h"

static inline __attribute__((always_inline)) int32_t tf_svdf_qadd(int32_t a, int32_t b) {
#if TF_DSP_NATIVE
  int32_t r;
  __asm__("qadd %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  const int64_t s = (int64_t)a + b;
  return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
#endif
}

/* floor((SRDHM(acc, m) - [h<0] + k) / 2^e), saturating the sum (see above); m2 = 2m - 2^32 */
static inline __attribute__((always_inline)) int32_t tf_svdf_rq(int32_t acc, int32_t m2, int32_t k, const int e) {
  const int32_t h = tf_dsp_smmlar(acc, m2, acc);
  return tf_svdf_qadd(h + (h >> 31), k) >> e;
}

#endif
