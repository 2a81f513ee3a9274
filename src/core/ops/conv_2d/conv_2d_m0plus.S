/* SPDX-License-Identifier: Apache-2.0 */
/* The Armv6-M 1x1 convolution's inner kernel (conv_2d_m0plus.h explains the arithmetic): every
 * channel pair of one pixel pair, from the packed row to the four stored outputs of each pair.
 *
 *   void tf_m0_pw_pixels_s(const uint32_t *cols, const int8_t *w, const tf_m0_pw_t *g, int8_t *o, int32_t off1);
 *
 * cols: the pair's packed row (k words, x0 + x1 * 2^16); w: the layer blob at its first channel pair;
 * g: the layer's constants (read at the offsets conv_2d_m0plus.h defines and checks); pixel 0's
 * outputs go to o[c], pixel 1's to o[off1 + c] (off1 = 0: no pixel 1, stored first so pixel 0's win).
 *
 * Registers: r0 the packed row, r1 the blob, r2..r6 work, r7 the constant 2^15 (during the
 * requantization 2^30 + 2^14), r8..r11 the four accumulators, r12 the row's end (during the
 * requantization act_max), lr act_min. Frame (28 bytes): [0] the row, [4] 2^30 + 2^14, [8] act_max,
 * [12] the outputs' end, [16] 4k, [20] o, [24] off1.
 * Weak: two models linked into one image each ship this same file. */
#include "conv_2d_m0plus.h"

#if TF_M0_NATIVE
        .syntax unified
        .thumb

/* One step of the packed loop: two input channels of the pixel pair (X words in r2, r3) against one
 * weight word of two output channels. Per channel the step's sum s = lo + 2^16 hi (|lo| <= 32640):
 * s itself goes to pixel 0's running total (r8 channel 0, r10 channel 1; wrapping) and
 * hi = (s + 2^15) >> 16 (exact: lo + 2^15 lies in [0, 2^16)) to pixel 1's accumulator (r9, r11);
 * pixel 0's sum is its total - 2^16 pixel 1's, taken before the requantization (the totals start
 * at start * 65537, so that the starts cancel). r7 holds 2^15. 25 cycles. */
        .macro tf_m0_pw_step
        ldmia r0!, {r2, r3}
        ldmia r1!, {r4}
        sxtb r5, r4
        muls r5, r2, r5
        lsls r6, r4, #16
        asrs r6, r6, #24
        muls r6, r3, r6
        adds r5, r5, r6
        lsls r6, r4, #8
        asrs r6, r6, #24
        muls r6, r2, r6
        asrs r4, r4, #24
        muls r4, r3, r4
        adds r6, r6, r4
        add r8, r5
        adds r5, r5, r7
        asrs r5, r5, #16
        add r9, r5
        add r10, r6
        adds r6, r6, r7
        asrs r6, r6, #16
        add r11, r6
        .endm

/* One output's requantization and activation clamp, into r0: the accumulator in r5, the multiplier's
 * halves in r2 (low) and r4 (high), P in r3, the SRDHM offset in r7, the activation range in lr
 * (lo) and r12 (hi). tf_m0_requant_raw in m0plus_rq.h is the same arithmetic in C. */
        .macro tf_m0_pw_requant
        asrs r6, r5, #16
        uxth r5, r5
        movs r0, r5
        muls r0, r2, r0
        lsrs r0, r0, #16
        muls r5, r4, r5
        adds r0, r0, r5
        movs r5, r6
        muls r5, r2, r5
        adds r0, r0, r5
        adds r0, r0, r7
        lsrs r0, r0, #15
        lsls r0, r0, #1
        asrs r5, r6, #31
        adds r0, r0, r5
        muls r6, r4, r6
        lsls r6, r6, #2
        adds r0, r0, r6
        asrs r5, r3, #8
        adds r0, r0, r5
        asrs r0, r3
        cmp r0, lr
        bge .Lpw_above_lo\@
        mov r0, lr
.Lpw_above_lo\@:
        cmp r0, r12
        ble .Lpw_below_hi\@
        mov r0, r12
.Lpw_below_hi\@:
        .endm

/* the struct fields are read with LDR's 5-bit word offset */
        .if (TF_M0_PW_K | TF_M0_PW_OUT_C | TF_M0_PW_ACT_MIN | TF_M0_PW_ACT_MAX | TF_M0_PW_C30) & 3
        .error "tf_m0_pw_t: a field the assembly reads is not word aligned"
        .endif
        .if TF_M0_PW_K > 124 || TF_M0_PW_OUT_C > 124 || TF_M0_PW_ACT_MIN > 124 || TF_M0_PW_ACT_MAX > 124 || TF_M0_PW_C30 > 124
        .error "tf_m0_pw_t: a field the assembly reads is beyond LDR's immediate offset"
        .endif

        tf_m0_function tf_m0_pw_pixels_s
        tf_m0_save_r4_r11
        ldr r4, [sp, #36]                 /* off1, the fifth argument, above the 9 saved registers */
        push {r3, r4}
        ldr r3, [r2, #TF_M0_PW_ACT_MIN]
        ldr r4, [r2, #TF_M0_PW_ACT_MAX]
        ldr r5, [r2, #TF_M0_PW_OUT_C]
        ldr r6, [sp, #0]
        adds r5, r5, r6                   /* the outputs' end: o + out_c */
        ldr r6, [r2, #TF_M0_PW_K]
        lsls r6, r6, #2                   /* the row's bytes, 4k */
        push {r0, r3, r4, r5, r6}
        mov lr, r3                        /* act_min, for the whole call */
        ldr r5, [r2, #TF_M0_PW_C30]
        str r5, [sp, #4]                  /* 2^30 + 2^14 in act_min's slot, for r7 at the requantization */
        movs r7, #1
        lsls r7, r7, #15                  /* 2^15, the steps' rounding of hi */
        b .Lpw_pair

/* Entering the four-step loop so that the first pass runs k/2 mod 4 steps (at step 5 - that): 4k =
 * 8 (k/2), so bits 3 and 4 of 4k are k/2 mod 4. The common case, k/2 a multiple of 4, falls through
 * into the loop at .Lpw_pair without coming here. */
.Lpw_enter:
        lsls r4, r5, #28                  /* bit 3 */
        bmi .Lpw_enter_odd
        b .Lpw_step3                      /* k/2 mod 4 = 2 (bit 4 is set, or we would not be here) */
.Lpw_enter_odd:
        lsls r4, r5, #27                  /* bit 4 */
        bmi .Lpw_step2                    /* 3 */
        b .Lpw_step4                      /* 1 */

.Lpw_pair:
        ldr r0, [sp, #0]
        ldr r5, [sp, #16]
        ldmia r1!, {r2, r3}
        mov r9, r2
        mov r11, r3
        lsls r4, r2, #16
        adds r2, r2, r4
        mov r8, r2                        /* start0 * 65537 */
        lsls r4, r3, #16
        adds r3, r3, r4
        mov r10, r3                       /* start1 * 65537 */
        adds r4, r0, r5
        mov r12, r4
        lsls r4, r5, #27                  /* bits 3 and 4 of 4k: k/2 mod 4 */
        bne .Lpw_enter
.Lpw_step1:
        tf_m0_pw_step
.Lpw_step2:
        tf_m0_pw_step
.Lpw_step3:
        tf_m0_pw_step
.Lpw_step4:
        tf_m0_pw_step
        cmp r0, r12
        bne .Lpw_step1
        ldr r2, [sp, #8]
        mov r12, r2                       /* act_max */
        ldr r7, [sp, #4]                  /* 2^30 + 2^14 */
        /* channel 0: pixel 1 (r9), then pixel 0 (r8) */
        ldmia r1!, {r2, r3}
        lsrs r4, r2, #16
        uxth r2, r2
        mov r5, r9
        tf_m0_pw_requant
        ldr r5, [sp, #20]
        ldr r6, [sp, #24]
        strb r0, [r5, r6]
        mov r6, r9
        lsls r6, r6, #16
        mov r5, r8
        subs r5, r5, r6                   /* pixel 0's sum: its total - 2^16 pixel 1's */
        tf_m0_pw_requant
        ldr r5, [sp, #20]
        strb r0, [r5, #0]
        /* channel 1: pixel 1 (r11), then pixel 0 (r10) */
        ldmia r1!, {r2, r3}
        lsrs r4, r2, #16
        uxth r2, r2
        mov r5, r11
        tf_m0_pw_requant
        ldr r5, [sp, #20]
        ldr r6, [sp, #24]
        adds r6, r6, #1
        strb r0, [r5, r6]
        mov r6, r11
        lsls r6, r6, #16
        mov r5, r10
        subs r5, r5, r6                   /* pixel 0's sum: its total - 2^16 pixel 1's */
        tf_m0_pw_requant
        ldr r5, [sp, #20]
        strb r0, [r5, #1]
        movs r7, #1
        lsls r7, r7, #15                  /* 2^15 again for the steps */
        adds r5, r5, #2
        str r5, [sp, #20]
        ldr r6, [sp, #12]
        cmp r5, r6
        beq .Lpw_done
        b .Lpw_pair
.Lpw_done:
        add sp, #28
        tf_m0_restore_r4_r11_return
        .size tf_m0_pw_pixels_s, . - tf_m0_pw_pixels_s
#endif
