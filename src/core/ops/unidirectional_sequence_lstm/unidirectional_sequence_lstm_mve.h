/* SPDX-License-Identifier: Apache-2.0 */
/* UNIDIRECTIONAL_SEQUENCE_LSTM's Arm MVE variant (Cortex-M55, Cortex-M85): the four gate rows' sums
 * (unidirectional_sequence_lstm_mve.c.hbs); the requantizations and activations are the Arm DSP
 * variant's (unidirectional_sequence_lstm_dsp.h). */
#ifndef TF_UNIDIRECTIONAL_SEQUENCE_LSTM_MVE_H
#define TF_UNIDIRECTIONAL_SEQUENCE_LSTM_MVE_H
#include <stdint.h>
#include "arm_helium.h"
#include "unidirectional_sequence_lstm_dsp.h"

/* acc[g] += sum_k x[k] w[g n + k] for the four rows g of w (n int8 columns each, rows contiguous),
 * 16 columns a pass with the tail under a predicate: x is loaded once for the four rows. Partial
 * sums wrap like int32; the generator bounds the whole sum. */
static inline __attribute__((always_inline)) void tf_lstm_mve_dot4(const int8_t *x, const int8_t *w, int n, int32_t *acc) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  for (int k = 0; k < n; k += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - k));
    const int8x16_t xv = vldrbq_z_s8(x + k, p);
    a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w + k, p), p);
    a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w + n + k, p), p);
    a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w + 2 * n + k, p), p);
    a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w + 3 * n + k, p), p);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

#endif
