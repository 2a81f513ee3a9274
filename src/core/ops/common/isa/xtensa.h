/* SPDX-License-Identifier: Apache-2.0 */
/* The family header of the Xtensa targets (isa.h; the ESP32's LX6 and the ESP32-S3's LX7): the shared
 * primitives are portable.h's plain C (Xtensa has none of the Arm DSP instructions), and the int16 dot
 * product the Xtensa kernel variants (common/isa/xtensa_matmul.ts) are built on.
 *
 * The dot product runs on the MAC16 option where the core has it (the target's `mac16` fact, from
 * XCHAL_HAVE_MAC16 of the core's configuration): MULA.DD.LL.LDINC / MULA.DD.HH.LDINC multiply one
 * int16 lane of two MAC16 registers into the 40-bit accumulator ACC and load the next word into a
 * third, so one instruction a multiply-accumulate, in a zero-overhead loop (LOOPNEZ). The sums are
 * the same integers as the C loop: ACC's low 32 bits are the int32 sum modulo 2^32, and the kernels
 * take these variants only where the compile-time bound proves the int32 sum cannot overflow. */
#ifndef TF_XTENSA_H
#define TF_XTENSA_H
#include <stdint.h>
#include "portable.h"

/* The family's cores (the ESP32's LX6, the ESP32-S3's LX7) have MAC16; a compile check with a
 * compiler for a core without it (the ESP8266's lx106 standing in) sets 0 and gets the C twins. */
#ifndef TF_XTENSA_MAC16
#define TF_XTENSA_MAC16 1
#endif

/* acc + the sum of x[i] * w[i] for i < n (n a positive multiple of 4): plain C, which GCC's Xtensa
 * back end turns into MULA.AA.LL where the core has MAC16. The host build of every Xtensa kernel
 * runs this, so CI checks the C around the assembly. */
static inline int32_t tf_xt_dot16_c(const int16_t *x, const int16_t *w, int n, int32_t acc) {
  for (int i = 0; i < n; ++i) acc += (int32_t)x[i] * w[i];
  return acc;
}

/* tf_xt_dot16_c on MAC16: x and w 4-byte aligned, n a positive multiple of 4. LDINC adds 4 to its
 * address register and then loads, so both pointers step back one word first (in the assembly: in C
 * a pointer before its array is undefined); the loop reads one word ahead of the multiplies (M0/M2,
 * then M1/M3), so the last four products are outside it and nothing past either array is read. */
static inline int32_t tf_xt_dot16_mac16(const int16_t *x, const int16_t *w, int n, int32_t acc) {
#if defined(__XTENSA__) && TF_XTENSA_MAC16
  const int16_t *px = x;
  const int16_t *pw = w;
  int rounds = (n >> 2) - 1;
  __asm__ volatile("wsr %[acc], acclo\n\t"
                   "wsr %[zero], acchi\n\t"
                   "addi %[px], %[px], -4\n\t"
                   "addi %[pw], %[pw], -4\n\t"
                   "ldinc m0, %[px]\n\t"
                   "ldinc m2, %[pw]\n\t"
                   "loopnez %[rounds], 1f\n\t"
                   "mula.dd.ll.ldinc m1, %[px], m0, m2\n\t"
                   "mula.dd.hh.ldinc m3, %[pw], m0, m2\n\t"
                   "mula.dd.ll.ldinc m0, %[px], m1, m3\n\t"
                   "mula.dd.hh.ldinc m2, %[pw], m1, m3\n\t"
                   "1:\n\t"
                   "mula.dd.ll.ldinc m1, %[px], m0, m2\n\t"
                   "mula.dd.hh.ldinc m3, %[pw], m0, m2\n\t"
                   "mula.dd.ll m1, m3\n\t"
                   "mula.dd.hh m1, m3\n\t"
                   "rsr %[acc], acclo\n\t"
                   : [acc] "+r"(acc), [px] "+r"(px), [pw] "+r"(pw), [rounds] "+r"(rounds)
                   : [zero] "r"(0)
                   : "memory");
  return acc;
#else
  return tf_xt_dot16_c(x, w, n, acc);
#endif
}

/* tf_mbqm (fixedpoint.h) for a right shift e in [0, 31] (shift = -e <= 0) and a multiplier >= 0,
 * checked at compile time: the same integer without the left-shift branch (rv32.h's
 * tf_rv32_mbqm_right, for the channel-group depthwise C the two families share). */
static inline int32_t tf_xt_mbqm_right(int32_t x, int32_t multiplier, int e) {
  const int32_t high = (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
  const int32_t mask = (int32_t)((1u << e) - 1u);
  const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)high >> 31);
  return (high >> e) + ((high & mask) > threshold ? 1 : 0);
}

/* One output row of a 3x3 depthwise channel: sums[i] = start + the 9 taps of output i, whose window's
 * rows start at r0, r1, r2 (int16 lanes, input offset added, 0 over the padding) and move `step`
 * lanes an output. w: the channel's 9 weights as int16 lanes, 4-byte aligned, w[9] unused. */
static inline void tf_xt_dw3x3_row_c(int32_t *sums, const int16_t *r0, const int16_t *r1, const int16_t *r2, const int16_t *w, int count,
                                     int step, int32_t start) {
  for (int i = 0; i < count; ++i, r0 += step, r1 += step, r2 += step) {
    sums[i] = start + r0[0] * w[0] + r0[1] * w[1] + r0[2] * w[2] + r1[0] * w[3] + r1[1] * w[4] + r1[2] * w[5] + r2[0] * w[6] +
              r2[1] * w[7] + r2[2] * w[8];
  }
}

/* tf_xt_dw3x3_row_c on MAC16 (count >= 1): the first 8 weights stay in M0..M3 for the whole row (MULA.DA
 * takes M0/M1 with an address register, MULA.AD an address register with M2/M3), the ninth in an
 * address register (MULA.AA); per output 9 L16SI, each feeding one multiply-accumulate, in a LOOPNEZ.
 * ACCHI is left as it is: carries only move up, so ACCLO is the int32 sum whatever it holds. */
static inline void tf_xt_dw3x3_row_mac16(int32_t *sums, const int16_t *r0, const int16_t *r1, const int16_t *r2, const int16_t *w,
                                         int count, int step, int32_t start) {
#if defined(__XTENSA__) && TF_XTENSA_MAC16
  const int16_t *pw = w;
  const int32_t w8 = w[8];
  const int stepBytes = 2 * step;
  int32_t t0, t1;
  __asm__ volatile(
      "addi %[pw], %[pw], -4\n\t"
      "ldinc m0, %[pw]\n\t"
      "ldinc m1, %[pw]\n\t"
      "ldinc m2, %[pw]\n\t"
      "ldinc m3, %[pw]\n\t"
      "loopnez %[count], 1f\n\t"
      "wsr %[start], acclo\n\t"
      "l16si %[t0], %[r0], 0\n\t"
      "l16si %[t1], %[r0], 2\n\t"
      "mula.da.ll m0, %[t0]\n\t"
      "l16si %[t0], %[r0], 4\n\t"
      "mula.da.hl m0, %[t1]\n\t"
      "l16si %[t1], %[r1], 0\n\t"
      "mula.da.ll m1, %[t0]\n\t"
      "l16si %[t0], %[r1], 2\n\t"
      "mula.da.hl m1, %[t1]\n\t"
      "l16si %[t1], %[r1], 4\n\t"
      "mula.ad.ll %[t0], m2\n\t"
      "l16si %[t0], %[r2], 0\n\t"
      "mula.ad.lh %[t1], m2\n\t"
      "l16si %[t1], %[r2], 2\n\t"
      "mula.ad.ll %[t0], m3\n\t"
      "l16si %[t0], %[r2], 4\n\t"
      "mula.ad.lh %[t1], m3\n\t"
      "mula.aa.ll %[t0], %[w8]\n\t"
      "add %[r0], %[r0], %[stepBytes]\n\t"
      "add %[r1], %[r1], %[stepBytes]\n\t"
      "add %[r2], %[r2], %[stepBytes]\n\t"
      "rsr %[t0], acclo\n\t"
      "s32i %[t0], %[sums], 0\n\t"
      "addi %[sums], %[sums], 4\n\t"
      "1:\n\t"
      : [pw] "+r"(pw), [r0] "+r"(r0), [r1] "+r"(r1), [r2] "+r"(r2), [sums] "+r"(sums), [count] "+r"(count), [t0] "=&r"(t0), [t1] "=&r"(t1)
      : [start] "r"(start), [w8] "r"(w8), [stepBytes] "r"(stepBytes)
      : "memory");
#else
  tf_xt_dw3x3_row_c(sums, r0, r1, r2, w, count, step, start);
#endif
}

/* dst[i] = src[i] + offset for i < n, then zeros up to `padded`: an int8 row widened to the dot
 * product's int16 lanes with the input offset added (|src + offset| <= 255), so a padded lane adds
 * nothing whatever its weight. */
static inline void tf_xt_widen(int16_t *dst, const int8_t *src, int n, int padded, int32_t offset) {
  int i = 0;
  for (; i < n; ++i) dst[i] = (int16_t)(src[i] + offset);
  for (; i < padded; ++i) dst[i] = 0;
}

#endif
