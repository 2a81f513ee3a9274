/* SPDX-License-Identifier: Apache-2.0 */
/* Arm DSP-extension building blocks of the int8 kernels' DSP variants (Armv7E-M, Armv8-M Mainline):
 * our own thin wrappers around SXTB16, SMLAD, SMLABB/SMLATT, PKHBT/PKHTB, SMMULR/SMMLAR and SSAT, with
 * plain C99 twins (portable.h) where the compiler targets no DSP extension (the host), so the very
 * same kernels are compiled and checked against the TypeScript reference on the host too. The family
 * header of the arm-dsp targets (isa.h): it defines the primitives of portable.h by the same names.
 *
 * Packed values: a uint32_t holding two int16 lanes, lane 0 in bits 0-15. */
#ifndef TF_DSP_H
#define TF_DSP_H
#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define TF_DSP_NATIVE 1

/* bytes 0 and 2, sign-extended into lanes 0 and 1 */
static inline uint32_t tf_sxtb16(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
  return r;
}

/* bytes 1 and 3, sign-extended into lanes 0 and 1 */
static inline uint32_t tf_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* acc + x.lane0 * y.lane0 + x.lane1 * y.lane1 */
static inline int32_t tf_smlad(uint32_t x, uint32_t y, int32_t acc) {
  int32_t r;
  __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
}

/* acc + x.lane0 * y.lane0 */
static inline int32_t tf_smlabb(uint32_t x, uint32_t y, int32_t acc) {
  int32_t r;
  __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
}

/* acc + x.lane1 * y.lane1 */
static inline int32_t tf_smlatt(uint32_t x, uint32_t y, int32_t acc) {
  int32_t r;
  __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
}

/* lanes (lo.lane0, hi.lane0) */
static inline uint32_t tf_pack_lo(uint32_t lo, uint32_t hi) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
  return r;
}

/* lanes (lo.lane1, hi.lane1) */
static inline uint32_t tf_pack_hi(uint32_t lo, uint32_t hi) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
  return r;
}

/* lane-wise wrapping int16 addition */
static inline uint32_t tf_sadd16(uint32_t x, uint32_t y) {
  uint32_t r;
  __asm__("sadd16 %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
  return r;
}

/* lane-wise int16 (x + y) >> 1, from the 17-bit sum: a floor halving of each lane */
static inline uint32_t tf_shadd16(uint32_t x, uint32_t y) {
  uint32_t r;
  __asm__("shadd16 %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
  return r;
}

/* (a * b + 2^31) >> 32, the rounded high word of the 64-bit product */
static inline int32_t tf_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}

/* acc + SMMULR(a, b): (acc * 2^32 + a * b + 2^31) >> 32 */
static inline int32_t tf_dsp_smmlar(int32_t a, int32_t b, int32_t acc) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}

static inline int32_t tf_ssat8(int32_t x) {
  int32_t r;
  __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
  return r;
}

static inline int32_t tf_ssat16(int32_t x) {
  int32_t r;
  __asm__("ssat %0, #16, %1" : "=r"(r) : "r"(x));
  return r;
}

/* acc + x.lane1 * y.lane0 */
static inline int32_t tf_smlatb(uint32_t x, uint32_t y, int32_t acc) {
  int32_t r;
  __asm__("smlatb %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
}

/* acc + (bytes 0 and 2 of x, sign-extended) lane by lane (wrapping) */
static inline uint32_t tf_sxtab16(uint32_t acc, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(acc), "r"(x));
  return r;
}

/* acc + (bytes 1 and 3 of x, sign-extended) lane by lane (wrapping) */
static inline uint32_t tf_sxtab16_ror8(uint32_t acc, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
  return r;
}

/* the larger int8 of each byte pair: SSUB8 sets a GE flag per byte where x >= y, SEL picks by them
 * (one asm block: nothing may touch the flags in between) */
static inline uint32_t tf_smax8(uint32_t x, uint32_t y) {
  uint32_t r, t;
  __asm__("ssub8 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(x), "r"(y) : "cc");
  return r;
}

/* the smaller int8 of each byte pair */
static inline uint32_t tf_smin8(uint32_t x, uint32_t y) {
  uint32_t r, t;
  __asm__("ssub8 %1, %2, %3\n\tsel %0, %3, %2" : "=r"(r), "=&r"(t) : "r"(x), "r"(y) : "cc");
  return r;
}

/* the larger int16 of each halfword pair: SSUB16 sets the GE flags of a lane where x >= y, SEL picks by them */
static inline uint32_t tf_smax16(uint32_t x, uint32_t y) {
  uint32_t r, t;
  __asm__("ssub16 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(x), "r"(y) : "cc");
  return r;
}

#endif

/* the C99 twins where the compiler targets no DSP extension, and what every core does alike */
#include "portable.h"

#endif
