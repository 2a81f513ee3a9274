/* SPDX-License-Identifier: Apache-2.0 */
/* UNIDIRECTIONAL_SEQUENCE_LSTM's Arm DSP variant (Armv7E-M, Armv8-M Mainline): the requantization
 * forms and the gate activations its layers' code calls (unidirectional_sequence_lstm_dsp.c.hbs);
 * the gates' matrix-vector products are FULLY_CONNECTED's streaming kernel (tf_fc_dot4_x16). */
#ifndef TF_UNIDIRECTIONAL_SEQUENCE_LSTM_DSP_H
#define TF_UNIDIRECTIONAL_SEQUENCE_LSTM_DSP_H
#include <stdint.h>
#include <string.h>
#include "arm_dsp.h"
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

/* lane-wise wrapping int16 subtraction */
static inline __attribute__((always_inline)) uint32_t tf_lstm_ssub16(uint32_t x, uint32_t y) {
#if TF_DSP_NATIVE
  uint32_t r;
  __asm__("ssub16 %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
  return r;
#else
  return ((x - y) & 0xffffu) | (((x >> 16) - (y >> 16)) << 16);
#endif
}

/*
 * The gates' matrix-vector products on paired weights (unidirectional_sequence_lstm/dsp.ts,
 * pairedWeights). A row's four weights w0..w3 of a word are stored as the int16 lanes
 * V0 = 256 w1 + w0 and V1 = 256 w3 + w2 (the generator checks they fit), so SXTB16 of the word is
 * (w0, w2) exactly. The values x0..x3 of the word are stored as two lane pairs:
 *   A = (x1 - 127, x3 - 127) and B = (256 x0 - A0, 256 x2 - A1) = (256 x0 - x1 + 127, ...),
 * both inside int16 for int8 x (A in [-255, 0], B in [-32768, 32767]). Then
 *   SMLAD(W, A) + SMLAD(SXTB16(W), B) = V0 A0 + w0 B0 + V1 A1 + w2 B1
 *     = 256 (w0 x0 + w1 (x1 - 127) + w2 x2 + w3 (x3 - 127)):
 * four products in one SXTB16 and two SMLAD. The generator folds the input's zero point and the
 * +127 of the odd columns into each row's start (start = bias + sum_k w_k (offset - d_k), d_k =
 * -127 for odd k, 0 else) and proves 256 sum_k |w_k| |x_k - d_k| < 2^31 for every row, so no partial
 * sum leaves int32 and the row's sum is acc >> 8 exactly.
 */
static inline __attribute__((always_inline)) void tf_lstm_pair(uint32_t v, uint32_t *out) {
  const uint32_t a = tf_lstm_ssub16(tf_sxtb16_ror8(v), 0x007F007Fu);
  out[0] = a;
  out[1] = tf_lstm_ssub16((v << 8) & 0xFF00FF00u, a);
}

/* n int8 values (words whole words, then tail 0-3 more, zero-padded) as tf_lstm_pair's lane pairs */
static inline __attribute__((always_inline)) void tf_lstm_pairs(const int8_t *x, int words, int tail, uint32_t *out) {
  for (int k = 0; k < words; ++k, out += 2) tf_lstm_pair(tf_read4(x + 4 * k), out);
  if (tail) {
    uint32_t v = 0;
    memcpy(&v, x + 4 * words, (size_t)tail);
    tf_lstm_pair(v, out);
  }
}

#if TF_DSP_NATIVE
/* one word of x (A, B) against the block's four rows: 1 LDRD, 1 LDM, 4 SXTB16, 8 SMLAD */
#define TF_LSTM_PAIR_STEP \
  "ldrd %[xa], %[xb], [%[x]], #8\n\t" \
  "ldmia %[w]!, {%[t0], %[t1], %[t2], %[t3]}\n\t" \
  "smlad %[a0], %[t0], %[xa], %[a0]\n\t" \
  "sxtb16 %[t0], %[t0]\n\t" \
  "smlad %[a0], %[t0], %[xb], %[a0]\n\t" \
  "smlad %[a1], %[t1], %[xa], %[a1]\n\t" \
  "sxtb16 %[t1], %[t1]\n\t" \
  "smlad %[a1], %[t1], %[xb], %[a1]\n\t" \
  "smlad %[a2], %[t2], %[xa], %[a2]\n\t" \
  "sxtb16 %[t2], %[t2]\n\t" \
  "smlad %[a2], %[t2], %[xb], %[a2]\n\t" \
  "smlad %[a3], %[t3], %[xa], %[a3]\n\t" \
  "sxtb16 %[t3], %[t3]\n\t" \
  "smlad %[a3], %[t3], %[xb], %[a3]\n\t"
#define TF_LSTM_PAIR_OPERANDS \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(wp), [xa] "=&r"(xa), [xb] "=&r"(xb), [t0] "=&r"(t0), \
      [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
#endif

/* acc[r] = 256 * (sum over `words` words of x's pairs of row r's paired weights), four rows a
 * block, rows interleaved word by word (16 bytes a word); returns the weights past the block. |acc|
 * < 2^31 at every partial sum (the generator's bound above). */
static inline __attribute__((always_inline)) const int8_t *tf_lstm_dot4_pairs(const uint32_t *x, int words, const int8_t *w, int32_t *acc) {
#if TF_DSP_NATIVE
  /* every operand in a register of its own choosing: thirteen of them leave the allocator too little
   * room to choose (GCC 12: "impossible constraints" at some call sites); r7 (Thumb's frame pointer
   * when one is kept), sp and pc stay out; LDM's registers ascend in the order of the words it loads */
  register int32_t a0 __asm__("r0") = 0;
  register int32_t a1 __asm__("r1") = 0;
  register int32_t a2 __asm__("r2") = 0;
  register int32_t a3 __asm__("r3") = 0;
  register uint32_t t0 __asm__("r4");
  register uint32_t t1 __asm__("r5");
  register uint32_t t2 __asm__("r6");
  register uint32_t t3 __asm__("r8");
  register uint32_t xa __asm__("r9");
  register uint32_t xb __asm__("r10");
  register const uint32_t *xp __asm__("r11") = x;
  register const int8_t *wp __asm__("r12") = w;
  /* words % 4 single words, then a loop of four words a pass */
  /* unformatted: a macro before an asm statement's colon reads to the formatter as a label */
  // clang-format off
  if (words & 1) __asm__(TF_LSTM_PAIR_STEP : TF_LSTM_PAIR_OPERANDS : : "memory");
  if (words & 2) __asm__(TF_LSTM_PAIR_STEP TF_LSTM_PAIR_STEP : TF_LSTM_PAIR_OPERANDS : : "memory");
  // clang-format on
  if (words > 3) {
    register const uint32_t *const end __asm__("lr") = xp + 2 * (words & ~3);
    __asm__("1:\n\t" TF_LSTM_PAIR_STEP TF_LSTM_PAIR_STEP TF_LSTM_PAIR_STEP TF_LSTM_PAIR_STEP "cmp %[x], %[end]\n\t"
            "bne 1b\n\t"
            : TF_LSTM_PAIR_OPERANDS
            : [end] "r"(end)
            : "cc", "memory");
  }
  w = wp;
#else
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int k = 0; k < words; ++k, x += 2, w += 16) {
    const uint32_t xa = x[0], xb = x[1];
    const uint32_t t0 = tf_read4(w), t1 = tf_read4(w + 4), t2 = tf_read4(w + 8), t3 = tf_read4(w + 12);
    a0 = tf_smlad(tf_sxtb16(t0), xb, tf_smlad(t0, xa, a0));
    a1 = tf_smlad(tf_sxtb16(t1), xb, tf_smlad(t1, xa, a1));
    a2 = tf_smlad(tf_sxtb16(t2), xb, tf_smlad(t2, xa, a2));
    a3 = tf_smlad(tf_sxtb16(t3), xb, tf_smlad(t3, xa, a3));
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

/* a row's sum: its start plus acc / 256 (exact: acc is 256 times the sum), wrapping like TFLite
 * Micro's int32 accumulator */
static inline __attribute__((always_inline)) int32_t tf_lstm_pair_sum(int32_t start, int32_t acc) {
  return (int32_t)((uint32_t)start + (uint32_t)(acc >> 8));
}

#endif
