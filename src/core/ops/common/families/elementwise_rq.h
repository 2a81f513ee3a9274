/* SPDX-License-Identifier: Apache-2.0 */
/* The output stage of the int8 common-scale kernels (ADD, SUB; binary_elementwise.ts plans it):
 * SMMLAR gives SRDHM and the rounding constant in one instruction, SSAT with a shifted operand the
 * rounding right shift and the int8 saturation in another. Plain C99 twins elsewhere (the host,
 * Armv6-M, RISC-V, Xtensa), computing the same integers. */
#ifndef TF_ELEMENTWISE_RQ_H
#define TF_ELEMENTWISE_RQ_H
#include <stdint.h>

#include "isa.h"

#if TF_DSP_NATIVE
#define tf_ew_smmlar tf_dsp_smmlar
/* dst = saturate_int8(v >> e), e a literal in 1..31 */
#define TF_EW_SSAT8_ASR(dst, v, e) __asm__("ssat %0, #8, %1, asr #" #e : "=r"(dst) : "r"(v))
#define TF_EW_SSAT8(dst, v) __asm__("ssat %0, #8, %1" : "=r"(dst) : "r"(v))
/* an int8 store the compiler does not merge with its neighbours: GCC joins four adjacent byte
 * stores into one word assembled with BFI, two instructions more than the four STRB */
#define TF_EW_STORE8(dst, v) __asm__("strb %1, %0" : "=m"(dst) : "r"(v))
#else
/* acc + (a * b + 2^31) >> 32 for any a and 0 <= b < 2^31, from four 16x16 products that fit 32 bits:
 * Armv6-M has no 32x32->64 multiply and the library call costs several times these. */
static inline int32_t tf_ew_smmlar_split(int32_t a, int32_t b, int32_t acc) {
  const int32_t ah = a >> 16, bh = b >> 16;
  const uint32_t al = (uint32_t)a & 0xffffu, bl = (uint32_t)b & 0xffffu;
  /* al*bl's rounded top half, then al*bh: below 2^32 */
  const uint32_t t = al * (uint32_t)bh + ((al * bl) >> 16) + 0x8000u;
  return (int32_t)((uint32_t)acc + (uint32_t)(ah * bh) + (t >> 16) + (uint32_t)((ah * (int32_t)bl + (int32_t)(t & 0xffffu)) >> 16));
}
#if defined(__ARM_ARCH_6M__)
#define tf_ew_smmlar tf_ew_smmlar_split
#else
#define tf_ew_smmlar tf_dsp_smmlar
#endif
#define TF_EW_SSAT8_ASR(dst, v, e) ((dst) = tf_ssat8((v) >> (e)))
#define TF_EW_SSAT8(dst, v) ((dst) = tf_ssat8(v))
#define TF_EW_STORE8(dst, v) ((dst) = (v))
#endif

#endif
