/* SPDX-License-Identifier: Apache-2.0 */
/* The forward radix-4 butterflies of the int16 FFT on Armv6-M (signal_fft_m0.h, whose C twin runs
 * the same arithmetic elsewhere): every value in a register from its load to its store, each pair
 * and each twiddle one LDR split by SXTH and ASRS, and the radix divide x * 8191 rounded written as
 * (8192 * (x + 2) - x) >> 15, four single-cycle instructions and no constant register. */
#include "signal_fft_m0.h"

#if TF_M0_NATIVE
        .syntax unified
        .thumb

/* x = (x * 8191 + 2^14) >> 15; t destroyed */
        .macro tf_m0fft_div x, t
        adds \t, \x, #2
        lsls \t, \t, #13
        subs \t, \t, \x
        asrs \x, \t, #15
        .endm

/* The divided pair of the word in xi (re in its low half) times the twiddle word in wi, rounded as
 * C_MUL: re into t1, im into xi; xr, wr, wi, t2 destroyed; r12 holds 2^14. */
        .macro tf_m0fft_twiddled xi, wi, xr, wr, t1, t2
        sxth \xr, \xi
        asrs \xi, \xi, #16
        sxth \wr, \wi
        asrs \wi, \wi, #16
        tf_m0fft_div \xr, \t1
        tf_m0fft_div \xi, \t1
        movs \t1, \xr
        muls \t1, \wr, \t1
        movs \t2, \xi
        muls \t2, \wi, \t2
        subs \t1, \t1, \t2
        muls \xr, \wi, \xr
        muls \xi, \wr, \xi
        adds \xi, \xi, \xr
        add \t1, r12
        asrs \t1, \t1, #15
        add \xi, r12
        asrs \xi, \xi, #15
        .endm

/*
 *   void tf_fft16_m0_bfly4_fwd(int16_t *f, const uint32_t *w, int32_t q, int32_t count);
 * count (>= 1) forward radix-4 butterflies from the pair at f (word aligned), their other three
 * inputs q, 2q and 3q bytes on, three twiddle words each from w. r8 f, r9 w, r10 q, r11 the end,
 * r12 2^14; s3 and s4 of the butterfly wait on the stack. About 150 cycles a butterfly.
 */
        tf_m0_function tf_fft16_m0_bfly4_fwd
        tf_m0_save_r4_r11
        sub sp, #16
        lsls r3, r3, #2
        adds r3, r0, r3
        mov r8, r0
        mov r9, r1
        mov r10, r2
        mov r11, r3
        movs r4, #1
        lsls r4, r4, #14
        mov r12, r4
1:
        /* s0 = x0 * w0 (r6, r2), s2 = x2 * w2 (r1, r3) */
        mov r0, r8
        mov r1, r10
        ldr r2, [r0, r1]
        adds r3, r1, r1
        adds r3, r3, r1
        ldr r3, [r0, r3]
        mov r0, r9
        ldr r1, [r0, #0]
        ldr r0, [r0, #8]
        tf_m0fft_twiddled r2, r1, r4, r5, r6, r7
        tf_m0fft_twiddled r3, r0, r4, r5, r1, r7
        /* s3 = s0 + s2, s4 = s0 - s2, to the stack */
        adds r4, r6, r1
        subs r6, r6, r1
        adds r5, r2, r3
        subs r2, r2, r3
        str r4, [sp, #0]
        str r5, [sp, #4]
        str r6, [sp, #8]
        str r2, [sp, #12]
        /* s1 = x1 * w1 (r6, r0) */
        mov r0, r8
        mov r1, r10
        adds r1, r1, r1
        ldr r0, [r0, r1]
        mov r1, r9
        ldr r1, [r1, #4]
        tf_m0fft_twiddled r0, r1, r4, r5, r6, r7
        /* a, divided (r2, r3) */
        mov r1, r8
        ldr r3, [r1, #0]
        sxth r2, r3
        asrs r3, r3, #16
        tf_m0fft_div r2, r4
        tf_m0fft_div r3, r4
        /* g0 = a + s1 (r4, r5), s5 = a - s1 (r2, r3) */
        adds r4, r2, r6
        subs r2, r2, r6
        adds r5, r3, r0
        subs r3, r3, r0
        /* f0 = g0 + s3 at f, f2 = g0 - s3 at f + 2q */
        ldr r6, [sp, #0]
        ldr r7, [sp, #4]
        adds r0, r4, r6
        subs r4, r4, r6
        adds r6, r5, r7
        subs r5, r5, r7
        strh r0, [r1, #0]
        strh r6, [r1, #2]
        mov r0, r10
        adds r1, r1, r0
        adds r6, r1, r0
        strh r4, [r6, #0]
        strh r5, [r6, #2]
        /* f1 = s5 + (s4i, -s4r) at f + q, f3 = s5 - (s4i, -s4r) at f + 3q */
        ldr r4, [sp, #8]
        ldr r5, [sp, #12]
        adds r6, r2, r5
        subs r2, r2, r5
        subs r7, r3, r4
        adds r3, r3, r4
        strh r6, [r1, #0]
        strh r7, [r1, #2]
        adds r1, r1, r0
        adds r1, r1, r0
        strh r2, [r1, #0]
        strh r3, [r1, #2]
        /* next u */
        mov r0, r8
        adds r0, r0, #4
        mov r8, r0
        mov r1, r9
        adds r1, r1, #12
        mov r9, r1
        cmp r0, r11
        beq 2f
        b 1b
2:
        add sp, #16
        tf_m0_restore_r4_r11_return
#endif
