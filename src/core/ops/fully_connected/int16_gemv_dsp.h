/* SPDX-License-Identifier: Apache-2.0 */
/* The Arm DSP 16x8 matrix-vector kernel (CONV_2D, FULLY_CONNECTED): int16 activations go to SMLAD
 * as they are, two per word, (x0, x1) and (x2, x3); each word of four weights is stored w0 w2 w1 w3
 * at compile time so that SXTB16 gives (w0, w1) and SXTB16 ROR 8 gives (w2, w3): per four inputs and
 * four rows, two input loads, four weight words, eight SXTB16 and eight SMLAD. Rows come in blocks of
 * four in fully_connected_dsp.h's layout (whole words alternating between the four rows, then one word
 * per left-over input holding the four rows' weights in plain order); the last 1-3 rows one after
 * another. Sums and requantization as int16_gemv.h (int32 partial sums of at most TF_S16_CHUNK
 * products, widened to int64). The input needs no alignment (LDR, never LDRD, on x). It lives beside
 * fully_connected_dsp.h, whose block macros it uses: common/ headers stand alone. */
#ifndef TF_INT16_GEMV_DSP_H
#define TF_INT16_GEMV_DSP_H
#include <stdint.h>
#include "arm_dsp.h"
#include "fully_connected_dsp.h"
#include "int16_gemv.h"

/* whole words (four inputs) per int32 partial sum: 127 * 4 + 3 left-over inputs <= TF_S16_CHUNK */
#define TF_S16_CHUNK_WORDS 127

/* Shared by the layers of a model as tf_s16_gemv; row loops as its. */
static __attribute__((unused)) void tf_s16_gemv_dsp(const int16_t *x, int depth, const int8_t *w, int rows, const tf_s16_rq_t *q,
                                                    int16_t *out) {
  const int words = depth >> 2, tail = depth & 3;
  const int blocks = rows >> 2, rows_left = rows & 3;
  for (int i = 0; i < blocks; ++i) {
    const int r = 4 * i;
    int64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const int16_t *xp = x;
    int words_left = words;
    do {
      int n = words_left < TF_S16_CHUNK_WORDS ? words_left : TF_S16_CHUNK_WORDS;
      words_left -= n;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (; n > 0; --n, xp += 4) TF_FC_W4_C(tf_read_u32(xp), tf_read_u32(xp + 2));
      if (words_left == 0)
        for (int j = 0; j < tail; ++j) TF_FC_TAIL4(xp[j]);
      s0 += a0;
      s1 += a1;
      s2 += a2;
      s3 += a3;
    } while (words_left > 0);
    out[r] = tf_s16_requantize(s0, r, q, 1);
    out[r + 1] = tf_s16_requantize(s1, r + 1, q, 1);
    out[r + 2] = tf_s16_requantize(s2, r + 2, q, 1);
    out[r + 3] = tf_s16_requantize(s3, r + 3, q, 1);
  }
  for (int j = 0; j < rows_left; ++j) {
    const int r = 4 * blocks + j;
    int64_t s = 0;
    const int16_t *xp = x;
    int words_left = words;
    do {
      int n = words_left < TF_S16_CHUNK_WORDS ? words_left : TF_S16_CHUNK_WORDS;
      words_left -= n;
      int32_t a = 0;
      for (; n > 0; --n, xp += 4, w += 4) {
        const uint32_t wv = tf_read_u32(w);
        a = tf_smlad(tf_read_u32(xp), tf_sxtb16(wv), a);
        a = tf_smlad(tf_read_u32(xp + 2), tf_sxtb16_ror8(wv), a);
      }
      if (words_left == 0)
        for (int k = 0; k < tail; ++k) a += w[k] * xp[k];
      s += a;
    } while (words_left > 0);
    w += tail;
    out[r] = tf_s16_requantize(s, r, q, 1);
  }
}

#endif
