/* SPDX-License-Identifier: Apache-2.0 */
/* The int8 dot product of the 'xtensa-s3' kernels (conv_2d, fully_connected: s3simd.ts): ACCX sums 16
 * products per instruction. Both rows are 16-byte aligned and `blocks` x 16 bytes long (the kernels
 * pad weight rows with zeros and copy input rows into aligned scratch), so no load crosses a row's end
 * and a tail needs no special case: a zero weight adds nothing whatever the input byte. */
#ifndef TF_XTENSA_S3_DOT_H
#define TF_XTENSA_S3_DOT_H
#include <stdint.h>
#include "xtensa_s3_simd.h"

/* sum of x[i] * w[i] over blocks * 16 bytes, blocks >= 1. Software-pipelined two blocks a pass: the
 * multiply of one pair loads the next weights (EE.VMULAS.S8.ACCX.LD.IP), q0/q1 and q2/q3 alternate, and
 * nothing is read past the last block. */
static inline int32_t tf_s3_dot_s8(const int8_t *x, const int8_t *w, int blocks) {
  int32_t sum;
  TF_S3_ZERO_ACCX();
  TF_S3_VLD_128_IP(q0, x, 16);
  TF_S3_VLD_128_IP(q1, w, 16);
  int rest = blocks - 1;
  for (; rest >= 2; rest -= 2) {
    TF_S3_VLD_128_IP(q2, x, 16);
    TF_S3_VMULAS_S8_ACCX_LD_IP(q3, w, 16, q0, q1);
    TF_S3_VLD_128_IP(q0, x, 16);
    TF_S3_VMULAS_S8_ACCX_LD_IP(q1, w, 16, q2, q3);
  }
  if (rest == 1) {
    TF_S3_VLD_128_IP(q2, x, 16);
    TF_S3_VMULAS_S8_ACCX_LD_IP(q3, w, 16, q0, q1);
    TF_S3_VMULAS_S8_ACCX(q2, q3);
  } else {
    TF_S3_VMULAS_S8_ACCX(q0, q1);
  }
  TF_S3_RUR_ACCX_0(sum);
  return sum;
}

/* (acc m + 2^30) >> 31 (SaturatingRoundingDoublingHighMul for m >= 0) from the product's two halves, MULL's
 * low and MULSH's high word, with no 64-bit add: with acc m = hi 2^32 + lo, (acc m) >> 31 is 2 hi + lo's bit 31,
 * and adding 2^30 carries into bit 31 exactly when lo's bit 30 is set. Seven instructions where the 64-bit
 * sum took thirteen. */
static inline int32_t tf_s3_srdhm(int32_t acc, int32_t m) {
  const uint32_t lo = (uint32_t)acc * (uint32_t)m;
  const int32_t hi = (int32_t)(((int64_t)acc * m) >> 32);
  return (int32_t)(((uint32_t)hi << 1) + (lo >> 31) + ((lo >> 30) & 1u));
}

/* TFLite's requantization of an accumulator, zero point added, for a right shift e in [1, 31] and a
 * multiplier m >= 0: h = SRDHM(acc, m) = (acc m + 2^30) >> 31, then RoundingDivideByPOT(h, e) + zp as
 * (h + add - (h < 0)) >> e with add = 2^(e-1) + zp 2^e, both rounding half away from zero. The
 * kernels pass it only where the sum is proven to stay within int32 (s3simd.ts's s3Requant). */
static inline int32_t tf_s3_requant(int32_t acc, int32_t m, int32_t add, int e) {
  const int32_t high = tf_s3_srdhm(acc, m);
  return (high + add - (int32_t)((uint32_t)high >> 31)) >> e;
}

/* The same requantization where the layer's activation floor is at or above the output zero point, on
 * the accumulator times four: acc4 = 4 dot + start4 (one ADDX4; start4 = 4 start), then
 * (MULSH(acc4, m) + add) >> s with add = 1 + 2^e + zp 2^(e+1) and s = e + 1. With P = acc m and
 * SRDHM's h >= 0, TFLite's two roundings plus zp are floor((P + 2^30 add) / 2^(31+e)): floors of sums
 * with integer terms nest into one floor. MULSH gives floor(4P / 2^32) = floor(P / 2^30), and as 2^30 add
 * is a multiple of 2^30 that floor changes nothing. Where h < 0 both forms give at most zp, which the
 * floor's clamp makes the same output. Four instructions where tf_s3_requant takes twelve; s3simd.ts's
 * s3Requant takes it only where 4 acc and the sum are proven to stay within int32. */
static inline int32_t tf_s3_requant_floor(int32_t dot, int32_t start4, int32_t m, int32_t add, int s) {
  const int32_t acc4 = (int32_t)(((uint32_t)dot << 2) + (uint32_t)start4);
  const int32_t high = (int32_t)(((int64_t)acc4 * m) >> 32);
  return (high + add) >> s;
}

/* x clamped to [-128, 127], a layer's output when its activation leaves the whole int8 range: one CLAMPS
 * (the core's signed clamp to [-2^7, 2^7 - 1]) where MIN and MAX take two constants in registers. */
static inline int32_t tf_s3_clamp_s8(int32_t x) {
#if defined(__XTENSA__) && !defined(TF_XTENSA_S3_SIMD_MODEL)
  int32_t r;
  __asm__("clamps %0, %1, 7" : "=r"(r) : "r"(x));
  return r;
#else
  return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

/* a 20-bit lane's bits (bits 19..0 of `bits`), sign-extended: one SEXT */
static inline int32_t tf_s3_lane20(uint32_t bits) { return (int32_t)(bits << 12) >> 12; }

/* QACC's two halves stored through `raw` (52 bytes, 16-byte aligned): QACC_L's 20 bytes at 0, QACC_H's
 * at 32. Lane i's 20 bits are at bit 20 (i % 8) of half i / 8 (little-endian, as the chip and the
 * hosts the model runs on store them). */
static inline void tf_s3_qacc_s8_store(int8_t *raw) {
  int8_t *p = raw;
  TF_S3_ST_QACC_L_L_128_IP(p, 16);
  TF_S3_ST_QACC_L_H_32_IP(p, 16);
  TF_S3_ST_QACC_H_L_128_IP(p, 16);
  TF_S3_ST_QACC_H_H_32_IP(p, 0);
}

/* lane `i` (0..7, a constant where it is inlined) of a stored half's five words `w`, sign-extended:
 * its 20 bits taken from the one or two words holding them */
static inline int32_t tf_s3_qacc_half_lane(const uint32_t w[5], int i) {
  switch (i) {
  case 0:
    return tf_s3_lane20(w[0]);
  case 1:
    return tf_s3_lane20(w[0] >> 20 | w[1] << 12);
  case 2:
    return tf_s3_lane20(w[1] >> 8);
  case 3:
    return tf_s3_lane20(w[1] >> 28 | w[2] << 4);
  case 4:
    return tf_s3_lane20(w[2] >> 16 | w[3] << 16);
  case 5:
    return tf_s3_lane20(w[3] >> 4);
  case 6:
    return tf_s3_lane20(w[3] >> 24 | w[4] << 8);
  default:
    return (int32_t)w[4] >> 12;
  }
}

/* a stored half's five words, read once into `w` */
static inline void tf_s3_qacc_half_words(uint32_t w[5], const int8_t *raw, int half) {
  const uint32_t *const words = (const uint32_t *)(const void *)(raw + 32 * half);
  /* written out: as a loop GCC makes it a call to memcpy */
  w[0] = words[0];
  w[1] = words[1];
  w[2] = words[2];
  w[3] = words[3];
  w[4] = words[4];
}

/* QACC's 16 s8 lanes (20 bits each) as int32, through `raw` (tf_s3_qacc_s8_store) */
static inline void tf_s3_qacc_s8_lanes(int32_t *lanes, int8_t *raw) {
  tf_s3_qacc_s8_store(raw);
  for (int h = 0; h < 2; ++h) {
    uint32_t w[5];
    tf_s3_qacc_half_words(w, raw, h);
    for (int i = 0; i < 8; ++i) lanes[8 * h + i] = tf_s3_qacc_half_lane(w, i);
  }
}

#endif
