/* SPDX-License-Identifier: Apache-2.0 */
/* The Armv6-M row-block loops of FULLY_CONNECTED and the LSTM (common/isa/m0plus_mac.h): blocks of 8 or 4
 * weight rows over one input row, starts contiguous (bias + input offset * sum of the row's weights),
 * and FULLY_CONNECTED's block of 4 rows as two row pairs (tf_m0fc_pairs4). */
#include "m0plus_mac.h"

#if TF_M0_NATIVE
        .syntax unified
        .thumb

        tf_m0_mac_fn tf_m0fc_mac8, 8, 4
        tf_m0_mac_fn tf_m0fc_mac4, 4, 4

/*
 *   void tf_m0fc_blocks8(const int8_t *x, const int8_t *w, const int32_t *start, const tf_m0fc_blocks_t *b);
 * r0 input, r1 product, r2 weight word, r3 input end, r4 -taps left, r5 weights; accumulators r6, r7,
 * r8..r12, lr; [sp] starts, [sp + 4] acc, [sp + 8] blocks left, [sp + 12] n. 36 cycles a tap, ~55 a
 * block (a call ~110).
 */
        tf_m0_function tf_m0fc_blocks8
        tf_m0_save_r4_r11
        sub sp, #16
        mov r5, r1
        ldm r3!, {r1, r4, r6}             /* n, blocks, acc */
        str r2, [sp, #0]
        str r6, [sp, #4]
        str r4, [sp, #8]
        str r1, [sp, #12]
        adds r3, r0, r1
4:
        ldr r2, [sp, #0]
        cmp r2, #0
        beq 5f
        tf_m0_load_starts 8, 4
        adds r2, #32
        str r2, [sp, #0]
        b 6f
5:
        movs r6, #0
        movs r7, #0
        mov r8, r6
        mov r9, r6
        mov r10, r6
        mov r11, r6
        mov r12, r6
        mov lr, r6
6:
        tf_m0_run 8, 12
        ldr r2, [sp, #4]
        tf_m0_store_acc 8
        adds r2, #32
        str r2, [sp, #4]
        ldr r2, [sp, #8]
        subs r2, #1
        str r2, [sp, #8]
        bne 4b
        add sp, #16
        tf_m0_restore_r4_r11_return
        .size tf_m0fc_blocks8, . - tf_m0fc_blocks8

/* One column pair of tf_m0fc_pairs4: x0, x1 from r3 + r6, r7 + r6 (r6 stepped on by 2, flags set),
 * then per row pair (a, b) its two words at r5 (post-incremented): s = W0 x0 + W1 x1 = lo + 65536 hi
 * with |lo| <= 32512; s goes to a's running total, hi = (s + 2^15) >> 16 (exact: lo + 2^15 lies in
 * [0, 2^16)) to b's sum. r12 holds 2^15; r1, r2 destroyed. 23 cycles for 8 MACs. */
        .macro tf_m0fc_pairs4_column
        ldrsb r0, [r3, r6]
        ldrsb r4, [r7, r6]
        ldm r5!, {r1, r2}
        muls r1, r0, r1
        muls r2, r4, r2
        adds r1, r1, r2
        add r8, r1
        add r1, r12
        asrs r1, r1, #16
        add r9, r1
        ldm r5!, {r1, r2}
        muls r1, r0, r1
        muls r2, r4, r2
        adds r1, r1, r2
        add r10, r1
        add r1, r12
        asrs r1, r1, #16
        add r11, r1
        adds r6, #2
        .endm

/*
 *   void tf_m0fc_pairs4(const int8_t *x, const int32_t *w, const int32_t *start, const tf_m0dw_run_t *run);
 * A block of 4 rows as two row pairs (rows 0, 1 and 2, 3) over run->n (even, >= 2) input bytes at x,
 * the weights as fully_connected/m0plus.ts's rowPairLanes4 lays them (per column pair, per row pair,
 * the words w_a + 65536 w_b of both columns; no weight -128), from 4 starts to 4 int32 at run->acc.
 * Row a's sum is its running total less 65536 times row b's (the totals start at start_a + 65536
 * start_b, so that b's start cancels); the sums wrap as TFLite Micro's int32 sum. r3 x + n, r7 x + n
 * + 1, r6 -columns left; totals r8, r10, b's sums r9, r11; [sp] acc. Column pairs two per loop turn
 * (an odd count enters at the second): 26 cycles per 8 MACs.
 */
        tf_m0_function tf_m0fc_pairs4
        tf_m0_save_r4_r11
        sub sp, #8
        mov r5, r1
        ldr r6, [r3, #TF_M0_RUN_N]
        ldr r1, [r3, #TF_M0_RUN_ACC]
        str r1, [sp, #0]
        adds r3, r0, r6
        adds r7, r3, #1
        rsbs r6, r6, #0
        ldm r2!, {r0, r1}
        mov r9, r1
        lsls r1, r1, #16
        adds r0, r0, r1
        mov r8, r0
        ldm r2!, {r0, r1}
        mov r11, r1
        lsls r1, r1, #16
        adds r0, r0, r1
        mov r10, r0
        movs r0, #1
        lsls r0, r0, #15
        mov r12, r0
        lsls r0, r6, #30                  /* bit 1 of n: an odd count of column pairs enters at the second */
        bmi 2f
1:
        tf_m0fc_pairs4_column
2:
        tf_m0fc_pairs4_column
        bne 1b
        ldr r2, [sp, #0]
        mov r0, r8
        mov r1, r9
        lsls r3, r1, #16
        subs r0, r0, r3
        str r0, [r2, #0]
        str r1, [r2, #4]
        mov r0, r10
        mov r1, r11
        lsls r3, r1, #16
        subs r0, r0, r3
        str r0, [r2, #8]
        str r1, [r2, #12]
        add sp, #8
        tf_m0_restore_r4_r11_return
        .size tf_m0fc_pairs4, . - tf_m0fc_pairs4
#endif
