/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets, a block of eight weight rows (four row pairs, each pair's weights
 * in one halfword as in fully_connected_dsp_pairs.h) over inputs of whole words, for layers of eight
 * rows (fully_connected_dsp_pairs8.h calls it; dsp_pairs8.ts lays the weights out). Layers of 16
 * rows and more take the six-row blocks (fully_connected_dsp_pairs6.S): fewer loads per MAC.
 *
 * One word of x (4 inputs) against a block: LDR + 2 SXTB16 of x, 4 LDM of two weight words, 8
 * SXTB16 and 16 SMLAD = 31 instructions per 32 MACs (0.969; two blocks of four rows: 17 per 16). The
 * eight accumulators, the two lanes of x and the two pointers leave two registers for weights and
 * none for the loop's end, which is read from the frame once per turn of 8 steps (LDR, CMP, BNE:
 * 0.012 per MAC; 8 steps keep the turn at ~0.9 KB of code). Per pair (r, s) and word W holding the
 * lanes r_k + 256 s_k:
 *   SMLAD(SXTB16(W), X) adds row r's products exactly, SMLAD(W, X) adds r's + 256 * s's (mod 2^32),
 * so every chunk of at most 112 words (448 inputs: |sum s x| <= 448 * 128 * 128 < 2^23) the
 * difference of a pair's two accumulators, shifted right by 8, is row s's sum over the chunk exactly.
 *
 *   const int8_t *tf_fcp8_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words)
 *
 * acc[0..7] = start[0..7] (never null: the caller passes zeros) + the eight rows' dot products over
 * `words` >= 1 whole words of x; returns the weights past the block. Weights: per word k of x, eight
 * words in the order (pair 0: columns 4k, 4k+2), (pair 0: 4k+1, 4k+3), then pairs 1, 2, 3's two;
 * word aligned (LDM). x may be at any alignment (LDR).
 *
 * Registers: r0 x, r1 w, r3 lanes (x0, x2) of the word, lr lanes (x1, x3); r4 row 0, r5 row 0 + 256
 * row 1, r6 row 2, r7 row 2 + 256 row 3, r8 row 4, r9 row 4 + 256 row 5, r10 row 6, r11 row 6 + 256
 * row 7; r2, r12 weight words. Frame: [sp] acc, [sp + 4] end of x, [sp + 8] end of the chunk,
 * [sp + 12] .. [sp + 24] rows 1, 3, 5, 7's sums so far (start included), [sp + 28] end of the single
 * steps. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
        .syntax unified
        .thumb
        .text

/* one pair's two weight words against the word of x: rr row r, rs row r + 256 row s */
        .macro tf_fcp8_pair rr, rs
        ldmia.w r1!, {r2, r12}
        smlad \rs, r2, r3, \rs
        sxtb16 r2, r2
        smlad \rr, r2, r3, \rr
        smlad \rs, r12, lr, \rs
        sxtb16 r12, r12
        smlad \rr, r12, lr, \rr
        .endm

/* one word of x against the block's eight weight words (31 instructions) */
        .macro tf_fcp8_step
        ldr.w lr, [r0], #4
        sxtb16 r3, lr
        sxtb16 lr, lr, ror #8
        tf_fcp8_pair r4, r5
        tf_fcp8_pair r6, r7
        tf_fcp8_pair r8, r9
        tf_fcp8_pair r10, r11
        .endm

        .global tf_fcp8_dot
        .type tf_fcp8_dot, %function
        .p2align 2
        .thumb_func
tf_fcp8_dot:
        push {r4-r11, lr}
        ldr r12, [sp, #36]                /* words, the fifth argument */
        sub sp, #32
        add r12, r0, r12, lsl #2
        strd r3, r12, [sp]
        ldm r2, {r4-r11}
        strd r5, r7, [sp, #12]
        strd r9, r11, [sp, #20]
1:                                        /* a chunk: up to 112 words, to the end of x */
        ldr r2, [sp, #4]
        add r3, r0, #448
        cmp r3, r2
        it lo
        movlo r2, r3
        mov r5, r4
        mov r7, r6
        mov r9, r8
        mov r11, r10
        str r2, [sp, #8]
        sub r3, r2, r0
        ands r3, r3, #28                  /* 4 * (words % 8): single steps first */
        beq 3f
        add r3, r0, r3
        str r3, [sp, #28]
2:
        tf_fcp8_step
        ldr r2, [sp, #28]
        cmp r0, r2
        bne 2b
        ldr r2, [sp, #8]
        cmp r0, r2
        beq 4f
3:                                        /* then turns of 8 steps */
        .rept 8
        tf_fcp8_step
        .endr
        ldr r2, [sp, #8]
        cmp r0, r2
        bne 3b
4:                                        /* rows 1, 3, 5, 7 += (r + 256 s - r) >> 8 over the chunk */
        ldrd r2, r12, [sp, #12]
        sub r3, r5, r4
        add r2, r2, r3, asr #8
        sub r3, r7, r6
        add r12, r12, r3, asr #8
        strd r2, r12, [sp, #12]
        ldrd r2, r12, [sp, #20]
        sub r3, r9, r8
        add r2, r2, r3, asr #8
        sub r3, r11, r10
        add r12, r12, r3, asr #8
        strd r2, r12, [sp, #20]
        ldr r3, [sp, #4]
        cmp r0, r3
        bne 1b
        ldrd r5, r7, [sp, #12]
        ldrd r9, r11, [sp, #20]
        ldr r3, [sp]
        stm r3, {r4-r11}
        mov r0, r1
        add sp, #32
        pop {r4-r11, pc}
        .size tf_fcp8_dot, . - tf_fcp8_dot
#endif
