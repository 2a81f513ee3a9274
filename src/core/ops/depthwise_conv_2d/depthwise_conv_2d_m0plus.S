/* SPDX-License-Identifier: Apache-2.0 */
/* The Armv6-M depthwise loops (depthwise_conv_2d_m0plus.h, which defines and checks the offsets of
 * the structs read here): common/isa/m0plus_mac.h's block loop with the starts read from the per-channel
 * records, the requantization of a group of channels, a run of pixels inside the image (one input
 * channel) and one pixel of a depth-multiplier-1 layer. */
#include "depthwise_conv_2d_m0plus.h"

#if TF_M0_NATIVE
        .syntax unified
        .thumb

        tf_m0dw_pair_mac_fn tf_m0dw_mac8, 8, TF_M0DW_REC_BYTES
        tf_m0dw_pair_mac_fn tf_m0dw_mac4, 4, TF_M0DW_REC_BYTES

/* One channel of tf_m0dw_rqn: the accumulator from r1 and the record at r2 (both stepped on), the
 * byte to r7 + j. r0, r3..r6 destroyed. */
        .macro tf_m0dw_rqn_channel j
        ldm r1!, {r3}
        ldr r4, [r2, #TF_M0DW_REC_MULT]
        asrs r6, r3, #16                  /* ah */
        uxth r3, r3                       /* al */
        uxth r0, r4                       /* ml */
        lsrs r4, r4, #16                  /* mh */
        movs r5, r3
        muls r5, r0, r5                   /* al ml */
        lsrs r5, r5, #16
        muls r3, r4, r3                   /* al mh */
        adds r5, r5, r3
        muls r0, r6, r0                   /* ah ml */
        adds r5, r5, r0
        add r5, r12                       /* T */
        lsrs r5, r5, #15
        lsls r5, r5, #1
        asrs r0, r6, #31                  /* [acc < 0] */
        adds r5, r5, r0
        muls r6, r4, r6                   /* ah mh */
        lsls r6, r6, #2
        adds r5, r5, r6
        ldr r3, [r2, #TF_M0DW_REC_SHIFTS] /* P */
        adds r2, #TF_M0DW_REC_BYTES
        asrs r0, r3, #8
        adds r5, r5, r0
        asrs r5, r3                       /* by P's low byte, e + 1 */
        cmp r5, r10
        bge .Lrqn_lo\@
        mov r5, r10
.Lrqn_lo\@:
        cmp r5, r11
        ble .Lrqn_hi\@
        mov r5, r11
.Lrqn_hi\@:
        strb r5, [r7, #\j]
        .endm
/*
 *   void tf_m0dw_rqn(int8_t *out, const int32_t *acc, const int32_t *q, const tf_m0dw_rq_t *k);
 * m0plus_rq.h tf_m0_requant_raw (the C twin's arithmetic) and the clamp over k->n channels of an rq_fast layer.
 * r1 acc, r2 records, r7 out; r3 the accumulator then al, then P; r4 m then mh; r0 ml then ah ml;
 * r5 the sum; r6 ah; r9 the outputs' end, r10 act_min, r11 act_max, r12 2^30 + 2^14. Two channels
 * a loop turn: 39 cycles a channel.
 */
        tf_m0_function tf_m0dw_rqn
        tf_m0_save_r4_r11
        bl tf_m0dw_rqn_body
        tf_m0_restore_r4_r11_return
        .size tf_m0dw_rqn, . - tf_m0dw_rqn
/* tf_m0dw_rqn's loop for the callers in this file, whose registers the loop may take (they reload
 * theirs after it): no r4..r11 saved, returns by lr. */
        tf_m0_function tf_m0dw_rqn_body
        ldm r3!, {r4, r5, r6, r7}         /* n, zero point (in P), act_min, act_max */
        mov r10, r6
        mov r11, r7
        movs r7, r0
        adds r5, r0, r4
        mov r9, r5
        movs r5, #1
        lsls r6, r5, #30
        lsls r5, r5, #14
        adds r5, r5, r6
        mov r12, r5
        lsls r4, r4, #31                  /* an odd n enters at the second channel of a turn */
        beq 1f
        subs r7, #1
        b 2f
1:
        tf_m0dw_rqn_channel 0
2:
        tf_m0dw_rqn_channel 1
        adds r7, #2
        cmp r7, r9
        bne 1b
        bx lr
        .size tf_m0dw_rqn_body, . - tf_m0dw_rqn_body
/* One channel of tf_m0dw_rqn8_body's threshold form: the accumulator from r1 (stepped on), A, S, B
 * and T[1..N-1] at r2 (stepped on by r12 past T), the byte to r7 + j; r10 act_min, r11 N - 2. An
 * output beyond [0, N - 2] before the threshold goes to the channel's block after the group (its
 * `sat`), which comes back to `back`. r3..r6 destroyed. 21 cycles. */
        .macro tf_m0dw_rqt_channel j, sat, back
        ldm r1!, {r3}
        ldm r2!, {r4, r5, r6}             /* A, S, B */
        muls r4, r3, r4
        asrs r4, r5
        adds r4, r4, r6                   /* q0 */
        cmp r4, r11
        bhi \sat
        lsls r5, r4, #2
        ldr r5, [r2, r5]                  /* T[q0 + 1] */
        cmp r3, r5
        blt .Lrqt_keep\@
        adds r4, #1
.Lrqt_keep\@:
        add r2, r12
        add r4, r10
        strb r4, [r7, #\j]
\back:
        .endm
/* The saturated output of a channel of tf_m0dw_rqt_channel: act_min when q0 < 0, else act_max. */
        .macro tf_m0dw_rqt_sat j, sat, back
\sat:
        add r2, r12
        cmp r4, #0
        blt .Lrqt_low\@
        mov r4, r11
        adds r4, #1
        b .Lrqt_store\@
.Lrqt_low\@:
        movs r4, #0
.Lrqt_store\@:
        add r4, r10
        strb r4, [r7, #\j]
        b \back
        .endm

/* tf_m0dw_rqn_body for k->n = 8 (the rows' pixels), the channels unrolled: 20 cycles less a pixel.
 * With k->thr set, its thresholds instead of the multiplies (tf_m0dw_rq_t): 21 cycles a channel. */
        tf_m0_function tf_m0dw_rqn8_body
        ldr r4, [r3, #TF_M0DW_RQ_THR]
        cmp r4, #0
        beq 1f
        b .Lrqt8
1:
        ldm r3!, {r4, r5, r6, r7}         /* n (8), zero point (in P), act_min, act_max */
        mov r10, r6
        mov r11, r7
        movs r7, r0
        movs r5, #1
        lsls r6, r5, #30
        lsls r5, r5, #14
        adds r5, r5, r6
        mov r12, r5
        tf_m0dw_rqn_channel 0
        tf_m0dw_rqn_channel 1
        tf_m0dw_rqn_channel 2
        tf_m0dw_rqn_channel 3
        tf_m0dw_rqn_channel 4
        tf_m0dw_rqn_channel 5
        tf_m0dw_rqn_channel 6
        tf_m0dw_rqn_channel 7
        bx lr
/* the threshold form: r2 the tables, r7 out, r10 act_min, r11 N - 2, r12 the bytes of T */
.Lrqt8:
        ldr r5, [r3, #TF_M0DW_RQ_ACT_MIN]
        ldr r6, [r3, #TF_M0DW_RQ_ACT_MAX]
        mov r10, r5
        subs r6, r6, r5
        lsls r5, r6, #2
        mov r12, r5
        subs r6, #1
        mov r11, r6
        movs r7, r0
        movs r2, r4
        tf_m0dw_rqt_channel 0, .Lrqt_sat0, .Lrqt_back0
        tf_m0dw_rqt_channel 1, .Lrqt_sat1, .Lrqt_back1
        tf_m0dw_rqt_channel 2, .Lrqt_sat2, .Lrqt_back2
        tf_m0dw_rqt_channel 3, .Lrqt_sat3, .Lrqt_back3
        b .Lrqt_half
        tf_m0dw_rqt_sat 0, .Lrqt_sat0, .Lrqt_back0
        tf_m0dw_rqt_sat 1, .Lrqt_sat1, .Lrqt_back1
        tf_m0dw_rqt_sat 2, .Lrqt_sat2, .Lrqt_back2
        tf_m0dw_rqt_sat 3, .Lrqt_sat3, .Lrqt_back3
.Lrqt_half:
        tf_m0dw_rqt_channel 4, .Lrqt_sat4, .Lrqt_back4
        tf_m0dw_rqt_channel 5, .Lrqt_sat5, .Lrqt_back5
        tf_m0dw_rqt_channel 6, .Lrqt_sat6, .Lrqt_back6
        tf_m0dw_rqt_channel 7, .Lrqt_sat7, .Lrqt_back7
        bx lr
        tf_m0dw_rqt_sat 4, .Lrqt_sat4, .Lrqt_back4
        tf_m0dw_rqt_sat 5, .Lrqt_sat5, .Lrqt_back5
        tf_m0dw_rqt_sat 6, .Lrqt_sat6, .Lrqt_back6
        tf_m0dw_rqt_sat 7, .Lrqt_sat7, .Lrqt_back7
        .size tf_m0dw_rqn8_body, . - tf_m0dw_rqn8_body

/* A pixel's end in tf_m0dw_row8 and tf_m0dw_row8s (their frames share these slots): the 8 accumulators
 * at sp requantized into out by `body` (tf_m0dw_rqn_body, or tf_m0dw_rqn8_body: k->n is 8; row8,
 * which person_detect links, keeps the loop's shorter code), out and x stepped on, the pixels left counted down (flags
 * set for the caller's branch). */
        .macro tf_m0dw_rq_pixel_step body
        ldr r0, [sp, #56]
        mov r1, sp
        ldr r2, [sp, #60]
        ldr r3, [sp, #76]
        bl \body                          /* r4..r12 and lr are reloaded after it */
        ldr r0, [sp, #56]
        ldr r1, [sp, #68]
        adds r0, r0, r1
        str r0, [sp, #56]
        ldr r0, [sp, #52]
        ldr r1, [sp, #64]
        adds r0, r0, r1
        str r0, [sp, #52]
        ldr r0, [sp, #48]
        subs r0, #1
        str r0, [sp, #48]
        .endm

/*
 *   void tf_m0dw_row8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r);
 * Per pixel the loop of tf_m0dw_mac8 over r->rows runs of r->n, the accumulators stored in the frame
 * for tf_m0dw_rqn, then x and out step on. Frame (84 bytes, keeping sp 8-aligned for the call):
 * [0, 32) acc, 32 n, 36 step, 40 rows, 44 runs left, 48 pixels left, 52 x, 56 out, 60 q, 64 xstep,
 * 68 outstep, 72 w, 76 k.
 */
        tf_m0_function tf_m0dw_row8
        tf_m0_save_r4_r11
        sub sp, #84
        str r0, [sp, #52]
        str r1, [sp, #72]
        str r2, [sp, #60]
        ldm r3!, {r0, r1, r2, r4}         /* n, rows, step, pixels */
        str r0, [sp, #32]
        str r1, [sp, #40]
        str r2, [sp, #36]
        str r4, [sp, #48]
        ldm r3!, {r0, r1, r2, r4}         /* xstep, outstep, out, k */
        str r0, [sp, #64]
        str r1, [sp, #68]
        str r2, [sp, #56]
        str r4, [sp, #76]
1:
        ldr r2, [sp, #60]
        tf_m0dw_pair_load_starts 8, TF_M0DW_REC_BYTES
        ldr r5, [sp, #72]
        ldr r0, [sp, #52]
        ldr r1, [sp, #32]
        adds r3, r0, r1
        ldr r1, [sp, #40]
        str r1, [sp, #44]
4:
        tf_m0dw_pair_run 8, 32
        ldr r2, [sp, #36]
        adds r3, r3, r2
        ldr r2, [sp, #44]
        subs r2, #1
        str r2, [sp, #44]
        bne 4b
        mov r2, sp
        ldr r3, [sp, #60]
        tf_m0dw_pair_store_acc 8, TF_M0DW_REC_BYTES
        tf_m0dw_rq_pixel_step tf_m0dw_rqn_body
        beq 5f
        b 1b
5:
        add sp, #84
        tf_m0_restore_r4_r11_return
        .size tf_m0dw_row8, . - tf_m0dw_row8

/* One tap pair of a channel pair (tf_m0dw_row8s): the pair's words W = w_a + 65536 w_b for taps t and
 * t + 1 at r5 (post-incremented), x_t in r0, x_t+1 in r4; s = W_t x_t + W_t+1 x_t+1 = lo + 65536 hi
 * with |lo| <= 32640 (no tap pair of -128s, tapPairWeights), so lo = SXTH(s) is a's sum and
 * hi = (s - lo) >> 16 b's, exactly. r1, r2 destroyed. 11 cycles for 4 MACs. */
        .macro tf_m0dw_tap_pair a, b
        ldm r5!, {r1, r2}
        muls r1, r0, r1
        muls r2, r4, r2
        adds r1, r1, r2
        sxth r2, r1
        subs r1, r1, r2
        asrs r1, r1, #16
        add \a, r2
        add \b, r1
        .endm

/* One tap pair of the 8 channels: x_t, x_t+1 from r3 + at (r3 stepped on by 2 unless step is 0)
 * into r0, r4, then the four channel pairs. 51 cycles (50 without the step). */
        .macro tf_m0dw_tap_pairs8 at=0, step=1
        ldrb r0, [r3, #(\at)]
        ldrb r4, [r3, #(\at + 1)]
        sxtb r0, r0
        sxtb r4, r4
        .if \step
        adds r3, #2
        .endif
        tf_m0dw_tap_pair r6, r7
        tf_m0dw_tap_pair r8, r9
        tf_m0dw_tap_pair r10, r11
        tf_m0dw_tap_pair r12, lr
        .endm

/* A pixel's start in tf_m0dw_row8s (both its loops): the 8 accumulators from the records' starts (q
 * at sp + 60), the weights at r5, x at r3 and the row count in r1 (r0, r2 destroyed). */
        .macro tf_m0dw_row8s_pixel_start
        ldr r2, [sp, #60]
        tf_m0_load_starts 8, TF_M0DW_REC_BYTES
        ldr r5, [sp, #72]
        ldr r3, [sp, #52]
        ldr r1, [sp, #40]
        .endm

/* A pixel's end in tf_m0dw_row8s (both its loops): the 8 accumulators to the frame, requantized
 * (k->n is 8) and stored, out and x stepped on (tf_m0dw_rq_pixel_step; flags set for the branch). */
        .macro tf_m0dw_row8s_pixel_end
        mov r2, sp
        tf_m0_store_acc 8
        tf_m0dw_rq_pixel_step tf_m0dw_rqn8_body
        .endm

/*
 *   void tf_m0dw_row8s(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r);
 * tf_m0dw_row8 over tap pairs (r->n even), the weights as tapPairWeights lays them (per kernel row,
 * per tap pair, per channel pair its two words): each input byte loaded once for the 8 channels, the
 * 8 accumulators one per channel in registers (r6, r7, r8..r12, lr). Frame (92 bytes, keeping sp
 * 8-aligned for the call): [0, 32) acc, 32 n, 36 step - n, 40 rows, 44 runs left, 48 pixels left,
 * 52 x, 56 out, 60 q, 64 xstep, 68 outstep, 72 w, 76 k, 80 the run's end (runs of 8 taps: the
 * pixel's), 84 step, 88 rows * step. Tap pairs two per loop turn (54 cycles a tap pair); runs of 8
 * (or 6) taps without a loop, two per loop turn (an odd count enters at the second; 207 cycles a run
 * of 8).
 */
        tf_m0_function tf_m0dw_row8s
        tf_m0_save_r4_r11
        sub sp, #92
        str r0, [sp, #52]
        str r1, [sp, #72]
        str r2, [sp, #60]
        ldm r3!, {r0, r1, r2, r4}         /* n, rows, step, pixels */
        str r0, [sp, #32]
        str r1, [sp, #40]
        str r2, [sp, #84]
        muls r1, r2, r1
        str r1, [sp, #88]
        subs r2, r2, r0                   /* a run leaves x at its end */
        str r2, [sp, #36]
        str r4, [sp, #48]
        ldm r3!, {r0, r1, r2, r4}         /* xstep, outstep, out, k */
        str r0, [sp, #64]
        str r1, [sp, #68]
        str r2, [sp, #56]
        str r4, [sp, #76]
        ldr r1, [sp, #32]
        cmp r1, #8
        bne 14f
        b 6f                              /* beyond a conditional branch's reach */
14:
        cmp r1, #6
        bne 1f
        b 12f                             /* beyond a conditional branch's reach */
1:
        tf_m0dw_row8s_pixel_start
        str r1, [sp, #44]
2:
        ldr r1, [sp, #32]
        adds r2, r3, r1
        str r2, [sp, #80]
        lsls r1, r1, #30                  /* bit 1 of n: an odd count of tap pairs enters at the second */
        bmi 5f
3:
        tf_m0dw_tap_pairs8
5:
        tf_m0dw_tap_pairs8
        ldr r1, [sp, #80]
        cmp r3, r1
        bne 3b
        ldr r2, [sp, #36]
        adds r3, r3, r2
        ldr r2, [sp, #44]
        subs r2, #1
        str r2, [sp, #44]
        bne 2b
7:
        tf_m0dw_row8s_pixel_end
        beq 4f
        b 1b
4:
        add sp, #92
        tf_m0_restore_r4_r11_return
/* rows of 8 taps (micro_speech's 10x8), a pixel loop of their own: four tap pairs in a row, no end
 * test; two rows a turn, up to the pixel's end of runs (x + rows * step) */
6:
        tf_m0dw_row8s_pixel_start
        ldr r2, [sp, #88]
        adds r2, r3, r2
        str r2, [sp, #80]
        lsrs r1, r1, #1                   /* an odd count of rows enters at the second */
        bcc 9f
        b 10f                             /* beyond a conditional branch's reach */
9:
        tf_m0dw_tap_pairs8 0, 0
        tf_m0dw_tap_pairs8 2, 0
        tf_m0dw_tap_pairs8 4, 0
        tf_m0dw_tap_pairs8 6, 0
        ldr r2, [sp, #84]
        adds r3, r3, r2
10:
        tf_m0dw_tap_pairs8 0, 0
        tf_m0dw_tap_pairs8 2, 0
        tf_m0dw_tap_pairs8 4, 0
        tf_m0dw_tap_pairs8 6, 0
        ldr r2, [sp, #84]
        adds r3, r3, r2
        ldr r2, [sp, #80]
        cmp r3, r2
        beq 8f
        b 9b                              /* beyond a conditional branch's reach */
8:
        tf_m0dw_row8s_pixel_end
        beq 11f
        b 6b                              /* beyond a conditional branch's reach */
11:
        b 4b
/* rows of 6 taps (micro_speech's edge columns), the same as rows of 8 with three tap pairs */
12:
        tf_m0dw_row8s_pixel_start
        ldr r2, [sp, #88]
        adds r2, r3, r2
        str r2, [sp, #80]
        lsrs r1, r1, #1                   /* an odd count of rows enters at the second */
        bcc 15f
        b 16f                             /* beyond a conditional branch's reach */
15:
        tf_m0dw_tap_pairs8 0, 0
        tf_m0dw_tap_pairs8 2, 0
        tf_m0dw_tap_pairs8 4, 0
        ldr r2, [sp, #84]
        adds r3, r3, r2
16:
        tf_m0dw_tap_pairs8 0, 0
        tf_m0dw_tap_pairs8 2, 0
        tf_m0dw_tap_pairs8 4, 0
        ldr r2, [sp, #84]
        adds r3, r3, r2
        ldr r2, [sp, #80]
        cmp r3, r2
        beq 17f
        b 15b                             /* beyond a conditional branch's reach */
17:
        tf_m0dw_row8s_pixel_end
        beq 18f
        b 12b                             /* beyond a conditional branch's reach */
18:
        b 4b
        .size tf_m0dw_row8s, . - tf_m0dw_row8s

/* One tap of four channels (tf_m0dw_px4): the table's entry at r4 (post-incremented) plus r6 (base +
 * the group's first channel) addresses the input word, r5 (post-incremented) the weights' word;
 * accumulators r8..r11. r0..r3 destroyed. 26 cycles. */
        .macro tf_m0dw_px4_tap
        ldm r4!, {r3}
        ldr r0, [r3, r6]
        ldm r5!, {r2}
        sxtb r3, r0
        sxtb r1, r2
        muls r1, r3, r1
        add r8, r1
        asrs r0, r0, #8
        asrs r2, r2, #8
        sxtb r3, r0
        sxtb r1, r2
        muls r1, r3, r1
        add r9, r1
        asrs r0, r0, #8
        asrs r2, r2, #8
        sxtb r3, r0
        sxtb r1, r2
        muls r1, r3, r1
        add r10, r1
        asrs r0, r0, #8
        asrs r2, r2, #8
        muls r2, r0, r2
        add r11, r2
        .endm
/* One channel of tf_m0dw_px4's group (requantizing): the accumulator in r3, its record at r2 (stepped on), out at
 * r1 + j; r7 2^30 + 2^14, lr act_min, r12 act_max; tf_m0dw_rqn's arithmetic. r0, r3..r6 destroyed.
 * 36 cycles. */
        .macro tf_m0dw_rq_one j
        ldr r4, [r2, #TF_M0DW_REC_MULT]
        asrs r6, r3, #16
        uxth r3, r3
        uxth r0, r4
        lsrs r4, r4, #16
        movs r5, r3
        muls r5, r0, r5
        lsrs r5, r5, #16
        muls r3, r4, r3
        adds r5, r5, r3
        muls r0, r6, r0
        adds r5, r5, r0
        adds r5, r5, r7
        lsrs r5, r5, #15
        lsls r5, r5, #1
        asrs r0, r6, #31
        adds r5, r5, r0
        muls r6, r4, r6
        lsls r6, r6, #2
        adds r5, r5, r6
        ldr r3, [r2, #TF_M0DW_REC_SHIFTS]
        adds r2, #TF_M0DW_REC_BYTES
        asrs r0, r3, #8
        adds r5, r5, r0
        asrs r5, r3
        cmp r5, lr
        bge .Lrq_one_lo\@
        mov r5, lr
.Lrq_one_lo\@:
        cmp r5, r12
        ble .Lrq_one_hi\@
        mov r5, r12
.Lrq_one_hi\@:
        strb r5, [r1, #\j]
        .endm
/*
 *   void tf_m0dw_px4(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p);
 * Taps: a table of 32-bit entries (pointers, or offsets from p->base) up to p->tend. r4 table, r5
 * weights, r6 base + channel (a pointer table's base is 0), r7 table end, accumulators r8..r11.
 * Taps four per loop turn (taps mod 4 = r > 0 enters the turn at its last r copies): 27 cycles a
 * tap of 4 channels. Each group's accumulators then go to p->acc, or, when p->out is set (an
 * rq_fast layer: tf_m0dw_px4q), are requantized in registers (tf_m0dw_rq_one, lr act_min, r12
 * act_max) into p->out. Frame: [0] acc or out, [4] base + channels, [8] table, [12] taps mod 4,
 * [16] records, [20] weights, [24] base + channel, [28] 2^30 + 2^14, [32] table end, [36] out set.
 */
        tf_m0_function tf_m0dw_px4
        tf_m0_save_r4_r11
        sub sp, #40
        mov r5, r1
        str r2, [sp, #16]
        str r0, [sp, #8]
        ldr r1, [r3, #TF_M0DW_PIX_ACT_MIN]
        mov lr, r1
        ldr r1, [r3, #TF_M0DW_PIX_ACT_MAX]
        mov r12, r1
        ldr r1, [r3, #TF_M0DW_PIX_OUT]
        str r1, [sp, #36]
        ldm r3, {r1, r2, r3, r6}          /* c, acc, tend, base */
        ldr r4, [sp, #36]
        cmp r4, #0
        beq 7f
        movs r2, r4                       /* requantized bytes to out, acc unused */
7:
        str r2, [sp, #0]
        mov r7, r3
        str r3, [sp, #32]
        subs r3, r3, r0
        lsrs r3, r3, #2
        lsls r3, r3, #30
        lsrs r3, r3, #30
        str r3, [sp, #12]                 /* taps mod 4 */
        adds r1, r1, r6
        str r1, [sp, #4]
        movs r0, #1
        lsls r1, r0, #30
        lsls r0, r0, #14
        adds r0, r0, r1
        str r0, [sp, #28]
1:
        ldr r2, [sp, #16]
        ldr r0, [r2, #0]
        mov r8, r0
        ldr r0, [r2, #TF_M0DW_REC_BYTES]
        mov r9, r0
        ldr r0, [r2, #(2 * TF_M0DW_REC_BYTES)]
        mov r10, r0
        ldr r0, [r2, #(3 * TF_M0DW_REC_BYTES)]
        mov r11, r0
        ldr r4, [sp, #8]
        ldr r1, [sp, #12]
        cmp r1, #0
        beq 2f
        cmp r1, #2
        beq 4f
        bhi 3f
        b 5f
2:
        tf_m0dw_px4_tap
3:
        tf_m0dw_px4_tap
4:
        tf_m0dw_px4_tap
5:
        tf_m0dw_px4_tap
        cmp r4, r7
        bne 2b
        ldr r1, [sp, #0]
        ldr r2, [sp, #16]
        ldr r0, [sp, #36]
        cmp r0, #0
        bne 8f
        /* the sums to acc */
        mov r0, r8
        str r0, [r1, #0]
        mov r0, r9
        str r0, [r1, #4]
        mov r0, r10
        str r0, [r1, #8]
        mov r0, r11
        str r0, [r1, #12]
        adds r1, #16
        adds r2, #(4 * TF_M0DW_REC_BYTES)
        b 9f
8:
        str r5, [sp, #20]
        str r6, [sp, #24]
        ldr r7, [sp, #28]
        mov r3, r8
        tf_m0dw_rq_one 0
        mov r3, r9
        tf_m0dw_rq_one 1
        mov r3, r10
        tf_m0dw_rq_one 2
        mov r3, r11
        tf_m0dw_rq_one 3
        adds r1, #4
        ldr r5, [sp, #20]
        ldr r6, [sp, #24]
        ldr r7, [sp, #32]
9:
        str r1, [sp, #0]
        str r2, [sp, #16]
        adds r6, #4
        ldr r0, [sp, #4]
        cmp r6, r0
        beq 6f
        b 1b                              /* beyond a conditional branch's reach */
6:
        add sp, #40
        tf_m0_restore_r4_r11_return
        .size tf_m0dw_px4, . - tf_m0dw_px4
#endif
