/* SPDX-License-Identifier: Apache-2.0 */
/* The fixed-point real FFT and inverse real FFT of TFLite Micro's signal library (kissfft built with
 * FIXED_POINT 16 and 32), bit-exact with it and with the TypeScript reference (fixed_fft.ts):
 * the real transform of N samples is a complex FFT of N/2 points over the samples taken in pairs,
 * split into N/2 + 1 bins by the super twiddles. The complex FFT is mixed-radix (radices 2, 3, 4,
 * 5); every butterfly divides its inputs by its radix first, so the output is the transform divided
 * by N (N/2 in the complex FFT, 2 in the split). A product is rounded as (a * b + 2^(F-1)) >> F,
 * F = 15 (int16) or 31 (int32), and every stored value wraps to the scalar type as kissfft's stores
 * do. The plan (radices, twiddles, the input order of the first stage) is computed at compile time.
 *
 * The body (signal_fft_body.h) is written once over the scalar arithmetic below and instantiated
 * for both widths: tf_fft16_* and tf_fft32_*. Data is interleaved (re, im) scalars. */
#ifndef TF_SIGNAL_FFT_H
#define TF_SIGNAL_FFT_H
#include <stdint.h>

/* a 32768-point complex FFT has at most 15 radices */
#define TF_FFT_MAX_STAGES 16

/* a model may use one width and one direction only */
#define TF_FFT_ENTRY static __attribute__((unused))

/* int16: sums in int, narrowed on store; products of two int16 in int32 */
static inline int16_t tf_fft16_add(int16_t a, int16_t b) { return (int16_t)(a + b); }
static inline int16_t tf_fft16_sub(int16_t a, int16_t b) { return (int16_t)(a - b); }
static inline int16_t tf_fft16_neg(int16_t a) { return (int16_t)(-a); }
static inline int16_t tf_fft16_mul(int16_t a, int32_t b) { return (int16_t)(((int32_t)a * b + 16384) >> 15); }
/* |a| <= 32768 and |b| <= 32767: each product is below 2^30 and their sum below 2^31 */
static inline int16_t tf_fft16_cmul_re(int16_t ar, int16_t ai, int16_t br, int16_t bi) {
  return (int16_t)(((int32_t)ar * br - (int32_t)ai * bi + 16384) >> 15);
}
static inline int16_t tf_fft16_cmul_im(int16_t ar, int16_t ai, int16_t br, int16_t bi) {
  return (int16_t)(((int32_t)ar * bi + (int32_t)ai * br + 16384) >> 15);
}
/* HALF_OF of a sum: halved before it is narrowed */
static inline int16_t tf_fft16_half_sum(int16_t a, int16_t b) { return (int16_t)(((int32_t)a + b) >> 1); }
static inline int16_t tf_fft16_half_diff(int16_t a, int16_t b) { return (int16_t)(((int32_t)a - b) >> 1); }

/* The radix-2 and radix-4 butterflies keep their values in int32 between the load and the store
 * ("wide"): their sums and differences feed no product or shift, and narrowing commutes with
 * them, so the int16 store narrows once what kissfft narrows at every step. Their products take
 * values the radix divide has brought to |x| <= 16383, whose products by a twiddle stay in int16:
 * no narrowing either. The real splits use them too, on sums of two halves (|x| <= 32766: the
 * products and their sum stay below 2^31), and narrow the twiddle product themselves. */
static inline int32_t tf_fft16_wadd(int32_t a, int32_t b) { return a + b; }
static inline int32_t tf_fft16_wsub(int32_t a, int32_t b) { return a - b; }
static inline int32_t tf_fft16_wmul(int32_t a, int32_t b) { return (a * b + 16384) >> 15; }
static inline int32_t tf_fft16_wcmul_re(int32_t ar, int32_t ai, int32_t br, int32_t bi) { return (ar * br - ai * bi + 16384) >> 15; }
static inline int32_t tf_fft16_wcmul_im(int32_t ar, int32_t ai, int32_t br, int32_t bi) { return (ar * bi + ai * br + 16384) >> 15; }

/* int32: sums wrap (kissfft's int32 sums overflow as two's complement), so they are taken unsigned */
static inline int32_t tf_fft32_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t tf_fft32_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t tf_fft32_neg(int32_t a) { return (int32_t)(0u - (uint32_t)a); }
static inline int32_t tf_fft32_mul(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + ((int64_t)1 << 30)) >> 31); }
/* |b| <= 2^31 - 1 (a twiddle): the two products sum to less than 2^63 */
static inline int32_t tf_fft32_cmul_re(int32_t ar, int32_t ai, int32_t br, int32_t bi) {
  return (int32_t)(((int64_t)ar * br - (int64_t)ai * bi + ((int64_t)1 << 30)) >> 31);
}
static inline int32_t tf_fft32_cmul_im(int32_t ar, int32_t ai, int32_t br, int32_t bi) {
  return (int32_t)(((int64_t)ar * bi + (int64_t)ai * br + ((int64_t)1 << 30)) >> 31);
}
/* HALF_OF of a sum: the wrapped sum, halved */
static inline int32_t tf_fft32_half_sum(int32_t a, int32_t b) { return tf_fft32_add(a, b) >> 1; }
static inline int32_t tf_fft32_half_diff(int32_t a, int32_t b) { return tf_fft32_sub(a, b) >> 1; }

#define TF_FFT_SCALAR int16_t
#define TF_FFT_MAX 32767
#define TF_FFT_WIDE 1
#define TF_FFT_NAME(x) tf_fft16_##x
#include "signal_fft_body.h"
#undef TF_FFT_SCALAR
#undef TF_FFT_MAX
#undef TF_FFT_WIDE
#undef TF_FFT_NAME

#define TF_FFT_SCALAR int32_t
#define TF_FFT_MAX 2147483647
/* int32 values in registers cost more than the stores they save (64-bit products): in place */
#define TF_FFT_WIDE 0
#define TF_FFT_NAME(x) tf_fft32_##x
#include "signal_fft_body.h"
#undef TF_FFT_SCALAR
#undef TF_FFT_MAX
#undef TF_FFT_WIDE
#undef TF_FFT_NAME

#endif
