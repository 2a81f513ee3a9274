/* SPDX-License-Identifier: Apache-2.0 */
/* TFLite Micro's 16x8 requantization, MultiplyByQuantizedMultiplier(int64 x, multiplier, shift)
 * (fixedpoint64.h's tf_mbqm64): m = the multiplier reduced to 15 bits, ts = 15 - shift, and
 * out = (x * m + 2^(ts - 1)) >> ts in int64. That costs a 64x16 multiply and a variable 64-bit shift
 * per output, tens of instructions on a 32-bit core. Most sums fit int32 though, and then it has a
 * 32-bit form that is the same integer for every x:
 *
 *   with x in int32, ts in [16, 32] and F = m * 2^(32 - ts) (at most 0x7FFF * 2^16 < 2^31),
 *   (x * m + 2^(ts - 1)) >> ts = (x * F + 2^31) >> 32,
 *
 * the top word of x * F rounded, which is SMMULR on Arm DSP. The other cores compute the same
 * integer their own way (tf_s16_rq_fast). A per-channel table holds F, or 0 where ts is outside
 * [16, 32] (shift > -1 or < -17: scales at least 0.5 or below 2^-18, which no converter picks for
 * a convolution but which stay exact through the 64-bit form), and a run-time test sends sums that
 * do not fit int32 to the 64-bit form. tf_s16_rq_fast is checked against tf_mbqm64 for every ts and
 * random and extreme x by int16_requant.test.ts. The TS side is int16_gemv.ts's int16FastMultipliers. */
#ifndef TF_INT16_REQUANT_H
#define TF_INT16_REQUANT_H
#include <stdint.h>
#include "isa.h"
#include "fixedpoint64.h"

/* (x * F + 2^31) >> 32 for F = m * 2^(32 - ts), ts in [16, 32]; `dsp` (a constant) picks SMMULR. */
static inline __attribute__((always_inline)) int32_t tf_s16_rq_fast(int32_t x, int32_t f, const int dsp) {
  if (dsp) return tf_smmulr(x, f);
#if defined(__ARM_ARCH_6M__) || defined(TF_S16_RQ_SPLIT)
  {
    /* Armv6-M has no 32x32->64 multiply: x = xh * 2^16 + xl, and F = fh * 2^16 + fl, so
     * x * F + 2^31 = xh*fh * 2^32 + (xh*fl + xl*fh) * 2^16 + xl*fl + 2^31; every product fits 32 bits
     * (|xh|, fh < 2^15 and xl, fl < 2^16: xl*fl as unsigned), and the carries go up word by word. */
    const int32_t xh = x >> 16, fh = f >> 16;
    const uint32_t xl = (uint32_t)x & 0xFFFFu, fl = (uint32_t)f & 0xFFFFu;
    const uint32_t low = xl * fl;
    const int32_t mid1 = xh * (int32_t)fl, mid2 = (int32_t)(xl * (uint32_t)fh);
    /* the low word's bits 16..31 plus the rounding 2^31 (2^15 at bit 16) plus both middle terms,
     * carried into the top word: each term below 2^31 in magnitude, so a 64-bit-free sum in two steps */
    const int32_t carry = (int32_t)(low >> 16) + (1 << 15) + (mid2 & 0xFFFF) + (mid1 & 0xFFFF);
    return xh * fh + (mid1 >> 16) + (mid2 >> 16) + (carry >> 16);
  }
#else
  /* RV32 and the host: MULHSU of x and 2F (below 2^32 unsigned), i.e. floor(x * F / 2^31), then one
   * rounding halving: floor((floor(y) + 1) / 2) = floor((y + 1) / 2) */
  {
    const int32_t h = (int32_t)(((int64_t)x * (int64_t)(2u * (uint32_t)f)) >> 32);
    return (h + 1) >> 1;
  }
#endif
}

/* tf_mbqm64(x, multiplier, shift), through the 32-bit form when x fits int32 and f (the channel's F)
 * is not 0. */
static inline int32_t tf_s16_mbqm64(int64_t x, int32_t multiplier, int shift, int32_t f, const int dsp) {
  if (f != 0 && x == (int64_t)(int32_t)x) return tf_s16_rq_fast((int32_t)x, f, dsp);
  return tf_mbqm64(x, multiplier, shift);
}

#endif
