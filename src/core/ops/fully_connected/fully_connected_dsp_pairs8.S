/* SPDX-License-Identifier: Apache-2.0 */
/* FULLY_CONNECTED on Arm DSP targets, a block of eight weight rows (four row pairs, each pair's weights
 * in one halfword as in fully_connected_dsp_pairs.h) over inputs of whole words, for layers of eight
 * rows (fully_connected_dsp_pairs8.h calls it; dsp_pairs8.ts lays the weights out). Layers of 16
 * rows and more take the six-row blocks (fully_connected_dsp_pairs6.S): fewer loads per MAC.
 *
 * One word of x (4 inputs) against a block: 30 instructions per 32 MACs (0.9375): LDR + 2 SXTB16 of
 * x, 8 SXTB16 and 16 SMLAD, and the eight weight words in three loads (LDRD, LDM of three, LDM of
 * three). The eight accumulators and the two pointers leave four registers: r2 (x, then weights),
 * r3 and r12 (weights) and lr (the lane (x0, x2), then (x1, x3)). A step's weights are the pairs'
 * even words E0..E3 (columns 4k, 4k + 2) then their odd words O0..O3 (4k + 1, 4k + 3): r3, r12 come
 * in holding E0, E1 (loaded by the step before), LDRD brings E2, E3, LDM O0..O2 once x's odd lane
 * has freed r2, and the last LDM brings O3 with the next step's E0, E1 (the layout ends with 8 B of
 * padding for the last step's). 32 steps a turn (3,840 B), the loop's end read from the frame (LDR,
 * CMP, BNE: 0.003 per MAC); a run of n % 32 steps enters the turn part-way.
 * Per pair (r, s) and word W holding the lanes r_k + 256 s_k:
 *   SMLAD(SXTB16(W), X) adds row r's products exactly, SMLAD(W, X) adds r's + 256 * s's (mod 2^32),
 * so at the end of a chunk over which row s's sum stays within [-2^23, 2^23) (dsp_pairs8.ts chooses
 * the chunk from the weights: `chunk` words, a multiple of 32 unless it covers all of x) the
 * difference of a pair's two accumulators, shifted right by 8, is row s's sum over the chunk exactly.
 *
 *   const int8_t *tf_fcp8_dot(const int8_t *x, const int8_t *w, const int32_t *start, int32_t *acc, int words, int chunk)
 *
 * acc[0..7] = start[0..7] (never null: the caller passes zeros) + the eight rows' dot products over
 * `words` >= 1 whole words of x, in chunks: the first of words - chunk * floor((words - 1) / chunk)
 * words, then of `chunk`; returns the weights past the block. x may be at any alignment (LDR); the
 * weights word aligned (LDM).
 *
 * Accumulators: r4 row 0, r5 row 0 + 256 row 1, r6 row 2, r7 row 2 + 256 row 3, r8 row 4, r9 row 4 +
 * 256 row 5, r10 row 6, r11 row 6 + 256 row 7. Frame: [sp] acc, [sp + 4] end of x, [sp + 8] end of
 * the chunk, [sp + 12] 4 * chunk, [sp + 16] .. [sp + 28] rows 1, 3, 5, 7's sums so far (start
 * included). */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
        .syntax unified
        .thumb
        .text

        .equ TF_FCP8_STEP_BYTES, 120
        .equ TF_FCP8_TURN, 32

/* one weight word (in \w) against the lane in lr: rr row r, rs row r + 256 row s */
        .macro tf_fcp8_word w, rr, rs
        smlad \rs, \w, lr, \rs
        sxtb16 \w, \w
        smlad \rr, \w, lr, \rr
        .endm

/* one word of x against the block's eight weight words (30 instructions, 120 bytes) */
        .macro tf_fcp8_step
        ldr.w r2, [r0], #4
        sxtb16 lr, r2
        tf_fcp8_word r3, r4, r5
        tf_fcp8_word r12, r6, r7
        ldrd r3, r12, [r1], #8
        tf_fcp8_word r3, r8, r9
        tf_fcp8_word r12, r10, r11
        sxtb16 lr, r2, ror #8
        ldmia.w r1!, {r2, r3, r12}
        tf_fcp8_word r2, r4, r5
        tf_fcp8_word r3, r6, r7
        tf_fcp8_word r12, r8, r9
        ldmia.w r1!, {r2, r3, r12}
        tf_fcp8_word r2, r10, r11
        .endm

/* rows s += (r + 256 s - r) >> 8 over the chunk, for the pairs (\r0, \s0) and (\r1, \s1) whose sums
 * are at [sp + \at]; the r + 256 s accumulators restart from r */
        .macro tf_fcp8_take at, ra, sa, rb, sb
        ldrd r2, lr, [sp, #\at]
        sub \sa, \sa, \ra
        add r2, r2, \sa, asr #8
        mov \sa, \ra
        sub \sb, \sb, \rb
        add lr, lr, \sb, asr #8
        mov \sb, \rb
        strd r2, lr, [sp, #\at]
        .endm

        /* weak: two models in one firmware each ship this file; their copies are the same, the linker keeps one */
        .weak tf_fcp8_dot
        .type tf_fcp8_dot, %function
        .p2align 2
        .thumb_func
tf_fcp8_dot:
        push {r4-r11, lr}
        sub sp, #32
        ldrd r12, lr, [sp, #68]           /* words, chunk: the fifth and sixth arguments */
        lsls r12, r12, #2
        lsl lr, lr, #2
        str r3, [sp]
        str lr, [sp, #12]
        add r3, r0, r12
        str r3, [sp, #4]
        /* the first chunk: 4 * words - 4 * chunk * floor((4 * words - 4) / (4 * chunk)) bytes */
        sub r3, r12, #4
        udiv r3, r3, lr
        mls r12, r3, lr, r12
        ldm r2, {r4-r11}
        strd r5, r7, [sp, #16]
        strd r9, r11, [sp, #24]
        mov r5, r4                        /* the r + 256 s accumulators start from r */
        mov r7, r6
        mov r9, r8
        mov r11, r10
        add r3, r0, r12
        str r3, [sp, #8]
        ands r2, r12, #(4 * TF_FCP8_TURN - 4)  /* 4 * (steps % 32) */
        ldrd r3, r12, [r1], #8            /* E0, E1 of the first step */
        beq 3f
        /* enter the turn at step 32 - (steps % 32): 3f + 3840 - 120 * (steps % 32) */
        adr.w lr, 3f
        add lr, lr, #(TF_FCP8_TURN * TF_FCP8_STEP_BYTES)
        sub lr, lr, r2, lsl #5
        add lr, lr, r2, lsl #1
        mov pc, lr
        .p2align 2
3:                                        /* turns of 32 steps to the chunk's end */
        .rept TF_FCP8_TURN
        tf_fcp8_step
        .endr
        .if (. - 3b) != TF_FCP8_TURN * TF_FCP8_STEP_BYTES
        .error "tf_fcp8_step is not 120 bytes: the part-way entry assumes it"
        .endif
        ldr r2, [sp, #8]
        cmp r0, r2
        bne 3b
        tf_fcp8_take 16, r4, r5, r6, r7
        tf_fcp8_take 24, r8, r9, r10, r11
        ldr r2, [sp, #4]                  /* the end of x */
        cmp r0, r2
        beq 4f
        ldr lr, [sp, #12]                 /* the next chunk: 4 * chunk bytes, whole turns */
        add lr, r0, lr
        str lr, [sp, #8]
        b 3b
4:
        ldrd r5, r7, [sp, #16]
        ldrd r9, r11, [sp, #24]
        ldr r3, [sp]
        stm r3, {r4-r11}
        sub r0, r1, #8
        add sp, #32
        pop {r4-r11, pc}
        .size tf_fcp8_dot, . - tf_fcp8_dot
#endif
