/* SPDX-License-Identifier: Apache-2.0 */
/* ONNX Runtime's requantization (MLAS, CPU provider) as static inline C99, for layers compiled to
 * match ONNX Runtime (attrs.arithmetic 'onnxruntime'): float32 steps, rounding half to even.
 * The TS twin is requant_f32.ts. No libm: the rounding is written out, so it needs neither
 * nearbyintf nor the floating-point environment, and runs the same on soft-float targets
 * (libgcc's float routines round to nearest even, as the hardware does by default). */
#ifndef TF_REQUANT_F32_H
#define TF_REQUANT_F32_H
#include <stdint.h>

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
