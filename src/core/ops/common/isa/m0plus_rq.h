/* SPDX-License-Identifier: Apache-2.0 */
/* The exact requantization helpers of the Armv6-M kernels (Cortex-M0/M0+, the RP2040): Thumb-1 has
 * no 32x32->64 multiply (libgcc's __aeabi_lmul costs some 50 cycles), so TFLite Micro's
 * MultiplyByQuantizedMultiplier is built from 32-bit products. Depthwise, FULLY_CONNECTED and the LSTM
 * (fully_connected/m0plus_rq.ts's per-layer code) use them. */
#ifndef TF_M0PLUS_RQ_H
#define TF_M0PLUS_RQ_H
#include <stdint.h>
#include "requant_f32.h"

/* TFLite's SaturatingRoundingDoublingHighMul for m >= 0 (which never saturates): (x * m + 2^30) >> 31
 * from the products of 16-bit halves, the low ones' carries kept in `mid` (below 2^32 unsigned). */
static inline int32_t tf_m0_srdhm(int32_t x, int32_t m) {
  const uint32_t xl = (uint32_t)x & 0xffffu, ml = (uint32_t)m & 0xffffu;
  const int32_t xh = x >> 16, mh = m >> 16;
  const int32_t p2 = xh * (int32_t)ml;
  const uint32_t mid = ((uint32_t)p2 & 0x7fffu) + xl * (uint32_t)mh + ((xl * ml) >> 16) + 0x4000u;
  return (int32_t)(((uint32_t)(xh * mh) << 1) + (uint32_t)(p2 >> 15) + (mid >> 15));
}

/* A constant gcc cannot see through: an int32 in a register, for MULS (gcc's Armv6-M cost model turns
 * x * constant into chains of shifts and adds that take longer than loading it and one MULS). */
static inline __attribute__((always_inline)) int32_t tf_m0_k(int32_t v) {
#if defined(__GNUC__)
  __asm__("" : "+r"(v));
#endif
  return v;
}

/* TFLite's rounding right shift by r >= 1 (round half away from zero) as in tf_m0dw_rq: floor((q +
 * 2^(r-1) - [q < 0]) / 2^r) = ((t >> (r-1)) + 1) >> 1 with t = q - [q < 0]; |q| < 2^31 - 1. */
static inline __attribute__((always_inline)) int32_t tf_m0_rshift(int32_t q, int r) { return (((q + (q >> 31)) >> (r - 1)) + 1) >> 1; }

/* The fast form of MultiplyByQuantizedMultiplier + zp for a right shift e = -shift >= 0, before the
 * activation clamp (CONV_2D's and DEPTHWISE_CONV_2D's Armv6-M kernels and their assembly). Without a
 * 64-bit multiply: with acc = ah 2^16 + al, m = mh 2^16 + ml (al, ml unsigned 16 bit),
 * SRDHM(acc, m) = floor((acc m + 2^30) / 2^31)
 *   = 2 ah mh + floor((ah ml + al mh + floor(al ml / 2^16) + 2^14) / 2^15),
 * where the inner sum T, offset by 2^30, is an unsigned 32-bit value whenever |acc| < 2^30; then
 * RDBPOT(h, e) + zp = (2h + rnd - [h < 0]) >> (e + 1) with rnd = 2^e + zp 2^(e + 1): four 16x16
 * multiplies and no carries. The record's P = (rnd - 2^16) * 256 + e + 1 folds the -2^15 of h and
 * the 2^16 of 2h into rnd, and [acc < 0] stands for [h < 0] (they differ only when h = 0, where the
 * shift drops the -1 as rnd's low bits are 2^e):
 * v = (4 ah mh + 2 floor(T / 2^15) + rnd - 2^16 - [acc < 0]) >> (e + 1). The generators check per
 * channel that the form holds (conv_2d/m0plus.ts fastChannel, depthwise_conv_2d/m0plus.ts). */
static inline __attribute__((always_inline)) int32_t tf_m0_requant_raw(int32_t acc, int32_t m, int32_t p) {
  const uint32_t al = (uint32_t)acc & 0xffffu;
  const int32_t ah = acc >> 16;
  const uint32_t mh = (uint32_t)m >> 16;
  const uint32_t ml = (uint32_t)m & 0xffffu;
  const uint32_t t = ((al * ml) >> 16) + al * mh + (uint32_t)(ah * (int32_t)ml) + ((1u << 30) + (1u << 14));
  const int32_t v = ah * (int32_t)(mh << 2) + ((int32_t)((t >> 15) << 1) + (p >> 8) + (acc >> 31));
  /* the device's ASRS by register reads P's low byte, e + 1 */
  return v >> (p & 255);
}

/* Saturates to int16: in range exactly when (x + 2^15) >> 16 is 0. */
static inline __attribute__((always_inline)) int32_t tf_m0_sat16(int32_t x) {
  return (int32_t)(((uint32_t)x + 0x8000u) >> 16) == 0 ? x : (x >> 31) ^ 0x7fff;
}

/* MultiplyByQuantizedMultiplier for any int32 acc and multiplier m >= 0 (per-channel records:
 * { m, left | right << 8 }), exact: tf_m0_srdhm's four 16x16 products. */
static inline int32_t tf_m0_mbqm_rec(int32_t acc, const int32_t *rec) {
  const uint32_t p = (uint32_t)rec[1];
  const int right = (int)(p >> 8);
  int32_t q = tf_m0_srdhm((int32_t)((uint32_t)acc << (p & 0xffu)), rec[0]);
  return right > 0 ? tf_m0_rshift(q, right) : q;
}

/* The Armv6-M family's epilogue for layers that must match ONNX Runtime (MlasRequantizeOutput), in
 * integer arithmetic (no FPU; libgcc's soft float would cost more). Record { m, P }: m the float32
 * multiplier's significand with its leading 1, P = zp * 2^16 + shift (requant_f32.ts
 * ortIntegerMultiplier: multiplier = m / 2^shift). Contract: for every int32 acc and act_min <=
 * act_max within [-128, 127], returns exactly requant_f32.h's tf_requant_f32 of (acc, the multiplier,
 * zp, act_min, act_max), through tf_requant_f32_int; the result lies in [act_min, act_max]. */
static inline int32_t tf_m0_rq_ort(int32_t acc, int32_t m, int32_t p, int32_t lo, int32_t hi) {
  return tf_requant_f32_int(acc, (uint32_t)m, (int)(p & 255), p >> 16, lo, hi);
}

#endif
