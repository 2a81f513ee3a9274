/* SPDX-License-Identifier: Apache-2.0 */
/* The LSTM's row-pair lanes on Armv6-M (unidirectional_sequence_lstm_pairs.h, pairs.ts): blocks of 8
 * gate rows, four row pairs, over a step's values widened to int32. */
#include "armv6m.h"

#if TF_M0_NATIVE
        .syntax unified
        .thumb

/* One row pair over one column pair (x0 in r0, x1 in r3): its two words at r5 (post-incremented),
 * s = W0 x0 + W1 x1 = lo + 65536 hi, |lo| <= 32512, so lo = SXTH(s), hi = (s - lo) >> 16 exactly;
 * lo into row a's accumulator, hi into row b's. r1, r2 destroyed. 11 cycles for 4 MACs. */
        .macro tf_m0_lstm_pair a, b
        ldm r5!, {r1, r2}
        muls r1, r0, r1
        muls r2, r3, r2
        adds r1, r1, r2
        sxth r2, r1
        subs r1, r1, r2
        asrs r1, r1, #16
        add \a, r2
        add \b, r1
        .endm

/* One column pair of the block: its two values from r6 (post-incremented), then the four row pairs. */
        .macro tf_m0_lstm_column_pair
        ldm r6!, {r0, r3}
        tf_m0_lstm_pair r4, r7
        tf_m0_lstm_pair r8, r9
        tf_m0_lstm_pair r10, r11
        tf_m0_lstm_pair r12, lr
        .endm

/*
 *   void tf_m0_lstm_pairs8(const int32_t *x, const int32_t *w, const int32_t *start, const tf_m0fc_blocks_t *b);
 * b->blocks blocks of 8 rows over b->n (>= 1) column pairs of x (2 b->n int32), weights as
 * unidirectional_sequence_lstm_pairs.h lays them, each block's sums from 8 starts (or 0 when start is
 * null) to 8 int32 at b->acc. The sums wrap as TFLite Micro's int32 sum. r0, r3 the values, r1, r2
 * products, r5 weights, r6 values pointer; accumulators r4, r7, r8..r12, lr; [sp] x, [sp + 4] x end,
 * [sp + 8] starts, [sp + 12] acc, [sp + 16] blocks left, [sp + 20] n mod 4. Column pairs four per loop
 * turn (n mod 4 = r > 0 enters the turn at its last r copies): 194 cycles per 64 MACs.
 */
        tf_m0_function tf_m0_lstm_pairs8
        tf_m0_save_r4_r11
        sub sp, #24
        mov r5, r1
        ldm r3!, {r1, r4, r6}             /* n, blocks, acc */
        str r0, [sp, #0]
        str r2, [sp, #8]
        str r6, [sp, #12]
        str r4, [sp, #16]
        lsls r2, r1, #30
        lsrs r2, r2, #30
        str r2, [sp, #20]
        lsls r1, r1, #3
        adds r1, r0, r1
        str r1, [sp, #4]
1:
        ldr r2, [sp, #8]
        cmp r2, #0
        beq 2f
        ldr r4, [r2, #0]
        ldr r7, [r2, #4]
        ldr r0, [r2, #8]
        mov r8, r0
        ldr r0, [r2, #12]
        mov r9, r0
        ldr r0, [r2, #16]
        mov r10, r0
        ldr r0, [r2, #20]
        mov r11, r0
        ldr r0, [r2, #24]
        mov r12, r0
        ldr r0, [r2, #28]
        mov lr, r0
        adds r2, #32
        str r2, [sp, #8]
        b 3f
2:
        movs r4, #0
        movs r7, #0
        mov r8, r4
        mov r9, r4
        mov r10, r4
        mov r11, r4
        mov r12, r4
        mov lr, r4
3:
        ldr r6, [sp, #0]
        ldr r1, [sp, #20]
        cmp r1, #1
        beq 7f
        cmp r1, #2
        beq 8f
        cmp r1, #3
        beq 9f
4:
        tf_m0_lstm_column_pair
9:
        tf_m0_lstm_column_pair
8:
        tf_m0_lstm_column_pair
7:
        tf_m0_lstm_column_pair
        ldr r1, [sp, #4]
        cmp r6, r1
        beq 5f
        b 4b                              /* beyond a conditional branch's reach */
5:
        ldr r2, [sp, #12]
        str r4, [r2, #0]
        str r7, [r2, #4]
        mov r0, r8
        str r0, [r2, #8]
        mov r0, r9
        str r0, [r2, #12]
        mov r0, r10
        str r0, [r2, #16]
        mov r0, r11
        str r0, [r2, #20]
        mov r0, r12
        str r0, [r2, #24]
        mov r0, lr
        str r0, [r2, #28]
        adds r2, #32
        str r2, [sp, #12]
        ldr r2, [sp, #16]
        subs r2, #1
        str r2, [sp, #16]
        beq 6f
        b 1b                              /* beyond a conditional branch's reach */
6:
        add sp, #24
        tf_m0_restore_r4_r11_return
        .size tf_m0_lstm_pairs8, . - tf_m0_lstm_pairs8
/*
 *   void tf_m0_lstm_widen4(const int8_t *x, int32_t *out, const int8_t *end);
 * Each byte of [x, end) sign-extended into an int32 of out; x word-aligned, end - x a positive
 * multiple of 4. A word per loop turn: 16 cycles for 4 bytes (the C loop's byte loads take 11 a byte).
 */
        tf_m0_function tf_m0_lstm_widen4
        push {r4, r5, r6, r7}
1:
        ldm r0!, {r4}
        sxtb r3, r4
        asrs r5, r4, #8
        sxtb r5, r5
        asrs r6, r4, #16
        sxtb r6, r6
        asrs r7, r4, #24
        stm r1!, {r3, r5, r6, r7}
        cmp r0, r2
        bne 1b
        pop {r4, r5, r6, r7}
        bx lr
        .size tf_m0_lstm_widen4, . - tf_m0_lstm_widen4
#endif
