/* SPDX-License-Identifier: Apache-2.0 */
/* The Armv6-M row-block loops of FULLY_CONNECTED and the LSTM (common/isa/m0plus_mac.h): blocks of 8 or 4
 * weight rows over one input row, starts contiguous (bias + input offset * sum of the row's weights). */
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
#endif
