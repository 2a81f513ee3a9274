/* SPDX-License-Identifier: Apache-2.0 */
/* Requantization for the RV32IMC kernel variants (rv32_matmul.ts, depthwise_conv_2d/rv32.ts), and the
 * primitives every family header provides. */
#ifndef TF_RV32_REQUANT_H
#define TF_RV32_REQUANT_H
#include <stdint.h>
/* the family header of the RV32 targets (isa.h): RV32IMC has none of the DSP primitives, so all of
 * them are portable.h's plain C */
#include "portable.h"
#include "requant_f32.h"

/* TFLite's SaturatingRoundingDoublingHighMul(x, m) for m >= 0, m2 = 2m (rv32_rq.ts): floor((x m2 + 2^31)
 * / 2^32), the high word of the signed x unsigned product plus the low word's top bit. The empty asm
 * keeps m2 in a register: with a constant gcc splits the product into three multiplies. */
static inline __attribute__((always_inline)) int32_t tf_rv32_srdhm2(int32_t x, uint32_t m2) {
#if defined(__GNUC__)
  __asm__("" : "+r"(m2));
#endif
  const int64_t p = (int64_t)x * (int64_t)m2;
  return (int32_t)(p >> 32) + (int32_t)((uint32_t)p >> 31);
}

/* tf_mbqm (fixedpoint.h) for a right shift e in [0, 31] (shift = -e <= 0) and a multiplier >= 0,
 * the layers' usual case, checked at compile time: no left shift to branch on and no INT32_MIN
 * saturation case (it needs both operands INT32_MIN), so the same integer in fewer instructions.
 * The doubling high product floor((x m + 2^30) / 2^31) is tf_rv32_srdhm2's with 2m (MUL, MULHSU,
 * SRLI, ADD); TFLite's rounding division by 2^e (round half away from zero) is, for e >= 1,
 * floor((floor((h - [h < 0]) / 2^(e-1)) + 1) / 2): no sum can overflow (h > INT32_MIN since m <
 * 2^31), and a right shift by 0 leaves h as it is. */
static inline __attribute__((always_inline)) int32_t tf_rv32_mbqm_right(int32_t x, int32_t multiplier, int e) {
  const int32_t high = tf_rv32_srdhm2(x, (uint32_t)multiplier << 1);
  if (e == 0) return high;
  return (((high + (high >> 31)) >> (e - 1)) + 1) >> 1;
}

/* tf_rv32_mbqm_right for a layer whose every right shift e is at least 1 (checked at compile time),
 * from records that hold m2 = 2m (its 32 bits as an int32) and e - 1: the same integer without the
 * doubling, the test of e = 0 and the decrement. */
static inline __attribute__((always_inline)) int32_t tf_rv32_mbqm_right1(int32_t x, int32_t m2, int e1) {
  const int32_t high = tf_rv32_srdhm2(x, (uint32_t)m2);
  return (((high + (high >> 31)) >> e1) + 1) >> 1;
}

/* The high word of the signed 64-bit product a * b: one MULH. Written out for RISC-V because gcc,
 * seeing a constant operand, may fold a power of two of the other into it and, the constant then
 * above INT32_MAX, emit an unsigned MULHU with two correction products instead. */
static inline int32_t tf_rv32_mulh(int32_t a, int32_t b) {
#if defined(__riscv)
  int32_t high;
  __asm__("mulh %0, %1, %2" : "=r"(high) : "r"(a), "r"(b));
  return high;
#else
  return (int32_t)(((int64_t)a * b) >> 32);
#endif
}

/* The RV32 family's epilogue for layers that must match ONNX Runtime (MlasRequantizeOutput), in
 * integer arithmetic (no FPU; libgcc's soft float would cost more): the multiplier as
 * mantissa / 2^shift (requant_f32.ts ortIntegerMultiplier; rv32_matmul.ts's records hold them).
 * Contract: for every int32 acc and act_min <= act_max within [-128, 127], returns exactly
 * requant_f32.h's tf_requant_f32 of (acc, the multiplier, zp, act_min, act_max), through
 * tf_requant_f32_int; the result lies in [act_min, act_max]. */
static inline int32_t tf_rv32_rq_ort(int32_t acc, int32_t mantissa, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  return tf_requant_f32_int(acc, (uint32_t)mantissa, (int)shift, zp, lo, hi);
}

#endif
