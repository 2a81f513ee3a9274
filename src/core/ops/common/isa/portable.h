/* SPDX-License-Identifier: Apache-2.0 */
/* The ISA primitives every family header provides (isa.h; arm_dsp.h, armv6m.h, rv32.h and this one
 * define the same names), in plain C99: the portable family's header, and the base of the others for
 * every primitive their instruction set has no instruction for. Each computes exactly what the Arm DSP
 * instruction of its name computes (arm_dsp.h), so a kernel written with them gives the same integers
 * on every core.
 *
 * Packed values: a uint32_t holding two int16 lanes, lane 0 in bits 0-15. */
#ifndef TF_PORTABLE_H
#define TF_PORTABLE_H
#include <stdint.h>
#include <string.h>

/* arm_dsp.h has defined the primitives as instructions when TF_DSP_NATIVE is 1 */
#ifndef TF_DSP_NATIVE
#define TF_DSP_NATIVE 0

static inline uint32_t tf_lane(int32_t v) { return (uint32_t)v & 0xffffu; }
static inline int32_t tf_lane0(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xffffu); }
static inline int32_t tf_lane1(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }

static inline uint32_t tf_sxtb16(uint32_t x) {
  return tf_lane((int8_t)(uint8_t)(x & 0xffu)) | (tf_lane((int8_t)(uint8_t)((x >> 16) & 0xffu)) << 16);
}
static inline uint32_t tf_sxtb16_ror8(uint32_t x) { return tf_sxtb16((x >> 8) | (x << 24)); }
/* wraps like the instruction (which only sets the Q flag on overflow) */
static inline int32_t tf_smlad(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tf_lane0(x) * tf_lane0(y)) + (uint32_t)(tf_lane1(x) * tf_lane1(y)));
}
static inline int32_t tf_smlabb(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tf_lane0(x) * tf_lane0(y)));
}
static inline int32_t tf_smlatt(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tf_lane1(x) * tf_lane1(y)));
}
static inline uint32_t tf_pack_lo(uint32_t lo, uint32_t hi) { return (lo & 0xffffu) | (hi << 16); }
static inline uint32_t tf_pack_hi(uint32_t lo, uint32_t hi) { return (lo >> 16) | (hi & 0xffff0000u); }
static inline uint32_t tf_sadd16(uint32_t x, uint32_t y) {
  return tf_lane(tf_lane0(x) + tf_lane0(y)) | (tf_lane(tf_lane1(x) + tf_lane1(y)) << 16);
}
static inline int32_t tf_smmulr(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32); }
static inline uint32_t tf_shadd16(uint32_t x, uint32_t y) {
  return tf_lane((tf_lane0(x) + tf_lane0(y)) >> 1) | (tf_lane((tf_lane1(x) + tf_lane1(y)) >> 1) << 16);
}
/* wraps like the instruction: unsigned 64-bit sums, so C sees no overflow */
static inline int32_t tf_dsp_smmlar(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * b) + ((uint64_t)1 << 31)) >> 32);
}
static inline int32_t tf_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }
static inline int32_t tf_ssat16(int32_t x) { return x < -32768 ? -32768 : (x > 32767 ? 32767 : x); }
static inline int32_t tf_smlatb(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tf_lane1(x) * tf_lane0(y)));
}
static inline uint32_t tf_sxtab16(uint32_t acc, uint32_t x) { return tf_sadd16(acc, tf_sxtb16(x)); }
static inline uint32_t tf_sxtab16_ror8(uint32_t acc, uint32_t x) { return tf_sadd16(acc, tf_sxtb16_ror8(x)); }
static inline uint32_t tf_smax8(uint32_t x, uint32_t y) {
  uint32_t r = 0;
  int i;
  for (i = 0; i < 32; i += 8) {
    const int32_t a = (int8_t)(uint8_t)(x >> i), b = (int8_t)(uint8_t)(y >> i);
    r |= (uint32_t)(uint8_t)(a >= b ? a : b) << i;
  }
  return r;
}
static inline uint32_t tf_smin8(uint32_t x, uint32_t y) {
  uint32_t r = 0;
  int i;
  for (i = 0; i < 32; i += 8) {
    const int32_t a = (int8_t)(uint8_t)(x >> i), b = (int8_t)(uint8_t)(y >> i);
    r |= (uint32_t)(uint8_t)(a >= b ? b : a) << i;
  }
  return r;
}
static inline uint32_t tf_smax16(uint32_t x, uint32_t y) {
  const int32_t a0 = tf_lane0(x), b0 = tf_lane0(y), a1 = tf_lane1(x), b1 = tf_lane1(y);
  return tf_lane(a0 >= b0 ? a0 : b0) | (tf_lane(a1 >= b1 ? a1 : b1) << 16);
}
#endif

/* Four int8 values as one word (an unaligned load where the core allows it). */
static inline uint32_t tf_read4(const int8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline uint32_t tf_read_u32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline void tf_write_u32(void *p, uint32_t v) { memcpy(p, &v, 4); }

/*
 * TFLite Micro's MultiplyByQuantizedMultiplier(x, m, shift) in four instructions, valid when the
 * code generator has proved |x| * 2^(lsh1) < 2^31, lsh1 = max(shift, 0) + 1, rsh = max(-shift, 0):
 * SRDHM(a, m) = floor((a*m + 2^30) / 2^31) (the two nudges of TFLM agree with one floor), which is
 * SMMULR(2a, m); RDBPOT(v, e) = floor((v + 2^(e-1) - [v < 0]) / 2^e).
 */
static inline int32_t tf_requant_fast(int32_t x, int32_t m, int32_t lsh1, int32_t rsh) {
  const int32_t v = tf_smmulr((int32_t)((uint32_t)x << lsh1), m);
  if (rsh == 0) return v;
  return (v + ((int32_t)(1u << (rsh - 1)) - (int32_t)((uint32_t)v >> 31))) >> rsh;
}

/* The same with the right shift known to be positive (the usual case), one test less. */
static inline int32_t tf_requant_fast_r(int32_t x, int32_t m, int32_t lsh1, int32_t rsh) {
  const int32_t v = tf_smmulr((int32_t)((uint32_t)x << lsh1), m);
  return (v + ((int32_t)(1u << (rsh - 1)) - (int32_t)((uint32_t)v >> 31))) >> rsh;
}

#endif
