/* SPDX-License-Identifier: Apache-2.0 */
/* UNIDIRECTIONAL_SEQUENCE_LSTM's Arm DSP variant (Armv7E-M, Armv8-M Mainline): the requantization
 * forms and the gate activations its layers' code calls (unidirectional_sequence_lstm_dsp.c.hbs);
 * the gates' matrix-vector products are FULLY_CONNECTED's streaming kernel (tf_fc_dot4_x16). */
#ifndef TF_UNIDIRECTIONAL_SEQUENCE_LSTM_DSP_H
#define TF_UNIDIRECTIONAL_SEQUENCE_LSTM_DSP_H
#include <stdint.h>
#include <string.h>
#include "dsp.h"
#include "fixedpoint.h"
#include "sigmoid_int16.h"
#include "fully_connected_dsp.h"

/*
 * TFLite Micro's MultiplyByQuantizedMultiplier plus a zero point, with the constants as arguments
 * (literals at the call, so they become immediates), where the generator proved it exact
 * (unidirectional_sequence_lstm/dsp.ts). SRDHM(a, m) = floor((a m + 2^30) / 2^31), for shifts <= 0:
 * = floor((2 a m + 2^31) / 2^32) = a + SMMULR(a, 2m - 2^32) = SMMLAR(a, m2, a) with m2 = 2m - 2^32,
 * an int32 since m >= 2^30, exact for every a; for left shifts SMMULR(a << lsh1, m) while
 * |a| 2^lsh1 < 2^31. Then RDBPOT(h, e) + zp = (h + 2^(e-1) + zp 2^e - [h<0]) >> e, rnd = 2^(e-1) +
 * zp 2^e (e >= 1; adding a multiple of 2^e before the floor shift is exact). The caller saturates.
 */
static inline __attribute__((always_inline)) int32_t tf_lstm_rq_k(int32_t acc, int32_t m2, int32_t rnd, int rsh) {
  const int32_t h = tf_dsp_smmlar(acc, m2, acc);
  return (int32_t)((uint32_t)h + (uint32_t)rnd - ((uint32_t)h >> 31)) >> rsh;
}

/* The same with no right shift. */
static inline __attribute__((always_inline)) int32_t tf_lstm_rq_k0(int32_t acc, int32_t m2, int32_t zp) {
  return tf_dsp_smmlar(acc, m2, acc) + zp;
}

/* A left shift: SMMULR of the shifted accumulator (then no right shift). */
static inline __attribute__((always_inline)) int32_t tf_lstm_rq_kl(int32_t acc, int32_t m, int lsh1, int32_t zp) {
  return tf_smmulr((int32_t)((uint32_t)acc << lsh1), m) + zp;
}

/* sigmoid_int16.h's tf_logistic_int16(3 * pre) for an int16 pre: |3 pre| < 255 * 2^9 never reaches the
 * saturation, and the negative side is the mirror of the rounded positive one:
 * ((2^25 + 511 - R) >> 10) = 2^15 - ((R + 512) >> 10) for the interpolated R. */
static inline __attribute__((always_inline)) int32_t tf_lstm_sigmoid3(int32_t pre) {
  const int32_t x = 3 * pre;
  const uint32_t a = (uint32_t)(x < 0 ? -x : x);
  const uint32_t uh = a >> 9;
  const uint32_t ua = tf_sigmoid_table_q16[uh], ub = tf_sigmoid_table_q16[uh + 1u];
  const int32_t p = (int32_t)(((ua << 9) + (a & 0x1FFu) * (ub - ua) + 512u) >> 10);
  return x < 0 ? 32768 - p : p;
}

/* tf_tanh_int16 with the same mirror: x >= 0 gives ((R + 128) >> 8) - 2^15, x < 0 its negation. */
static inline __attribute__((always_inline)) int32_t tf_lstm_tanh(int32_t x) {
  const uint32_t a = (uint32_t)(x < 0 ? -x : x);
  const uint32_t uh = a >> 8;
  uint32_t r;
  if (uh >= 255u) {
    r = 0xFFFFu << 8;
  } else {
    const uint32_t ua = tf_sigmoid_table_q16[uh], ub = tf_sigmoid_table_q16[uh + 1u];
    r = (ua << 8) + (a & 0xFFu) * (ub - ua);
  }
  const int32_t p = (int32_t)((r + 128u) >> 8) - 32768;
  return x < 0 ? -p : p;
}

#endif
