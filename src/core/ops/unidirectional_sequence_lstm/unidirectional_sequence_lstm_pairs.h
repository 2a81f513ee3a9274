/* SPDX-License-Identifier: Apache-2.0 */
/* The LSTM's row-pair lanes (pairs.ts) on Armv6-M and RV32: a block of 8 (two units' gates) or 4 (an
 * odd last unit) rows over a step's values widened to int32 (padded to whole column pairs with 0). Per
 * column pair and row pair, two words W = w_a + 65536 w_b: s = W0 x0 + W1 x1 = lo + 65536 hi with
 * |lo| <= 32512 (every weight in [-127, 127], x in [-128, 127]) and |s| <= 32512 * 65537 < 2^31, so
 * hi = (s + 32768) >> 16 exactly. Row b's sum is H = sum hi (|H| <= 127 * 128 * n, n <= 65536 columns,
 * inside int32); row a's is sum lo = T - 65536 H with T = sum s, taken in unsigned arithmetic: T wraps,
 * the difference is exact modulo 2^32, as TFLite Micro's wrapping int32 sum. */
#ifndef TF_LSTM_PAIRS_H
#define TF_LSTM_PAIRS_H
#include <stdint.h>

/* One row pair p over the column pair x0, x1 (words w[2p], w[2p + 1]): hi into h##p, s into t##p. */
#define TF_LSTM_PAIR(p) \
  do { \
    const int32_t s = w[2 * (p)] * x0 + w[2 * (p) + 1] * x1; \
    h##p += (s + 32768) >> 16; \
    t##p += (uint32_t)s; \
  } while (0)
/* Row pair p's two sums from its starts (or 0) to out[2p], out[2p + 1]. */
#define TF_LSTM_PAIR_OUT(p) \
  do { \
    const uint32_t a = start ? (uint32_t)start[2 * (p)] : 0u, b = start ? (uint32_t)start[2 * (p) + 1] : 0u; \
    out[2 * (p)] = (int32_t)(a + t##p - ((uint32_t)h##p << 16)); \
    out[2 * (p) + 1] = (int32_t)(b + (uint32_t)h##p); \
  } while (0)

/* The column pair at x (advanced) of the 8 rows' weights at w (advanced). */
#define TF_LSTM_COLUMN_PAIR8() \
  do { \
    const int32_t x0 = x[0], x1 = x[1]; \
    TF_LSTM_PAIR(0); \
    TF_LSTM_PAIR(1); \
    TF_LSTM_PAIR(2); \
    TF_LSTM_PAIR(3); \
    x += 2; \
    w += 8; \
  } while (0)

/* GCC's pre-allocation scheduler hoists the two column pairs' 16 weight loads ahead of their products
 * and spills the sums on RV32 (10 stack loads and stores a loop turn); without it the turn needs none */
#if defined(__GNUC__) && !defined(__clang__) && defined(__riscv)
#define TF_LSTM_PAIRS_NO_SCHED __attribute__((optimize("no-schedule-insns")))
#else
#define TF_LSTM_PAIRS_NO_SCHED
#endif

/* 8 rows over n2 column pairs of x; weights as above; sums from start (or 0 when null) to out */
static TF_LSTM_PAIRS_NO_SCHED __attribute__((noinline, unused)) void tf_lstm_pairs8_c(const int32_t *x, const int32_t *w, int32_t n2,
                                                                                      const int32_t *start, int32_t *out) {
  uint32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  int32_t h0 = 0, h1 = 0, h2 = 0, h3 = 0;
  const int32_t *const end = x + 2 * n2;
  /* two column pairs per loop turn, an odd count's first alone */
  if (n2 & 1) {
    TF_LSTM_COLUMN_PAIR8();
  }
  while (x != end) {
    TF_LSTM_COLUMN_PAIR8();
    TF_LSTM_COLUMN_PAIR8();
  }
  TF_LSTM_PAIR_OUT(0);
  TF_LSTM_PAIR_OUT(1);
  TF_LSTM_PAIR_OUT(2);
  TF_LSTM_PAIR_OUT(3);
}

/* the same for 4 rows (an odd last unit) */
static __attribute__((noinline, unused)) void tf_lstm_pairs4_c(const int32_t *x, const int32_t *w, int32_t n2, const int32_t *start,
                                                               int32_t *out) {
  uint32_t t0 = 0, t1 = 0;
  int32_t h0 = 0, h1 = 0;
  for (const int32_t *const end = x + 2 * n2; x != end; x += 2, w += 4) {
    const int32_t x0 = x[0], x1 = x[1];
    TF_LSTM_PAIR(0);
    TF_LSTM_PAIR(1);
  }
  TF_LSTM_PAIR_OUT(0);
  TF_LSTM_PAIR_OUT(1);
}

#if defined(__thumb__) && defined(__ARM_ARCH_6M__)
/* unidirectional_sequence_lstm_m0plus.S: b->blocks blocks of 8 rows over b->n column pairs (b is
 * common/isa/m0plus_mac.h's tf_m0fc_blocks_t) */
void tf_m0_lstm_pairs8(const int32_t *x, const int32_t *w, const int32_t *start, const void *b);
/* unidirectional_sequence_lstm_m0plus.S: the bytes of [x, end) sign-extended to int32 at out (x
 * word-aligned, end - x a positive multiple of 4) */
void tf_m0_lstm_widen4(const int8_t *x, int32_t *out, const int8_t *end);
#endif
#endif
