/* SPDX-License-Identifier: Apache-2.0 */
/* The float32 real FFT and inverse real FFT of TFLite Micro's signal library (kissfft built without
 * FIXED_POINT), bit-exact with it and with the TypeScript reference (float_fft.ts): the real
 * transform of N samples is a complex FFT of N/2 points over the samples taken in pairs, split into
 * N/2 + 1 bins by the super twiddles. The complex FFT is mixed-radix (radices 2, 3, 4, 5), in
 * kissfft's order of float operations: every product of a complex multiply is rounded before its
 * sum, nothing is reassociated, and the translation unit is compiled without contraction into fused
 * multiply-adds (ISO C mode). No butterfly skips its first twiddle (1, -0): multiplying by it is
 * what makes kissfft's signed zeros. The plan (radices, twiddles rounded from double cos and sin,
 * the input order of the first stage) is computed at compile time: no libm call.
 * Data is interleaved (re, im) floats. */
#ifndef TF_SIGNAL_FFT_FLOAT_H
#define TF_SIGNAL_FFT_FLOAT_H
#include <stdint.h>

/* a 32768-point complex FFT has at most 15 radices */
#define TF_FFTF_MAX_STAGES 16

#define TF_FFTF_ENTRY static __attribute__((unused))

typedef struct {
  int32_t points;      /* of the complex FFT: half the real length */
  int32_t stage_count; /* radices, outermost first */
  int32_t inverse;
  int32_t radix[TF_FFTF_MAX_STAGES];
  int32_t span[TF_FFTF_MAX_STAGES];   /* points of each sub-transform a stage combines */
  int32_t stride[TF_FFTF_MAX_STAGES]; /* twiddle stride: the product of the radices before */
  const uint16_t *order;              /* the complex input element each position starts from */
  const float *twiddles;              /* points interleaved (re, im) */
  const float *super_twiddles;        /* points / 2 interleaved (re, im) */
} tf_fftf_plan_t;

/* C_MUL: (ar * br - ai * bi, ar * bi + ai * br), each product rounded */
#define TF_FFTF_CMUL(mr, mi, ar, ai, br, bi) \
  do { \
    const float p0_ = (ar) * (br); \
    const float p1_ = (ai) * (bi); \
    const float p2_ = (ar) * (bi); \
    const float p3_ = (ai) * (br); \
    (mr) = p0_ - p1_; \
    (mi) = p2_ + p3_; \
  } while (0)

static void tf_fftf_bfly2(float *f, const float *tw, int32_t stride, int32_t m) {
  float *g = f + 2 * m;
  const float *w = tw;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2, g += 2, w += 2 * stride) {
    float tr, ti;
    TF_FFTF_CMUL(tr, ti, g[0], g[1], w[0], w[1]);
    g[0] = f[0] - tr;
    g[1] = f[1] - ti;
    f[0] = f[0] + tr;
    f[1] = f[1] + ti;
  }
}

static void tf_fftf_bfly4(float *f, const float *tw, int32_t stride, int32_t m, int32_t inverse) {
  int32_t u;
  for (u = 0; u < m; ++u, f += 2) {
    float *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m;
    const float *w1 = tw + 2 * u * stride, *w2 = tw + 4 * u * stride, *w3 = tw + 6 * u * stride;
    float s0r, s0i, s1r, s1i, s2r, s2i, s3r, s3i, s4r, s4i, s5r, s5i, f0r, f0i;
    TF_FFTF_CMUL(s0r, s0i, f1[0], f1[1], w1[0], w1[1]);
    TF_FFTF_CMUL(s1r, s1i, f2[0], f2[1], w2[0], w2[1]);
    TF_FFTF_CMUL(s2r, s2i, f3[0], f3[1], w3[0], w3[1]);
    s5r = f[0] - s1r;
    s5i = f[1] - s1i;
    f0r = f[0] + s1r;
    f0i = f[1] + s1i;
    s3r = s0r + s2r;
    s3i = s0i + s2i;
    s4r = s0r - s2r;
    s4i = s0i - s2i;
    f2[0] = f0r - s3r;
    f2[1] = f0i - s3i;
    f[0] = f0r + s3r;
    f[1] = f0i + s3i;
    if (inverse) {
      f1[0] = s5r - s4i;
      f1[1] = s5i + s4r;
      f3[0] = s5r + s4i;
      f3[1] = s5i - s4r;
    } else {
      f1[0] = s5r + s4i;
      f1[1] = s5i - s4r;
      f3[0] = s5r - s4i;
      f3[1] = s5i + s4r;
    }
  }
}

static void tf_fftf_bfly3(float *f, const float *tw, int32_t stride, int32_t m) {
  const float epi3 = tw[2 * stride * m + 1];
  int32_t u;
  for (u = 0; u < m; ++u, f += 2) {
    float *f1 = f + 2 * m, *f2 = f + 4 * m;
    const float *w1 = tw + 2 * u * stride, *w2 = tw + 4 * u * stride;
    float s0r, s0i, s1r, s1i, s2r, s2i, s3r, s3i, g1r, g1i;
    TF_FFTF_CMUL(s1r, s1i, f1[0], f1[1], w1[0], w1[1]);
    TF_FFTF_CMUL(s2r, s2i, f2[0], f2[1], w2[0], w2[1]);
    s3r = s1r + s2r;
    s3i = s1i + s2i;
    s0r = s1r - s2r;
    s0i = s1i - s2i;
    g1r = f[0] - s3r * 0.5f;
    g1i = f[1] - s3i * 0.5f;
    s0r = s0r * epi3;
    s0i = s0i * epi3;
    f[0] = f[0] + s3r;
    f[1] = f[1] + s3i;
    f2[0] = g1r + s0i;
    f2[1] = g1i - s0r;
    f1[0] = g1r - s0i;
    f1[1] = g1i + s0r;
  }
}

static void tf_fftf_bfly5(float *f, const float *tw, int32_t stride, int32_t m) {
  const float yar = tw[2 * stride * m], yai = tw[2 * stride * m + 1];
  const float ybr = tw[4 * stride * m], ybi = tw[4 * stride * m + 1];
  int32_t u;
  for (u = 0; u < m; ++u, f += 2) {
    float *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m, *f4 = f + 8 * m;
    const float s0r = f[0], s0i = f[1];
    float s1r, s1i, s2r, s2i, s3r, s3i, s4r, s4i;
    float s5r, s5i, s6r, s6i, s7r, s7i, s8r, s8i, s9r, s9i, s10r, s10i, s11r, s11i, s12r, s12i;
    TF_FFTF_CMUL(s1r, s1i, f1[0], f1[1], tw[2 * u * stride], tw[2 * u * stride + 1]);
    TF_FFTF_CMUL(s2r, s2i, f2[0], f2[1], tw[4 * u * stride], tw[4 * u * stride + 1]);
    TF_FFTF_CMUL(s3r, s3i, f3[0], f3[1], tw[6 * u * stride], tw[6 * u * stride + 1]);
    TF_FFTF_CMUL(s4r, s4i, f4[0], f4[1], tw[8 * u * stride], tw[8 * u * stride + 1]);
    s7r = s1r + s4r;
    s7i = s1i + s4i;
    s10r = s1r - s4r;
    s10i = s1i - s4i;
    s8r = s2r + s3r;
    s8i = s2i + s3i;
    s9r = s2r - s3r;
    s9i = s2i - s3i;
    f[0] = s0r + (s7r + s8r);
    f[1] = s0i + (s7i + s8i);
    s5r = s0r + s7r * yar + s8r * ybr;
    s5i = s0i + s7i * yar + s8i * ybr;
    s6r = s10i * yai + s9i * ybi;
    s6i = -(s10r * yai) - s9r * ybi;
    f1[0] = s5r - s6r;
    f1[1] = s5i - s6i;
    f4[0] = s5r + s6r;
    f4[1] = s5i + s6i;
    s11r = s0r + s7r * ybr + s8r * yar;
    s11i = s0i + s7i * ybr + s8i * yar;
    s12r = -(s10i * ybi) + s9i * yai;
    s12i = s10r * ybi - s9r * yai;
    f2[0] = s11r + s12r;
    f2[1] = s11i + s12i;
    f3[0] = s11r - s12r;
    f3[1] = s11i - s12i;
  }
}

/* The stages innermost first over buf, which holds the input in the plan's order. */
static void tf_fftf_complex(const tf_fftf_plan_t *p, float *buf) {
  int32_t s, b;
  for (s = p->stage_count - 1; s >= 0; --s) {
    const int32_t radix = p->radix[s], m = p->span[s], stride = p->stride[s];
    for (b = 0; b < stride; ++b) {
      float *f = buf + 2 * b * radix * m;
      if (radix == 2)
        tf_fftf_bfly2(f, p->twiddles, stride, m);
      else if (radix == 3)
        tf_fftf_bfly3(f, p->twiddles, stride, m);
      else if (radix == 4)
        tf_fftf_bfly4(f, p->twiddles, stride, m, p->inverse);
      else
        tf_fftf_bfly5(f, p->twiddles, stride, m);
    }
  }
}

/* kiss_fftr: the points + 1 bins of `len` samples (+0.0f after them, as TFLite Micro pads); the
 * complex FFT runs in out itself, whose split reads bins k and points - k before it writes them. */
TF_FFTF_ENTRY void tf_fftf_rfft(const tf_fftf_plan_t *p, const float *in, int32_t len, float *out) {
  const int32_t n = p->points;
  int32_t k;
  float dcr, dci;
  for (k = 0; k < n; ++k) {
    const int32_t j = 2 * (int32_t)p->order[k];
    out[2 * k] = j < len ? in[j] : 0.0f;
    out[2 * k + 1] = j + 1 < len ? in[j + 1] : 0.0f;
  }
  tf_fftf_complex(p, out);
  dcr = out[0];
  dci = out[1];
  out[0] = dcr + dci;
  out[2 * n] = dcr - dci;
  out[1] = 0.0f;
  out[2 * n + 1] = 0.0f;
  for (k = 1; k <= n / 2; ++k) {
    const float *w = p->super_twiddles + 2 * (k - 1);
    const float fpkr = out[2 * k], fpki = out[2 * k + 1];
    const float fpnkr = out[2 * (n - k)], fpnki = -out[2 * (n - k) + 1];
    const float f1kr = fpkr + fpnkr, f1ki = fpki + fpnki;
    const float f2kr = fpkr - fpnkr, f2ki = fpki - fpnki;
    float twr, twi;
    TF_FFTF_CMUL(twr, twi, f2kr, f2ki, w[0], w[1]);
    out[2 * k] = (f1kr + twr) * 0.5f;
    out[2 * k + 1] = (f1ki + twi) * 0.5f;
    out[2 * (n - k)] = (f1kr - twr) * 0.5f;
    out[2 * (n - k) + 1] = (twi - f1ki) * 0.5f;
  }
}

/* kiss_fftri, then IrfftFloatApply's divide by fft_length: the 2 * points samples of the points + 1
 * bins of in. work holds the split bins (2 * points floats) the FFT then reads in its own order. */
TF_FFTF_ENTRY void tf_fftf_irfft(const tf_fftf_plan_t *p, const float *in, float *work, float *out) {
  const int32_t n = p->points;
  const float length = (float)(2 * n);
  int32_t k;
  work[0] = in[0] + in[2 * n];
  work[1] = in[0] - in[2 * n];
  for (k = 1; k <= n / 2; ++k) {
    const float *w = p->super_twiddles + 2 * (k - 1);
    const float fkr = in[2 * k], fki = in[2 * k + 1];
    const float fnkr = in[2 * (n - k)], fnki = -in[2 * (n - k) + 1];
    const float fekr = fkr + fnkr, feki = fki + fnki;
    const float dr = fkr - fnkr, di = fki - fnki;
    float fokr, foki;
    TF_FFTF_CMUL(fokr, foki, dr, di, w[0], w[1]);
    work[2 * k] = fekr + fokr;
    work[2 * k + 1] = feki + foki;
    work[2 * (n - k)] = fekr - fokr;
    /* `tmpbuf[ncfft - k].i *= -1`: a multiply, as kissfft does */
    work[2 * (n - k) + 1] = (feki - foki) * -1.0f;
  }
  for (k = 0; k < n; ++k) {
    const int32_t j = 2 * (int32_t)p->order[k];
    out[2 * k] = work[j];
    out[2 * k + 1] = work[j + 1];
  }
  tf_fftf_complex(p, out);
  for (k = 0; k < 2 * n; ++k) out[k] = out[k] / length;
}

#endif
