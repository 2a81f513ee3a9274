/* SPDX-License-Identifier: Apache-2.0 */
/* MEAN int8 over the dimensions outside the channels (global average pooling: [N,H,W,C] over H and
 * W, keep_dims or not), four channels per 32-bit word, bit-exact with TFLite Micro's
 * QuantizedMeanOrSum (and the TypeScript twin, common/families/reduce.ts):
 * - Arm DSP (M4/M7/M33): SXTAB16 sums two 16-bit lanes per word (channels c, c+2 and c+1, c+3),
 *   any alignment;
 * - Armv6-M and RV32: bytes biased to unsigned (x ^ 0x80 = x + 128) summed in two 16-bit lanes of a
 *   word masked with 0x00ff00ff, from word-aligned tensors with whole words of channels (checked at
 *   run time; otherwise, and for channels past the last word, one channel at a time).
 * Lanes are emptied into int32 sums every 256 taps, so a lane never overflows: signed |sum| <=
 * 128 * 256, biased sum <= 255 * 256; the int32 sums reach taps * 128, below 2^31 up to 16,777,215
 * taps, which words.ts checks before it takes this body (meanWordsBound). int32 addition is associative (even wrapping), so the order
 * of the sums does not matter. Each channel's sum is then requantized as TFLite Micro does:
 * (sum - z_in * count) by the multiplier and shift of s_in / (s_out * count), + z_out, clamped;
 * on Armv6-M the SRDHM comes from 32-bit products (m0plus_rq.h), the multiplier being >= 0. */
#ifndef TF_MEAN_WORDS_H
#define TF_MEAN_WORDS_H
#include <stdint.h>
#include <string.h>
#include "isa.h"
#include "fixedpoint.h"

typedef struct {
  int32_t groups;       /* the kept dimensions outside the channels (batches), merged */
  int32_t group_stride; /* input elements between groups */
  int32_t channels;     /* the innermost kept dimension, stride 1 */
  int32_t taps;         /* reduced elements per output */
  int32_t tap_stride;   /* input elements between taps */
  int32_t zero_point_times_count, multiplier, left, right, output_zero_point;
} tf_mean_geom_t;

static inline int32_t tf_mean_requant(const tf_mean_geom_t *g, int32_t sum, int m0) {
  const int32_t x = (int32_t)((uint32_t)sum - (uint32_t)g->zero_point_times_count);
  int32_t q;
  /* the same integer both ways: Armv6-M's header (isa.h) brings the form without a 64-bit product */
#ifdef TF_M0PLUS_RQ_H
  if (m0) {
    q = tf_m0_srdhm((int32_t)((uint32_t)x << g->left), g->multiplier);
    if (g->right > 0) q = tf_m0_rshift(q, g->right);
  } else
#else
  (void)m0;
#endif
  {
    q = tf_rdbpot(tf_srdhm((int32_t)((uint32_t)x << g->left), g->multiplier), g->right);
  }
  return tf_clamp(q + g->output_zero_point, -128, 127);
}

static inline uint32_t tf_mean_load_aligned(const int8_t *p) {
  uint32_t v;
  memcpy(&v, __builtin_assume_aligned(p, 4), 4);
  return v;
}

/* dsp: SXTAB16 lanes (1) or biased masked lanes (0); m0: the Armv6-M requantization. */
static inline void tf_mean_words_body(const tf_mean_geom_t *g, const int8_t *in, int8_t *out, int dsp, int m0) {
  const int32_t channels = g->channels, taps = g->taps, step = g->tap_stride;
  const int words = dsp || ((((uintptr_t)in) & 3u) == 0 && ((channels | step | g->group_stride) & 3) == 0);
  int32_t grp, c, t, i, n;
  for (grp = 0; grp < g->groups; ++grp, in += g->group_stride) {
    for (c = 0; words && c + 4 <= channels; c += 4, out += 4) {
      const int8_t *p = in + c;
      int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (t = 0; t < taps; t += n) {
        uint32_t even = 0, odd = 0; /* lanes: channels c, c + 2 and c + 1, c + 3 */
        n = taps - t < 256 ? taps - t : 256;
        if (dsp) {
          for (i = 0; i < n; ++i, p += step) {
            const uint32_t w = tf_read4(p);
            even = tf_sxtab16(even, w);
            odd = tf_sxtab16_ror8(odd, w);
          }
          s0 += (int16_t)(uint16_t)even;
          s2 += (int16_t)(uint16_t)(even >> 16);
          s1 += (int16_t)(uint16_t)odd;
          s3 += (int16_t)(uint16_t)(odd >> 16);
        } else {
          const int32_t bias = n << 7;
          for (i = 0; i < n; ++i, p += step) {
            const uint32_t w = tf_mean_load_aligned(p) ^ 0x80808080u;
            even += w & 0x00ff00ffu;
            odd += (w >> 8) & 0x00ff00ffu;
          }
          s0 += (int32_t)(even & 0xffffu) - bias;
          s2 += (int32_t)(even >> 16) - bias;
          s1 += (int32_t)(odd & 0xffffu) - bias;
          s3 += (int32_t)(odd >> 16) - bias;
        }
      }
      out[0] = (int8_t)tf_mean_requant(g, s0, m0);
      out[1] = (int8_t)tf_mean_requant(g, s1, m0);
      out[2] = (int8_t)tf_mean_requant(g, s2, m0);
      out[3] = (int8_t)tf_mean_requant(g, s3, m0);
    }
    for (; c < channels; ++c) {
      const int8_t *p = in + c;
      int32_t s = 0;
      for (t = 0; t < taps; ++t, p += step) s += *p;
      *out++ = (int8_t)tf_mean_requant(g, s, m0);
    }
  }
}

/* MEAN over a contiguous run per output (the channels of [N,H,W,C], or the whole tensor to one value):
 * g->groups outputs, the run of g->taps elements of each starting g->group_stride after the last.
 * - Arm DSP: USADA8 adds the four bytes of a word, biased to unsigned (x ^ 0x80 = x + 128), to a 32-bit
 *   total: one instruction per four elements, no lanes to empty (any alignment);
 * - Armv6-M and RV32: the biased bytes of aligned words in two masked 16-bit lanes, emptied every 128
 *   words (a lane gains at most 2 * 255 a word: 128 * 510 < 2^16), the bytes before the first word
 *   boundary and after the last whole word one at a time.
 * The bias is taken off once (128 per element); the biased total, at most 255 per element, stays below
 * 2^31 up to 8,421,504 elements, which words.ts checks before it takes this body (meanWordsBound). */
#if TF_DSP_NATIVE
static inline uint32_t tf_usada8(uint32_t x, uint32_t acc) {
  uint32_t r;
  __asm__("usada8 %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(0u), "r"(acc));
  return r;
}
#else
static inline uint32_t tf_usada8(uint32_t x, uint32_t acc) {
  return acc + (x & 0xffu) + ((x >> 8) & 0xffu) + ((x >> 16) & 0xffu) + (x >> 24);
}
#endif

static inline int32_t tf_mean_run_sum(const int8_t *p, int32_t n, int dsp) {
  int32_t s = 0;
  if (dsp) {
    const int32_t words = n >> 2;
    const int8_t *const end = p + 4 * words;
    uint32_t total = 0;
    int32_t k;
    for (; end - p >= 8; p += 8) {
      total = tf_usada8(tf_read4(p) ^ 0x80808080u, total);
      total = tf_usada8(tf_read4(p + 4) ^ 0x80808080u, total);
    }
    if (p != end) {
      total = tf_usada8(tf_read4(p) ^ 0x80808080u, total);
      p += 4;
    }
    s = (int32_t)total - words * 512;
    /* the 0-3 elements after the last whole word */
    for (k = n & 3; k > 0; --k) s += *p++;
    return s;
  }
  for (; n > 0 && (((uintptr_t)p) & 3u) != 0; --n) s += *p++;
  while (n >= 4) {
    int32_t words = n >> 2;
    uint32_t lanes = 0;
    if (words > 128) words = 128;
    n -= words * 4;
    s -= words * 512;
    for (; words > 0; --words, p += 4) {
      const uint32_t w = tf_mean_load_aligned(p) ^ 0x80808080u;
      lanes += (w & 0x00ff00ffu) + ((w >> 8) & 0x00ff00ffu);
    }
    s += (int32_t)((lanes & 0xffffu) + (lanes >> 16));
  }
  for (; n > 0; --n) s += *p++;
  return s;
}

static inline void tf_mean_runs_body(const tf_mean_geom_t *g, const int8_t *in, int8_t *out, int dsp, int m0) {
  int32_t grp;
  for (grp = 0; grp < g->groups; ++grp, in += g->group_stride) *out++ = (int8_t)tf_mean_requant(g, tf_mean_run_sum(in, g->taps, dsp), m0);
}

#endif
