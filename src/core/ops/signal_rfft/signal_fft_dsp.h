/* SPDX-License-Identifier: Apache-2.0 */
/* The int16 FFT of signal_fft.h on the Arm DSP extension (Cortex-M4/M7/M33), bit-exact with it: a
 * complex value is one 32-bit word of two int16 lanes (re in lane 0), loaded and stored whole, so
 * the radix divide is SMLABB/SMLATB with the rounding constant as accumulator, a twiddle product is
 * SMLSD (re) and SMLADX (im), sums are SADD16/SSUB16 (which wrap per lane as kissfft's int16 stores
 * do), the radix-4 rotation by -i or +i is SSAX/SASX, and the real split's halvings of 17-bit sums
 * are SHADD16/SHSUB16. Every rounded product lands in lane form with one PKHTB. The stage twiddles
 * are words (plan.stage_twiddles holds the pairs packed); radices 3 and 5 keep the scalar butterflies. On the host the primitives are plain C twins. */
#ifndef TF_SIGNAL_FFT_DSP_H
#define TF_SIGNAL_FFT_DSP_H
#include <stdint.h>
#include <string.h>
#include "signal_fft.h"
/* SMLABB, SMLATB, SADD16, SHADD16 and their host twins: the family header */
#include "isa.h"

static inline int32_t tf_fft_lo(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xffffu); }
static inline int32_t tf_fft_hi(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }
static inline uint32_t tf_fft_lanes(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16); }

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* acc + x.lane0 * y.lane0 - x.lane1 * y.lane1 */
static inline int32_t tf_fft_smlsd(uint32_t x, uint32_t y, int32_t acc) {
  int32_t r;
  __asm__("smlsd %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
}
/* acc + x.lane0 * y.lane1 + x.lane1 * y.lane0 */
static inline int32_t tf_fft_smladx(uint32_t x, uint32_t y, int32_t acc) {
  int32_t r;
  __asm__("smladx %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
}
#define TF_FFT_DSP_BINARY(name, insn) \
  static inline uint32_t name(uint32_t x, uint32_t y) { \
    uint32_t r; \
    __asm__(insn " %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); \
    return r; \
  }
TF_FFT_DSP_BINARY(tf_fft_ssub16, "ssub16")
TF_FFT_DSP_BINARY(tf_fft_sasx, "sasx")
TF_FFT_DSP_BINARY(tf_fft_ssax, "ssax")
TF_FFT_DSP_BINARY(tf_fft_shsub16, "shsub16")
/* lanes (lo >> 15, hi >> 15): the rounded Q15 products of two 32-bit sums */
static inline uint32_t tf_fft_q15_pair(int32_t lo, int32_t hi) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #15" : "=r"(r) : "r"((uint32_t)hi << 1), "r"(lo));
  return r;
}
#else
/* the twins' products are below 2^30 and the sums wrap like the instructions' */
static inline int32_t tf_fft_smlsd(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tf_fft_lo(x) * tf_fft_lo(y)) - (uint32_t)(tf_fft_hi(x) * tf_fft_hi(y)));
}
static inline int32_t tf_fft_smladx(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tf_fft_lo(x) * tf_fft_hi(y)) + (uint32_t)(tf_fft_hi(x) * tf_fft_lo(y)));
}
static inline uint32_t tf_fft_ssub16(uint32_t x, uint32_t y) {
  return tf_fft_lanes(tf_fft_lo(x) - tf_fft_lo(y), tf_fft_hi(x) - tf_fft_hi(y));
}
static inline uint32_t tf_fft_sasx(uint32_t x, uint32_t y) {
  return tf_fft_lanes(tf_fft_lo(x) - tf_fft_hi(y), tf_fft_hi(x) + tf_fft_lo(y));
}
static inline uint32_t tf_fft_ssax(uint32_t x, uint32_t y) {
  return tf_fft_lanes(tf_fft_lo(x) + tf_fft_hi(y), tf_fft_hi(x) - tf_fft_lo(y));
}
static inline uint32_t tf_fft_shsub16(uint32_t x, uint32_t y) {
  return tf_fft_lanes((tf_fft_lo(x) - tf_fft_lo(y)) >> 1, (tf_fft_hi(x) - tf_fft_hi(y)) >> 1);
}
static inline uint32_t tf_fft_q15_pair(int32_t lo, int32_t hi) { return tf_fft_lanes(lo >> 15, hi >> 15); }
#endif

static inline uint32_t tf_fft_load(const int16_t *p) {
  uint32_t w;
  memcpy(&w, p, 4);
  return w;
}
static inline void tf_fft_store(int16_t *p, uint32_t w) { memcpy(p, &w, 4); }
/* lane 0 of x, lane 1 of y (PKHBT) */
static inline uint32_t tf_fft_join(uint32_t x, uint32_t y) { return (x & 0xffffu) | (y & 0xffff0000u); }
/* (re, -im), the negation wrapping as kissfft's int16 store does */
static inline uint32_t tf_fft_conj(uint32_t x) { return tf_fft_join(x, tf_fft_ssub16(0, x)); }

/* both lanes times d (a radix divide, floor(32767 / radix)), rounded */
static inline uint32_t tf_fft_scale(uint32_t x, uint32_t d) { return tf_fft_q15_pair(tf_smlabb(x, d, 16384), tf_smlatb(x, d, 16384)); }
/* x * w rounded, as C_MUL */
static inline uint32_t tf_fft_cmul(uint32_t x, uint32_t w) {
  return tf_fft_q15_pair(tf_fft_smlsd(x, w, 16384), tf_fft_smladx(x, w, 16384));
}

/* w: the stage's twiddles as words (re in lane 0) in the order of use, from u = 1 */
static void tf_fft16_dsp_bfly2(int16_t *f, const uint32_t *w, int32_t m) {
  int16_t *g = f + 2 * m;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2, g += 2) {
    const uint32_t a = tf_fft_scale(tf_fft_load(f), 16383);
    uint32_t t = tf_fft_scale(tf_fft_load(g), 16383);
    if (u != 0) t = tf_fft_cmul(t, *w++);
    tf_fft_store(g, tf_fft_ssub16(a, t));
    tf_fft_store(f, tf_sadd16(a, t));
  }
}

/* the radix-4 butterfly of a, s0, s1, s2 (divided, twiddled) into f, f + q, ... */
static inline void tf_fft16_dsp_radix4(int16_t *f, int32_t q, uint32_t a0, uint32_t s0, uint32_t s1, uint32_t s2, int32_t inverse) {
  const uint32_t s5 = tf_fft_ssub16(a0, s1);
  const uint32_t s3 = tf_sadd16(s0, s2);
  const uint32_t s4 = tf_fft_ssub16(s0, s2);
  a0 = tf_sadd16(a0, s1);
  tf_fft_store(f + 2 * q, tf_fft_ssub16(a0, s3));
  tf_fft_store(f, tf_sadd16(a0, s3));
  /* s5 -+ i * s4 */
  tf_fft_store(f + q, inverse ? tf_fft_sasx(s5, s4) : tf_fft_ssax(s5, s4));
  tf_fft_store(f + 3 * q, inverse ? tf_fft_ssax(s5, s4) : tf_fft_sasx(s5, s4));
}

/* w: three twiddle words per u, from u = 1 */
static void tf_fft16_dsp_bfly4(int16_t *f, const uint32_t *w, int32_t m, int32_t inverse) {
  const int32_t q = 2 * m;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2) {
    const uint32_t a0 = tf_fft_scale(tf_fft_load(f), 8191);
    uint32_t s0 = tf_fft_scale(tf_fft_load(f + q), 8191);
    uint32_t s1 = tf_fft_scale(tf_fft_load(f + 2 * q), 8191);
    uint32_t s2 = tf_fft_scale(tf_fft_load(f + 3 * q), 8191);
    if (u != 0) {
      s0 = tf_fft_cmul(s0, w[0]);
      s1 = tf_fft_cmul(s1, w[1]);
      s2 = tf_fft_cmul(s2, w[2]);
      w += 3;
    }
    tf_fft16_dsp_radix4(f, q, a0, s0, s1, s2, inverse);
  }
}

static void tf_fft16_dsp_stages(const tf_fft16_plan_t *p, int16_t *buf, int32_t first) {
  const uint32_t *words = (const uint32_t *)(const void *)p->stage_twiddles;
  int32_t s, b;
  for (s = first; s >= 0; --s) {
    const int32_t radix = p->radix[s], m = p->span[s], stride = p->stride[s];
    const uint32_t *w = words + p->stage_twiddle_at[s];
    for (b = 0; b < stride; ++b) {
      int16_t *block = buf + 2 * b * radix * m;
      switch (radix) {
      case 2:
        tf_fft16_dsp_bfly2(block, w, m);
        break;
      case 3:
        tf_fft16_bfly3(block, p->twiddles, stride, m);
        break;
      case 4:
        tf_fft16_dsp_bfly4(block, w, m, p->inverse);
        break;
      default:
        tf_fft16_bfly5(block, p->twiddles, stride, m);
        break;
      }
    }
  }
}

/* complex element j / 2 of x as a word, 0 past its length */
static inline uint32_t tf_fft_sample(const int16_t *x, int32_t length, int32_t j) {
  if (j + 1 < length) return tf_fft_load(x + j);
  return j < length ? (uint16_t)x[j] : 0u;
}

/* x in the plan's order into out, with the innermost radix-4 or radix-2 stage (span 1, twiddle 0)
 * run on the words as they are read; returns the stage to go on from */
static int32_t tf_fft16_dsp_first(const tf_fft16_plan_t *p, const int16_t *x, int32_t length, int16_t *out) {
  const int32_t n = p->points, last = p->stage_count - 1;
  const uint16_t *order = p->order;
  int32_t k;
  if (p->radix[last] == 4) {
    for (k = 0; k < n; k += 4, out += 8) {
      const uint32_t a0 = tf_fft_scale(tf_fft_sample(x, length, 2 * order[k]), 8191);
      const uint32_t s0 = tf_fft_scale(tf_fft_sample(x, length, 2 * order[k + 1]), 8191);
      const uint32_t s1 = tf_fft_scale(tf_fft_sample(x, length, 2 * order[k + 2]), 8191);
      const uint32_t s2 = tf_fft_scale(tf_fft_sample(x, length, 2 * order[k + 3]), 8191);
      tf_fft16_dsp_radix4(out, 2, a0, s0, s1, s2, p->inverse);
    }
    return last - 1;
  }
  if (p->radix[last] == 2) {
    for (k = 0; k < n; k += 2, out += 4) {
      const uint32_t a = tf_fft_scale(tf_fft_sample(x, length, 2 * order[k]), 16383);
      const uint32_t b = tf_fft_scale(tf_fft_sample(x, length, 2 * order[k + 1]), 16383);
      tf_fft_store(out + 2, tf_fft_ssub16(a, b));
      tf_fft_store(out, tf_sadd16(a, b));
    }
    return last - 1;
  }
  for (k = 0; k < n; ++k) tf_fft_store(out + 2 * k, tf_fft_sample(x, length, 2 * order[k]));
  return last;
}

/* tf_fft16_rfft with packed butterflies and split */
TF_FFT_ENTRY void tf_fft16_dsp_rfft(const tf_fft16_plan_t *p, const int16_t *x, int32_t length, int16_t *out) {
  const int32_t n = p->points;
  int32_t k;
  uint32_t dc;
  tf_fft16_dsp_stages(p, out, tf_fft16_dsp_first(p, x, length, out));
  dc = tf_fft_scale(tf_fft_load(out), 16383);
  for (k = 1; k <= n / 2; ++k) {
    const uint32_t fpk = tf_fft_scale(tf_fft_load(out + 2 * k), 16383);
    const uint32_t fpnk = tf_fft_scale(tf_fft_conj(tf_fft_load(out + 2 * (n - k))), 16383);
    const uint32_t f1k = tf_sadd16(fpk, fpnk);
    const uint32_t tw = tf_fft_cmul(tf_fft_ssub16(fpk, fpnk), tf_fft_load(p->super_twiddles + 2 * (k - 1)));
    /* at k = n / 2 both are one bin: the second store wins, as in kissfft */
    tf_fft_store(out + 2 * k, tf_shadd16(f1k, tw));
    tf_fft_store(out + 2 * (n - k), tf_fft_shsub16(tf_fft_join(f1k, tw), tf_fft_join(tw, f1k)));
  }
  out[0] = (int16_t)(tf_fft_lo(dc) + tf_fft_hi(dc));
  out[2 * n] = (int16_t)(tf_fft_lo(dc) - tf_fft_hi(dc));
  out[1] = 0;
  out[2 * n + 1] = 0;
}

/* tf_fft16_irfft with packed split and butterflies */
TF_FFT_ENTRY void tf_fft16_dsp_irfft(const tf_fft16_plan_t *p, const int16_t *in, int16_t *work, int16_t *out) {
  const int32_t n = p->points;
  int32_t k;
  work[0] = tf_fft16_mul(tf_fft16_add(in[0], in[2 * n]), 16383);
  work[1] = tf_fft16_mul(tf_fft16_sub(in[0], in[2 * n]), 16383);
  for (k = 1; k <= n / 2; ++k) {
    const uint32_t fk = tf_fft_scale(tf_fft_load(in + 2 * k), 16383);
    const uint32_t fnkc = tf_fft_scale(tf_fft_conj(tf_fft_load(in + 2 * (n - k))), 16383);
    const uint32_t fek = tf_sadd16(fk, fnkc);
    const uint32_t fok = tf_fft_cmul(tf_fft_ssub16(fk, fnkc), tf_fft_load(p->super_twiddles + 2 * (k - 1)));
    tf_fft_store(work + 2 * k, tf_sadd16(fek, fok));
    tf_fft_store(work + 2 * (n - k), tf_fft_conj(tf_fft_ssub16(fek, fok)));
  }
  tf_fft16_dsp_stages(p, out, tf_fft16_dsp_first(p, work, 2 * n, out));
}
#endif
