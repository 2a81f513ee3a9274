/* SPDX-License-Identifier: Apache-2.0 */
/* The inner loops of the sparse kernels (fully_connected/sparse.ts, common/codecs/sparse_taps.ts): a dot
 * product of a row's nonzero weights with the input values they meet. Kept out of line on purpose:
 * inlined into a layer's loops, GCC hoists the requantization constants into registers and spills the
 * loop's pointers to the stack (16 instructions an entry on the Cortex-M4 instead of 6). */
#ifndef TF_SPARSE_DOT_H
#define TF_SPARSE_DOT_H

#include <stdint.h>

#if defined(__GNUC__)
#define TF_SPARSE_NOINLINE __attribute__((noinline, unused))
#else
#define TF_SPARSE_NOINLINE
#endif

/* acc + sum of v[k] * x[g_0 + ... + g_k] over the n entries, g = the column gaps d */
static TF_SPARSE_NOINLINE int32_t tf_sparse_dot_gaps(const int8_t *x, const int8_t *v, const uint8_t *d, int n, int32_t acc) {
  for (; n >= 2; n -= 2) {
    x += d[0];
    acc += (int32_t)v[0] * x[0];
    x += d[1];
    acc += (int32_t)v[1] * x[0];
    v += 2;
    d += 2;
  }
  if (n) acc += (int32_t)v[0] * x[d[0]];
  return acc;
}

/* acc + sum of v[k] * x[e[k]] over the n entries (offsets from the window origin) */
static TF_SPARSE_NOINLINE int32_t tf_sparse_dot_offsets(const int8_t *x, const int8_t *v, const uint16_t *e, int n, int32_t acc) {
  for (; n >= 2; n -= 2) {
    acc += (int32_t)v[0] * x[e[0]];
    acc += (int32_t)v[1] * x[e[1]];
    v += 2;
    e += 2;
  }
  if (n) acc += (int32_t)v[0] * x[e[0]];
  return acc;
}

#endif
