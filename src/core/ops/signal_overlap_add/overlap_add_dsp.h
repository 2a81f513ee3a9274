/* SPDX-License-Identifier: Apache-2.0 */
/* SignalOverlapAdd's Arm DSP kernel primitives: two int16 lanes saturated-added by one QADD16, with a
 * plain C twin where the compiler targets no DSP extension (the host), so the very same kernel is
 * checked against the TypeScript reference there. Lane 0 is the sample at the lower address. */
#ifndef TF_SIGNAL_OVERLAP_ADD_DSP_H
#define TF_SIGNAL_OVERLAP_ADD_DSP_H
#include <stdint.h>
#include <string.h>
#include "arm_dsp.h"

#if TF_DSP_NATIVE
/* lane-wise int16 x + y, saturated */
static inline uint32_t tf_ola_qadd16(uint32_t x, uint32_t y) {
  uint32_t r;
  __asm__("qadd16 %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
  return r;
}
#else
static inline uint32_t tf_ola_qadd_lane(uint32_t x, uint32_t y) {
  /* each lane's 16 bits as the int16 they hold: the sum fits int32 */
  const int32_t a = (int32_t)(x & 0xFFFFu) - (int32_t)((x & 0x8000u) << 1);
  const int32_t b = (int32_t)(y & 0xFFFFu) - (int32_t)((y & 0x8000u) << 1);
  const int32_t v = a + b;
  return (uint32_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v)) & 0xFFFFu;
}

/* lane-wise int16 x + y, saturated */
static inline uint32_t tf_ola_qadd16(uint32_t x, uint32_t y) { return tf_ola_qadd_lane(x, y) | (tf_ola_qadd_lane(x >> 16, y >> 16) << 16); }
#endif

/* two samples from or to any int16 address (word accesses need not be aligned) */
static inline uint32_t tf_ola_read2(const int16_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void tf_ola_write2(int16_t *p, uint32_t v) { memcpy(p, &v, sizeof v); }
#endif
