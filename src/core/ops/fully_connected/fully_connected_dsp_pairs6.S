/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets, blocks of six weight rows (three row pairs, each pair's weights
 * in one halfword as in fully_connected_dsp_pairs.h) over inputs of whole words
 * (fully_connected_dsp_pairs6.h calls it once per block; dsp_pairs6.ts lays the weights out); and
 * the same block over inputs widened per chunk (tf_fcp6w_dot, at the end).
 *
 * Why assembly: a block of six rows needs 6 accumulators, the two SXTB16 lanes of a word of x, four
 * weight words (one LDM of four), the x and weight pointers: 14 registers, every one Thumb code has
 * (the loop's end is read from the frame). GCC cannot be given all of them in an inline asm block (and an 8-row block
 * written in C hung GCC 12 -O2 when inlined into many layers), so the whole block, its chunks and its
 * pair extraction are one out-of-line function: its fixed cost (~38 instructions, ~26 more per chunk
 * after the first) is paid once per block of 6 * 4 * words MACs.
 *
 * One word of x (4 inputs) against a block: LDR + 2 SXTB16 of x, an LDM of four and one of two
 * weight words, 6 SXTB16 and 12 SMLAD = 23 instructions per 24 MACs; 8 such steps per loop turn
 * (+ LDR/CMP/BNE: 0.016 per MAC). The turn is about 750 B of code: it stays within the 1 KB
 * instruction cache of the STM32L4's ART accelerator, where a turn of 16 steps (1.5 KB) ran from
 * flash, at 5 wait states, every time round (docs/timing.md). Per pair
 * (r, s) and word W holding the lanes r_k + 256 s_k:
 *   SMLAD(SXTB16(W), X) adds row r's products exactly, SMLAD(W, X) adds r's + 256 * s's (mod 2^32),
 * so every chunk of at most 112 words (448 inputs: |sum s x| <= 448 * 128 * 128 < 2^23; 14 turns) the
 * difference of a pair's two accumulators, shifted right by 8, is row s's sum over the chunk exactly.
 *
 *   const int8_t *tf_fcp6_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words)
 *
 * acc[0..5] = start[0..5] (never null: the caller passes zeros) + the six rows' dot products over `words` >= 1
 * whole words of x; returns the weights past the block. Weights: per word k of x, six words in the
 * order (pair 0: columns 4k, 4k+2), (pair 0: 4k+1, 4k+3), then pair 1's two, then pair 2's two; word
 * aligned (LDM). x may be at any alignment (LDR).
 *
 * Registers: r0 x, r1 w, r3 lanes (x0, x2) of the word, lr lanes (x1, x3); r4 row 0, r5 row 0 + 256
 * row 1, r6 row 2, r7 row 2 + 256 row 3, r8 row 4, r9 row 4 + 256 row 5; r2, r10-r12 weight words.
 * Frame: [sp] acc, [sp + 4] end of x, [sp + 8] end of the chunk, [sp + 12], [sp + 16], [sp + 20]
 * rows 1, 3, 5's sums so far (start included), [sp + 24] end of the single steps. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
        .syntax unified
        .thumb

/* the block's six weight words against the lanes of one word of x, r3 = (x0, x2), lr = (x1, x3):
 * 2 LDM of three, 6 SXTB16, 12 SMLAD (tf_fcp6w_dot below) */
        .macro tf_fcp6_words
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

/* one word of x against the block's six weight words (23 instructions): the weights in an LDM of
 * four and one of two (on the Cortex-M7 an LDM of N costs ceil(N / 2), so 4 + 2 is a cycle less
 * than 3 + 3; the same on the M4 and M33), and x's two SXTB16 each placed before an SMLAD, so that
 * eight SMLAD follow an SXTB16 (the M7 dual-issues a multiply after a non-multiply, never two
 * multiplies): 19.5 estimated M7 cycles per 24 MACs against 21.5 */
        .macro tf_fcp6_step
        ldr.w lr, [r0], #4
        ldmia.w r1!, {r2, r10, r11, r12}
        sxtb16 r3, lr
        smlad r5, r2, r3, r5
        sxtb16 r2, r2
        smlad r4, r2, r3, r4
        sxtb16 lr, lr, ror #8
        smlad r5, r10, lr, r5
        sxtb16 r10, r10
        smlad r4, r10, lr, r4
        smlad r7, r11, r3, r7
        sxtb16 r11, r11
        smlad r6, r11, r3, r6
        smlad r7, r12, lr, r7
        sxtb16 r12, r12
        smlad r6, r12, lr, r6
        ldmia.w r1!, {r10, r11}
        smlad r9, r10, r3, r9
        sxtb16 r10, r10
        smlad r8, r10, r3, r8
        smlad r9, r11, lr, r9
        sxtb16 r11, r11
        smlad r8, r11, lr, r8
        .endm

        .section .text.tf_fcp6_dot, "ax", %progbits
        /* weak: two models in one firmware each ship this file; their copies are the same, the linker keeps one */
        .weak tf_fcp6_dot
        .type tf_fcp6_dot, %function
        .p2align 2
        .thumb_func
tf_fcp6_dot:
        push {r4-r11, lr}
        ldr r12, [sp, #36]                /* words, the fifth argument */
        sub sp, #28
        add r12, r0, r12, lsl #2
        strd r3, r12, [sp]
        ldm r2, {r4-r9}
        strd r5, r7, [sp, #12]
        str r9, [sp, #20]
1:                                        /* a chunk: up to 112 words, to the end of x */
        ldr r2, [sp, #4]
        add r3, r0, #448
        cmp r3, r2
        it lo
        movlo r2, r3
        mov r5, r4
        mov r7, r6
        mov r9, r8
        str r2, [sp, #8]
        sub r3, r2, r0
        ands r3, r3, #28                  /* 4 * (words % 8): single steps first */
        beq 3f
        add r3, r0, r3
        str r3, [sp, #24]
2:                                        /* (the step takes r2 too: the ends are read from the frame) */
        tf_fcp6_step
        ldr r2, [sp, #24]
        cmp r0, r2
        bne 2b
        ldr r2, [sp, #8]
        cmp r0, r2
        beq 4f
3:                                        /* then turns of 8 steps */
        .rept 8
        tf_fcp6_step
        .endr
        ldr r2, [sp, #8]
        cmp r0, r2
        bne 3b
4:                                        /* rows 1, 3, 5 += (r + 256 s - r) >> 8 over the chunk */
        ldrd r10, r11, [sp, #12]
        ldr r12, [sp, #20]
        sub r3, r5, r4
        add r10, r10, r3, asr #8
        sub r3, r7, r6
        add r11, r11, r3, asr #8
        sub r3, r9, r8
        add r12, r12, r3, asr #8
        ldr r2, [sp, #4]
        cmp r0, r2
        beq 5f
        strd r10, r11, [sp, #12]
        str r12, [sp, #20]
        b 1b
5:
        mov r5, r10
        mov r7, r11
        mov r9, r12
        ldr r3, [sp]
        stm r3, {r4-r9}
        mov r0, r1
        add sp, #28
        pop {r4-r11, pc}
        .size tf_fcp6_dot, . - tf_fcp6_dot

/* The block over x widened per chunk, called rows-inner by fully_connected_dsp_pairs6w.h, which
 * widens each chunk once for a group of blocks: one LDRD of the two lanes per word instead of LDR + 2
 * SXTB16, 21 instructions per 24 MACs. The block's sums live in the caller's scratch between chunks:
 * loaded (LDM) on entry, stored (STM) on exit, row s of each pair taken from the difference of its
 * pair's two accumulators at the end of the chunk (<= 112 words, the bound above).
 *
 *   void tf_fcp6w_dot(const uint32_t *xs, const int8_t *w, int32_t *acc, int words)
 *
 * acc[0..5] += the six rows' dot products over `words` (1..112) words of x, given as 2 * words lanes
 * xs (per word k: SXTB16(x_k), SXTB16(x_k ROR 8); word aligned, LDRD); w: the block's six weight words
 * per word of x from the chunk's first (word aligned, LDM). Registers as tf_fcp6_dot's, r0 walking xs,
 * but r2 the end of the steps and r10-r12 the weight words (tf_fcp6_words); frame: [sp] acc, [sp + 4], [sp + 8], [sp + 12] rows 1, 3, 5's sums so far, [sp + 16] end of xs.
 * Each block has its own section: --gc-sections drops the one a model does not call. */
        .section .text.tf_fcp6w_dot, "ax", %progbits
        /* weak: two models in one firmware each ship this file; their copies are the same, the linker keeps one */
        .weak tf_fcp6w_dot
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
        ands r3, r3, #7                   /* words % 8: single steps first */
        beq 3f
        add r2, r0, r3, lsl #3
2:
        ldrd r3, lr, [r0], #8
        tf_fcp6_words
        cmp r0, r2
        bne 2b
        ldr r2, [sp, #16]
        cmp r0, r2
        beq 4f
3:                                        /* then turns of 8 steps */
        .rept 8
        ldrd r3, lr, [r0], #8
        tf_fcp6_words
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
