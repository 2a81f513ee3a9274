/* SPDX-License-Identifier: Apache-2.0 */
/* SignalFftAutoScale on the Arm DSP extension, bit-exact with the portable C: two samples a word.
 * The largest magnitude is max(max x, -min x) from a packed running maximum and minimum (SSUB16 and
 * SEL, lanes from 0); a minimum of -32768 is where TFLite Micro's int16 running maximum wraps, and
 * then its walk is replayed sample by sample. The shift of a word keeps each lane's low 16 bits, as
 * the int16 store of x * 2^bits does. */
#ifndef TF_SIGNAL_FFT_AUTO_SCALE_DSP_H
#define TF_SIGNAL_FFT_AUTO_SCALE_DSP_H
#include <stdint.h>
#include <string.h>
#include "isa.h"

static inline int32_t tf_fas_lo(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xffffu); }
static inline int32_t tf_fas_hi(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* lane-wise minimum */
static inline uint32_t tf_fas_smin16(uint32_t x, uint32_t y) {
  uint32_t r, t;
  __asm__("ssub16 %1, %2, %3\n\tsel %0, %3, %2" : "=r"(r), "=&r"(t) : "r"(x), "r"(y) : "cc");
  return r;
}
#else
static inline uint32_t tf_fas_smin16(uint32_t x, uint32_t y) {
  const int32_t lo = tf_fas_lo(x) < tf_fas_lo(y) ? tf_fas_lo(x) : tf_fas_lo(y);
  const int32_t hi = tf_fas_hi(x) < tf_fas_hi(y) ? tf_fas_hi(x) : tf_fas_hi(y);
  return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16);
}
#endif

static void __attribute__((unused)) tf_fft_auto_scale_dsp(const int16_t *in, int16_t *out, int32_t size, int32_t *scale) {
  uint32_t top = 0, bottom = 0;
  int32_t i, max, low, bits = 0;
  for (i = 0; i + 1 < size; i += 2) {
    uint32_t w;
    memcpy(&w, in + i, 4);
    top = tf_smax16(top, w);
    bottom = tf_fas_smin16(bottom, w);
  }
  max = tf_fas_lo(top) > tf_fas_hi(top) ? tf_fas_lo(top) : tf_fas_hi(top);
  low = tf_fas_lo(bottom) < tf_fas_hi(bottom) ? tf_fas_lo(bottom) : tf_fas_hi(bottom);
  if (i < size) {
    max = in[i] > max ? in[i] : max;
    low = in[i] < low ? in[i] : low;
  }
  if (low == -32768) {
    int16_t running = 0;
    for (i = 0; i < size; ++i) {
      const int16_t v = in[i];
      if (v > running) {
        running = v;
      } else if (-v > running) {
        running = (int16_t)-v;
      }
    }
    max = running;
  } else if (-low > max) {
    max = -low;
  }
  /* a zero or negative maximum has 32 significant bits there: no shift */
  if (max > 0) {
    int32_t width = 0;
    while ((max >> width) != 0) ++width;
    bits = width < 15 ? 15 - width : 0;
  }
  for (i = 0; i + 1 < size; i += 2) {
    uint32_t w;
    memcpy(&w, in + i, 4);
    w = ((w & 0xffff0000u) << bits) | ((w << bits) & 0xffffu);
    memcpy(out + i, &w, 4);
  }
  if (i < size) out[i] = (int16_t)(in[i] * (1 << bits));
  *scale = bits;
}
#endif
