/* SPDX-License-Identifier: Apache-2.0 */
/* DEPTHWISE_CONV_2D's int8 kernels for Armv6-M (Cortex-M0/M0+, the RP2040): one shared copy per
 * model, every layer passing its geometry, weights and per-channel records. Thumb-1 has no SIMD and
 * one product per MULS, so a MAC costs at least a load, a MULS and an ADD: the loops keep every
 * accumulator of a channel group in registers (high ones included, which ADD can reach), load each
 * input once for the whole group, and take the weights a word at a time in the order they are read.
 *
 * The input offset is folded into the per-channel starts (bias + off * sum of the weights). Taps in
 * the padding either read the input zero point (a gathered window, a zero-point row), which adds
 * w * z_in = -w * off and cancels the fold, or are skipped with their share of the fold taken off
 * the start: the same sums as TFLite Micro skipping them. Output rows are walked in order, a row
 * reading no input above its own window, so the output may be planned over the dying input
 * (rowWindowGap).
 *
 * Per channel, a record of three int32: the start, the multiplier (>= 0) and left | right << 8
 * (TFLite's shift split into its two sides). The requantization is TFLite Micro's, exact, its 64-bit
 * product built from four 16x16 MULS (libgcc's __aeabi_lmul costs some 50 cycles more).
 *
 * The loops that run per tap or per channel are assembly (depthwise_conv_2d_m0plus.S), reading the
 * structs below at the offsets defined here once: the assembler checks the orders its LDMs need, the
 * C checks the structs against them. Elsewhere (host tests, other targets) C twins run the same sums.
 * Safe to include from a .S file. */
#ifndef TF_DEPTHWISE_CONV_2D_M0PLUS_H
#define TF_DEPTHWISE_CONV_2D_M0PLUS_H
#include "m0plus_mac.h"

/* tf_m0dw_rec_t, a channel's record; the block loops read the starts TF_M0DW_REC_BYTES apart */
#define TF_M0DW_REC_START 0
#define TF_M0DW_REC_MULT 4
#define TF_M0DW_REC_SHIFTS 8
#define TF_M0DW_REC_BYTES 12
/* tf_m0dw_rq_t: n, output zero point, act_min, act_max, one LDM; then the thresholds (or null) */
#define TF_M0DW_RQ_N 0
#define TF_M0DW_RQ_ZERO_POINT 4
#define TF_M0DW_RQ_ACT_MIN 8
#define TF_M0DW_RQ_ACT_MAX 12
#define TF_M0DW_RQ_THR 16
/* tf_m0dw_row_t: n, rows, step, pixels, then xstep, outstep, out, k: two LDMs */
#define TF_M0DW_ROW_N 0
#define TF_M0DW_ROW_ROWS 4
#define TF_M0DW_ROW_STEP 8
#define TF_M0DW_ROW_PIXELS 12
#define TF_M0DW_ROW_XSTEP 16
#define TF_M0DW_ROW_OUTSTEP 20
#define TF_M0DW_ROW_OUT 24
#define TF_M0DW_ROW_K 28
/* tf_m0dw_pix_t: c, acc, tend, base, one LDM */
#define TF_M0DW_PIX_C 0
#define TF_M0DW_PIX_ACC 4
#define TF_M0DW_PIX_TEND 8
#define TF_M0DW_PIX_BASE 12
/* then act_min, act_max, out (tf_m0dw_px4q) */
#define TF_M0DW_PIX_ACT_MIN 16
#define TF_M0DW_PIX_ACT_MAX 20
#define TF_M0DW_PIX_OUT 24

#ifdef __ASSEMBLER__
/* assembler source, whose operands clang-format would respace as C */
/* clang-format off */
        .if TF_M0DW_REC_START != 0
        .error "tf_m0dw_rec_t: the block loops load the starts from the record's first word"
        .endif
        .if TF_M0DW_RQ_N != 0 || TF_M0DW_RQ_ZERO_POINT != 4 || TF_M0DW_RQ_ACT_MIN != 8 || TF_M0DW_RQ_ACT_MAX != 12
        .error "tf_m0dw_rq_t: n, output zero point, act_min, act_max must be the first four words, in order (one LDM)"
        .endif
        .if TF_M0DW_ROW_N != 0 || TF_M0DW_ROW_ROWS != 4 || TF_M0DW_ROW_STEP != 8 || TF_M0DW_ROW_PIXELS != 12
        .error "tf_m0dw_row_t: n, rows, step, pixels must be the first four words, in order (one LDM)"
        .endif
        .if TF_M0DW_ROW_XSTEP != 16 || TF_M0DW_ROW_OUTSTEP != 20 || TF_M0DW_ROW_OUT != 24 || TF_M0DW_ROW_K != 28
        .error "tf_m0dw_row_t: xstep, outstep, out, k must be the next four words, in order (one LDM)"
        .endif
        .if TF_M0DW_PIX_C != 0 || TF_M0DW_PIX_ACC != 4 || TF_M0DW_PIX_TEND != 8 || TF_M0DW_PIX_BASE != 12
        .error "tf_m0dw_pix_t: c, acc, tend, base must be the first four words, in order (one LDM)"
        .endif

/* The one-input-channel loops' channel pairs (weights as depthwise_conv_2d/m0plus.ts's pairedWeights
 * lays them out): per tap a halfword V = w_a + 256 w_b for each pair of channels (a, b), two pairs to
 * a word. One MULS by x gives x w_a + 256 x w_b; a second by sxtb(V) = w_a gives x w_a alone. The
 * pair's accumulators: A_a (w_a's sum) and A_ab (both), both started from a's start, so that
 * A_ab - A_a = 256 * (b's sum) exactly (at most 255 taps: |sum| < 2^23) and b = start_b + that >> 8.
 * One word of two pairs into A_a, A_ab, A_c, A_cd, the weights at r5 (post-incremented), x in r0;
 * r1, r2 destroyed. 14 cycles (tf_m0_tap_word's four bytes take 16). */
        .macro tf_m0dw_pair_word a, ab, c, cd
        ldm r5!, {r2}
        sxth r1, r2
        muls r1, r0, r1
        add \ab, r1
        sxtb r1, r2
        muls r1, r0, r1
        add \a, r1
        asrs r2, r2, #16
        sxtb r1, r2
        muls r1, r0, r1
        add \c, r1
        muls r2, r0, r2
        add \cd, r2
        .endm

/* One tap of a block of `width` (8 or 4) channels in pairs: A_0 r6, A_01 r7, A_2 r8, A_23 r9 (then
 * r10, r11, r12, lr). */
        .macro tf_m0dw_pair_tap width
        tf_m0dw_pair_word r6, r7, r8, r9
        .if \width == 8
        tf_m0dw_pair_word r10, r11, r12, lr
        .elseif \width != 4
        .error "tf_m0dw_pair_tap: a block is 8 or 4 channels"
        .endif
        .endm

/* tf_m0_run with channel pairs (the same registers and frame slot) */
        .macro tf_m0dw_pair_run width, n_slot
        ldr r4, [sp, #(\n_slot)]
        rsbs r4, r4, #0
        lsls r2, r4, #31
        bne .Lprun_odd\@
.Lprun_pair\@:
        ldrsb r0, [r3, r4]
        tf_m0dw_pair_tap \width
        adds r4, #1
.Lprun_odd\@:
        ldrsb r0, [r3, r4]
        tf_m0dw_pair_tap \width
        adds r4, #1
        bne .Lprun_pair\@
        .endm

/* The pairs' accumulators from the starts at r2, `stride` bytes apart: both of a pair from its first
 * channel's start (r0 destroyed). */
        .macro tf_m0dw_pair_load_starts width, stride
        ldr r6, [r2, #0]
        mov r7, r6
        ldr r0, [r2, #(2 * \stride)]
        mov r8, r0
        mov r9, r0
        .if \width == 8
        ldr r0, [r2, #(4 * \stride)]
        mov r10, r0
        mov r11, r0
        ldr r0, [r2, #(6 * \stride)]
        mov r12, r0
        mov lr, r0
        .endif
        .endm

/* One pair's second sum: start_b (at r3 + `at`) + (A_ab - A_a) >> 8 into r0 (r1 destroyed). */
        .macro tf_m0dw_pair_second a, ab, at
        mov r0, \ab
        mov r1, \a
        subs r0, r0, r1
        asrs r0, r0, #8
        ldr r1, [r3, #(\at)]
        adds r0, r0, r1
        .endm

/* The block's `width` sums to int32 at r2, the second of each pair from its start at r3 + `stride` *
 * its channel (r0, r1 destroyed). */
        .macro tf_m0dw_pair_store_acc width, stride
        str r6, [r2, #0]
        tf_m0dw_pair_second r6, r7, \stride
        str r0, [r2, #4]
        mov r0, r8
        str r0, [r2, #8]
        tf_m0dw_pair_second r8, r9, (3 * \stride)
        str r0, [r2, #12]
        .if \width == 8
        mov r0, r10
        str r0, [r2, #16]
        tf_m0dw_pair_second r10, r11, (5 * \stride)
        str r0, [r2, #20]
        mov r0, r12
        str r0, [r2, #24]
        tf_m0dw_pair_second r12, lr, (7 * \stride)
        str r0, [r2, #28]
        .endif
        .endm

/* tf_m0_mac_fn with channel pairs; the starts kept at [sp + 20] for the second sums. */
        .macro tf_m0dw_pair_mac_fn name, width, stride
        tf_m0_function \name
        tf_m0_save_r4_r11
        sub sp, #24
        mov r5, r1
        mov r6, r0
        str r2, [sp, #20]
        ldr r0, [r3, #TF_M0_RUN_ACC]
        str r0, [sp, #0]
        ldm r3!, {r0, r1, r4, r7}         /* n, rows, step, wskip */
        str r0, [sp, #4]
        str r1, [sp, #16]
        str r4, [sp, #8]
        str r7, [sp, #12]
        adds r3, r6, r0
        tf_m0dw_pair_load_starts \width, \stride
1:
        tf_m0dw_pair_run \width, 4
        ldr r2, [sp, #8]
        adds r3, r3, r2
        ldr r2, [sp, #12]
        adds r5, r5, r2
        ldr r2, [sp, #16]
        subs r2, #1
        str r2, [sp, #16]
        bne 1b
        ldr r2, [sp, #0]
        ldr r3, [sp, #20]
        tf_m0dw_pair_store_acc \width, \stride
        add sp, #24
        tf_m0_restore_r4_r11_return
        .size \name, . - \name
        .endm
/* clang-format on */
#else /* C */
#include <stdint.h>
#include <string.h>
#include "m0plus_rq.h"

typedef struct {
  int16_t in_h, in_w, in_c, out_h, out_w, out_c;
  int16_t k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  /* outputs whose window lies inside the image: rows and columns [lo, hi) */
  int16_t oy_lo, oy_hi, ox_lo, ox_hi;
  int16_t input_zero_point, output_zero_point, act_min, act_max;
  /* every channel takes tf_m0dw_rqn's form (m0plus.ts fastChannel), the records' third word its P */
  int16_t rq_fast;
  /* the rows' pixels requantized through thresholds (tf_m0dw_rq_t's thr), or null */
  const int32_t *thr;
} tf_m0dw_geom_t;

/* A channel's record as the layers' int32 tables hold it (the loops step through them as int32). */
typedef struct {
  int32_t start, multiplier;
  uint32_t shifts; /* left | right << 8; in rq_fast layers P (m0plus_rq.h tf_m0_requant_raw) */
} tf_m0dw_rec_t;
TF_M0_CHECK_OFFSET(tf_m0dw_rec_t, start, TF_M0DW_REC_START);
TF_M0_CHECK_OFFSET(tf_m0dw_rec_t, multiplier, TF_M0DW_REC_MULT);
TF_M0_CHECK_OFFSET(tf_m0dw_rec_t, shifts, TF_M0DW_REC_SHIFTS);
TF_M0_CHECK_SIZE(tf_m0dw_rec_t, TF_M0DW_REC_BYTES);
/* a record's fields as indices into the int32 tables */
#define TF_M0DW_REC_WORDS (TF_M0DW_REC_BYTES / 4)

/* tf_m0dw_rqn's constants: how many channels, then the output zero point (folded into P, unused
 * there) and activation range. thr (k->n = 8 only, or null): per channel the words A, S, B and
 * T[1..N-1] (N = act_max - act_min + 1) of depthwise_conv_2d/m0plus.ts's thresholdTables, which
 * give the same bytes as the records: q0 = (acc A >> S) + B, then act_min plus 0 when q0 < 0, N - 1
 * when q0 > N - 2, else q0 + [acc >= T[q0 + 1]]. */
typedef struct {
  int32_t n, output_zero_point, act_min, act_max;
  const int32_t *thr;
} tf_m0dw_rq_t;
TF_M0_CHECK_OFFSET(tf_m0dw_rq_t, n, TF_M0DW_RQ_N);
TF_M0_CHECK_OFFSET(tf_m0dw_rq_t, output_zero_point, TF_M0DW_RQ_ZERO_POINT);
TF_M0_CHECK_OFFSET(tf_m0dw_rq_t, act_min, TF_M0DW_RQ_ACT_MIN);
TF_M0_CHECK_OFFSET(tf_m0dw_rq_t, act_max, TF_M0DW_RQ_ACT_MAX);
#if TF_M0_NATIVE
TF_M0_CHECK_OFFSET(tf_m0dw_rq_t, thr, TF_M0DW_RQ_THR);
#endif

/* The pixels outside [ox_lo, ox_hi) with tap-pair tables of their own (tf_m0dw_single_edges): info[0]
 * the count, then per pixel column { ox, first input column, taps a row (even), offset in w }; q
 * their records (the 8-channel groups' channels, per column), a block for the rows of whole kernel
 * rows, then one for each output row cut by the padding (rows [0, oy_lo), then [oy_hi, out_h)). */
typedef struct {
  const int32_t *info;
  const int8_t *w;
  const int32_t *q;
  /* the pixels' requantization constants (n = 8) */
  tf_m0dw_rq_t k8;
} tf_m0dw_edges_t;

/* tf_m0dw_row8's pixels: per pixel `rows` runs of `n` at x + r * step; x steps by xstep and out by
 * outstep between pixels; k the requantization's constants (k->n = 8: one group of 8 channels). */
typedef struct {
  int32_t n, rows, step, pixels, xstep, outstep;
  int8_t *out;
  const tf_m0dw_rq_t *k;
} tf_m0dw_row_t;

/* tf_m0dw_px4's pixel: c channels, acc their accumulators; the taps' table ends at tend, its entries
 * (32-bit on Armv6-M) offsets from base, or pointers when base is null. */
typedef struct {
  int32_t c;
  int32_t *acc;
  const void *tend;
  const int8_t *base;
  /* tf_m0dw_px4q only: the activation range and the pixel's first output */
  int32_t act_min, act_max;
  int8_t *out;
} tf_m0dw_pix_t;

#if TF_M0_NATIVE
/* pointers are 32-bit only here: elsewhere the C twins read these structs by name */
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, n, TF_M0DW_ROW_N);
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, rows, TF_M0DW_ROW_ROWS);
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, step, TF_M0DW_ROW_STEP);
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, pixels, TF_M0DW_ROW_PIXELS);
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, xstep, TF_M0DW_ROW_XSTEP);
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, outstep, TF_M0DW_ROW_OUTSTEP);
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, out, TF_M0DW_ROW_OUT);
TF_M0_CHECK_OFFSET(tf_m0dw_row_t, k, TF_M0DW_ROW_K);
TF_M0_CHECK_OFFSET(tf_m0dw_pix_t, c, TF_M0DW_PIX_C);
TF_M0_CHECK_OFFSET(tf_m0dw_pix_t, acc, TF_M0DW_PIX_ACC);
TF_M0_CHECK_OFFSET(tf_m0dw_pix_t, tend, TF_M0DW_PIX_TEND);
TF_M0_CHECK_OFFSET(tf_m0dw_pix_t, base, TF_M0DW_PIX_BASE);
TF_M0_CHECK_OFFSET(tf_m0dw_pix_t, act_min, TF_M0DW_PIX_ACT_MIN);
TF_M0_CHECK_OFFSET(tf_m0dw_pix_t, act_max, TF_M0DW_PIX_ACT_MAX);
TF_M0_CHECK_OFFSET(tf_m0dw_pix_t, out, TF_M0DW_PIX_OUT);
#endif

/* MultiplyByQuantizedMultiplier, + output zero point, clamp. The rounding right shift by r >= 1 is
 * floor((q + 2^(r-1) - [q < 0]) / 2^r), taken as ((t >> (r-1)) + 1) >> 1 with t = q - [q < 0], which
 * cannot overflow (|q| < 2^31 - 1 since m < 2^31). */
static inline int8_t tf_m0dw_rq_clamp(int32_t acc, const int32_t *rec, int32_t zero_point, int32_t act_min, int32_t act_max) {
  const uint32_t p = (uint32_t)rec[TF_M0DW_REC_SHIFTS / 4];
  const int right = (int)(p >> 8);
  int32_t q = tf_m0_srdhm((int32_t)((uint32_t)acc << (p & 0xffu)), rec[TF_M0DW_REC_MULT / 4]);
  if (right > 0) q = (((q + (q >> 31)) >> (right - 1)) + 1) >> 1;
  q += zero_point;
  if (q < act_min) q = act_min;
  if (q > act_max) q = act_max;
  return (int8_t)q;
}
static inline int8_t tf_m0dw_rq(int32_t acc, const int32_t *rec, const tf_m0dw_geom_t *g) {
  return tf_m0dw_rq_clamp(acc, rec, g->output_zero_point, g->act_min, g->act_max);
}

/* The C twins of the assembly: the same sums, on the host and other targets. */
/* tf_m0dw_mac8/4: common/isa/m0plus_mac.h's block loop over the records' starts with the weights in
 * channel pairs (tf_m0dw_pair_word's arithmetic, wrapping as the registers do) */
static inline void tf_m0dw_pair_mac_c(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run, int n) {
  uint32_t a[4], ab[4];
  for (int p = 0; p < n / 2; ++p) a[p] = ab[p] = (uint32_t)q[TF_M0DW_REC_WORDS * 2 * p];
  for (int r = 0; r < run->rows; ++r, x += run->step, w += run->wskip) {
    for (int k = 0; k < run->n; ++k, w += n) {
      const int32_t xv = x[k];
      for (int p = 0; p < n / 2; ++p) {
        const int32_t v = (int16_t)(uint16_t)((uint32_t)(uint8_t)w[2 * p] | (uint32_t)(uint8_t)w[2 * p + 1] << 8);
        a[p] += (uint32_t)(xv * (int32_t)(int8_t)v);
        ab[p] += (uint32_t)(xv * v);
      }
    }
  }
  for (int p = 0; p < n / 2; ++p) {
    run->acc[2 * p] = (int32_t)a[p];
    run->acc[2 * p + 1] = q[TF_M0DW_REC_WORDS * (2 * p + 1)] + ((int32_t)(ab[p] - a[p]) >> 8);
  }
}
static inline void tf_m0dw_mac8_c(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run) {
  tf_m0dw_pair_mac_c(x, w, q, run, 8);
}
static inline void tf_m0dw_mac4_c(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run) {
  tf_m0dw_pair_mac_c(x, w, q, run, 4);
}
/* tf_m0dw_rqn: k->n channels of an rq_fast layer (through k->thr's thresholds when set) */
static inline void tf_m0dw_rqn_c(int8_t *out, const int32_t *acc, const int32_t *q, const tf_m0dw_rq_t *k) {
  if (k->thr) {
    const int32_t n = k->act_max - k->act_min + 1;
    const int32_t *t = k->thr;
    for (int j = 0; j < k->n; ++j, t += n + 2) {
      int32_t q0 = (int32_t)((acc[j] * t[0]) >> t[1]) + t[2];
      if (q0 < 0)
        q0 = 0;
      else if (q0 > n - 2)
        q0 = n - 1;
      else if (acc[j] >= t[3 + q0])
        ++q0;
      out[j] = (int8_t)(q0 + k->act_min);
    }
    return;
  }
  for (int j = 0; j < k->n; ++j, q += TF_M0DW_REC_WORDS) {
    int32_t v = tf_m0_requant_raw(acc[j], q[TF_M0DW_REC_MULT / 4], q[TF_M0DW_REC_SHIFTS / 4]);
    if (v < k->act_min) v = k->act_min;
    if (v > k->act_max) v = k->act_max;
    out[j] = (int8_t)v;
  }
}
/* tf_m0dw_row8: a run of pixels, one group of 8 channels */
static inline void tf_m0dw_row8_c(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r) {
  int32_t acc[8];
  const tf_m0dw_run_t run = {.n = r->n, .rows = r->rows, .step = r->step, .wskip = 0, .acc = acc};
  int8_t *out = r->out;
  for (int p = 0; p < r->pixels; ++p, x += r->xstep, out += r->outstep) {
    tf_m0dw_mac8_c(x, w, q, &run);
    tf_m0dw_rqn_c(out, acc, q, r->k);
  }
}
/* A little-endian int32 of a weight table (byte reads: the host's buffers carry no alignment promise). */
static inline int32_t tf_m0dw_le32(const int8_t *p) {
  const uint8_t *b = (const uint8_t *)p;
  return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
}
/* tf_m0dw_row8s: tf_m0dw_row8 over tap pairs (n even), the weights as tapPairWeights lays them: per
 * kernel row, tap pair and channel pair (a, b), the words w_a + 65536 w_b of taps t and t + 1 */
static inline void tf_m0dw_row8s_c(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r) {
  int32_t acc[8];
  int8_t *out = r->out;
  for (int p = 0; p < r->pixels; ++p, x += r->xstep, out += r->outstep) {
    const int8_t *wp = w;
    for (int j = 0; j < 8; ++j) acc[j] = q[TF_M0DW_REC_WORDS * j];
    for (int row = 0; row < r->rows; ++row) {
      const int8_t *const xr = x + row * r->step;
      for (int k = 0; k < r->n; k += 2) {
        const int32_t x0 = xr[k], x1 = xr[k + 1];
        for (int j = 0; j < 8; j += 2, wp += 8) {
          const int32_t w0 = tf_m0dw_le32(wp), w1 = tf_m0dw_le32(wp + 4);
          const int32_t a0 = (int16_t)(uint16_t)((uint32_t)w0 & 0xffffu), a1 = (int16_t)(uint16_t)((uint32_t)w1 & 0xffffu);
          acc[j] += x0 * a0 + x1 * a1;
          acc[j + 1] += x0 * ((w0 - a0) >> 16) + x1 * ((w1 - a1) >> 16);
        }
      }
    }
    tf_m0dw_rqn_c(out, acc, q, r->k);
  }
}
/* tf_m0dw_px4: every group of four channels of one pixel over the taps' table (any alignment) */
static inline void tf_m0dw_px4_c(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p) {
  const int8_t *const base = p->base;
  const int taps = (int)(((const char *)p->tend - (const char *)table) / (base ? (int)sizeof(int32_t) : (int)sizeof(const int8_t *)));
  int32_t *acc = p->acc;
  for (int ch = 0; ch < p->c; ch += 4, q += 4 * TF_M0DW_REC_WORDS, acc += 4) {
    int32_t a0 = q[0], a1 = q[TF_M0DW_REC_WORDS], a2 = q[2 * TF_M0DW_REC_WORDS], a3 = q[3 * TF_M0DW_REC_WORDS];
    for (int k = 0; k < taps; ++k, w += 4) {
      const int8_t *const x = (base ? base + ((const int32_t *)table)[k] : ((const int8_t *const *)table)[k]) + ch;
      a0 += (int32_t)w[0] * x[0];
      a1 += (int32_t)w[1] * x[1];
      a2 += (int32_t)w[2] * x[2];
      a3 += (int32_t)w[3] * x[3];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
  }
}
/* tf_m0dw_px4q: tf_m0dw_px4, then every channel requantized (an rq_fast layer) and clamped into p->out */
static inline void tf_m0dw_px4q_c(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p) {
  tf_m0dw_px4_c(table, w, q, p);
  for (int j = 0; j < p->c; ++j, q += TF_M0DW_REC_WORDS) {
    int32_t v = tf_m0_requant_raw(p->acc[j], q[TF_M0DW_REC_MULT / 4], q[TF_M0DW_REC_SHIFTS / 4]);
    if (v < p->act_min) v = p->act_min;
    if (v > p->act_max) v = p->act_max;
    p->out[j] = (int8_t)v;
  }
}

#if TF_M0_NATIVE
/* depthwise_conv_2d_m0plus.S */
/* One input channel (out_c = depth multiplier, a multiple of 4). Weights: per group of 8 output
 * channels (then one of 4 if out_c % 8 == 4), every tap (kernel rows in order) as 8 (or 4) int8.
 * Start acc[0..7] (acc[0..3]) from the records' starts and run `rows` (>= 1) runs of `n` (>= 1)
 * contiguous input bytes, run r at x + r * step, adding tap by tap, the weights skipping `wskip`
 * bytes after each run. */
void tf_m0dw_mac8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run);
void tf_m0dw_mac4(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run);
/* tf_m0dw_rqn_c's requantization over k->n channels of an rq_fast layer. 39 cycles a channel (two a loop turn). */
void tf_m0dw_rqn(int8_t *out, const int32_t *acc, const int32_t *q, const tf_m0dw_rq_t *k);
/* A run of output pixels (one group of 8 channels) whose windows lie inside the image: per pixel
 * tf_m0dw_mac8's loop over `rows` runs of `n`, then tf_m0dw_rqn, then x and out step on. */
void tf_m0dw_row8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r);
/* tf_m0dw_row8 over tap pairs (n even), two products per MULS (tapPairWeights' words). 54 cycles a
 * tap pair of 8 channels, against tf_m0dw_row8's 65. */
void tf_m0dw_row8s(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r);
/* Every group of four channels of one pixel, a word of input and of weights per tap (the input and
 * the table word-aligned). 27 cycles a tap of 4 channels. The sums go to p->acc when p->out is null;
 * otherwise (tf_m0dw_px4q) each group's four are requantized in registers (an rq_fast layer, as
 * tf_m0dw_rqn) and clamped into p->out. */
void tf_m0dw_px4(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p);
/* tf_m0dw_px4 with p->out set: one function on the device */
static inline void tf_m0dw_px4q(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p) {
  tf_m0dw_px4(table, w, q, p);
}
#else
static inline void tf_m0dw_mac8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run) {
  tf_m0dw_mac8_c(x, w, q, run);
}
static inline void tf_m0dw_mac4(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run) {
  tf_m0dw_mac4_c(x, w, q, run);
}
static inline void tf_m0dw_rqn(int8_t *out, const int32_t *acc, const int32_t *q, const tf_m0dw_rq_t *k) { tf_m0dw_rqn_c(out, acc, q, k); }
static inline void tf_m0dw_row8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r) { tf_m0dw_row8_c(x, w, q, r); }
static inline void tf_m0dw_row8s(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r) {
  tf_m0dw_row8s_c(x, w, q, r);
}
static inline void tf_m0dw_px4(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p) {
  tf_m0dw_px4_c(table, w, q, p);
}
static inline void tf_m0dw_px4q(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p) {
  tf_m0dw_px4q_c(table, w, q, p);
}
#endif

/* Requantizes and stores `n` channels (a call: the loops around it keep their registers). */
static __attribute__((unused, noinline)) void tf_m0dw_store(int8_t *out, const int32_t *acc, const int32_t *q, int n,
                                                            const tf_m0dw_geom_t *g) {
  if (g->rq_fast) {
    const tf_m0dw_rq_t k = {.n = n, .output_zero_point = g->output_zero_point, .act_min = g->act_min, .act_max = g->act_max};
    tf_m0dw_rqn(out, acc, q, &k);
    return;
  }
  for (int j = 0; j < n; ++j) out[j] = tf_m0dw_rq(acc[j], q + TF_M0DW_REC_WORDS * j, g);
}

/*
 * Kernel rows or columns wholly in the padding are skipped, not read as zero points: their share of
 * the fold comes off the start. `sums` (a constant table, foldSums in depthwise_conv_2d/m0plus.ts),
 * per channel: `pre` (k_h + 1 rows), the sum of the weights of kernel rows [0, ky), and `cpre`
 * (k_w + 1 rows), the sum of the weights of columns [0, kx) over every kernel row; rows [lo, hi)
 * keep off * (pre[hi] - pre[lo]) of the start's off * pre[k_h], columns likewise. Windows cut on
 * both sides (corners), or with dilated columns, are gathered into `win` over their rows in the
 * image, zero points in the padded columns.
 *
 * One output pixel (oy, ox) from channel c_from on, out at its first channel. Not inlined: its
 * locals are off the stack while the interior rows' assembly runs (micro_speech's peak RAM).
 */
static __attribute__((unused, noinline)) void tf_m0dw_single_pixel(const int8_t *image, const tf_m0dw_geom_t *g, const int8_t *w,
                                                                   const int32_t *q, const int16_t *sums, int8_t *out, int8_t *win, int oy,
                                                                   int ox, int c_from) {
  const int k_w = g->k_w, taps = g->k_h * k_w;
  const int out_c = g->out_c, in_w = g->in_w, dh = g->dilation_h;
  const int16_t *const pre = sums;
  const int16_t *const cpre = pre + (g->k_h + 1) * out_c;
  const int16_t *const pre_all = pre + g->k_h * out_c;
  const int32_t off = -(int32_t)g->input_zero_point;
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int fy_lo = iy0 < 0 ? (dh - 1 - iy0) / dh : 0;
  const int fy_end = (g->in_h + dh - 1 - iy0) / dh;
  const int fy_hi = fy_end < g->k_h ? fy_end : g->k_h;
  const int rows = fy_hi - fy_lo;
  const int all_rows = rows == g->k_h;
  const int ix0 = ox * g->stride_w - g->pad_left;
  /* columns [fx_lo, fx_hi) in the image (undilated columns) */
  const int fx_lo = ix0 < 0 ? -ix0 : 0;
  const int fx_hi = in_w - ix0 < k_w ? in_w - ix0 : k_w;
  const int cols = fx_hi - fx_lo;
  const int in_place = g->dilation_w == 1 && (all_rows || cols == k_w);
  int32_t acc[8];
  if (rows <= 0 || (g->dilation_w == 1 && cols <= 0)) {
    /* no tap in the image: the bias alone */
    for (int c = 0; c < out_c; c += 4) {
      for (int j = 0; j < 4; ++j) acc[j] = q[TF_M0DW_REC_WORDS * (c + j)] - off * pre_all[c + j];
      tf_m0dw_store(out + c, acc, q + TF_M0DW_REC_WORDS * c, 4, g);
    }
    return;
  }
  const int8_t *x;
  tf_m0dw_run_t run;
  int first;
  const int16_t *lo, *hi;
  run.acc = acc;
  if (in_place) {
    x = image + (iy0 + fy_lo * dh) * in_w + ix0 + fx_lo;
    run.n = cols;
    run.rows = rows;
    run.step = dh * in_w;
    first = fy_lo * k_w + fx_lo;
    if (all_rows) {
      lo = cpre + fx_lo * out_c;
      hi = cpre + fx_hi * out_c;
    } else {
      lo = pre + fy_lo * out_c;
      hi = pre + fy_hi * out_c;
    }
  } else {
    int8_t *d = win;
    for (int ky = fy_lo; ky < fy_hi; ++ky) {
      const int8_t *const row = image + (iy0 + ky * dh) * in_w;
      for (int kx = 0, ix = ix0; kx < k_w; ++kx, ix += g->dilation_w) {
        *d++ = ix >= 0 && ix < in_w ? row[ix] : (int8_t)g->input_zero_point;
      }
    }
    x = win;
    run.n = rows * k_w;
    run.rows = 1;
    run.step = 0;
    first = fy_lo * k_w;
    lo = pre + fy_lo * out_c;
    hi = pre + fy_hi * out_c;
  }
  const int whole = all_rows && cols == k_w;
  const int32_t *qc = q + TF_M0DW_REC_WORDS * c_from;
  for (int c = c_from; c < out_c;) {
    const int gs = out_c - c >= 8 ? 8 : 4;
    const int8_t *const wg = w + c * taps + first * gs;
    run.wskip = (k_w - run.n) * gs;
    if (gs == 8)
      tf_m0dw_mac8(x, wg, qc, &run);
    else
      tf_m0dw_mac4(x, wg, qc, &run);
    if (!whole) {
      for (int j = 0; j < gs; ++j) acc[j] += off * (hi[c + j] - lo[c + j] - pre_all[c + j]);
    }
    tf_m0dw_store(out + c, acc, qc, gs, g);
    c += gs;
    qc += TF_M0DW_REC_WORDS * gs;
  }
}

/*
 * A row of windows inside the image (`row` at its first input row), the 8-channel groups of pixels
 * [ox_lo, ox_hi) over `rows` kernel rows through tf_m0dw_row8 (rq_fast layers), or tf_m0dw_row8s
 * over tap pairs when the layer has their table (`w2`, else null); out at the row's first pixel. Not inlined, like
 * tf_m0dw_single_pixel: only one of the two frames is on the stack at a time.
 */
static __attribute__((unused, noinline)) void tf_m0dw_single_rows(const int8_t *row, const tf_m0dw_geom_t *g, const int8_t *w,
                                                                  const int32_t *q, const int8_t *w2, int rows, int8_t *out) {
  const int out_c = g->out_c, taps = g->k_h * g->k_w;
  const tf_m0dw_rq_t k8 = {.n = 8, .output_zero_point = g->output_zero_point, .act_min = g->act_min, .act_max = g->act_max, .thr = g->thr};
  tf_m0dw_row_t r = {
      .n = g->k_w,
      .rows = rows,
      .step = g->dilation_h * g->in_w,
      .pixels = g->ox_hi - g->ox_lo,
      .xstep = g->stride_w,
      .outstep = out_c,
      .out = 0,
      .k = &k8,
  };
  const int8_t *const x0 = row + g->ox_lo * g->stride_w - g->pad_left;
  for (int c = 0; c + 8 <= out_c; c += 8) {
    r.out = out + g->ox_lo * out_c + c;
    if (w2)
      tf_m0dw_row8s(x0, w2 + 2 * c * taps, q + TF_M0DW_REC_WORDS * c, &r);
    else
      tf_m0dw_row8(x0, w + c * taps, q + TF_M0DW_REC_WORDS * c, &r);
  }
}

/*
 * The pixels of output row oy outside [ox_lo, ox_hi) that have a table of their own (`ed`), over the
 * kernel rows in the image (out at the row's first pixel): tf_m0dw_row8s over one pixel, its taps the
 * columns in the image padded to whole tap pairs with zero weights (read inside the image), its
 * records' starts without the padded columns' and rows' share of the fold (the row's block of ed->q).
 * Not inlined, like tf_m0dw_single_rows.
 */
static __attribute__((unused, noinline)) void tf_m0dw_single_edges(const int8_t *image, const tf_m0dw_geom_t *g, const tf_m0dw_edges_t *ed,
                                                                   int oy, int8_t *out) {
  const int n8 = g->out_c & ~7, dh = g->dilation_h;
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int fy_lo = iy0 < 0 ? (dh - 1 - iy0) / dh : 0;
  const int fy_end = (g->in_h + dh - 1 - iy0) / dh;
  const int fy_hi = fy_end < g->k_h ? fy_end : g->k_h;
  const int block = oy < g->oy_lo ? 1 + oy : oy >= g->oy_hi ? 1 + g->oy_lo + oy - g->oy_hi : 0;
  tf_m0dw_row_t r = {
      .n = 0,
      .rows = fy_hi - fy_lo,
      .step = dh * g->in_w,
      .pixels = 1,
      .xstep = 0,
      .outstep = g->out_c,
      .out = 0,
      .k = &ed->k8,
  };
  const int8_t *const row = image + (iy0 + fy_lo * dh) * g->in_w;
  const int32_t *const end = ed->info + 1 + 4 * ed->info[0];
  const int32_t *q = ed->q + block * ed->info[0] * n8 * TF_M0DW_REC_WORDS;
  for (const int32_t *e = ed->info + 1; e != end; e += 4) {
    /* a kernel row is n / 2 tap pairs of 32 bytes */
    const int8_t *w = ed->w + e[3] + 16 * fy_lo * e[2];
    r.n = e[2];
    for (int c = 0; c < n8; c += 8, q += 8 * TF_M0DW_REC_WORDS, w += 16 * g->k_h * e[2]) {
      r.out = out + e[0] * g->out_c + c;
      tf_m0dw_row8s(row + e[1], w, q, &r);
    }
  }
}

/* Whether pixel ox has run through tf_m0dw_single_edges. */
static inline int tf_m0dw_edge_done(const tf_m0dw_edges_t *ed, int ox) {
  for (int i = 0; i < ed->info[0]; ++i)
    if (ed->info[1 + 4 * i] == ox) return 1;
  return 0;
}

/*
 * Rows of windows cut only by the padding above or below (kernel rows [fy_lo, fy_hi) in the image),
 * for a layer with the tap-pair table: a copy of the 8-channel groups' records in `recs` (the
 * scratch) whose starts drop the skipped rows' share of the fold, as tf_m0dw_single_pixel takes it
 * off its sums, for tf_m0dw_single_rows over those rows. Not inlined: its frame is off the stack
 * while the rows run (micro_speech's peak RAM).
 */
static __attribute__((unused, noinline)) void tf_m0dw_cut_records(const tf_m0dw_geom_t *g, const int32_t *q, const int16_t *sums, int fy_lo,
                                                                  int fy_hi, int32_t *recs) {
  const int out_c = g->out_c;
  const int16_t *const pre_all = sums + g->k_h * out_c;
  const int32_t off = -(int32_t)g->input_zero_point;
  for (int c = 0; c < (out_c & ~7); ++c, q += TF_M0DW_REC_WORDS, recs += TF_M0DW_REC_WORDS) {
    recs[0] = q[0] + off * (sums[fy_hi * out_c + c] - sums[fy_lo * out_c + c] - pre_all[c]);
    recs[1] = q[1];
    recs[2] = q[2];
  }
}

/*
 * One input channel: rows of windows inside the image through tf_m0dw_row8 (groups of 8 channels,
 * rq_fast layers), every other pixel and group through tf_m0dw_single_pixel. `sums`: see
 * tf_m0dw_single_pixel. `scratch`: k_h * k_w bytes (`win`), and room for the records of the groups
 * of 8 with the tap-pair table (tf_m0dw_cut_records).
 */
static inline __attribute__((always_inline)) void tf_m0dw_single_body(const int8_t *in, int batches, const tf_m0dw_geom_t *g,
                                                                      const int8_t *w, const int32_t *q, const int16_t *sums,
                                                                      const int8_t *w2, const tf_m0dw_edges_t *ed, int8_t *out,
                                                                      void *scratch) {
  const int out_c = g->out_c;
  int8_t *const win = (int8_t *)scratch;
  const int in_w = g->in_w, dh = g->dilation_h;
  /* rows of windows inside the image: their 8-channel groups in runs (rq_fast layers) */
  const int runs = g->rq_fast && g->dilation_w == 1 && g->ox_lo < g->ox_hi && out_c >= 8;
  for (int b = 0; b < batches; ++b) {
    const int8_t *const image = in + b * g->in_h * in_w;
    for (int oy = 0; oy < g->out_h; ++oy) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      const int fy_lo = iy0 < 0 ? (dh - 1 - iy0) / dh : 0;
      const int fy_end = (g->in_h + dh - 1 - iy0) / dh;
      const int fy_hi = fy_end < g->k_h ? fy_end : g->k_h;
      const int rows = fy_hi - fy_lo;
      const int all_rows = rows == g->k_h;
      /* pixels [run_lo, run_hi) have had their groups of 8 done: only a group of 4 is left */
      int run_lo = 0, run_hi = 0;
      const int edges = runs && ed && rows > 0 && (all_rows || w2);
      if (runs && all_rows) {
        tf_m0dw_single_rows(image + iy0 * in_w, g, w, q, w2, rows, out);
        run_lo = g->ox_lo;
        run_hi = g->ox_hi;
      } else if (runs && w2 && rows > 0) {
        /* the scratch's window is not in use until the pixels below */
        int32_t *const recs = (int32_t *)scratch;
        tf_m0dw_cut_records(g, q, sums, fy_lo, fy_hi, recs);
        /* a kernel row is k_w / 2 tap pairs of 32 bytes */
        tf_m0dw_single_rows(image + (iy0 + fy_lo * dh) * in_w, g, w, recs, w2 + 16 * fy_lo * g->k_w, rows, out);
        run_lo = g->ox_lo;
        run_hi = g->ox_hi;
      }
      if (edges) tf_m0dw_single_edges(image, g, ed, oy, out);
      if (edges && (out_c & 7) == 0 && ed->info[0] == g->out_w - (run_hi - run_lo)) {
        /* every pixel of the row done */
        out += g->out_w * out_c;
        continue;
      }
      for (int ox = 0; ox < g->out_w; ++ox, out += out_c) {
        const int c_from = (ox >= run_lo && ox < run_hi) || (edges && tf_m0dw_edge_done(ed, ox)) ? out_c & ~7 : 0;
        if (c_from != out_c) tf_m0dw_single_pixel(image, g, w, q, sums, out, win, oy, ox, c_from);
      }
    }
  }
}

/*
 * Depth multiplier 1, channels a multiple of 4. Weights: per group of four channels, every tap's
 * four int8. Per output pixel a table of taps (offsets from the window's first byte inside the image,
 * else a pointer per tap into the image or a row of the input zero point for taps in the padding);
 * tf_m0dw_px4 runs every group of four channels over them, the accumulators stored for one
 * requantization call per pixel.
 */
/*
 * Windows inside the image read their taps at constant offsets from the window's first byte; the
 * others through a pointer per tap. `scratch`: in_c int32 accumulators, a pointer per tap (8 bytes:
 * host pointers), an int32 offset per tap, then in_c bytes of the input zero point.
 */
static inline void tf_m0dw_mult1_body(const int8_t *in, int batches, const tf_m0dw_geom_t *g, const int8_t *w, const int32_t *q,
                                      int8_t *out, void *scratch) {
  const int c = g->in_c, k_h = g->k_h, k_w = g->k_w, in_h = g->in_h, in_w = g->in_w;
  const int out_h = g->out_h, out_w = g->out_w, stride_h = g->stride_h, stride_w = g->stride_w;
  const int dh = g->dilation_h, dw = g->dilation_w, pad_top = g->pad_top, pad_left = g->pad_left;
  const int oy_lo = g->oy_lo, oy_hi = g->oy_hi, ox_lo = g->ox_lo, ox_hi = g->ox_hi;
  const int taps = k_h * k_w;
  int32_t *const acc = (int32_t *)scratch;
  const int8_t **const tp = (const int8_t **)(void *)(acc + c);
  int32_t *const toff = (int32_t *)(void *)(tp + 8 * ((taps + 7) / 8));
  int8_t *const zp_row = (int8_t *)(void *)(toff + taps);
  const int row_bytes = in_w * c;
  tf_m0dw_pix_t pix = {.c = c, .acc = acc, .tend = 0, .base = 0, .act_min = g->act_min, .act_max = g->act_max, .out = 0};
  const int fast = g->rq_fast;
  memset(zp_row, g->input_zero_point, (size_t)c);
  for (int ky = 0, t = 0; ky < k_h; ++ky) {
    for (int kx = 0; kx < k_w; ++kx) toff[t++] = ky * dh * row_bytes + kx * dw * c;
  }
  /* tf_m0dw_px4 loads words: off the device any alignment would do, but the host runs the same paths */
  const int aligned = ((uintptr_t)in & 3u) == 0;
  for (int b = 0; b < batches; ++b) {
    const int8_t *const image = in + b * in_h * row_bytes;
    for (int oy = 0; oy < out_h; ++oy) {
      const int iy0 = oy * stride_h - pad_top;
      const int row_in = oy >= oy_lo && oy < oy_hi;
      for (int ox = 0; ox < out_w; ++ox, out += c) {
        const int ix0 = ox * stride_w - pad_left;
        if (aligned && row_in && ox >= ox_lo && ox < ox_hi) {
          pix.tend = toff + taps;
          pix.base = image + iy0 * row_bytes + ix0 * c;
          if (fast) {
            /* requantized and stored by the same call */
            pix.out = out;
            tf_m0dw_px4q(toff, w, q, &pix);
            continue;
          }
          tf_m0dw_px4(toff, w, q, &pix);
        } else {
          const int8_t **t = tp;
          for (int ky = 0; ky < k_h; ++ky) {
            const int iy = iy0 + ky * dh;
            const int row_ok = iy >= 0 && iy < in_h;
            const int8_t *const row = image + iy * row_bytes;
            for (int kx = 0; kx < k_w; ++kx) {
              const int ix = ix0 + kx * dw;
              *t++ = row_ok && ix >= 0 && ix < in_w ? row + ix * c : zp_row;
            }
          }
          pix.tend = tp + taps;
          pix.base = 0;
          if (aligned && fast) {
            pix.out = out;
            tf_m0dw_px4q(tp, w, q, &pix);
            continue;
          }
          if (aligned)
            tf_m0dw_px4(tp, w, q, &pix);
          else
            tf_m0dw_px4_c(tp, w, q, &pix);
        }
        tf_m0dw_store(out, acc, q, c, g);
      }
    }
  }
}

/*
 * Any depth multiplier `mult` over any in_c: output channel ch * mult + m reads input channel ch.
 * One tf_m0dw_px4 pass per m over the pixel's taps (c4 = in_c rounded up to 4 lanes), each pass's
 * accumulators requantized to a row of in_c bytes and stored `mult` apart. Weights: per m, per
 * group of four input channels, every tap's four int8 (0 in lanes past in_c); records per m in lane
 * order (zeros past in_c, never stored). Channels a multiple of 4 read the image as tf_m0dw_mult1
 * does; others (and an unaligned input) gather each window into `win`, c4 bytes a tap, since
 * Armv6-M loads words only at aligned addresses. `scratch`: c4 * mult int32 accumulators, a pointer
 * per tap (8 bytes, whole groups of 8), two int32 offsets per tap, then c4 bytes of the zero point,
 * c4 bytes a tap of `win` and c4 bytes of requantized row.
 */
static inline void tf_m0dw_multm_body(const int8_t *in, int batches, const tf_m0dw_geom_t *g, const int8_t *w, const int32_t *q,
                                      int8_t *out, void *scratch) {
  const int c = g->in_c, out_c = g->out_c, mult = out_c / c, c4 = (c + 3) & ~3;
  const int k_h = g->k_h, k_w = g->k_w, in_h = g->in_h, in_w = g->in_w;
  const int dh = g->dilation_h, dw = g->dilation_w;
  const int taps = k_h * k_w;
  int32_t *const acc = (int32_t *)scratch;
  const int8_t **const tp = (const int8_t **)(void *)(acc + c4 * mult);
  int32_t *const toff = (int32_t *)(void *)(tp + 8 * ((taps + 7) / 8));
  int32_t *const woff = toff + taps;
  int8_t *const zp_row = (int8_t *)(void *)(woff + taps);
  int8_t *const win = zp_row + c4;
  int8_t *const row_out = win + taps * c4;
  const int row_bytes = in_w * c;
  const int gathered = (c & 3) != 0 || ((uintptr_t)in & 3u) != 0;
  tf_m0dw_pix_t pix = {.c = c4, .acc = acc, .tend = 0, .base = 0};
  memset(zp_row, g->input_zero_point, (size_t)c4);
  memset(win, 0, (size_t)(taps * c4));
  for (int ky = 0, t = 0; ky < k_h; ++ky) {
    for (int kx = 0; kx < k_w; ++kx, ++t) {
      toff[t] = ky * dh * row_bytes + kx * dw * c;
      woff[t] = t * c4;
    }
  }
  for (int b = 0; b < batches; ++b) {
    const int8_t *const image = in + b * in_h * row_bytes;
    for (int oy = 0; oy < g->out_h; ++oy) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      const int row_in = oy >= g->oy_lo && oy < g->oy_hi;
      for (int ox = 0; ox < g->out_w; ++ox, out += out_c) {
        const int ix0 = ox * g->stride_w - g->pad_left;
        const void *table;
        if (!gathered && row_in && ox >= g->ox_lo && ox < g->ox_hi) {
          table = toff;
          pix.tend = toff + taps;
          pix.base = image + iy0 * row_bytes + ix0 * c;
        } else {
          const int8_t **t = tp;
          for (int ky = 0; ky < k_h; ++ky) {
            const int iy = iy0 + ky * dh;
            const int row_ok = iy >= 0 && iy < in_h;
            const int8_t *const row = image + iy * row_bytes;
            for (int kx = 0; kx < k_w; ++kx) {
              const int ix = ix0 + kx * dw;
              *t++ = row_ok && ix >= 0 && ix < in_w ? row + ix * c : zp_row;
            }
          }
          if (gathered) {
            for (int k = 0; k < taps; ++k) {
              for (int j = 0; j < c; ++j) win[k * c4 + j] = tp[k][j];
            }
            table = woff;
            pix.tend = woff + taps;
            pix.base = win;
          } else {
            table = tp;
            pix.tend = tp + taps;
            pix.base = 0;
          }
        }
        for (int m = 0; m < mult; ++m) {
          pix.acc = acc + m * c4;
          tf_m0dw_px4(table, w + m * c4 * taps, q + TF_M0DW_REC_WORDS * m * c4, &pix);
        }
        if (mult == 1) {
          tf_m0dw_store(out, acc, q, c, g);
          continue;
        }
        for (int m = 0; m < mult; ++m) {
          tf_m0dw_store(row_out, acc + m * c4, q + TF_M0DW_REC_WORDS * m * c4, c, g);
          for (int ch = 0; ch < c; ++ch) out[ch * mult + m] = row_out[ch];
        }
      }
    }
  }
}

#endif /* __ASSEMBLER__ */

#endif
