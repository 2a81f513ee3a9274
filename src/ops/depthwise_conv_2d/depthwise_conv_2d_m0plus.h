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
 * Per channel, three int32: the start, the multiplier (>= 0) and left | right << 8 (TFLite's shift
 * split into its two sides). The requantization is TFLite Micro's, exact, its 64-bit product built
 * from four 16x16 MULS (libgcc's __aeabi_lmul costs some 50 cycles more). */
#ifndef TF_DEPTHWISE_CONV_2D_M0PLUS_H
#define TF_DEPTHWISE_CONV_2D_M0PLUS_H
#include <stdint.h>
#include <string.h>
#include "m0plus_mac.h"
#include "m0plus_rq.h"

typedef struct {
  int16_t in_h, in_w, in_c, out_h, out_w, out_c;
  int16_t k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  /* outputs whose window lies inside the image: rows and columns [lo, hi) */
  int16_t oy_lo, oy_hi, ox_lo, ox_hi;
  int16_t input_zero_point, output_zero_point, act_min, act_max;
  /* every channel's shift < 0 (no left shift, a right shift >= 1): tf_m0dw_rqn applies */
  int16_t rq_right_only;
} tf_m0dw_geom_t;

/* MultiplyByQuantizedMultiplier, + output zero point, clamp. The rounding right shift by r >= 1 is
 * floor((q + 2^(r-1) - [q < 0]) / 2^r), taken as ((t >> (r-1)) + 1) >> 1 with t = q - [q < 0], which
 * cannot overflow (|q| < 2^31 - 1 since m < 2^31). */
static inline int8_t tf_m0dw_rq(int32_t acc, const int32_t *rec, const tf_m0dw_geom_t *g) {
  const uint32_t p = (uint32_t)rec[2];
  const int right = (int)(p >> 8);
  int32_t q = tf_m0_srdhm((int32_t)((uint32_t)acc << (p & 0xffu)), rec[1]);
  if (right > 0) q = (((q + (q >> 31)) >> (right - 1)) + 1) >> 1;
  q += g->output_zero_point;
  if (q < g->act_min) q = g->act_min;
  if (q > g->act_max) q = g->act_max;
  return (int8_t)q;
}

/*
 * One input channel (out_c = depth multiplier, a multiple of 4). Weights: per group of 8 output
 * channels (then one of 4 if out_c % 8 == 4), every tap (kernel rows in order) as 8 (or 4) int8.
 * tf_m0dw_mac8/4 start acc[0..7] (acc[0..3]) from the records' starts and run `rows` (>= 1) runs of
 * `n` (>= 1) contiguous input bytes, run r at x + r * step, adding tap by tap, the weights skipping
 * `wskip` bytes after each run.
 */
#if defined(__ARM_ARCH_6M__) && defined(__thumb__)
/* depthwise_conv_2d_m0plus.S: common/m0plus_mac.h's block loop, the starts 12 bytes apart (records) */
void tf_m0dw_mac8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run);
void tf_m0dw_mac4(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run);

/* One tap word: four weights of w (destroyed) times x (r0) into four accumulators. */
#define TF_M0DW_WORD(a, b, c, d)  \
  "ldm r5!, {r2}\n\t"             \
  "sxtb r1, r2\n\t"               \
  "muls r1, r0, r1\n\t"           \
  "add " a ", r1\n\t"             \
  "asrs r2, r2, #8\n\t"           \
  "sxtb r1, r2\n\t"               \
  "muls r1, r0, r1\n\t"           \
  "add " b ", r1\n\t"             \
  "asrs r2, r2, #8\n\t"           \
  "sxtb r1, r2\n\t"               \
  "muls r1, r0, r1\n\t"           \
  "add " c ", r1\n\t"             \
  "asrs r2, r2, #8\n\t"           \
  "muls r2, r0, r2\n\t"           \
  "add " d ", r2\n\t"

/* the starts: field 0 of each channel's record (12 bytes apart) */
#define TF_M0DW_LOAD4            \
  "ldr r6, [r2, #0]\n\t"         \
  "ldr r7, [r2, #12]\n\t"        \
  "ldr r0, [r2, #24]\n\t"        \
  "mov r8, r0\n\t"               \
  "ldr r0, [r2, #36]\n\t"        \
  "mov r9, r0\n\t"
#define TF_M0DW_LOAD8            \
  TF_M0DW_LOAD4                  \
  "ldr r0, [r2, #48]\n\t"        \
  "mov r10, r0\n\t"              \
  "ldr r0, [r2, #60]\n\t"        \
  "mov r11, r0\n\t"              \
  "ldr r0, [r2, #72]\n\t"        \
  "mov r12, r0\n\t"              \
  "ldr r0, [r2, #84]\n\t"        \
  "mov lr, r0\n\t"
#define TF_M0DW_STORE4           \
  "str r6, [r2, #0]\n\t"         \
  "str r7, [r2, #4]\n\t"         \
  "mov r0, r8\n\t"               \
  "str r0, [r2, #8]\n\t"         \
  "mov r0, r9\n\t"               \
  "str r0, [r2, #12]\n\t"
#define TF_M0DW_STORE8           \
  TF_M0DW_STORE4                 \
  "mov r0, r10\n\t"              \
  "str r0, [r2, #16]\n\t"        \
  "mov r0, r11\n\t"              \
  "str r0, [r2, #20]\n\t"        \
  "mov r0, r12\n\t"              \
  "str r0, [r2, #24]\n\t"        \
  "mov r0, lr\n\t"               \
  "str r0, [r2, #28]\n\t"


/* tf_m0dw_rq over k[0] channels (k = { n, output zero point, act_min, act_max }) for layers whose
 * shifts are all right shifts: r3 x then q, r4 m then mh, r5 xl, r6 ml, r7 the low products' sum;
 * r8 zero point, r9 min, r10 max, r11 end, r12 2^14. 45 cycles a channel. */
void tf_m0dw_rqn(int8_t *out, const int32_t *acc, const int32_t *q, const int32_t *k) __asm__("tf_m0dw_rqn");
__asm__(".syntax unified\n\t"
        ".pushsection .text.tf_m0dw_rqn,\"ax\",%progbits\n\t"
        ".balign 4\n\t"
        ".thumb\n\t"
        ".thumb_func\n\t"
        ".type tf_m0dw_rqn, %function\n"
        "tf_m0dw_rqn:\n\t"
        "push {r4, r5, r6, r7, lr}\n\t"
        "mov r4, r8\n\t"
        "mov r5, r9\n\t"
        "mov r6, r10\n\t"
        "mov r7, r11\n\t"
        "push {r4, r5, r6, r7}\n\t"
        "ldm r3!, {r4, r5, r6, r7}\n\t"
        "adds r4, r0, r4\n\t"
        "mov r11, r4\n\t"
        "mov r8, r5\n\t"
        "mov r9, r6\n\t"
        "mov r10, r7\n\t"
        "movs r4, #1\n\t"
        "lsls r4, r4, #14\n\t"
        "mov r12, r4\n"
        "1:\n\t"
        "ldm r1!, {r3}\n\t"
        "ldr r4, [r2, #4]\n\t"
        "uxth r5, r3\n\t"
        "asrs r3, r3, #16\n\t"
        "uxth r6, r4\n\t"
        "asrs r4, r4, #16\n\t"
        "mov r7, r5\n\t"
        "muls r7, r6, r7\n\t"
        "muls r5, r4, r5\n\t"
        "muls r6, r3, r6\n\t"
        "muls r3, r4, r3\n\t"
        "lsrs r7, r7, #16\n\t"
        "adds r7, r7, r5\n\t"
        "lsls r5, r6, #17\n\t"
        "lsrs r5, r5, #17\n\t"
        "adds r7, r7, r5\n\t"
        "add r7, r12\n\t"
        "lsrs r7, r7, #15\n\t"
        "asrs r6, r6, #15\n\t"
        "lsls r3, r3, #1\n\t"
        "adds r3, r3, r6\n\t"
        "adds r3, r3, r7\n\t"
        "ldr r4, [r2, #8]\n\t"
        "lsrs r4, r4, #8\n\t"
        "subs r4, #1\n\t"
        "asrs r5, r3, #31\n\t"
        "adds r3, r3, r5\n\t"
        "asrs r3, r3, r4\n\t"
        "adds r3, #1\n\t"
        "asrs r3, r3, #1\n\t"
        "add r3, r8\n\t"
        "cmp r3, r9\n\t"
        "bge 2f\n\t"
        "mov r3, r9\n"
        "2:\n\t"
        "cmp r3, r10\n\t"
        "ble 3f\n\t"
        "mov r3, r10\n"
        "3:\n\t"
        "strb r3, [r0]\n\t"
        "adds r0, #1\n\t"
        "adds r2, #12\n\t"
        "cmp r0, r11\n\t"
        "bne 1b\n\t"
        "pop {r4, r5, r6, r7}\n\t"
        "mov r8, r4\n\t"
        "mov r9, r5\n\t"
        "mov r10, r6\n\t"
        "mov r11, r7\n\t"
        "pop {r4, r5, r6, r7, pc}\n\t"
        ".size tf_m0dw_rqn, . - tf_m0dw_rqn\n\t"
        ".popsection\n\t"
        ".syntax divided\n\t");
#define TF_M0DW_RQN 1

/*
 * A run of output pixels (one group of 8 channels) whose windows lie inside the image, requantized by
 * tf_m0dw_rqn: per pixel the loop of tf_m0dw_mac8 over k_h runs of k_w, the accumulators stored in the
 * frame for the call, then x and out step on. r = { n, rows, step, pixels, xstep, outstep, out, k }.
 * Frame (84 bytes, keeping sp 8-aligned for the call): [0, 32) acc, 32 n, 36 step, 40 rows, 44 runs
 * left, 48 pixels left, 52 x, 56 out, 60 q, 64 xstep, 68 outstep, 72 w, 76 k.
 */
typedef struct {
  int32_t n, rows, step, pixels, xstep, outstep;
  int8_t *out;
  const int32_t *k;
} tf_m0dw_row_t;
void tf_m0dw_row8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_row_t *r) __asm__("tf_m0dw_row8");
#define TF_M0DW_TAP8 TF_M0DW_WORD("r6", "r7", "r8", "r9") TF_M0DW_WORD("r10", "r11", "r12", "lr")
__asm__(".syntax unified\n\t"
        ".pushsection .text.tf_m0dw_row8,\"ax\",%progbits\n\t"
        ".balign 4\n\t"
        ".thumb\n\t"
        ".thumb_func\n\t"
        ".type tf_m0dw_row8, %function\n"
        "tf_m0dw_row8:\n\t"
        "push {r4, r5, r6, r7, lr}\n\t"
        "mov r4, r8\n\t"
        "mov r5, r9\n\t"
        "mov r6, r10\n\t"
        "mov r7, r11\n\t"
        "push {r4, r5, r6, r7}\n\t"
        "sub sp, #84\n\t"
        "str r0, [sp, #52]\n\t"
        "str r1, [sp, #72]\n\t"
        "str r2, [sp, #60]\n\t"
        "ldm r3!, {r0, r1, r2, r4}\n\t"
        "str r0, [sp, #32]\n\t"
        "str r1, [sp, #40]\n\t"
        "str r2, [sp, #36]\n\t"
        "str r4, [sp, #48]\n\t"
        "ldm r3!, {r0, r1, r2, r4}\n\t"
        "str r0, [sp, #64]\n\t"
        "str r1, [sp, #68]\n\t"
        "str r2, [sp, #56]\n\t"
        "str r4, [sp, #76]\n"
        "1:\n\t"
        "ldr r2, [sp, #60]\n\t"
        TF_M0DW_LOAD8
        "ldr r5, [sp, #72]\n\t"
        "ldr r0, [sp, #52]\n\t"
        "ldr r1, [sp, #32]\n\t"
        "adds r3, r0, r1\n\t"
        "ldr r1, [sp, #40]\n\t"
        "str r1, [sp, #44]\n"
        "4:\n\t"
        "ldr r4, [sp, #32]\n\t"
        "rsbs r4, r4, #0\n\t"
        "lsls r2, r4, #31\n\t"
        "bne 3f\n"
        "2:\n\t"
        "ldrsb r0, [r3, r4]\n\t"
        TF_M0DW_TAP8
        "adds r4, #1\n"
        "3:\n\t"
        "ldrsb r0, [r3, r4]\n\t"
        TF_M0DW_TAP8
        "adds r4, #1\n\t"
        "bne 2b\n\t"
        "ldr r2, [sp, #36]\n\t"
        "adds r3, r3, r2\n\t"
        "ldr r2, [sp, #44]\n\t"
        "subs r2, #1\n\t"
        "str r2, [sp, #44]\n\t"
        "bne 4b\n\t"
        "mov r2, sp\n\t"
        TF_M0DW_STORE8
        "ldr r0, [sp, #56]\n\t"
        "mov r1, sp\n\t"
        "ldr r2, [sp, #60]\n\t"
        "ldr r3, [sp, #76]\n\t"
        "bl tf_m0dw_rqn\n\t"
        "ldr r0, [sp, #56]\n\t"
        "ldr r1, [sp, #68]\n\t"
        "adds r0, r0, r1\n\t"
        "str r0, [sp, #56]\n\t"
        "ldr r0, [sp, #52]\n\t"
        "ldr r1, [sp, #64]\n\t"
        "adds r0, r0, r1\n\t"
        "str r0, [sp, #52]\n\t"
        "ldr r0, [sp, #48]\n\t"
        "subs r0, #1\n\t"
        "str r0, [sp, #48]\n\t"
        "beq 5f\n\t"
        "b 1b\n"
        "5:\n\t"
        "add sp, #84\n\t"
        "pop {r4, r5, r6, r7}\n\t"
        "mov r8, r4\n\t"
        "mov r9, r5\n\t"
        "mov r10, r6\n\t"
        "mov r11, r7\n\t"
        "pop {r4, r5, r6, r7, pc}\n\t"
        ".size tf_m0dw_row8, . - tf_m0dw_row8\n\t"
        ".popsection\n\t"
        ".syntax divided\n\t");
#define TF_M0DW_ROW8 1
#else
/* the same sums in C (host builds, other targets) */
static inline void tf_m0dw_mac8(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run) {
  tf_m0dw_mac_c(x, w, q, 3, run, 8);
}
static inline void tf_m0dw_mac4(const int8_t *x, const int8_t *w, const int32_t *q, const tf_m0dw_run_t *run) {
  tf_m0dw_mac_c(x, w, q, 3, run, 4);
}
#endif

/* Requantizes and stores `n` channels (a call: the loops around it keep their registers). */
static __attribute__((unused, noinline)) void tf_m0dw_store(int8_t *out, const int32_t *acc, const int32_t *q, int n, const tf_m0dw_geom_t *g) {
#if defined(TF_M0DW_RQN)
  if (g->rq_right_only) {
    const int32_t k[4] = { n, g->output_zero_point, g->act_min, g->act_max };
    tf_m0dw_rqn(out, acc, q, k);
    return;
  }
#endif
  for (int j = 0; j < n; ++j) out[j] = tf_m0dw_rq(acc[j], q + 3 * j, g);
}

/*
 * Kernel rows or columns wholly in the padding are skipped, not read as zero points: their share of
 * the fold comes off the start. In the scratch, per channel: `pre` (k_h + 1 rows), off * the sum of
 * the weights of kernel rows [0, ky), and `cpre` (k_w + 1 rows), off * the sum of the weights of
 * columns [0, kx) over every kernel row; rows [lo, hi) keep pre[hi] - pre[lo] of the start's
 * pre[k_h], columns likewise. Windows cut on both sides (corners), or with dilated columns, are
 * gathered into `win` over their rows in the image, zero points in the padded columns.
 * `scratch`: (k_h + k_w + 2) * out_c int32, then k_h * k_w bytes.
 */
static inline void tf_m0dw_single_body(const int8_t *in, int batches, const tf_m0dw_geom_t *g, const int8_t *w,
                                       const int32_t *q, int8_t *out, void *scratch) {
  const int k_w = g->k_w, taps = g->k_h * k_w;
  const int out_c = g->out_c;
  int32_t *const pre = (int32_t *)scratch;
  int32_t *const cpre = pre + (g->k_h + 1) * out_c;
  int8_t *const win = (int8_t *)(void *)(cpre + (k_w + 1) * out_c);
  const int32_t off = -(int32_t)g->input_zero_point;
  for (int c = 0; c < out_c;) {
    const int gs = out_c - c >= 8 ? 8 : 4;
    const int8_t *wg = w + c * taps;
    for (int j = 0; j < gs; ++j) {
      int32_t sum = 0;
      pre[c + j] = 0;
      for (int ky = 0; ky < g->k_h; ++ky) {
        for (int kx = 0; kx < k_w; ++kx) sum += wg[(ky * k_w + kx) * gs + j];
        pre[(ky + 1) * out_c + c + j] = off * sum;
      }
      sum = 0;
      cpre[c + j] = 0;
      for (int kx = 0; kx < k_w; ++kx) {
        for (int ky = 0; ky < g->k_h; ++ky) sum += wg[(ky * k_w + kx) * gs + j];
        cpre[(kx + 1) * out_c + c + j] = off * sum;
      }
    }
    c += gs;
  }
  const int32_t *const pre_all = pre + g->k_h * out_c;
  const int in_w = g->in_w, dh = g->dilation_h;
#if defined(TF_M0DW_ROW8)
  /* rows of windows inside the image: their 8-channel groups in runs (all shifts right) */
  const int runs = g->rq_right_only && g->dilation_w == 1 && g->ox_lo < g->ox_hi && out_c >= 8;
  const int32_t k8[4] = { 8, g->output_zero_point, g->act_min, g->act_max };
#endif
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
#if defined(TF_M0DW_ROW8)
      if (runs && all_rows) {
        tf_m0dw_row_t r = { k_w, rows, dh * in_w, g->ox_hi - g->ox_lo, g->stride_w, out_c, 0, k8 };
        const int8_t *const x0 = image + iy0 * in_w + g->ox_lo * g->stride_w - g->pad_left;
        for (int c = 0; c + 8 <= out_c; c += 8) {
          r.out = out + g->ox_lo * out_c + c;
          tf_m0dw_row8(x0, w + c * taps, q + 3 * c, &r);
        }
        run_lo = g->ox_lo;
        run_hi = g->ox_hi;
      }
#endif
      for (int ox = 0; ox < g->out_w; ++ox, out += out_c) {
        const int c_from = ox >= run_lo && ox < run_hi ? out_c & ~7 : 0;
        if (c_from == out_c) continue;
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
            for (int j = 0; j < 4; ++j) acc[j] = q[3 * (c + j)] - pre_all[c + j];
            tf_m0dw_store(out + c, acc, q + 3 * c, 4, g);
          }
          continue;
        }
        const int8_t *x;
        tf_m0dw_run_t run;
        int first;
        const int32_t *lo, *hi;
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
        const int32_t *qc = q + 3 * c_from;
        for (int c = c_from; c < out_c;) {
          const int gs = out_c - c >= 8 ? 8 : 4;
          const int8_t *const wg = w + c * taps + first * gs;
          run.wskip = (k_w - run.n) * gs;
          if (gs == 8) tf_m0dw_mac8(x, wg, qc, &run);
          else tf_m0dw_mac4(x, wg, qc, &run);
          if (!whole) {
            for (int j = 0; j < gs; ++j) acc[j] += hi[c + j] - lo[c + j] - pre_all[c + j];
          }
          tf_m0dw_store(out + c, acc, qc, gs, g);
          c += gs;
          qc += 3 * gs;
        }
      }
    }
  }
}

/*
 * Depth multiplier 1, channels a multiple of 4. Weights: per group of four channels, every tap's
 * four int8. Per output pixel a pointer per tap (into the image, or a row of the input zero point for
 * taps in the padding); tf_m0dw_px4 then runs every group of four channels over them, the input read
 * a word per tap (the image and the scratch are word-aligned, channels a multiple of 4), the
 * accumulators stored for one requantization call per pixel.
 */
typedef struct {
  int32_t c;
  int32_t *acc;
  /* the end of the taps' table (32-bit entries on Armv6-M), and what each entry is added to */
  const void *tend;
  const int8_t *base;
} tf_m0dw_pix_t;

#if defined(__ARM_ARCH_6M__) && defined(__thumb__)
/* Taps: a table of 32-bit entries (pointers, or offsets from p->base) up to p->tend. r0 input word,
 * r1 product, r2 weight word, r3 input pointer then value, r4 table, r5 weights, accumulators r6, r7,
 * r8, r9; r10 table end, r11 base + channel, r12 records; [sp] acc, [sp + 4] base + channels,
 * [sp + 8] table. 30 cycles a tap of 4 channels. */
void tf_m0dw_px4(const void *table, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p) __asm__("tf_m0dw_px4");
__asm__(".syntax unified\n\t"
        ".pushsection .text.tf_m0dw_px4,\"ax\",%progbits\n\t"
        ".balign 4\n\t"
        ".thumb\n\t"
        ".thumb_func\n\t"
        ".type tf_m0dw_px4, %function\n"
        "tf_m0dw_px4:\n\t"
        "push {r4, r5, r6, r7, lr}\n\t"
        "mov r4, r8\n\t"
        "mov r5, r9\n\t"
        "mov r6, r10\n\t"
        "mov r7, r11\n\t"
        "push {r4, r5, r6, r7}\n\t"
        "sub sp, #12\n\t"
        "mov r5, r1\n\t"
        "mov r12, r2\n\t"
        "str r0, [sp, #8]\n\t"
        "ldm r3!, {r0, r1, r2, r4}\n\t"
        "adds r0, r0, r4\n\t"
        "str r0, [sp, #4]\n\t"
        "str r1, [sp, #0]\n\t"
        "mov r10, r2\n\t"
        "mov r11, r4\n"
        "1:\n\t"
        "mov r1, r12\n\t"
        "ldr r6, [r1, #0]\n\t"
        "ldr r7, [r1, #12]\n\t"
        "ldr r0, [r1, #24]\n\t"
        "mov r8, r0\n\t"
        "ldr r0, [r1, #36]\n\t"
        "mov r9, r0\n\t"
        "adds r1, #48\n\t"
        "mov r12, r1\n\t"
        "ldr r4, [sp, #8]\n"
        "2:\n\t"
        "ldm r4!, {r3}\n\t"
        "add r3, r11\n\t"
        "ldr r0, [r3]\n\t"
        "ldm r5!, {r2}\n\t"
        "sxtb r3, r0\n\t"
        "sxtb r1, r2\n\t"
        "muls r1, r3, r1\n\t"
        "add r6, r1\n\t"
        "asrs r0, r0, #8\n\t"
        "asrs r2, r2, #8\n\t"
        "sxtb r3, r0\n\t"
        "sxtb r1, r2\n\t"
        "muls r1, r3, r1\n\t"
        "add r7, r1\n\t"
        "asrs r0, r0, #8\n\t"
        "asrs r2, r2, #8\n\t"
        "sxtb r3, r0\n\t"
        "sxtb r1, r2\n\t"
        "muls r1, r3, r1\n\t"
        "add r8, r1\n\t"
        "asrs r0, r0, #8\n\t"
        "asrs r2, r2, #8\n\t"
        "muls r2, r0, r2\n\t"
        "add r9, r2\n\t"
        "cmp r4, r10\n\t"
        "bne 2b\n\t"
        "ldr r1, [sp, #0]\n\t"
        "str r6, [r1, #0]\n\t"
        "str r7, [r1, #4]\n\t"
        "mov r0, r8\n\t"
        "str r0, [r1, #8]\n\t"
        "mov r0, r9\n\t"
        "str r0, [r1, #12]\n\t"
        "adds r1, #16\n\t"
        "str r1, [sp, #0]\n\t"
        "movs r0, #4\n\t"
        "add r11, r0\n\t"
        "ldr r0, [sp, #4]\n\t"
        "cmp r0, r11\n\t"
        "bne 1b\n\t"
        "add sp, #12\n\t"
        "pop {r4, r5, r6, r7}\n\t"
        "mov r8, r4\n\t"
        "mov r9, r5\n\t"
        "mov r10, r6\n\t"
        "mov r11, r7\n\t"
        "pop {r4, r5, r6, r7, pc}\n\t"
        ".size tf_m0dw_px4, . - tf_m0dw_px4\n\t"
        ".popsection\n\t"
        ".syntax divided\n\t");
#define TF_M0DW_PX4 1
#endif

/* the same sums in C: host builds, other targets, inputs that are not word-aligned; the taps as pointers */
static inline void tf_m0dw_px4_c(const int8_t *const *tp, int taps, const int8_t *w, const int32_t *q, const tf_m0dw_pix_t *p) {
  int32_t *acc = p->acc;
  for (int ch = 0; ch < p->c; ch += 4, q += 12, acc += 4) {
    int32_t a0 = q[0], a1 = q[3], a2 = q[6], a3 = q[9];
    for (int k = 0; k < taps; ++k, w += 4) {
      const int8_t *const x = tp[k] + ch;
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
#if defined(TF_M0DW_PX4)
  const int oy_lo = g->oy_lo, oy_hi = g->oy_hi, ox_lo = g->ox_lo, ox_hi = g->ox_hi;
#endif
  const int taps = k_h * k_w;
  int32_t *const acc = (int32_t *)scratch;
  const int8_t **const tp = (const int8_t **)(void *)(acc + c);
  int32_t *const toff = (int32_t *)(void *)(tp + 8 * ((taps + 7) / 8));
  int8_t *const zp_row = (int8_t *)(void *)(toff + taps);
  const int row_bytes = in_w * c;
  tf_m0dw_pix_t pix = { c, acc, 0, 0 };
  memset(zp_row, g->input_zero_point, (size_t)c);
  for (int ky = 0, t = 0; ky < k_h; ++ky) {
    for (int kx = 0; kx < k_w; ++kx) toff[t++] = ky * dh * row_bytes + kx * dw * c;
  }
#if defined(TF_M0DW_PX4)
  const int aligned = ((uintptr_t)in & 3u) == 0;
#endif
  for (int b = 0; b < batches; ++b) {
    const int8_t *const image = in + b * in_h * row_bytes;
    for (int oy = 0; oy < out_h; ++oy) {
      const int iy0 = oy * stride_h - pad_top;
#if defined(TF_M0DW_PX4)
      const int row_in = oy >= oy_lo && oy < oy_hi;
#endif
      for (int ox = 0; ox < out_w; ++ox, out += c) {
        const int ix0 = ox * stride_w - pad_left;
#if defined(TF_M0DW_PX4)
        if (aligned && row_in && ox >= ox_lo && ox < ox_hi) {
          pix.tend = toff + taps;
          pix.base = image + iy0 * row_bytes + ix0 * c;
          tf_m0dw_px4(toff, w, q, &pix);
        } else
#endif
        {
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
#if defined(TF_M0DW_PX4)
          if (aligned) {
            pix.tend = tp + taps;
            pix.base = 0;
            tf_m0dw_px4(tp, w, q, &pix);
          } else
#endif
          {
            tf_m0dw_px4_c(tp, taps, w, q, &pix);
          }
        }
        tf_m0dw_store(out, acc, q, c, g);
      }
    }
  }
}

#endif
