/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dot products of int8 inputs with int4 weights kept packed in flash (int4.ts packs them): the
 * nibbles are decoded in registers, never copied out as int8.
 *
 * A row of n weights is ceil(n / 8) words; word k holds values 8k..8k+7, byte j of it
 * (j = 0..3, counted from the least significant) = v[8k + j] in the low nibble and v[8k + j + 4] in
 * the high nibble; values past n are 0. Rows start on a word, so every load is an aligned LDR, and
 * the words are ints in C (no byte order). That order lets the Arm DSP code sign-extend both nibble
 * halves with SXTB16 straight into the int16 lanes SMLAD pairs with SXTB16 of the input words:
 *   lo = (W << 4) & 0xf0f0f0f0: byte j = 16 v[j]     -> SXTB16: (v0, v2) x16, ROR 8: (v1, v3) x16
 *   hi =  W       & 0xf0f0f0f0: byte j = 16 v[j + 4] -> SXTB16: (v4, v6) x16, ROR 8: (v5, v7) x16
 * and SXTB16 of input words x0..x3, x4..x7 gives (x0, x2), (x1, x3), (x4, x6), (x5, x7). The sums
 * are then 16 times the true ones, exact: one arithmetic shift right by 4 at the end (callers keep
 * rows under 2^31 / (16 * 8 * 128) = 131072 values).
 */
#ifndef TF_INT4_DOT_H
#define TF_INT4_DOT_H

#include <stdint.h>
#include <string.h>
#include "isa.h"

/* Value j (0..7) of a packed word, sign-extended: nibble 2j of the low halves, 2(j-4)+1 above. */
static inline int32_t tf_s4_value(uint32_t word, int j) {
  const int bit = j < 4 ? 8 * j : 8 * (j - 4) + 4;
  return (int32_t)(word << (28 - bit)) >> 28;
}

/* The last n % 8 values of a row (the part of one word), scalar. */
static inline int32_t tf_s4_tail(const int8_t *x, uint32_t word, int32_t t) {
  int32_t acc = 0;
  for (int j = 0; j < t; ++j) acc += tf_s4_value(word, j) * x[j];
  return acc;
}

/*
 * Portable C (also the Armv6-M and RV32 kernels): each nibble is two shifts of the loaded word,
 * (int32_t)(W << (28 - bit)) >> 28, then a multiply-add.
 */
static inline int32_t tf_s4_dot(const int8_t *x, const int32_t *w, int32_t n) {
  int32_t acc = 0;
  for (; n >= 8; n -= 8, x += 8) {
    const uint32_t word = (uint32_t)*w++;
    acc += ((int32_t)(word << 28) >> 28) * x[0];
    acc += ((int32_t)(word << 24) >> 28) * x[4];
    acc += ((int32_t)(word << 20) >> 28) * x[1];
    acc += ((int32_t)(word << 16) >> 28) * x[5];
    acc += ((int32_t)(word << 12) >> 28) * x[2];
    acc += ((int32_t)(word << 8) >> 28) * x[6];
    acc += ((int32_t)(word << 4) >> 28) * x[3];
    acc += ((int32_t)word >> 28) * x[7];
  }
  if (n > 0) acc += tf_s4_tail(x, (uint32_t)*w, n);
  return acc;
}

/*
 * Arm DSP: acc += one packed word of 8 weights (at pointer variable w, which moves on) times the
 * input lanes (x02, x13, x46, x57 = SXTB16 of input words x0..x3 and x4..x7, plain and ROR 8),
 * 16 x the true sum. On the device one asm block (LDR, LSL, two ANDs, four SXTB16, four SMLAD:
 * 12 instructions for 8 MACs; the mask as an immediate saves a register) so that the compiler keeps the decoded lanes in three temporaries
 * instead of spilling them; a macro so that w stays a register. It reads only the weights, which
 * are constant (flash), hence no memory clobber.
 */
#if TF_DSP_NATIVE
#define TF_S4_MAC8(ACC, WP, X02, X13, X46, X57) \
  do { \
    uint32_t tf_u_, tf_t_, tf_s_; \
    __asm__("ldr %[u], [%[w]], #4\n\t" \
            "lsl %[t], %[u], #4\n\t" \
            "and %[t], %[t], #0xf0f0f0f0\n\t" \
            "and %[u], %[u], #0xf0f0f0f0\n\t" \
            "sxtb16 %[s], %[t]\n\t" \
            "smlad %[a], %[s], %[x0], %[a]\n\t" \
            "sxtb16 %[s], %[t], ror #8\n\t" \
            "smlad %[a], %[s], %[x1], %[a]\n\t" \
            "sxtb16 %[s], %[u]\n\t" \
            "smlad %[a], %[s], %[x4], %[a]\n\t" \
            "sxtb16 %[s], %[u], ror #8\n\t" \
            "smlad %[a], %[s], %[x5], %[a]" \
            : [a] "+r"(ACC), [w] "+r"(WP), [u] "=&r"(tf_u_), [t] "=&r"(tf_t_), [s] "=&r"(tf_s_) \
            : [x0] "r"(X02), [x1] "r"(X13), [x4] "r"(X46), [x5] "r"(X57)); \
  } while (0)
#else
#define TF_S4_MAC8(ACC, WP, X02, X13, X46, X57) \
  do { \
    const uint32_t tf_u_ = (uint32_t) * (WP)++; \
    const uint32_t tf_lo_ = (tf_u_ << 4) & 0xf0f0f0f0u, tf_hi_ = tf_u_ & 0xf0f0f0f0u; \
    (ACC) = tf_smlad(tf_sxtb16(tf_lo_), (X02), (ACC)); \
    (ACC) = tf_smlad(tf_sxtb16_ror8(tf_lo_), (X13), (ACC)); \
    (ACC) = tf_smlad(tf_sxtb16(tf_hi_), (X46), (ACC)); \
    (ACC) = tf_smlad(tf_sxtb16_ror8(tf_hi_), (X57), (ACC)); \
  } while (0)
#endif

/* Arm DSP: two rows at once sharing the input words' SXTB16 (the true sums, tails included). */
static inline void tf_s4_dot2_dsp(const int8_t *x, const int32_t *w0, const int32_t *w1, int32_t n, int32_t *acc0, int32_t *acc1) {
  int32_t a0 = 0, a1 = 0;
  int32_t words = n >> 3;
  n &= 7;
#if TF_DSP_NATIVE
  /* The whole loop as one asm block: 13 registers, 32 instructions for 16 MACs, no spill (the
   * compiler's own allocation of this loop spilled an accumulator every pass). It reads the arena
   * (x) and flash, hence the memory clobber. */
  if (words > 0) {
    uint32_t x02, x13, x46, x57, u, t, s;
    __asm__ volatile("1:\n\t"
                     "ldr %[t], [%[x]], #4\n\t"
                     "sxtb16 %[x02], %[t]\n\t"
                     "sxtb16 %[x13], %[t], ror #8\n\t"
                     "ldr %[t], [%[x]], #4\n\t"
                     "sxtb16 %[x46], %[t]\n\t"
                     "sxtb16 %[x57], %[t], ror #8\n\t"
                     "ldr %[u], [%[w0]], #4\n\t"
                     "lsl %[t], %[u], #4\n\t"
                     "and %[t], %[t], #0xf0f0f0f0\n\t"
                     "and %[u], %[u], #0xf0f0f0f0\n\t"
                     "sxtb16 %[s], %[t]\n\t"
                     "smlad %[a0], %[s], %[x02], %[a0]\n\t"
                     "sxtb16 %[s], %[t], ror #8\n\t"
                     "smlad %[a0], %[s], %[x13], %[a0]\n\t"
                     "sxtb16 %[s], %[u]\n\t"
                     "smlad %[a0], %[s], %[x46], %[a0]\n\t"
                     "sxtb16 %[s], %[u], ror #8\n\t"
                     "smlad %[a0], %[s], %[x57], %[a0]\n\t"
                     "ldr %[u], [%[w1]], #4\n\t"
                     "lsl %[t], %[u], #4\n\t"
                     "and %[t], %[t], #0xf0f0f0f0\n\t"
                     "and %[u], %[u], #0xf0f0f0f0\n\t"
                     "sxtb16 %[s], %[t]\n\t"
                     "smlad %[a1], %[s], %[x02], %[a1]\n\t"
                     "sxtb16 %[s], %[t], ror #8\n\t"
                     "smlad %[a1], %[s], %[x13], %[a1]\n\t"
                     "sxtb16 %[s], %[u]\n\t"
                     "smlad %[a1], %[s], %[x46], %[a1]\n\t"
                     "sxtb16 %[s], %[u], ror #8\n\t"
                     "smlad %[a1], %[s], %[x57], %[a1]\n\t"
                     "subs %[k], %[k], #1\n\t"
                     "bne 1b"
                     : [a0] "+r"(a0), [a1] "+r"(a1), [w0] "+r"(w0), [w1] "+r"(w1), [x] "+r"(x), [k] "+r"(words), [x02] "=&r"(x02),
                       [x13] "=&r"(x13), [x46] "=&r"(x46), [x57] "=&r"(x57), [u] "=&r"(u), [t] "=&r"(t), [s] "=&r"(s)
                     :
                     : "cc", "memory");
  }
#else
  for (; words > 0; --words, x += 8) {
    const uint32_t xa = tf_read4(x), xb = tf_read4(x + 4);
    const uint32_t x02 = tf_sxtb16(xa), x13 = tf_sxtb16_ror8(xa);
    const uint32_t x46 = tf_sxtb16(xb), x57 = tf_sxtb16_ror8(xb);
    TF_S4_MAC8(a0, w0, x02, x13, x46, x57);
    TF_S4_MAC8(a1, w1, x02, x13, x46, x57);
  }
#endif
  /* exact: every term is a multiple of 16 */
  a0 >>= 4;
  a1 >>= 4;
  if (n > 0) {
    a0 += tf_s4_tail(x, (uint32_t)*w0, n);
    a1 += tf_s4_tail(x, (uint32_t)*w1, n);
  }
  *acc0 = a0;
  *acc1 = a1;
}

/* Arm DSP, one row. */
static inline int32_t tf_s4_dot_dsp(const int8_t *x, const int32_t *w, int32_t n) {
  int32_t acc = 0;
  for (; n >= 8; n -= 8, x += 8) {
    const uint32_t xa = tf_read4(x), xb = tf_read4(x + 4);
    const uint32_t x02 = tf_sxtb16(xa), x13 = tf_sxtb16_ror8(xa), x46 = tf_sxtb16(xb), x57 = tf_sxtb16_ror8(xb);
    TF_S4_MAC8(acc, w, x02, x13, x46, x57);
  }
  acc >>= 4;
  if (n > 0) acc += tf_s4_tail(x, (uint32_t)*w, n);
  return acc;
}

/* Depthwise: tap t of a channel's taps packed two a byte, low nibble first (TFLite's order). */
static inline int32_t tf_s4_tap(const uint8_t *row, int32_t t) {
  const uint32_t byte = row[t >> 1];
  return (int32_t)(byte << (28 - 4 * (t & 1))) >> 28;
}

#endif
