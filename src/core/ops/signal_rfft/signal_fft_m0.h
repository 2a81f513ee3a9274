/* SPDX-License-Identifier: Apache-2.0 */
/* The int16 FFT of signal_fft.h on Armv6-M (Cortex-M0/M0+, the RP2040), bit-exact with it. With 8
 * low registers compiled C spills the radix-4 butterfly's twelve values and rebuilds its constants
 * every time; the twiddled butterflies of the forward transform and the real split are assembly
 * (signal_fft_m0plus.S), which reads each (re, im) pair and each stage twiddle (plan.stage_twiddles
 * holds them packed) as one word. The first stage and the butterflies of twiddle 0 are the portable
 * C. Elsewhere (host tests, other targets) the C twin below runs the same
 * arithmetic. */
#ifndef TF_SIGNAL_FFT_M0_H
#define TF_SIGNAL_FFT_M0_H
#include "armv6m.h"

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "signal_fft.h"

/* the pair at f and the three q, 2q, 3q bytes on (q = 4 * span), twiddled by three words of w each
 * (re in the low half), count times with f moving a pair and w three words on */
#if TF_M0_NATIVE
void tf_fft16_m0_bfly4_fwd(int16_t *f, const uint32_t *w, int32_t q, int32_t count);
#else
static void tf_fft16_m0_bfly4_fwd(int16_t *f, const uint32_t *w, int32_t q, int32_t count) {
  const int32_t m = q / 4;
  int32_t u;
  for (u = 0; u < count; ++u, f += 2, w += 3) {
    int32_t x[8], k;
    for (k = 0; k < 4; ++k) {
      x[2 * k] = tf_fft16_wmul(f[2 * m * k], 8191);
      x[2 * k + 1] = tf_fft16_wmul(f[2 * m * k + 1], 8191);
    }
    for (k = 1; k < 4; ++k) {
      const int32_t wr = (int16_t)(uint16_t)(w[k - 1] & 0xffffu), wi = (int16_t)(uint16_t)(w[k - 1] >> 16);
      const int32_t t = tf_fft16_wcmul_re(x[2 * k], x[2 * k + 1], wr, wi);
      x[2 * k + 1] = tf_fft16_wcmul_im(x[2 * k], x[2 * k + 1], wr, wi);
      x[2 * k] = t;
    }
    tf_fft16_radix4(f, f + 2 * m, f + 4 * m, f + 6 * m, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
  }
}
#endif

/* the innermost radix-4 stage of the forward transform: x's pairs in the plan's order (those at byte
 * limit = 2 * length and past are zeros), n / 4 butterflies of twiddle 0 */
#if TF_M0_NATIVE
void tf_fft16_m0_first4(const int16_t *x, const uint16_t *order, int16_t *out, int32_t n, int32_t limit);
#else
static void tf_fft16_m0_first4(const int16_t *x, const uint16_t *order, int16_t *out, int32_t n, int32_t limit) {
  int32_t k, q;
  for (k = 0; k < n; k += 4, out += 8) {
    int32_t v[8];
    for (q = 0; q < 4; ++q) {
      const int32_t j = 2 * (int32_t)order[k + q];
      v[2 * q] = 2 * j < limit ? tf_fft16_wmul(x[j], 8191) : 0;
      v[2 * q + 1] = 2 * j < limit ? tf_fft16_wmul(x[j + 1], 8191) : 0;
    }
    tf_fft16_radix4(out, out + 2, out + 4, out + 6, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
  }
}
#endif

/* the real split of bins k and n - k, k = 1 .. n / 2 (n >= 2), in place */
#if TF_M0_NATIVE
void tf_fft16_m0_split(int16_t *out, const int16_t *super_twiddles, int32_t n);
#else
static void tf_fft16_m0_split(int16_t *out, const int16_t *super_twiddles, int32_t n) {
  int32_t k;
  for (k = 1; k <= n / 2; ++k) {
    int16_t *a = out + 2 * k, *b = out + 2 * (n - k);
    const int16_t *w = super_twiddles + 2 * (k - 1);
    const int32_t fpkr = tf_fft16_wmul(a[0], 16383), fpki = tf_fft16_wmul(a[1], 16383);
    const int32_t fpnkr = tf_fft16_wmul(b[0], 16383), fpnki = tf_fft16_wmul(tf_fft16_neg(b[1]), 16383);
    const int32_t f1kr = fpkr + fpnkr, f1ki = fpki + fpnki, f2kr = fpkr - fpnkr, f2ki = fpki - fpnki;
    const int32_t twr = (int16_t)tf_fft16_wcmul_re(f2kr, f2ki, w[0], w[1]), twi = (int16_t)tf_fft16_wcmul_im(f2kr, f2ki, w[0], w[1]);
    /* at k = n / 2 both are one bin: the second store wins, as in kissfft */
    a[0] = (int16_t)((f1kr + twr) >> 1);
    a[1] = (int16_t)((f1ki + twi) >> 1);
    b[0] = (int16_t)((f1kr - twr) >> 1);
    b[1] = (int16_t)((twi - f1ki) >> 1);
  }
}
#endif

static inline int32_t tf_fft16_m0_re(uint32_t w) { return (int16_t)(uint16_t)(w & 0xffffu); }
static inline int32_t tf_fft16_m0_im(uint32_t w) { return (int16_t)(uint16_t)(w >> 16); }

/* the forward stages (SignalRfft's): w holds each radix-2 and radix-4 stage's twiddles as words */
static void tf_fft16_m0_stages(const tf_fft16_plan_t *p, int16_t *buf, int32_t first) {
  int32_t s, b, u;
  for (s = first; s >= 0; --s) {
    const int32_t radix = p->radix[s], m = p->span[s], stride = p->stride[s];
    const uint32_t *w = (const uint32_t *)(const void *)p->stage_twiddles + p->stage_twiddle_at[s];
    for (b = 0; b < stride; ++b) {
      int16_t *f = buf + 2 * b * radix * m;
      if (radix == 4) {
        /* u = 0 (twiddle 0) as the portable C; w starts at u = 1 */
        const int16_t *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m;
        tf_fft16_radix4(f, f + 2 * m, f + 4 * m, f + 6 * m, tf_fft16_wmul(f[0], 8191), tf_fft16_wmul(f[1], 8191),
                        tf_fft16_wmul(f1[0], 8191), tf_fft16_wmul(f1[1], 8191), tf_fft16_wmul(f2[0], 8191), tf_fft16_wmul(f2[1], 8191),
                        tf_fft16_wmul(f3[0], 8191), tf_fft16_wmul(f3[1], 8191));
        if (m > 1) tf_fft16_m0_bfly4_fwd(f + 2, w, 4 * m, m - 1);
      } else if (radix == 2) {
        int16_t *g = f + 2 * m;
        for (u = 0; u < m; ++u, f += 2, g += 2) {
          const int32_t ar = tf_fft16_wmul(f[0], 16383), ai = tf_fft16_wmul(f[1], 16383);
          int32_t tr = tf_fft16_wmul(g[0], 16383), ti = tf_fft16_wmul(g[1], 16383);
          if (u != 0) {
            const int32_t wr = tf_fft16_m0_re(w[u - 1]), wi = tf_fft16_m0_im(w[u - 1]);
            const int32_t t = tf_fft16_wcmul_re(tr, ti, wr, wi);
            ti = tf_fft16_wcmul_im(tr, ti, wr, wi);
            tr = t;
          }
          g[0] = (int16_t)(ar - tr);
          g[1] = (int16_t)(ai - ti);
          f[0] = (int16_t)(ar + tr);
          f[1] = (int16_t)(ai + ti);
        }
      } else if (radix == 3) {
        tf_fft16_bfly3(f, p->twiddles, stride, m);
      } else {
        tf_fft16_bfly5(f, p->twiddles, stride, m);
      }
    }
  }
}

/* tf_fft16_rfft with the stages and the split above (the assembly's where it runs) */
TF_FFT_ENTRY void tf_fft16_m0_rfft(const tf_fft16_plan_t *p, const int16_t *x, int32_t length, int16_t *out) {
  const int32_t n = p->points;
  int16_t dcr, dci;
  const int32_t last = p->stage_count - 1;
  /* whole pairs of a word-aligned frame: the assembly's first stage */
  if (p->radix[last] == 4 && (length & 1) == 0 && ((uintptr_t)(const void *)x & 3u) == 0) {
    tf_fft16_m0_first4(x, p->order, out, n, 2 * length);
    tf_fft16_m0_stages(p, out, last - 1);
  } else {
    tf_fft16_m0_stages(p, out, tf_fft16_first_stage(p, x, length, out));
  }
  dcr = tf_fft16_mul(out[0], 16383);
  dci = tf_fft16_mul(out[1], 16383);
  if (n >= 2) tf_fft16_m0_split(out, p->super_twiddles, n);
  out[0] = tf_fft16_add(dcr, dci);
  out[2 * n] = tf_fft16_sub(dcr, dci);
  out[1] = 0;
  out[2 * n + 1] = 0;
}
#endif
#endif
