/* SPDX-License-Identifier: Apache-2.0 */
/* SignalEnergy on the Arm DSP extension: one word holds a bin's (re, im) int16 pair, and SMUAD sums
 * both squares in one instruction. Its int32 sum reaches 2^31 only at re = im = -32768, where it
 * wraps to the bits of the uint32 2^31 (setting the Q flag, which nothing reads): the uint32 answer
 * bit for bit. The C twin (the host, other cores) sums the squares in uint32. */
#ifndef TF_SIGNAL_ENERGY_DSP_H
#define TF_SIGNAL_ENERGY_DSP_H
#include <stdint.h>
#include <string.h>
#include "isa.h"

/* re^2 + im^2 of a word holding re (bits 0-15) and im (bits 16-31) */
static inline uint32_t tf_energy_of_pair(uint32_t pair) {
#if TF_DSP_NATIVE
  uint32_t energy;
  __asm__("smuad %0, %1, %1" : "=r"(energy) : "r"(pair));
  return energy;
#else
  const int32_t re = (int16_t)(uint16_t)(pair & 0xFFFFu);
  const int32_t im = (int16_t)(uint16_t)(pair >> 16);
  return (uint32_t)(re * re) + (uint32_t)(im * im);
#endif
}

/* bins [start, end) of `in` (interleaved re, im) into `out`; in place when out == in: bin i reads the
 * word it then writes */
static inline void tf_signal_energy_pairs(const int16_t *in, uint32_t *out, int start, int end) {
  int i;
  for (i = start; i < end; ++i) {
    uint32_t pair;
    memcpy(&pair, in + 2 * i, sizeof pair);
    out[i] = tf_energy_of_pair(pair);
  }
}

#endif /* TF_SIGNAL_ENERGY_DSP_H */
