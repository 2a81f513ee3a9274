/* SPDX-License-Identifier: Apache-2.0 */
/* What the data-movement kernels (shape ops: PAD, TRANSPOSE, SLICE, CONCATENATION, ...) use beyond
 * fixedpoint.h: memcpy/memset for contiguous runs and fills of wider elements. */
#ifndef TF_DATAMOVE_H
#define TF_DATAMOVE_H
#include <stdint.h>
#include <string.h>

static inline void tf_fill_i16(int16_t *p, int16_t value, int32_t count) {
  int32_t i;
  for (i = 0; i < count; ++i) p[i] = value;
}

static inline void tf_fill_i32(int32_t *p, int32_t value, int32_t count) {
  int32_t i;
  for (i = 0; i < count; ++i) p[i] = value;
}

#endif
