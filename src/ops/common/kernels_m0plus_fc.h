/* FULLY_CONNECTED's and the LSTM's int8 kernels for Armv6-M (Cortex-M0/M0+, the RP2040). A block of
 * 8 (or 4) weight rows runs over one input row with every accumulator in a register, each input byte
 * loaded once for the block and the weights a word at a time: the loop of kernels_m0plus_dw.h
 * (TF_M0DW_MAC_FN, included before this file by name order), started from contiguous per-row starts
 * (bias + input offset * sum of the row's weights) instead of its 12-byte records. Weights: per block,
 * per input column, the block's 8 (or 4) int8, so the block's bytes are read in order, word-aligned.
 * The requantizations are generated per layer (fully_connected/m0plus_rq.ts): no 64-bit multiply. */
#ifndef TF_KERNELS_M0PLUS_FC_H
#define TF_KERNELS_M0PLUS_FC_H
#include <stdint.h>
#include "kernels_m0plus_dw.h"

/* tf_m0fc_blocks8's layout: n input bytes, how many blocks of 8 rows, where their accumulators go */
typedef struct {
  int32_t n, blocks;
  int32_t *acc;
} tf_m0fc_blocks_t;

#if defined(__ARM_ARCH_6M__) && defined(__thumb__) && defined(TF_KERNELS_M0PLUS_DW_H)
void tf_m0fc_mac8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run) __asm__("tf_m0fc_mac8");
void tf_m0fc_mac4(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run) __asm__("tf_m0fc_mac4");

/* the starts, one word each */
#define TF_M0FC_LOAD4            \
  "ldr r6, [r2, #0]\n\t"         \
  "ldr r7, [r2, #4]\n\t"         \
  "ldr r0, [r2, #8]\n\t"         \
  "mov r8, r0\n\t"               \
  "ldr r0, [r2, #12]\n\t"        \
  "mov r9, r0\n\t"
#define TF_M0FC_LOAD8            \
  TF_M0FC_LOAD4                  \
  "ldr r0, [r2, #16]\n\t"        \
  "mov r10, r0\n\t"              \
  "ldr r0, [r2, #20]\n\t"        \
  "mov r11, r0\n\t"              \
  "ldr r0, [r2, #24]\n\t"        \
  "mov r12, r0\n\t"              \
  "ldr r0, [r2, #28]\n\t"        \
  "mov lr, r0\n\t"

/*
 * `b->blocks` blocks of 8 rows one after another over the same input row (n = b->n >= 1 bytes at x):
 * weights contiguous, starts 8 per block (or all 0 when `start` is null), accumulators stored 8 per
 * block at b->acc. One call per layer step instead of one per block. r0 input, r1 product, r2 weight
 * word, r3 input end, r4 -taps left, r5 weights; accumulators r6, r7, r8..r12, lr; [sp] starts,
 * [sp + 4] acc, [sp + 8] blocks left, [sp + 12] n. 36 cycles a tap, ~55 a block (a call ~110).
 */
void tf_m0fc_blocks8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0fc_blocks_t *b) __asm__("tf_m0fc_blocks8");
__asm__(".syntax unified\n\t"
        ".pushsection .text.tf_m0fc_blocks8,\"ax\",%progbits\n\t"
        ".balign 4\n\t"
        ".thumb\n\t"
        ".thumb_func\n\t"
        ".type tf_m0fc_blocks8, %function\n"
        "tf_m0fc_blocks8:\n\t"
        "push {r4, r5, r6, r7, lr}\n\t"
        "mov r4, r8\n\t"
        "mov r5, r9\n\t"
        "mov r6, r10\n\t"
        "mov r7, r11\n\t"
        "push {r4, r5, r6, r7}\n\t"
        "sub sp, #16\n\t"
        "mov r5, r1\n\t"
        "ldm r3!, {r1, r4, r6}\n\t"
        "str r2, [sp, #0]\n\t"
        "str r6, [sp, #4]\n\t"
        "str r4, [sp, #8]\n\t"
        "str r1, [sp, #12]\n\t"
        "adds r3, r0, r1\n"
        "4:\n\t"
        "ldr r2, [sp, #0]\n\t"
        "cmp r2, #0\n\t"
        "beq 5f\n\t"
        TF_M0FC_LOAD8
        "adds r2, #32\n\t"
        "str r2, [sp, #0]\n\t"
        "b 6f\n"
        "5:\n\t"
        "movs r6, #0\n\t"
        "movs r7, #0\n\t"
        "mov r8, r6\n\t"
        "mov r9, r6\n\t"
        "mov r10, r6\n\t"
        "mov r11, r6\n\t"
        "mov r12, r6\n\t"
        "mov lr, r6\n"
        "6:\n\t"
        "ldr r4, [sp, #12]\n\t"
        "rsbs r4, r4, #0\n\t"
        "lsls r2, r4, #31\n\t"
        "bne 3f\n"
        "2:\n\t"
        "ldrsb r0, [r3, r4]\n\t"
        TF_M0DW_WORD("r6", "r7", "r8", "r9") TF_M0DW_WORD("r10", "r11", "r12", "lr")
        "adds r4, #1\n"
        "3:\n\t"
        "ldrsb r0, [r3, r4]\n\t"
        TF_M0DW_WORD("r6", "r7", "r8", "r9") TF_M0DW_WORD("r10", "r11", "r12", "lr")
        "adds r4, #1\n\t"
        "bne 2b\n\t"
        "ldr r2, [sp, #4]\n\t"
        TF_M0DW_STORE8
        "adds r2, #32\n\t"
        "str r2, [sp, #4]\n\t"
        "ldr r2, [sp, #8]\n\t"
        "subs r2, #1\n\t"
        "str r2, [sp, #8]\n\t"
        "bne 4b\n\t"
        "add sp, #16\n\t"
        "pop {r4, r5, r6, r7}\n\t"
        "mov r8, r4\n\t"
        "mov r9, r5\n\t"
        "mov r10, r6\n\t"
        "mov r11, r7\n\t"
        "pop {r4, r5, r6, r7, pc}\n\t"
        ".size tf_m0fc_blocks8, . - tf_m0fc_blocks8\n\t"
        ".popsection\n\t"
        ".syntax divided\n\t");

TF_M0DW_MAC_FN("tf_m0fc_mac8", TF_M0DW_WORD("r6", "r7", "r8", "r9") TF_M0DW_WORD("r10", "r11", "r12", "lr"),
               TF_M0FC_LOAD8, TF_M0DW_STORE8);
TF_M0DW_MAC_FN("tf_m0fc_mac4", TF_M0DW_WORD("r6", "r7", "r8", "r9"), TF_M0FC_LOAD4, TF_M0DW_STORE4);
#else
/* the same sums in C (host builds, other targets) */
static inline void tf_m0fc_mac8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run) {
  tf_m0dw_mac_c(x, w, start, 1, run, 8);
}
static inline void tf_m0fc_blocks8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0fc_blocks_t *b) {
  int32_t *acc = b->acc;
  for (int k = 0; k < b->blocks; ++k, acc += 8, w += 8 * b->n) {
    for (int j = 0; j < 8; ++j) acc[j] = start ? start[8 * k + j] : 0;
    for (int d = 0; d < b->n; ++d) {
      for (int j = 0; j < 8; ++j) acc[j] += (int32_t)w[8 * d + j] * x[d];
    }
  }
}
static inline void tf_m0fc_mac4(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run) {
  tf_m0dw_mac_c(x, w, start, 1, run, 4);
}
#endif

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
static inline __attribute__((always_inline)) int32_t tf_m0_rshift(int32_t q, int r) {
  return (((q + (q >> 31)) >> (r - 1)) + 1) >> 1;
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

#endif
