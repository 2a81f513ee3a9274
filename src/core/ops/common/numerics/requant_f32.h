/* SPDX-License-Identifier: Apache-2.0 */
/* ONNX Runtime's requantization (MLAS, CPU provider) as static inline C99, for layers compiled to
 * match ONNX Runtime (attrs.arithmetic 'onnxruntime'): float32 steps, rounding half to even.
 * The TS twin is requant_f32.ts. No libm: the rounding is written out, so it needs neither
 * nearbyintf nor the floating-point environment, and runs the same on soft-float targets
 * (libgcc's float routines round to nearest even, as the hardware does by default). */
#ifndef TF_REQUANT_F32_H
#define TF_REQUANT_F32_H
#include <stdint.h>
#include "bit_length.h"

/* A float32 multiplier stored as its IEEE-754 bits (an int32_t table): the exact value, with no
 * decimal literal to parse. Reading another member of a union is defined in C99 (TC3). */
static inline float tf_f32_from_bits(int32_t bits) {
  union {
    uint32_t u;
    float f;
  } v;
  v.u = (uint32_t)bits;
  return v.f;
}

/* Round half to even of |x| < 2^24: truncation is exact there, and so is x - trunc(x) (both share
 * x's exponent or less), so no step depends on the rounding mode. */
static inline int32_t tf_round_half_even_f32(float x) {
  int32_t t = (int32_t)x;
  const float frac = x - (float)t;
  if (frac > 0.5f || (frac == 0.5f && (t & 1))) ++t;
  if (frac < -0.5f || (frac == -0.5f && (t & 1))) --t;
  return t;
}

/* (float)acc * multiplier in float32, clamped to [lo - zp, hi - zp] before rounding (so the value
 * converted to int is small whatever the accumulator), rounded half to even, plus zp: ONNX Runtime's
 * MlasRequantizeOutput. Clamping to integer bounds first equals rounding first. */
static inline int32_t tf_requant_f32(int32_t acc, float multiplier, int32_t zero_point, int32_t lo, int32_t hi) {
  float scaled = (float)acc * multiplier;
  const float low = (float)(lo - zero_point);
  const float high = (float)(hi - zero_point);
  if (!(scaled >= low)) scaled = low; /* also catches NaN (never produced by finite inputs) */
  if (scaled > high) scaled = high;
  return tf_round_half_even_f32(scaled) + zero_point;
}

/* tf_requant_f32 in integer arithmetic, for cores without an FPU (the families' epilogues call it;
 * requant_f32.ts ortIntegerMultiplier gives the operands). The multiplier is mantissa / 2^shift,
 * mantissa in [2^23, 2^24) (a float32's significand with its leading 1), shift in [8, 123] (the
 * multiplier in [2^-100, 2^16): the product can be neither subnormal nor past float32's range).
 * Each float32 step is taken exactly, on magnitudes (rounding to nearest even is symmetric):
 * float32(acc) is |acc| rounded to 24 significant bits, half to even (exact below 2^24); the
 * product's float32 is the exact product (under 2^48, in two words) rounded to 24 significant bits, half to even;
 * then the rounding to an integer, half to even, saturated, the sign, the clamp to
 * [lo - zp, hi - zp] (equal to clamping before rounding, as tf_requant_f32 does) and zp. The test
 * test/onnx/ort_epilogues.test.ts compares it with tf_requant_f32. */
static inline int32_t tf_requant_f32_int(int32_t acc, uint32_t mantissa, int shift, int32_t zero_point, int32_t lo, int32_t hi) {
  uint32_t u = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
  uint32_t r;
  if (u >= 0x1000000u) {
    /* float32(acc): drop n = bit length - 24 bits (1 to 8), half to even; u stays <= 2^24 */
    const int n = tf_bit_length32(u) - 24;
    const uint32_t rest = u & ((1u << n) - 1u), half = 1u << (n - 1);
    u >>= n;
    u += rest > half || (rest == half && (u & 1u));
    shift -= n;
  }
  /* the product x = u * mantissa < 2^48 as two words from 16 x 16-bit products (Armv6-M has no
   * 32 x 32 -> 64 multiply): x = high * 2^32 + low */
  const uint32_t ul = u & 0xffffu, uh = u >> 16, ml = mantissa & 0xffffu, mh = mantissa >> 16;
  const uint32_t mid = uh * ml + ul * mh; /* < 2^25 */
  const uint32_t product_low = ul * ml;
  const uint32_t low = product_low + (mid << 16);
  const uint32_t high = uh * mh + (mid >> 16) + (low < product_low);
  uint32_t x = low;
  if (high != 0u || low >= 0x1000000u) {
    /* float32 of the product: drop n = bit length - 24 bits (1 to 24), half to even; the dropped
     * bits lie in the low word */
    const int n = (high != 0u ? 32 + tf_bit_length32(high) : tf_bit_length32(low)) - 24;
    const uint32_t rest = low & ((1u << n) - 1u), half = 1u << (n - 1);
    x = (low >> n) | (high << (32 - n));
    x += rest > half || (rest == half && (x & 1u));
    shift -= n;
  }
  /* |product| = x / 2^shift, x <= 2^24; rounded to an integer, half to even, saturated at 2^16 */
  if (shift <= 0) {
    r = shift < -7 ? (x ? 0x10000u : 0u) : x << -shift;
    if (r > 0x10000u) r = 0x10000u;
  } else if (shift > 25) {
    r = 0; /* below 2^24 / 2^26 = 1/4 */
  } else {
    const uint32_t rest = x & ((1u << shift) - 1u), half = 1u << (shift - 1);
    r = x >> shift;
    r += rest > half || (rest == half && (r & 1u));
  }
  int32_t v = acc < 0 ? -(int32_t)r : (int32_t)r;
  if (v < lo - zero_point) v = lo - zero_point;
  if (v > hi - zero_point) v = hi - zero_point;
  return v + zero_point;
}

/* QLinearAdd / QLinearMul of ONNX Runtime's portable MLAS kernels (what onnxruntime-web runs): the
 * dequantized inputs a and b combined, divided by the output scale (a division, as ORT: a multiply by
 * the reciprocal rounds differently), clamped, the zero point added in float, rounded half to even.
 * The generated code is built with -std=c99, where GCC does not contract a * b + c into an FMA. */
static inline int32_t tf_ort_finish_f32(float combined, float output_scale, int32_t zero_point, int32_t lo, int32_t hi) {
  float scaled = combined / output_scale;
  const float low = (float)(lo - zero_point);
  const float high = (float)(hi - zero_point);
  if (!(scaled >= low)) scaled = low;
  if (scaled > high) scaled = high;
  return tf_round_half_even_f32(scaled + (float)zero_point);
}

/* QuantizeLinear's last steps in ONNX Runtime's pooling kernels: v + zp in float, clamped to [lo, hi],
 * rounded half to even (clamping integer bounds first equals rounding first). */
static inline int32_t tf_ort_quantize_f32(float v, int32_t zero_point, int32_t lo, int32_t hi) {
  float shifted = v + (float)zero_point;
  if (!(shifted >= (float)lo)) shifted = (float)lo;
  if (shifted > (float)hi) shifted = (float)hi;
  return tf_round_half_even_f32(shifted);
}

#endif
