/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets, blocks of six weight rows (three row pairs in halfwords, the
 * layout of fully_connected_dsp_pairs6.S) over inputs already widened into lanes: one chunk of up to
 * 112 words of x for one block, called rows-inner by fully_connected_dsp_pairs6w.h, which widens each
 * chunk once for a group of blocks (dsp_pairs6w.ts).
 *
 * One word of x against a block: LDRD of its two lanes (x0, x2), (x1, x3), 2 LDM of three weight
 * words, 6 SXTB16 and 12 SMLAD = 21 instructions per 24 MACs (0.875; the six-row block that widens x
 * itself takes 23), 16 steps per loop turn. The block's sums live in the caller's scratch between
 * chunks: loaded (LDM) on entry, stored (STM) on exit, row s of each pair taken from the difference of
 * its pair's two accumulators at the end of the chunk (<= 112 words: |sum s x| <= 448 * 128 * 128 < 2^23).
 *
 *   void tf_fcp6w_dot(const uint32_t *xs, const int8_t *w, int32_t *acc, int words)
 *
 * acc[0..5] += the six rows' dot products over `words` (1..112) words of x, given as 2 * words lanes
 * xs (per word k: SXTB16(x_k), SXTB16(x_k ROR 8); word aligned, LDRD); w: the block's six weight words
 * per word of x from the chunk's first (word aligned, LDM).
 *
 * Registers: r0 xs, r1 w, r2 end of the steps, r3 lanes (x0, x2), lr lanes (x1, x3); r4 row 0, r5 row
 * 0 + 256 row 1, r6 row 2, r7 row 2 + 256 row 3, r8 row 4, r9 row 4 + 256 row 5; r10-r12 weight words.
 * Frame: [sp] acc, [sp + 4], [sp + 8], [sp + 12] rows 1, 3, 5's sums so far, [sp + 16] end of xs. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
        .syntax unified
        .thumb
        .text

/* one word of x, widened, against the block's six weight words (21 instructions) */
        .macro tf_fcp6w_step
        ldrd r3, lr, [r0], #8
        ldmia.w r1!, {r10, r11, r12}
        smlad r5, r10, r3, r5
        sxtb16 r10, r10
        smlad r4, r10, r3, r4
        smlad r5, r11, lr, r5
        sxtb16 r11, r11
        smlad r4, r11, lr, r4
        smlad r7, r12, r3, r7
        sxtb16 r12, r12
        smlad r6, r12, r3, r6
        ldmia.w r1!, {r10, r11, r12}
        smlad r7, r10, lr, r7
        sxtb16 r10, r10
        smlad r6, r10, lr, r6
        smlad r9, r11, r3, r9
        sxtb16 r11, r11
        smlad r8, r11, r3, r8
        smlad r9, r12, lr, r9
        sxtb16 r12, r12
        smlad r8, r12, lr, r8
        .endm

        .global tf_fcp6w_dot
        .type tf_fcp6w_dot, %function
        .p2align 2
        .thumb_func
tf_fcp6w_dot:
        push {r4-r11, lr}
        ldm r2, {r4-r9}
        add r12, r0, r3, lsl #3           /* end of the lanes */
        push {r2, r5, r7, r9, r12}
        mov r5, r4
        mov r7, r6
        mov r9, r8
        mov r2, r12
        ands r3, r3, #15                  /* words % 16: single steps first */
        beq 3f
        add r2, r0, r3, lsl #3
2:
        tf_fcp6w_step
        cmp r0, r2
        bne 2b
        ldr r2, [sp, #16]
        cmp r0, r2
        beq 4f
3:                                        /* then turns of 16 steps */
        .rept 16
        tf_fcp6w_step
        .endr
        cmp r0, r2
        bne 3b
4:                                        /* rows 1, 3, 5 += (r + 256 s - r) >> 8 over the chunk */
        pop {r2, r10, r11, r12}
        add sp, #4
        sub r3, r5, r4
        add r5, r10, r3, asr #8
        sub r3, r7, r6
        add r7, r11, r3, asr #8
        sub r3, r9, r8
        add r9, r12, r3, asr #8
        stm r2, {r4-r9}
        pop {r4-r11, pc}
        .size tf_fcp6w_dot, . - tf_fcp6w_dot
#endif
