/* SPDX-License-Identifier: Apache-2.0 */
/* TFLite's interpolating lookup into a 513-entry int16 table (lut_lookup_with_interpolation): the top
 * 9 bits of the input pick the sample, the low 7 bits interpolate to the next. Tables are computed at
 * compile time (lut_int16.ts) and emitted per layer. */
#ifndef TF_LUT_INT16_H
#define TF_LUT_INT16_H
#include <stdint.h>

static inline int16_t tf_lut_int16_lookup(int16_t value, const int16_t *lut) {
  const int index = 256 + (value >> 7);
  const int offset = value & 0x7F;
  const int16_t base = lut[index];
  const int16_t slope = (int16_t)(lut[index + 1] - base);
  const int delta = (slope * offset + 64) >> 7;
  return (int16_t)(base + delta);
}

#endif
