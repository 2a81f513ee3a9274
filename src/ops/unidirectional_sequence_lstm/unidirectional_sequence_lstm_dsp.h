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

#endif
