/* SPDX-License-Identifier: Apache-2.0 */
/* The forward radix-4 butterflies and the real split of the int16 FFT on Armv6-M (signal_fft_m0.h, whose C twin runs
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

/* x = (x * 16383 + 2^14) >> 15; t destroyed */
        .macro tf_m0fft_div2 x, t
        adds \t, \x, #1
        lsls \t, \t, #14
        subs \t, \t, \x
        asrs \x, \t, #15
        .endm

/* w = the word at byte off of r0 if off < r12, else 0 (zero padding); off destroyed */
        .macro tf_m0fft_sample w, index
        ldrh r2, [r1, #\index]
        lsls r2, r2, #2
        movs \w, #0
        cmp r2, r12
        bhs 3f
        ldr \w, [r0, r2]
3:
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

/*
 *   void tf_fft16_m0_first4(const int16_t *x, const uint16_t *order, int16_t *out, int32_t n, int32_t limit);
 * The innermost forward radix-4 stage (span 1, twiddle 0) on the pairs of x (word aligned) the order
 * names, those at byte limit and past read as zeros, n / 4 butterflies into out. r8 x, r9 order,
 * r10 out, r11 the end of order, r12 limit, lr s4i.
 */
        tf_m0_function tf_fft16_m0_first4
        tf_m0_save_r4_r11
        ldr r4, [sp, #36]
        mov r12, r4
        lsls r3, r3, #1
        adds r3, r1, r3
        mov r11, r3
        mov r8, r0
        mov r9, r1
        mov r10, r2
1:
        mov r0, r8
        mov r1, r9
        tf_m0fft_sample r4, 2
        tf_m0fft_sample r5, 6
        tf_m0fft_sample r6, 0
        tf_m0fft_sample r7, 4
        /* s0 (r0, r4), s2 (r1, r5), divided */
        sxth r0, r4
        asrs r4, r4, #16
        tf_m0fft_div r0, r2
        tf_m0fft_div r4, r2
        sxth r1, r5
        asrs r5, r5, #16
        tf_m0fft_div r1, r2
        tf_m0fft_div r5, r2
        /* s3 = s0 + s2 (r2, r3), s4 = s0 - s2 (r0, lr) */
        adds r2, r0, r1
        subs r0, r0, r1
        adds r3, r4, r5
        subs r4, r4, r5
        mov lr, r4
        /* a (r1, r6), s1 (r5, r7), divided */
        sxth r1, r6
        asrs r6, r6, #16
        tf_m0fft_div r1, r5
        tf_m0fft_div r6, r5
        sxth r5, r7
        asrs r7, r7, #16
        tf_m0fft_div r5, r4
        tf_m0fft_div r7, r4
        /* g0 = a + s1 (r4, r5), s5 = a - s1 (r1, r6) */
        adds r4, r1, r5
        subs r1, r1, r5
        adds r5, r6, r7
        subs r6, r6, r7
        /* out 0 = g0 + s3, out 2 = g0 - s3 */
        mov r7, r10
        adds r4, r4, r2
        strh r4, [r7, #0]
        subs r4, r4, r2
        subs r4, r4, r2
        strh r4, [r7, #8]
        adds r5, r5, r3
        strh r5, [r7, #2]
        subs r5, r5, r3
        subs r5, r5, r3
        strh r5, [r7, #10]
        /* out 1 = s5 + (s4i, -s4r), out 3 = s5 - (s4i, -s4r) */
        mov r2, lr
        adds r3, r1, r2
        strh r3, [r7, #4]
        subs r3, r1, r2
        strh r3, [r7, #12]
        subs r3, r6, r0
        strh r3, [r7, #6]
        adds r3, r6, r0
        strh r3, [r7, #14]
        adds r7, r7, #16
        mov r10, r7
        mov r1, r9
        adds r1, r1, #8
        mov r9, r1
        cmp r1, r11
        beq 2f
        b 1b
2:
        tf_m0_restore_r4_r11_return

/*
 *   void tf_fft16_m0_split(int16_t *out, const int16_t *super_twiddles, int32_t n);
 * The real split of bins k and n - k, k = 1 .. n / 2 (n >= 2), in place. r8 bin k, r9 bin n - k,
 * r10 the super twiddle, r11 the end, r12 2^14.
 */
        tf_m0_function tf_fft16_m0_split
        tf_m0_save_r4_r11
        lsls r3, r2, #2
        adds r3, r0, r3
        subs r3, r3, #4
        adds r0, r0, #4
        mov r8, r0
        mov r9, r3
        mov r10, r1
        lsrs r2, r2, #1
        lsls r2, r2, #2
        adds r2, r0, r2
        mov r11, r2
        movs r4, #1
        lsls r4, r4, #14
        mov r12, r4
1:
        /* the halves (fpk, conj(fpnk)): (r2, r0), (r3, r1); kissfft's negation wraps */
        mov r2, r8
        ldr r0, [r2, #0]
        mov r3, r9
        ldr r1, [r3, #0]
        sxth r2, r0
        asrs r0, r0, #16
        sxth r3, r1
        asrs r1, r1, #16
        negs r1, r1
        sxth r1, r1
        tf_m0fft_div2 r2, r4
        tf_m0fft_div2 r0, r4
        tf_m0fft_div2 r3, r4
        tf_m0fft_div2 r1, r4
        /* f1 = fpk + fpnk (r4, r5), f2 = fpk - fpnk (r2, r0) */
        adds r4, r2, r3
        subs r2, r2, r3
        adds r5, r0, r1
        subs r0, r0, r1
        /* tw = f2 * w, narrowed (r6, r0) */
        mov r6, r10
        ldrh r1, [r6, #0]
        sxth r1, r1
        ldrh r3, [r6, #2]
        sxth r3, r3
        movs r6, r2
        muls r6, r1, r6
        movs r7, r0
        muls r7, r3, r7
        subs r6, r6, r7
        muls r2, r3, r2
        muls r0, r1, r0
        adds r0, r0, r2
        add r6, r12
        asrs r6, r6, #15
        sxth r6, r6
        add r0, r12
        asrs r0, r0, #15
        sxth r0, r0
        /* bin k = (f1 + tw) / 2, bin n - k = (f1r - twr, twi - f1i) / 2: stored second, it wins at
         * k = n / 2 */
        adds r1, r4, r6
        asrs r1, r1, #1
        adds r2, r5, r0
        asrs r2, r2, #1
        subs r4, r4, r6
        asrs r4, r4, #1
        subs r0, r0, r5
        asrs r0, r0, #1
        mov r3, r8
        strh r1, [r3, #0]
        strh r2, [r3, #2]
        mov r7, r9
        strh r4, [r7, #0]
        strh r0, [r7, #2]
        adds r3, r3, #4
        mov r8, r3
        subs r7, r7, #4
        mov r9, r7
        mov r6, r10
        adds r6, r6, #4
        mov r10, r6
        cmp r3, r11
        bne 1b
        tf_m0_restore_r4_r11_return
#endif
