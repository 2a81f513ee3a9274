/* SPDX-License-Identifier: Apache-2.0 */
/* The row-block multiply-accumulate loop of the Armv6-M kernels (Cortex-M0/M0+, the RP2040), shared by
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED and the LSTM. A block of 8 (or 4) weight rows runs over runs of
 * input bytes with every accumulator in a register, each input byte loaded once for the block and the
 * weights a word at a time, in the order they are read (per input byte, the block's 8 or 4 int8).
 * Thumb-1 has no SIMD and one product per MULS, so a MAC costs at least a load, a MULS and an ADD.
 *
 * The loop is an assembler macro (tf_m0_mac_fn, below) that each user's .S instantiates with where its
 * starts lie: depthwise reads them from its 12-byte per-channel records, FULLY_CONNECTED and the LSTM
 * from contiguous int32 (common/isa/m0plus_mac.S: tf_m0fc_mac8, tf_m0fc_mac4, tf_m0fc_blocks8). The
 * structs they read are laid out by the offsets defined here once and checked against the C below.
 * Elsewhere (host tests, other targets) the C twins run the same sums. */
#ifndef TF_M0PLUS_MAC_H
#define TF_M0PLUS_MAC_H
#include "armv6m.h"

/* tf_m0dw_run_t: n, rows, step, wskip are read with one LDM (so in this order), acc by offset */
#define TF_M0_RUN_N 0
#define TF_M0_RUN_ROWS 4
#define TF_M0_RUN_STEP 8
#define TF_M0_RUN_WSKIP 12
#define TF_M0_RUN_ACC 16
/* tf_m0fc_blocks_t: n, blocks, acc, one LDM */
#define TF_M0_BLOCKS_N 0
#define TF_M0_BLOCKS_COUNT 4
#define TF_M0_BLOCKS_ACC 8

#ifdef __ASSEMBLER__
/* assembler source, whose operands clang-format would respace as C */
/* clang-format off */
/* the LDMs above read consecutive words */
        .if TF_M0_RUN_ROWS != TF_M0_RUN_N + 4 || TF_M0_RUN_STEP != TF_M0_RUN_N + 8 || TF_M0_RUN_WSKIP != TF_M0_RUN_N + 12 || TF_M0_RUN_N != 0
        .error "tf_m0dw_run_t: n, rows, step, wskip must be the first four words, in order (one LDM)"
        .endif
        .if TF_M0_BLOCKS_N != 0 || TF_M0_BLOCKS_COUNT != 4 || TF_M0_BLOCKS_ACC != 8
        .error "tf_m0fc_blocks_t: n, blocks, acc must be the first three words, in order (one LDM)"
        .endif

/* One tap word: four weights of the word at r5 (post-incremented) times the input in r0, into four
 * accumulators; r1, r2 destroyed. 15 cycles. */
        .macro tf_m0_tap_word a, b, c, d
        ldm r5!, {r2}
        sxtb r1, r2
        muls r1, r0, r1
        add \a, r1
        asrs r2, r2, #8
        sxtb r1, r2
        muls r1, r0, r1
        add \b, r1
        asrs r2, r2, #8
        sxtb r1, r2
        muls r1, r0, r1
        add \c, r1
        asrs r2, r2, #8
        muls r2, r0, r2
        add \d, r2
        .endm

/* One tap of a block of `width` (8 or 4) rows: accumulators r6, r7, r8, r9 (then r10, r11, r12, lr). */
        .macro tf_m0_tap width
        tf_m0_tap_word r6, r7, r8, r9
        .if \width == 8
        tf_m0_tap_word r10, r11, r12, lr
        .elseif \width != 4
        .error "tf_m0_tap: a block is 8 or 4 rows"
        .endif
        .endm

/* The block's accumulators from `width` starts at r2, `stride` bytes apart (r0 destroyed). */
        .macro tf_m0_load_starts width, stride
        ldr r6, [r2, #0]
        ldr r7, [r2, #(\stride)]
        ldr r0, [r2, #(2 * \stride)]
        mov r8, r0
        ldr r0, [r2, #(3 * \stride)]
        mov r9, r0
        .if \width == 8
        ldr r0, [r2, #(4 * \stride)]
        mov r10, r0
        ldr r0, [r2, #(5 * \stride)]
        mov r11, r0
        ldr r0, [r2, #(6 * \stride)]
        mov r12, r0
        ldr r0, [r2, #(7 * \stride)]
        mov lr, r0
        .endif
        .endm

/* The block's accumulators to `width` int32 at r2 (r0 destroyed). */
        .macro tf_m0_store_acc width
        str r6, [r2, #0]
        str r7, [r2, #4]
        mov r0, r8
        str r0, [r2, #8]
        mov r0, r9
        str r0, [r2, #12]
        .if \width == 8
        mov r0, r10
        str r0, [r2, #16]
        mov r0, r11
        str r0, [r2, #20]
        mov r0, r12
        str r0, [r2, #24]
        mov r0, lr
        str r0, [r2, #28]
        .endif
        .endm

/* One run of n (>= 1, read from [sp + n_slot]) contiguous input bytes ending at r3 into the block's
 * accumulators, the weights at r5 (post-incremented); r4 counts -taps left up to 0, r0..r2 destroyed.
 * Taps in pairs (an odd count enters at the second): 36 cycles a tap of 8 rows. */
        .macro tf_m0_run width, n_slot
        ldr r4, [sp, #(\n_slot)]
        rsbs r4, r4, #0
        lsls r2, r4, #31
        bne .Lrun_odd\@
.Lrun_pair\@:
        ldrsb r0, [r3, r4]
        tf_m0_tap \width
        adds r4, #1
.Lrun_odd\@:
        ldrsb r0, [r3, r4]
        tf_m0_tap \width
        adds r4, #1
        bne .Lrun_pair\@
        .endm

/*
 *   void name(const int8_t *x, const int8_t *w, const int32_t *starts, const tf_m0dw_run_t *run);
 * Starts the block's `width` accumulators from `starts` (`stride` bytes apart) and runs run->rows
 * (>= 1) runs of run->n (>= 1) contiguous input bytes, run r at x + r * run->step, adding tap by tap,
 * the weights skipping run->wskip bytes after each run; stores the accumulators at run->acc.
 * r0 input, r1 product, r2 weight word, r3 run end, r4 -taps left, r5 weights; accumulators r6, r7,
 * r8..r12, lr; [sp] acc, [sp + 4] n, [sp + 8] step, [sp + 12] wskip, [sp + 16] runs left. Taps in
 * pairs (an odd count enters at the second): 36 cycles a tap of 8 rows, 18 a run.
 */
        .macro tf_m0_mac_fn name, width, stride
        tf_m0_function \name
        tf_m0_save_r4_r11
        sub sp, #20
        mov r5, r1
        mov r6, r0
        ldr r0, [r3, #TF_M0_RUN_ACC]
        str r0, [sp, #0]
        ldm r3!, {r0, r1, r4, r7}         /* n, rows, step, wskip */
        str r0, [sp, #4]
        str r1, [sp, #16]
        str r4, [sp, #8]
        str r7, [sp, #12]
        adds r3, r6, r0
        tf_m0_load_starts \width, \stride
1:
        tf_m0_run \width, 4
        ldr r2, [sp, #8]
        adds r3, r3, r2
        ldr r2, [sp, #12]
        adds r5, r5, r2
        ldr r2, [sp, #16]
        subs r2, #1
        str r2, [sp, #16]
        bne 1b
        ldr r2, [sp, #0]
        tf_m0_store_acc \width
        add sp, #20
        tf_m0_restore_r4_r11_return
        .size \name, . - \name
        .endm

/* clang-format on */
#else /* C */
#include <stdint.h>

/*
 * One run set of the block loop: `rows` (>= 1) runs of `n` (>= 1) contiguous input bytes, run r at
 * x + r * step, the weights skipping `wskip` bytes after each run; the accumulators go to acc.
 */
typedef struct {
  int32_t n, rows, step, wskip;
  int32_t *acc;
} tf_m0dw_run_t;
TF_M0_CHECK_OFFSET(tf_m0dw_run_t, n, TF_M0_RUN_N);
TF_M0_CHECK_OFFSET(tf_m0dw_run_t, rows, TF_M0_RUN_ROWS);
TF_M0_CHECK_OFFSET(tf_m0dw_run_t, step, TF_M0_RUN_STEP);
TF_M0_CHECK_OFFSET(tf_m0dw_run_t, wskip, TF_M0_RUN_WSKIP);
TF_M0_CHECK_OFFSET(tf_m0dw_run_t, acc, TF_M0_RUN_ACC);

/* tf_m0fc_blocks8's layout: n input bytes, how many blocks of 8 rows, where their accumulators go */
typedef struct {
  int32_t n, blocks;
  int32_t *acc;
} tf_m0fc_blocks_t;
TF_M0_CHECK_OFFSET(tf_m0fc_blocks_t, n, TF_M0_BLOCKS_N);
TF_M0_CHECK_OFFSET(tf_m0fc_blocks_t, blocks, TF_M0_BLOCKS_COUNT);
TF_M0_CHECK_OFFSET(tf_m0fc_blocks_t, acc, TF_M0_BLOCKS_ACC);

/* the block loop's sums in C; channel j starts from starts[stride * j] */
static inline void tf_m0dw_mac_c(const int8_t *x, const int8_t *w, const int32_t *starts, int stride, const tf_m0dw_run_t *run, int n) {
  int32_t *const acc = run->acc;
  for (int j = 0; j < n; ++j) acc[j] = starts[stride * j];
  for (int r = 0; r < run->rows; ++r, x += run->step, w += run->wskip) {
    for (int k = 0; k < run->n; ++k, w += n) {
      for (int j = 0; j < n; ++j) acc[j] += (int32_t)w[j] * x[k];
    }
  }
}

#if TF_M0_NATIVE
/* common/isa/m0plus_mac.S: blocks of 8 and 4 rows from contiguous starts (FULLY_CONNECTED, the LSTM) */
void tf_m0fc_mac8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run);
void tf_m0fc_mac4(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run);
/* `b->blocks` blocks of 8 rows one after another over the same input row (n = b->n >= 1 bytes at x):
 * weights contiguous, starts 8 per block (or all 0 when `start` is null), accumulators stored 8 per
 * block at b->acc. One call per layer step instead of one per block. */
void tf_m0fc_blocks8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0fc_blocks_t *b);
/* A block of 4 rows as two row pairs over run->n (even) input bytes (m0plus_mac.S): weights as
 * fully_connected/m0plus.ts's rowPairLanes4 lays them, 4 starts, 4 sums at run->acc. 26 cycles per 8
 * MACs against tf_m0fc_mac4's 40. */
void tf_m0fc_pairs4(const int8_t *x, const int32_t *w, const int32_t *start, const tf_m0dw_run_t *run);
#else
static inline void tf_m0fc_mac8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run) {
  tf_m0dw_mac_c(x, w, start, 1, run, 8);
}
static inline void tf_m0fc_mac4(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0dw_run_t *run) {
  tf_m0dw_mac_c(x, w, start, 1, run, 4);
}
/* tf_m0fc_pairs4's sums: each word w_a + 65536 w_b split back into its two weights */
static inline void tf_m0fc_pairs4(const int8_t *x, const int32_t *w, const int32_t *start, const tf_m0dw_run_t *run) {
  int32_t *const acc = run->acc;
  for (int j = 0; j < 4; ++j) acc[j] = start[j];
  for (int k = 0; k < run->n; k += 2, w += 4) {
    for (int p = 0; p < 2; ++p) {
      for (int c = 0; c < 2; ++c) {
        const int32_t word = w[2 * p + c], lo = (int16_t)(uint16_t)((uint32_t)word & 0xffffu);
        acc[2 * p] += lo * x[k + c];
        acc[2 * p + 1] += ((word - lo) / 65536) * x[k + c];
      }
    }
  }
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
#endif
#endif /* __ASSEMBLER__ */

#endif
