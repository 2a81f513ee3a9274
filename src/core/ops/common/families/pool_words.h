/* SPDX-License-Identifier: Apache-2.0 */
/* The int8 AVERAGE_POOL_2D and MAX_POOL_2D variants: four channels per 32-bit word, windows walked
 * pixel by pixel with the channels of a tap read as one word (unaligned loads where the core allows).
 * Bit-exact with TFLite Micro's reference kernels (and our TypeScript twin, common/families/pool.ts).
 *
 * - Arm DSP (M4/M7/M33): average sums with SXTAB16 (two 16-bit lanes per word, channels 0/2 and 1/3),
 *   max with SSUB8 + SEL (a byte-wise signed max), the activation clamp the same way on four lanes.
 * - Armv6-M (M0/M0+): average sums bytes biased to unsigned (x ^ 0x80 = x + 128) in two 16-bit lanes
 *   of a word, masked with 0x00ff00ff; max compares four biased bytes at once with plain ALU
 *   operations (tf_umax8_swar below).
 * Both: at most 256 taps per window (the generator checks), so a lane's sum fits 16 bits: signed
 * |sum| <= 128 * 256, biased sum <= 255 * 256. Average divides by a reciprocal (tf_pool_divide).
 * Channels past the last whole word run one at a time. */
#ifndef TF_POOL_WORDS_H
#define TF_POOL_WORDS_H
#include <stdint.h>
#include <string.h>
#include "isa.h"

typedef struct {
  int32_t batches, in_h, in_w, depth, out_h, out_w;
  int32_t filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
  int32_t act_min, act_max;
} tf_pool_geom_t;

/* TFLite Micro's rounding division of a window's sum by its tap count (half away from zero with C's
 * truncating division): sign(s) * floor((|s| + floor(count / 2)) / count). floor(n / count) is
 * (n * r) >> 24 with r = ceil(2^24 / count): with e = r * count - 2^24 (0 <= e < count), n * r / 2^24
 * = n / count + n * e / (count * 2^24), and the excess n * e / (count * 2^24) < 1 / count whenever
 * n * e < 2^24, which holds for n <= 128.5 * count and count <= 256 (n * e < 33,000 * 256 < 2^24), so
 * it never carries past the next multiple of 1 / count. n * r < 2^32 for the same ranges. pool.test.ts
 * checks every sum of every count 1..256 against the division. */
static inline uint32_t tf_pool_reciprocal(int32_t count) { return ((1u << 24) + (uint32_t)count - 1u) / (uint32_t)count; }

static inline int32_t tf_pool_divide(int32_t sum, int32_t half, uint32_t reciprocal) {
  const uint32_t n = (uint32_t)(sum < 0 ? -sum : sum) + (uint32_t)half;
  const int32_t q = (int32_t)((n * reciprocal) >> 24);
  return sum < 0 ? -q : q;
}

/* Armv6-M has no unaligned loads (memcpy would load bytes): the Armv6-M path reads words only from
 * word-aligned tensors (the arena aligns them; the kernel checks) with depth a multiple of 4. */
static inline uint32_t tf_pool_load_aligned(const int8_t *p) {
  uint32_t v;
  memcpy(&v, __builtin_assume_aligned(p, 4), 4);
  return v;
}

static inline void tf_pool_store_aligned(int8_t *p, uint32_t v) { memcpy(__builtin_assume_aligned(p, 4), &v, 4); }

/* Whether the word loops may run: any alignment on the DSP cores, word-aligned tensors on Armv6-M. */
static inline int tf_pool_words_ok(const int8_t *in, const int8_t *out, int32_t depth, int dsp) {
  return dsp || ((((uintptr_t)in | (uintptr_t)out) & 3u) == 0 && (depth & 3) == 0);
}

static inline int32_t tf_pool_clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* The window of output pixel (oy, ox), clipped to the image: rows [y0, y1), columns [x0, x1). */
#define TF_POOL_WINDOW(g, oy, ox) \
  const int32_t origin_y = (oy) * (g)->stride_h - (g)->pad_top; \
  const int32_t origin_x = (ox) * (g)->stride_w - (g)->pad_left; \
  const int32_t y0 = origin_y > 0 ? origin_y : 0; \
  const int32_t y1 = origin_y + (g)->filter_h < (g)->in_h ? origin_y + (g)->filter_h : (g)->in_h; \
  const int32_t x0 = origin_x > 0 ? origin_x : 0; \
  const int32_t x1 = origin_x + (g)->filter_w < (g)->in_w ? origin_x + (g)->filter_w : (g)->in_w

/* One channel of a window, any core: the sum of its taps. */
static inline int32_t tf_pool_sum1(const int8_t *at, int32_t rows, int32_t cols, int32_t row_step, int32_t depth) {
  int32_t sum = 0, y, x;
  for (y = 0; y < rows; ++y, at += row_step) {
    const int8_t *p = at;
    for (x = 0; x < cols; ++x, p += depth) sum += *p;
  }
  return sum;
}

static inline int32_t tf_pool_max1(const int8_t *at, int32_t rows, int32_t cols, int32_t row_step, int32_t depth) {
  int32_t max = -128, y, x;
  for (y = 0; y < rows; ++y, at += row_step) {
    const int8_t *p = at;
    for (x = 0; x < cols; ++x, p += depth)
      if (*p > max) max = *p;
  }
  return max;
}

/* Four channels' averages from their lane sums (channels 0/2 in even's 16-bit lanes, 1/3 in odd's),
 * divided, clamped and stored. */
static inline void tf_pool_avg_store4(int8_t *out, int32_t s0, int32_t s1, int32_t s2, int32_t s3, int32_t half, uint32_t reciprocal,
                                      int32_t lo, int32_t hi) {
  out[0] = (int8_t)tf_pool_clamp(tf_pool_divide(s0, half, reciprocal), lo, hi);
  out[1] = (int8_t)tf_pool_clamp(tf_pool_divide(s1, half, reciprocal), lo, hi);
  out[2] = (int8_t)tf_pool_clamp(tf_pool_divide(s2, half, reciprocal), lo, hi);
  out[3] = (int8_t)tf_pool_clamp(tf_pool_divide(s3, half, reciprocal), lo, hi);
}

/* Two lane sums of a window of 2^k taps (k >= 1) divided as TFLite Micro rounds, in the lanes:
 * sign(s) * ((|s| + 2^(k-1)) >> k) = (s + 2^(k-1) - [s < 0]) >> k, the negative side being
 * ceil((s - 2^(k-1)) / 2^k) = floor((s + 2^(k-1) - 1) / 2^k). Lane sums stay within int16 (at most
 * 256 taps), so the bias cannot carry across lanes (2^(k-1) >= 1 >= [s < 0]) and k floor halvings
 * (SHADD16 with 0) give the arithmetic shift. */
static inline uint32_t tf_pool_halve_lanes(uint32_t sums, uint32_t half2, int32_t k) {
  uint32_t t = tf_sadd16(sums, half2 - ((sums >> 15) & 0x00010001u));
  for (; k > 0; --k) t = tf_shadd16(t, 0);
  return t;
}

/* DSP: four channels' lane sums (channels 0/2 in even, 1/3 in odd) divided, clamped and stored.
 * pow2 >= 1: the window holds 2^pow2 taps, divided in the lanes and clamped on four bytes at once;
 * pow2 = 0: one tap, the sums are the values; otherwise the reciprocal division per channel. */
static inline void tf_pool_avg_store_lanes(int8_t *out, uint32_t even, uint32_t odd, int32_t pow2, int32_t half, uint32_t reciprocal,
                                           uint32_t lo4, uint32_t hi4) {
  if (pow2 >= 0) {
    if (pow2 > 0) {
      const uint32_t half2 = (uint32_t)half * 0x00010001u;
      even = tf_pool_halve_lanes(even, half2, pow2);
      odd = tf_pool_halve_lanes(odd, half2, pow2);
    }
    tf_write_u32(out, tf_smin8(tf_smax8((even & 0x00ff00ffu) | ((odd & 0x00ff00ffu) << 8), lo4), hi4));
    return;
  }
  tf_pool_avg_store4(out, (int16_t)(uint16_t)even, (int16_t)(uint16_t)odd, (int16_t)(uint16_t)(even >> 16), (int16_t)(uint16_t)(odd >> 16),
                     half, reciprocal, (int8_t)(uint8_t)lo4, (int8_t)(uint8_t)hi4);
}

/* k for a count of 2^k taps, else -1 */
static inline int32_t tf_pool_log2_count(int32_t count) {
  int32_t k = 0;
  if (count & (count - 1)) return -1;
  while ((1 << k) < count) ++k;
  return k;
}

/* AVERAGE_POOL_2D. dsp selects the SXTAB16 sums (1) or the biased masked sums (0). On the DSP cores
 * eight channels (two words per tap, four lane sums) share each walk of the window where the depth
 * allows: the walk's pointer steps and loop tests weigh as much as the sums themselves. */
static inline void tf_avgpool_words_body(const tf_pool_geom_t *g, const int8_t *in, int8_t *out, int dsp) {
  const int32_t depth = g->depth, row_step = g->in_w * depth, lo = g->act_min, hi = g->act_max;
  const int words = tf_pool_words_ok(in, out, depth, dsp);
  /* the activation bounds in every byte, for the four-lane clamp */
  const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
  int32_t b, oy, ox, c, last_count = 0, pow2 = -1;
  uint32_t reciprocal = 0;
  for (b = 0; b < g->batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_step;
    for (oy = 0; oy < g->out_h; ++oy) {
      for (ox = 0; ox < g->out_w; ++ox) {
        TF_POOL_WINDOW(g, oy, ox);
        const int32_t rows = y1 - y0, cols = x1 - x0, count = rows * cols, half = count >> 1, row_span = cols * depth;
        const int8_t *window = image + y0 * row_step + x0 * depth;
        /* neighbouring pixels mostly share a count: one division per change */
        if (count != last_count) {
          last_count = count;
          reciprocal = tf_pool_reciprocal(count);
          pow2 = tf_pool_log2_count(count);
        }
        c = 0;
        if (dsp && words) {
          for (; c + 8 <= depth; c += 8, out += 8) {
            const int8_t *at = window + c;
            uint32_t even_a = 0, odd_a = 0, even_b = 0, odd_b = 0; /* channels c..c+3 and c+4..c+7 */
            int32_t y;
            for (y = 0; y < rows; ++y, at += row_step) {
              const int8_t *p = at, *const end = at + row_span;
              for (; p != end; p += depth) {
                const uint32_t wa = tf_read4(p), wb = tf_read4(p + 4);
                even_a = tf_sxtab16(even_a, wa);
                odd_a = tf_sxtab16_ror8(odd_a, wa);
                even_b = tf_sxtab16(even_b, wb);
                odd_b = tf_sxtab16_ror8(odd_b, wb);
              }
            }
            tf_pool_avg_store_lanes(out, even_a, odd_a, pow2, half, reciprocal, lo4, hi4);
            tf_pool_avg_store_lanes(out + 4, even_b, odd_b, pow2, half, reciprocal, lo4, hi4);
          }
        }
        for (; words && c + 4 <= depth; c += 4, out += 4) {
          const int8_t *at = window + c;
          uint32_t even = 0, odd = 0; /* lanes: channels c, c + 2 and c + 1, c + 3 */
          int32_t y;
          for (y = 0; y < rows; ++y, at += row_step) {
            const int8_t *p = at, *const end = at + row_span;
            if (dsp) {
              for (; p != end; p += depth) {
                const uint32_t w = tf_read4(p);
                even = tf_sxtab16(even, w);
                odd = tf_sxtab16_ror8(odd, w);
              }
            } else {
              for (; p != end; p += depth) {
                const uint32_t w = tf_pool_load_aligned(p) ^ 0x80808080u;
                even += w & 0x00ff00ffu;
                odd += (w >> 8) & 0x00ff00ffu;
              }
            }
          }
          if (dsp) {
            tf_pool_avg_store_lanes(out, even, odd, pow2, half, reciprocal, lo4, hi4);
          } else {
            const int32_t bias = count << 7;
            tf_pool_avg_store4(out, (int32_t)(even & 0xffffu) - bias, (int32_t)(odd & 0xffffu) - bias, (int32_t)(even >> 16) - bias,
                               (int32_t)(odd >> 16) - bias, half, reciprocal, lo, hi);
          }
        }
        for (; c < depth; ++c)
          *out++ = (int8_t)tf_pool_clamp(tf_pool_divide(tf_pool_sum1(window + c, rows, cols, row_step, depth), half, reciprocal), lo, hi);
      }
    }
  }
}

/* The byte-wise max of four unsigned bytes per word without SIMD instructions. Per byte, a >= b is
 * decided by the top bits when they differ, else by the low seven bits, whose comparison is the top
 * bit of (a | 0x80) - (b & 0x7f) (128 + a7 - b7, in 1..255: no borrow into the next byte). The
 * resulting top bits spread to whole-byte masks by m * 2 - m / 128 (0x100 - 1 per byte; the top
 * byte's 0x100 falls off the word and 0 - 1 wraps to 0xff there, just as well). */
static inline uint32_t tf_umax8_swar(uint32_t a, uint32_t b) {
  const uint32_t low7 = (a | 0x80808080u) - (b & 0x7f7f7f7fu);
  const uint32_t ge = ((a & ~b) | (~(a ^ b) & low7)) & 0x80808080u;
  const uint32_t mask = (ge << 1) - (ge >> 7);
  return b ^ ((a ^ b) & mask);
}

/* MAX_POOL_2D. dsp selects SSUB8/SEL on the signed bytes (1) or tf_umax8_swar on the biased ones (0). */
static inline void tf_maxpool_words_body(const tf_pool_geom_t *g, const int8_t *in, int8_t *out, int dsp) {
  const int32_t depth = g->depth, row_step = g->in_w * depth, lo = g->act_min, hi = g->act_max;
  /* the activation bounds in every byte (biased by 0x80 for the unsigned compare) */
  const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
  const uint32_t lo4u = lo4 ^ 0x80808080u, hi4u = hi4 ^ 0x80808080u;
  const int words = tf_pool_words_ok(in, out, depth, dsp);
  int32_t b, oy, ox, c;
  for (b = 0; b < g->batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_step;
    for (oy = 0; oy < g->out_h; ++oy) {
      for (ox = 0; ox < g->out_w; ++ox) {
        TF_POOL_WINDOW(g, oy, ox);
        const int32_t rows = y1 - y0, cols = x1 - x0;
        const int8_t *window = image + y0 * row_step + x0 * depth;
        for (c = 0; words && c + 4 <= depth; c += 4, out += 4) {
          const int8_t *at = window + c;
          int32_t y, x;
          uint32_t max;
          if (dsp) {
            max = lo4; /* the clamp's lower bound: no smaller value survives it anyway */
            for (y = 0; y < rows; ++y, at += row_step) {
              const int8_t *p = at;
              for (x = 0; x < cols; ++x, p += depth) max = tf_smax8(tf_read4(p), max);
            }
            max = tf_smin8(max, hi4);
          } else {
            max = lo4u;
            for (y = 0; y < rows; ++y, at += row_step) {
              const int8_t *p = at;
              for (x = 0; x < cols; ++x, p += depth) max = tf_umax8_swar(tf_pool_load_aligned(p) ^ 0x80808080u, max);
            }
            /* min(max, hi) = max ^ hi ^ max(max, hi) */
            max = (max ^ hi4u ^ tf_umax8_swar(max, hi4u)) ^ 0x80808080u;
          }
          if (dsp)
            tf_write_u32(out, max);
          else
            tf_pool_store_aligned(out, max);
        }
        for (; c < depth; ++c) *out++ = (int8_t)tf_pool_clamp(tf_pool_max1(window + c, rows, cols, row_step, depth), lo, hi);
      }
    }
  }
}

/* The byte-wise floor average of four unsigned bytes per word, and the bit each byte drops:
 * floor((a + b) / 2) = (a & b) + ((a ^ b) >> 1) per byte (the shifted xor masked so no bit crosses
 * into the next byte), a + b = 2 * floor + ((a ^ b) & 1). */
static inline uint32_t tf_uavg8_swar(uint32_t a, uint32_t b) { return (a & b) + (((a ^ b) >> 1) & 0x7f7f7f7fu); }

/* The rounded average of four taps of four biased channels (words a..d: x ^ 0x80 per byte), biased,
 * in byte lanes without splitting them. Per byte the biased sum S = a + b + c + d (0..1020, 512 more
 * than the signed sum s) is 4h + 2 l3 + l1 + l2, with h1 = floor((a + b) / 2), l1 = (a + b) & 1, h2 and
 * l2 the same of c, d, h = floor((h1 + h2) / 2) and l3 = (h1 + h2) & 1. TFLite Micro rounds half away
 * from zero: (s + 2) >> 2 for s >= 0 and (s + 1) >> 2 below (the negative side of sign(s) * ((|s| + 2)
 * / 4)), so the biased result is (S + 2 - [S < 512]) >> 2 = h + [2 l3 + l1 + l2 + 2 - [S < 512] >= 4].
 * S < 512 is h < 128 (the top bit t of h clear) except at h = 127 with l1 = l2 = l3 = 1 (S = 512),
 * where the carry is 1 either way. The carry: l3 ? (l1 | l2 | t) : (l1 & l2 & t). pool_words.test.ts
 * checks every (S, l1, l2) split against the division. */
static inline uint32_t tf_pool_avg4_biased(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  const uint32_t l1 = a ^ b, l2 = c ^ d;
  const uint32_t h1 = (a & b) + ((l1 >> 1) & 0x7f7f7f7fu), h2 = (c & d) + ((l2 >> 1) & 0x7f7f7f7fu);
  const uint32_t l3 = h1 ^ h2, h = (h1 & h2) + ((l3 >> 1) & 0x7f7f7f7fu), t = h >> 7;
  const uint32_t carry = ((l3 & (l1 | l2 | t)) | (~l3 & l1 & l2 & t)) & 0x01010101u;
  return h + carry;
}

/* The byte-wise max of four signed bytes per word without SIMD: tf_umax8_swar's comparison with the
 * top bits' roles swapped (a signed byte with its top bit set is the smaller), so no bias is needed. */
static inline uint32_t tf_smax8_swar(uint32_t a, uint32_t b) {
  const uint32_t x = a ^ b;
  const uint32_t low7 = (a | 0x80808080u) - (b & 0x7f7f7f7fu);
  const uint32_t ge = ((b & ~a) | (~x & low7)) & 0x80808080u;
  const uint32_t mask = (ge << 1) - (ge >> 7);
  return b ^ (x & mask);
}

/* Four signed channels clamped to [lo, hi] (lo4, hi4: the bounds in every byte) without SIMD. */
static inline uint32_t tf_pool_clamp4_swar(uint32_t v, uint32_t lo4, uint32_t hi4) {
  v = tf_smax8_swar(v, lo4);
  return v ^ hi4 ^ tf_smax8_swar(v, hi4); /* min(v, hi) = v ^ hi ^ max(v, hi) */
}

/* One output pixel's full 2x2 window, every channel (depth a multiple of 4, word-aligned rows). */
static inline __attribute__((always_inline)) int8_t *tf_pool2x2_window(const int8_t *top, int32_t depth, int32_t row_step, int8_t *out,
                                                                       int avg, int clamp, uint32_t lo4, uint32_t hi4) {
  const int8_t *const end = top + depth;
  const uint32_t bias4 = 0x80808080u;
  for (; top != end; top += 4, out += 4) {
    const uint32_t t0 = tf_pool_load_aligned(top), t1 = tf_pool_load_aligned(top + depth);
    const uint32_t b0 = tf_pool_load_aligned(top + row_step), b1 = tf_pool_load_aligned(top + row_step + depth);
    uint32_t v = avg ? tf_pool_avg4_biased(t0 ^ bias4, t1 ^ bias4, b0 ^ bias4, b1 ^ bias4) ^ bias4
                     : tf_smax8_swar(tf_smax8_swar(t0, t1), tf_smax8_swar(b0, b1));
    if (clamp) v = tf_pool_clamp4_swar(v, lo4, hi4);
    tf_pool_store_aligned(out, v);
  }
  return out;
}

/* One output pixel's window clipped by the image (SAME padding at the bottom or right edge: 1 or 2
 * taps), a channel at a time; one division per window, on the rare edge pixels. */
static int8_t *tf_pool2x2_clipped(const tf_pool_geom_t *g, const int8_t *image, int32_t oy, int32_t ox, int8_t *out, int avg) {
  const int32_t depth = g->depth, row_step = g->in_w * depth;
  TF_POOL_WINDOW(g, oy, ox);
  const int32_t rows = y1 - y0, cols = x1 - x0, count = rows * cols;
  const int8_t *const top = image + y0 * row_step + x0 * depth;
  const uint32_t reciprocal = avg ? tf_pool_reciprocal(count) : 0u;
  int32_t c;
  for (c = 0; c < depth; ++c) {
    const int32_t v = avg ? tf_pool_divide(tf_pool_sum1(top + c, rows, cols, row_step, depth), count >> 1, reciprocal)
                          : tf_pool_max1(top + c, rows, cols, row_step, depth);
    *out++ = (int8_t)tf_pool_clamp(v, g->act_min, g->act_max);
  }
  return out;
}

/* AVERAGE_POOL_2D (avg = 1) and MAX_POOL_2D (avg = 0) with 2x2 windows on the cores without SIMD
 * (Armv6-M, RV32IMC): the generic word loops' row and column loops cost more than a 2x2 window's
 * four taps, so a whole window's four words of four channels are read at once and reduced in
 * registers: the average by byte-wise halvings and a rounding carry (tf_pool_avg4_biased: no
 * division), the max by three signed SWAR maxima (tf_smax8_swar). A row of outputs walks its full
 * windows with one pointer step (the columns [first, last) whose window the image does not clip,
 * computed once); clipped windows (SAME padding at an edge) take tf_pool2x2_clipped; tensors that
 * are not word-aligned, the generic body. Always inlined, so that each caller's constant avg leaves
 * one loop, and the activation clamp's test is outside it. */
static inline __attribute__((always_inline)) void tf_pool2x2_words_body(const tf_pool_geom_t *g, const int8_t *in, int8_t *out, int avg) {
  const int32_t depth = g->depth, row_step = g->in_w * depth, lo = g->act_min, hi = g->act_max;
  const uint32_t lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
  const int clamp = lo > -128 || hi < 127;
  /* the output columns whose 2x2 window lies inside the image: ox * stride_w - pad_left in [0, in_w - 2] */
  const int32_t first = (g->pad_left + g->stride_w - 1) / g->stride_w;
  const int32_t past = (g->in_w - 2 + g->pad_left) / g->stride_w + 1;
  const int32_t last = past < g->out_w ? past : g->out_w, step = g->stride_w * depth;
  int32_t b, oy, ox;
  if (!tf_pool_words_ok(in, out, depth, 0)) {
    if (avg)
      tf_avgpool_words_body(g, in, out, 0);
    else
      tf_maxpool_words_body(g, in, out, 0);
    return;
  }
  for (b = 0; b < g->batches; ++b) {
    const int8_t *image = in + b * g->in_h * row_step;
    for (oy = 0; oy < g->out_h; ++oy) {
      const int32_t origin_y = oy * g->stride_h - g->pad_top;
      const int full_rows = origin_y >= 0 && origin_y + 2 <= g->in_h;
      for (ox = 0; ox < g->out_w;) {
        if (full_rows && ox >= first && ox < last) {
          const int8_t *top = image + origin_y * row_step + (ox * g->stride_w - g->pad_left) * depth;
          if (clamp) {
            for (; ox < last; ++ox, top += step) out = tf_pool2x2_window(top, depth, row_step, out, avg, 1, lo4, hi4);
          } else {
            for (; ox < last; ++ox, top += step) out = tf_pool2x2_window(top, depth, row_step, out, avg, 0, 0, 0);
          }
        } else {
          out = tf_pool2x2_clipped(g, image, oy, ox, out, avg);
          ++ox;
        }
      }
    }
  }
}

#endif
