/* SPDX-License-Identifier: Apache-2.0 */
/* The int8 AVERAGE_POOL_2D and MAX_POOL_2D variants of the MVE (Helium) family: the channels of a
 * tap as vectors, the last partial vector of a pixel tail-predicated (VCTP) instead of a scalar loop.
 * Bit-exact with TFLite Micro's reference kernels, as pool_words.h (whose geometry and window the
 * two share).
 *
 * - Max: 16 channels per vector, VMAX.S8 per tap from the activation's lower bound (no smaller
 *   value survives the clamp), VMIN.S8 against the upper bound, one predicated VSTRB.
 * - Average: 16 channels per walk of the window, two int16 vectors of 8 (VLDRB.S16 widens the
 *   bytes as it loads; one vector when at most 8 channels are left). At most 256 taps per window
 *   (the generator checks): a lane's sum lies in [-128 * 256, 127 * 256], within int16. Windows
 *   of 2^k taps divide in the int16 lanes by a shift; other counts widen the sums to int32 (bottom
 *   and top halves), divide as TFLite Micro rounds (sign(s) * floor((|s| + count / 2) / count)) by
 *   pool_words.h's reciprocal, floor(n * r / 2^24) = VMULH.U32(n << 8, r), exact for these counts
 *   and sums, and narrow back in order. Then the clamp and a narrowing VSTRB.16. */
#ifndef TF_POOL_MVE_H
#define TF_POOL_MVE_H
#include <stdint.h>
#include "isa.h"
#include "pool_words.h"

/* The rounded averages of one int16 vector of lane sums (int32 lanes: bottom and top halves). */
static inline __attribute__((always_inline)) int32x4_t tf_mve_pool_divide(int32x4_t sum, uint32_t half, uint32_t reciprocal) {
  const uint32x4_t n = vaddq_n_u32(vreinterpretq_u32_s32(vabsq_s32(sum)), half);
  const int32x4_t q = vreinterpretq_s32_u32(vmulhq_u32(vshlq_n_u32(n, 8), vdupq_n_u32(reciprocal)));
  return vpselq_s32(vnegq_s32(q), q, vcmpltq_n_s32(sum, 0));
}

/* Eight lane sums divided as TFLite Micro rounds. A window of 2^k taps (pow2 = k >= 0) divides in
 * the int16 lanes: sign(s) * ((|s| + 2^(k-1)) >> k) = (s + 2^(k-1) - [s < 0]) >> k (pool_words.h's
 * tf_pool_halve_lanes), within int16 since |s| <= 128 * 2^k and k <= 8; other counts by the
 * reciprocal in int32 lanes. */
static inline __attribute__((always_inline)) int16x8_t tf_mve_pool_divide8(int16x8_t sums, int32_t pow2, uint32_t half,
                                                                           uint32_t reciprocal) {
  if (pow2 >= 0) {
    const int16x8_t biased = vaddq_s16(vaddq_n_s16(sums, (int16_t)half), vshrq_n_s16(sums, 15));
    return pow2 > 0 ? vshlq_r_s16(biased, -pow2) : sums;
  }
  const int32x4_t even = tf_mve_pool_divide(vmovlbq_s16(sums), half, reciprocal);
  const int32x4_t odd = tf_mve_pool_divide(vmovltq_s16(sums), half, reciprocal);
  return vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), even), odd);
}

/* The averages of `two` (1) 16 or (0) 8 channels of one window, the lanes past `left` channels
 * predicated off. */
static inline __attribute__((always_inline)) void tf_mve_avg_channels(const int8_t *at, int8_t *out, int32_t left, int two, int32_t rows,
                                                                      int32_t cols, int32_t row_step, int32_t depth, int32_t pow2,
                                                                      uint32_t half, uint32_t reciprocal, int16x8_t lo, int16x8_t hi) {
  const mve_pred16_t p0 = vctp16q((uint32_t)left), p1 = vctp16q((uint32_t)(left > 8 ? left - 8 : 0));
  int16x8_t s0 = vdupq_n_s16(0), s1 = vdupq_n_s16(0);
  int32_t y, x;
  for (y = 0; y < rows; ++y, at += row_step) {
    const int8_t *p = at;
    for (x = 0; x < cols; ++x, p += depth) {
      s0 = vaddq_s16(s0, vldrbq_z_s16(p, p0));
      if (two) s1 = vaddq_s16(s1, vldrbq_z_s16(p + 8, p1));
    }
  }
  vstrbq_p_s16(out, vminq_s16(vmaxq_s16(tf_mve_pool_divide8(s0, pow2, half, reciprocal), lo), hi), p0);
  if (two) vstrbq_p_s16(out + 8, vminq_s16(vmaxq_s16(tf_mve_pool_divide8(s1, pow2, half, reciprocal), lo), hi), p1);
}

/* AVERAGE_POOL_2D, 16 channels per walk of each window (8 when no more are left), the last walk
 * predicated. */
static inline void tf_avgpool_mve_body(const tf_pool_geom_t *g, const int8_t *in, int8_t *out) {
  const int32_t depth = g->depth, row_step = g->in_w * depth;
  const int16x8_t lo = vdupq_n_s16((int16_t)g->act_min), hi = vdupq_n_s16((int16_t)g->act_max);
  int32_t b, oy, ox, c, last_count = 0, pow2 = -1;
  uint32_t reciprocal = 0;
  for (b = 0; b < g->batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_step;
    for (oy = 0; oy < g->out_h; ++oy) {
      for (ox = 0; ox < g->out_w; ++ox) {
        TF_POOL_WINDOW(g, oy, ox);
        const int32_t rows = y1 - y0, cols = x1 - x0, count = rows * cols;
        const uint32_t half = (uint32_t)(count >> 1);
        const int8_t *window = image + y0 * row_step + x0 * depth;
        /* neighbouring pixels mostly share a count: one division per change */
        if (count != last_count) {
          last_count = count;
          reciprocal = tf_pool_reciprocal(count);
          pow2 = tf_pool_log2_count(count);
        }
        for (c = 0; depth - c > 8; c += 16)
          tf_mve_avg_channels(window + c, out + c, depth - c, 1, rows, cols, row_step, depth, pow2, half, reciprocal, lo, hi);
        if (c < depth) tf_mve_avg_channels(window + c, out + c, depth - c, 0, rows, cols, row_step, depth, pow2, half, reciprocal, lo, hi);
        out += depth;
      }
    }
  }
}

/* MAX_POOL_2D, 16 channels per vector, the last vector of a pixel predicated. */
static inline void tf_maxpool_mve_body(const tf_pool_geom_t *g, const int8_t *in, int8_t *out) {
  const int32_t depth = g->depth, row_step = g->in_w * depth;
  const int8x16_t lo = vdupq_n_s8((int8_t)g->act_min), hi = vdupq_n_s8((int8_t)g->act_max);
  int32_t b, oy, ox, c;
  for (b = 0; b < g->batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_step;
    for (oy = 0; oy < g->out_h; ++oy) {
      for (ox = 0; ox < g->out_w; ++ox) {
        TF_POOL_WINDOW(g, oy, ox);
        const int32_t rows = y1 - y0, cols = x1 - x0;
        const int8_t *window = image + y0 * row_step + x0 * depth;
        for (c = 0; c < depth; c += 16) {
          const mve_pred16_t pred = vctp8q((uint32_t)(depth - c));
          const int8_t *at = window + c;
          int8x16_t max = lo; /* the clamp's lower bound: no smaller value survives it anyway */
          int32_t y, x;
          for (y = 0; y < rows; ++y, at += row_step) {
            const int8_t *p = at;
            for (x = 0; x < cols; ++x, p += depth) max = vmaxq_s8(max, vldrbq_z_s8(p, pred));
          }
          vstrbq_p_s8(out + c, vminq_s8(max, hi), pred);
        }
        out += depth;
      }
    }
  }
}

#endif
