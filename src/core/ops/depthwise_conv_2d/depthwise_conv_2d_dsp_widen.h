/* SPDX-License-Identifier: Apache-2.0 */
/* The weight widening of DEPTHWISE_CONV_2D's Arm DSP kernels that extend their weights in the scratch
 * (the channel quads, the multiplier passes, the three-channel 3x3): a header of its own, as its
 * scaled form is a function of its own, which a build without those kernels must not define. */
#ifndef TF_DEPTHWISE_CONV_2D_DSP_WIDEN_H
#define TF_DEPTHWISE_CONV_2D_DSP_WIDEN_H
#include "depthwise_conv_2d_dsp.h"

/* Widens the weight words of `n` taps x lane groups into SXTB16 halves (lanes 0, 2 then 1, 3), a
 * word pair per tap. `lsh` (or null): per lane, the left shift of its requantization, applied to
 * its weights here (dsp_common.ts laneScaling: the start and record are scaled to match); lane group
 * k / taps. Not inlined, and the unscaled loop kept apart: the kernels' tap loops then keep their
 * accumulators in registers. */
static inline __attribute__((always_inline)) void tf_dwk_widen_plain(uint32_t *wx, const int8_t *w, int n) {
  for (int k = 0; k < n; ++k) {
    const uint32_t v = TF_LOAD32(w + 4 * k);
    wx[2 * k] = tf_sxtb16(v);
    wx[2 * k + 1] = tf_sxtb16_ror8(v);
  }
}
static __attribute__((noinline)) void tf_dwk_widen_scaled(uint32_t *wx, const int8_t *w, int n, int taps, const uint8_t *lsh) {
  for (int k = 0; k < n; ++k) {
    const uint32_t v = TF_LOAD32(w + 4 * k);
    uint32_t e = tf_sxtb16(v), o = tf_sxtb16_ror8(v);
    const uint8_t *s = lsh + 4 * (k / taps);
    /* |w| * 2^s <= 127 * 256 stays an int16 */
    e = tf_pack_lo((uint32_t)((int16_t)(e & 0xffffu) * (1 << s[0])), (uint32_t)((int16_t)(e >> 16) * (1 << s[2])));
    o = tf_pack_lo((uint32_t)((int16_t)(o & 0xffffu) * (1 << s[1])), (uint32_t)((int16_t)(o >> 16) * (1 << s[3])));
    wx[2 * k] = e;
    wx[2 * k + 1] = o;
  }
}
#define TF_DWK_WIDEN(wx, w, n, taps, lsh) \
  do { \
    if (lsh) \
      tf_dwk_widen_scaled(wx, w, n, taps, lsh); \
    else \
      tf_dwk_widen_plain(wx, w, n); \
  } while (0)

#endif
