/* SPDX-License-Identifier: Apache-2.0 */
/* The FFT of signal_fft.h over one scalar width: included there once per width, with TF_FFT_SCALAR
 * (int16_t, int32_t), TF_FFT_MAX (the largest scalar), TF_FFT_NAME (the prefix) and TF_FFT_WIDE
 * (1: the radix-2 and radix-4 butterflies keep int32 values between load and store) defined. */
#define S_ TF_FFT_SCALAR
#define F_(x) TF_FFT_NAME(x)

typedef struct {
  int32_t points;      /* of the complex FFT: half the real length */
  int32_t stage_count; /* radices, outermost first */
  int32_t inverse;
  int32_t radix[TF_FFT_MAX_STAGES];
  int32_t span[TF_FFT_MAX_STAGES];   /* points of each sub-transform a stage combines */
  int32_t stride[TF_FFT_MAX_STAGES]; /* twiddle stride: the product of the radices before */
  const uint16_t *order;             /* the complex input element each position starts from */
  const S_ *twiddles;                /* points interleaved (re, im) */
  const S_ *super_twiddles;          /* points / 2 interleaved (re, im) */
  /* the radix-2 and radix-4 stages' twiddles as int32 (re, im), in the order the wide butterflies
   * use them (u = 1 up, twiddles 1..radix-1 of each): one pointer and immediate offsets */
  const int32_t *stage_twiddles;
  int32_t stage_twiddle_at[TF_FFT_MAX_STAGES];
} F_(plan_t);

/* Every butterfly's first element (u = 0) takes twiddle 0, (MAX, 0), whose product is the element
 * itself: x * MAX rounded is x + floor((2^(F-1) - x) / 2^F), which is x for -2^(F-1) < x <= 2^(F-1), and
 * the divide by the radix has already brought |x| to at most MAX / 2. Those products are skipped.
 *
 * The butterfly's divide by its radix: times floor(MAX / radix), rounded. */
static inline void F_(fixdiv)(S_ *x, int32_t divisor) {
  x[0] = F_(mul)(x[0], divisor);
  x[1] = F_(mul)(x[1], divisor);
}

#if TF_FFT_WIDE
/* w: the stage's twiddles in order of use as int32 (re, im), from u = 1 */
static void F_(bfly2)(S_ *f, const int32_t *w, int32_t m) {
  S_ *g = f + 2 * m;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2, g += 2) {
    const int32_t ar = F_(wmul)(f[0], TF_FFT_MAX / 2), ai = F_(wmul)(f[1], TF_FFT_MAX / 2);
    const int32_t br = F_(wmul)(g[0], TF_FFT_MAX / 2), bi = F_(wmul)(g[1], TF_FFT_MAX / 2);
    int32_t tr = br, ti = bi;
    if (u != 0) {
      tr = F_(wcmul_re)(br, bi, w[0], w[1]);
      ti = F_(wcmul_im)(br, bi, w[0], w[1]);
      w += 2;
    }
    g[0] = (S_)F_(wsub)(ar, tr);
    g[1] = (S_)F_(wsub)(ai, ti);
    f[0] = (S_)F_(wadd)(ar, tr);
    f[1] = (S_)F_(wadd)(ai, ti);
  }
}
#else
static void F_(bfly2)(S_ *f, const S_ *tw, int32_t stride, int32_t m) {
  S_ *g = f + 2 * m;
  const S_ *w = tw;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2, g += 2, w += 2 * stride) {
    S_ tr, ti;
    F_(fixdiv)(f, TF_FFT_MAX / 2);
    F_(fixdiv)(g, TF_FFT_MAX / 2);
    if (u == 0) {
      tr = g[0];
      ti = g[1];
    } else {
      tr = F_(cmul_re)(g[0], g[1], w[0], w[1]);
      ti = F_(cmul_im)(g[0], g[1], w[0], w[1]);
    }
    g[0] = F_(sub)(f[0], tr);
    g[1] = F_(sub)(f[1], ti);
    f[0] = F_(add)(f[0], tr);
    f[1] = F_(add)(f[1], ti);
  }
}
#endif

static void F_(bfly3)(S_ *f, const S_ *tw, int32_t stride, int32_t m) {
  const S_ epi3 = tw[2 * stride * m + 1];
  S_ *f1 = f + 2 * m, *f2 = f + 4 * m;
  const S_ *w1 = tw, *w2 = tw;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2, f1 += 2, f2 += 2, w1 += 2 * stride, w2 += 4 * stride) {
    S_ s1r, s1i, s2r, s2i, s3r, s3i, s0r, s0i;
    F_(fixdiv)(f, TF_FFT_MAX / 3);
    F_(fixdiv)(f1, TF_FFT_MAX / 3);
    F_(fixdiv)(f2, TF_FFT_MAX / 3);
    if (u == 0) {
      s1r = f1[0];
      s1i = f1[1];
      s2r = f2[0];
      s2i = f2[1];
    } else {
      s1r = F_(cmul_re)(f1[0], f1[1], w1[0], w1[1]);
      s1i = F_(cmul_im)(f1[0], f1[1], w1[0], w1[1]);
      s2r = F_(cmul_re)(f2[0], f2[1], w2[0], w2[1]);
      s2i = F_(cmul_im)(f2[0], f2[1], w2[0], w2[1]);
    }
    s3r = F_(add)(s1r, s2r);
    s3i = F_(add)(s1i, s2i);
    s0r = F_(sub)(s1r, s2r);
    s0i = F_(sub)(s1i, s2i);
    f1[0] = F_(sub)(f[0], (S_)(s3r >> 1));
    f1[1] = F_(sub)(f[1], (S_)(s3i >> 1));
    s0r = F_(mul)(s0r, epi3);
    s0i = F_(mul)(s0i, epi3);
    f[0] = F_(add)(f[0], s3r);
    f[1] = F_(add)(f[1], s3i);
    f2[0] = F_(add)(f1[0], s0i);
    f2[1] = F_(sub)(f1[1], s0r);
    f1[0] = F_(sub)(f1[0], s0i);
    f1[1] = F_(add)(f1[1], s0r);
  }
}

#if TF_FFT_WIDE
/* The radix-4 sums of a and s0, s1, s2 (divided, twiddled), stored at f0..f3. s0 and s2 enter
 * only as s0 + s2 and s0 - s2: the inverse's rotation by +i in place of -i is s0 and s2 swapped. */
static inline void F_(radix4)(S_ *f0, S_ *f1, S_ *f2, S_ *f3, int32_t ar, int32_t ai, int32_t s0r, int32_t s0i, int32_t s1r, int32_t s1i,
                              int32_t s2r, int32_t s2i) {
  const int32_t s3r = F_(wadd)(s0r, s2r), s3i = F_(wadd)(s0i, s2i);
  const int32_t s4r = F_(wsub)(s0r, s2r), s4i = F_(wsub)(s0i, s2i);
  const int32_t g0r = F_(wadd)(ar, s1r), g0i = F_(wadd)(ai, s1i);
  const int32_t s5r = F_(wsub)(ar, s1r), s5i = F_(wsub)(ai, s1i);
  f2[0] = (S_)F_(wsub)(g0r, s3r);
  f2[1] = (S_)F_(wsub)(g0i, s3i);
  f0[0] = (S_)F_(wadd)(g0r, s3r);
  f0[1] = (S_)F_(wadd)(g0i, s3i);
  f1[0] = (S_)F_(wadd)(s5r, s4i);
  f1[1] = (S_)F_(wsub)(s5i, s4r);
  f3[0] = (S_)F_(wsub)(s5r, s4i);
  f3[1] = (S_)F_(wadd)(s5i, s4r);
}

/* w: the stage's twiddles in order of use as int32 (re, im) x 3, from u = 1; the first butterfly
 * (twiddle 0) is peeled off the loop. Inlined once per direction, so `inverse` is a constant. */
static inline __attribute__((always_inline)) void F_(bfly4_in)(S_ *f, const int32_t *w, int32_t m, const int32_t inverse) {
  const int32_t d = TF_FFT_MAX / 4;
  S_ *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m;
  int32_t u, ar = F_(wmul)(f[0], d), ai = F_(wmul)(f[1], d);
  int32_t x0r = F_(wmul)(f1[0], d), x0i = F_(wmul)(f1[1], d), x1r = F_(wmul)(f2[0], d), x1i = F_(wmul)(f2[1], d);
  int32_t x2r = F_(wmul)(f3[0], d), x2i = F_(wmul)(f3[1], d);
  if (inverse) {
    F_(radix4)(f, f1, f2, f3, ar, ai, x2r, x2i, x1r, x1i, x0r, x0i);
  } else {
    F_(radix4)(f, f1, f2, f3, ar, ai, x0r, x0i, x1r, x1i, x2r, x2i);
  }
  for (u = 1; u < m; ++u, w += 6) {
    int32_t t;
    f += 2;
    f1 += 2;
    f2 += 2;
    f3 += 2;
    ar = F_(wmul)(f[0], d);
    ai = F_(wmul)(f[1], d);
    x0r = F_(wmul)(f1[0], d);
    x0i = F_(wmul)(f1[1], d);
    x1r = F_(wmul)(f2[0], d);
    x1i = F_(wmul)(f2[1], d);
    x2r = F_(wmul)(f3[0], d);
    x2i = F_(wmul)(f3[1], d);
    t = F_(wcmul_re)(x0r, x0i, w[0], w[1]);
    x0i = F_(wcmul_im)(x0r, x0i, w[0], w[1]);
    x0r = t;
    t = F_(wcmul_re)(x1r, x1i, w[2], w[3]);
    x1i = F_(wcmul_im)(x1r, x1i, w[2], w[3]);
    x1r = t;
    t = F_(wcmul_re)(x2r, x2i, w[4], w[5]);
    x2i = F_(wcmul_im)(x2r, x2i, w[4], w[5]);
    x2r = t;
    if (inverse) {
      F_(radix4)(f, f1, f2, f3, ar, ai, x2r, x2i, x1r, x1i, x0r, x0i);
    } else {
      F_(radix4)(f, f1, f2, f3, ar, ai, x0r, x0i, x1r, x1i, x2r, x2i);
    }
  }
}

static void F_(bfly4)(S_ *f, const int32_t *w, int32_t m, int32_t inverse) {
  if (inverse) {
    F_(bfly4_in)(f, w, m, 1);
  } else {
    F_(bfly4_in)(f, w, m, 0);
  }
}
#else
static void F_(bfly4)(S_ *f, const S_ *tw, int32_t stride, int32_t m, int32_t inverse) {
  S_ *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m;
  const S_ *w1 = tw, *w2 = tw, *w3 = tw;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2, f1 += 2, f2 += 2, f3 += 2, w1 += 2 * stride, w2 += 4 * stride, w3 += 6 * stride) {
    S_ s0r, s0i, s1r, s1i, s2r, s2i, s3r, s3i, s4r, s4i, s5r, s5i;
    F_(fixdiv)(f, TF_FFT_MAX / 4);
    F_(fixdiv)(f1, TF_FFT_MAX / 4);
    F_(fixdiv)(f2, TF_FFT_MAX / 4);
    F_(fixdiv)(f3, TF_FFT_MAX / 4);
    if (u == 0) {
      s0r = f1[0];
      s0i = f1[1];
      s1r = f2[0];
      s1i = f2[1];
      s2r = f3[0];
      s2i = f3[1];
    } else {
      s0r = F_(cmul_re)(f1[0], f1[1], w1[0], w1[1]);
      s0i = F_(cmul_im)(f1[0], f1[1], w1[0], w1[1]);
      s1r = F_(cmul_re)(f2[0], f2[1], w2[0], w2[1]);
      s1i = F_(cmul_im)(f2[0], f2[1], w2[0], w2[1]);
      s2r = F_(cmul_re)(f3[0], f3[1], w3[0], w3[1]);
      s2i = F_(cmul_im)(f3[0], f3[1], w3[0], w3[1]);
    }
    s5r = F_(sub)(f[0], s1r);
    s5i = F_(sub)(f[1], s1i);
    f[0] = F_(add)(f[0], s1r);
    f[1] = F_(add)(f[1], s1i);
    s3r = F_(add)(s0r, s2r);
    s3i = F_(add)(s0i, s2i);
    s4r = F_(sub)(s0r, s2r);
    s4i = F_(sub)(s0i, s2i);
    f2[0] = F_(sub)(f[0], s3r);
    f2[1] = F_(sub)(f[1], s3i);
    f[0] = F_(add)(f[0], s3r);
    f[1] = F_(add)(f[1], s3i);
    if (inverse) {
      f1[0] = F_(sub)(s5r, s4i);
      f1[1] = F_(add)(s5i, s4r);
      f3[0] = F_(add)(s5r, s4i);
      f3[1] = F_(sub)(s5i, s4r);
    } else {
      f1[0] = F_(add)(s5r, s4i);
      f1[1] = F_(sub)(s5i, s4r);
      f3[0] = F_(sub)(s5r, s4i);
      f3[1] = F_(add)(s5i, s4r);
    }
  }
}
#endif

static void F_(bfly5)(S_ *f, const S_ *tw, int32_t stride, int32_t m) {
  const S_ yar = tw[2 * stride * m], yai = tw[2 * stride * m + 1];
  const S_ ybr = tw[4 * stride * m], ybi = tw[4 * stride * m + 1];
  S_ *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m, *f4 = f + 8 * m;
  const S_ *w1 = tw, *w2 = tw, *w3 = tw, *w4 = tw;
  int32_t u;
  for (u = 0; u < m; ++u, f += 2, f1 += 2, f2 += 2, f3 += 2, f4 += 2) {
    S_ s0r, s0i, s1r, s1i, s2r, s2i, s3r, s3i, s4r, s4i, s5r, s5i, s6r, s6i;
    S_ s7r, s7i, s8r, s8i, s9r, s9i, s10r, s10i, s11r, s11i, s12r, s12i;
    F_(fixdiv)(f, TF_FFT_MAX / 5);
    F_(fixdiv)(f1, TF_FFT_MAX / 5);
    F_(fixdiv)(f2, TF_FFT_MAX / 5);
    F_(fixdiv)(f3, TF_FFT_MAX / 5);
    F_(fixdiv)(f4, TF_FFT_MAX / 5);
    s0r = f[0];
    s0i = f[1];
    if (u == 0) {
      s1r = f1[0];
      s1i = f1[1];
      s2r = f2[0];
      s2i = f2[1];
      s3r = f3[0];
      s3i = f3[1];
      s4r = f4[0];
      s4i = f4[1];
    } else {
      s1r = F_(cmul_re)(f1[0], f1[1], w1[0], w1[1]);
      s1i = F_(cmul_im)(f1[0], f1[1], w1[0], w1[1]);
      s2r = F_(cmul_re)(f2[0], f2[1], w2[0], w2[1]);
      s2i = F_(cmul_im)(f2[0], f2[1], w2[0], w2[1]);
      s3r = F_(cmul_re)(f3[0], f3[1], w3[0], w3[1]);
      s3i = F_(cmul_im)(f3[0], f3[1], w3[0], w3[1]);
      s4r = F_(cmul_re)(f4[0], f4[1], w4[0], w4[1]);
      s4i = F_(cmul_im)(f4[0], f4[1], w4[0], w4[1]);
    }
    w1 += 2 * stride;
    w2 += 4 * stride;
    w3 += 6 * stride;
    w4 += 8 * stride;
    s7r = F_(add)(s1r, s4r);
    s7i = F_(add)(s1i, s4i);
    s10r = F_(sub)(s1r, s4r);
    s10i = F_(sub)(s1i, s4i);
    s8r = F_(add)(s2r, s3r);
    s8i = F_(add)(s2i, s3i);
    s9r = F_(sub)(s2r, s3r);
    s9i = F_(sub)(s2i, s3i);
    f[0] = F_(add)(s0r, F_(add)(s7r, s8r));
    f[1] = F_(add)(s0i, F_(add)(s7i, s8i));
    s5r = F_(add)(F_(add)(s0r, F_(mul)(s7r, yar)), F_(mul)(s8r, ybr));
    s5i = F_(add)(F_(add)(s0i, F_(mul)(s7i, yar)), F_(mul)(s8i, ybr));
    s6r = F_(add)(F_(mul)(s10i, yai), F_(mul)(s9i, ybi));
    s6i = F_(sub)(F_(neg)(F_(mul)(s10r, yai)), F_(mul)(s9r, ybi));
    f1[0] = F_(sub)(s5r, s6r);
    f1[1] = F_(sub)(s5i, s6i);
    f4[0] = F_(add)(s5r, s6r);
    f4[1] = F_(add)(s5i, s6i);
    s11r = F_(add)(F_(add)(s0r, F_(mul)(s7r, ybr)), F_(mul)(s8r, yar));
    s11i = F_(add)(F_(add)(s0i, F_(mul)(s7i, ybr)), F_(mul)(s8i, yar));
    s12r = F_(add)(F_(neg)(F_(mul)(s10i, ybi)), F_(mul)(s9i, yai));
    s12i = F_(sub)(F_(mul)(s10r, ybi), F_(mul)(s9r, yai));
    f2[0] = F_(add)(s11r, s12r);
    f2[1] = F_(add)(s11i, s12i);
    f3[0] = F_(sub)(s11r, s12r);
    f3[1] = F_(sub)(s11i, s12i);
  }
}

/* the butterflies of every stage, innermost first, over buf already in the plan's input order */
/* stages first..0 of the plan over buf */
static void F_(stages)(const F_(plan_t) * p, S_ *buf, int32_t first) {
  int32_t s, b;
  for (s = first; s >= 0; --s) {
    const int32_t radix = p->radix[s], m = p->span[s], stride = p->stride[s];
#if TF_FFT_WIDE
    const int32_t *w = p->stage_twiddles + p->stage_twiddle_at[s];
#endif
    for (b = 0; b < stride; ++b) {
      S_ *block = buf + 2 * b * radix * m;
      switch (radix) {
#if TF_FFT_WIDE
      case 2:
        F_(bfly2)(block, w, m);
        break;
      case 4:
        F_(bfly4)(block, w, m, p->inverse);
        break;
#else
      case 2:
        F_(bfly2)(block, p->twiddles, stride, m);
        break;
      case 4:
        F_(bfly4)(block, p->twiddles, stride, m, p->inverse);
        break;
#endif
      case 3:
        F_(bfly3)(block, p->twiddles, stride, m);
        break;
      default:
        F_(bfly5)(block, p->twiddles, stride, m);
        break;
      }
    }
  }
}

#if TF_FFT_WIDE
/* element j of x, 0 past its length, times d rounded (a radix divide) */
static inline int32_t F_(divided)(const S_ *x, int32_t length, int32_t j, int32_t d) { return j < length ? F_(wmul)(x[j], d) : 0; }
#endif

/* Puts x (its first `length` scalars, zeros after) in the plan's order in out, and returns the stage
 * to go on from. The innermost stage's butterflies have span 1 and only twiddle 0: for radix 4 and
 * 2 (int16) they run here on the values as they are read, not after a pass that copies them. */
static int32_t F_(first_stage)(const F_(plan_t) * p, const S_ *x, int32_t length, S_ *out) {
  const int32_t n = p->points, last = p->stage_count - 1;
  const uint16_t *order = p->order;
  int32_t k;
#if TF_FFT_WIDE
  if (p->radix[last] == 4) {
    const int32_t d = TF_FFT_MAX / 4;
    for (k = 0; k < n; k += 4, out += 8) {
      const int32_t j0 = 2 * (int32_t)order[k], j1 = 2 * (int32_t)order[k + 1];
      const int32_t j2 = 2 * (int32_t)order[k + 2], j3 = 2 * (int32_t)order[k + 3];
      const int32_t ar = F_(divided)(x, length, j0, d), ai = F_(divided)(x, length, j0 + 1, d);
      const int32_t s0r = F_(divided)(x, length, j1, d), s0i = F_(divided)(x, length, j1 + 1, d);
      const int32_t s1r = F_(divided)(x, length, j2, d), s1i = F_(divided)(x, length, j2 + 1, d);
      const int32_t s2r = F_(divided)(x, length, j3, d), s2i = F_(divided)(x, length, j3 + 1, d);
      const int32_t s5r = ar - s1r, s5i = ai - s1i, f0r = ar + s1r, f0i = ai + s1i;
      const int32_t s3r = s0r + s2r, s3i = s0i + s2i, s4r = s0r - s2r, s4i = s0i - s2i;
      out[4] = (S_)(f0r - s3r);
      out[5] = (S_)(f0i - s3i);
      out[0] = (S_)(f0r + s3r);
      out[1] = (S_)(f0i + s3i);
      if (p->inverse) {
        out[2] = (S_)(s5r - s4i);
        out[3] = (S_)(s5i + s4r);
        out[6] = (S_)(s5r + s4i);
        out[7] = (S_)(s5i - s4r);
      } else {
        out[2] = (S_)(s5r + s4i);
        out[3] = (S_)(s5i - s4r);
        out[6] = (S_)(s5r - s4i);
        out[7] = (S_)(s5i + s4r);
      }
    }
    return last - 1;
  }
  if (p->radix[last] == 2) {
    const int32_t d = TF_FFT_MAX / 2;
    for (k = 0; k < n; k += 2, out += 4) {
      const int32_t j0 = 2 * (int32_t)order[k], j1 = 2 * (int32_t)order[k + 1];
      const int32_t ar = F_(divided)(x, length, j0, d), ai = F_(divided)(x, length, j0 + 1, d);
      const int32_t br = F_(divided)(x, length, j1, d), bi = F_(divided)(x, length, j1 + 1, d);
      out[2] = (S_)(ar - br);
      out[3] = (S_)(ai - bi);
      out[0] = (S_)(ar + br);
      out[1] = (S_)(ai + bi);
    }
    return last - 1;
  }
#endif
  for (k = 0; k < n; ++k) {
    const int32_t j = 2 * (int32_t)order[k];
    out[2 * k] = j < length ? x[j] : 0;
    out[2 * k + 1] = j + 1 < length ? x[j + 1] : 0;
  }
  return last;
}

/* kiss_fftr: the first `length` samples of x (zeros after) to points + 1 interleaved bins; the
 * complex FFT runs in the output itself, then each pair of bins (k, points - k) is split in place */
TF_FFT_ENTRY void F_(rfft)(const F_(plan_t) * p, const S_ *x, int32_t length, S_ *out) {
  const int32_t n = p->points;
  int32_t k;
  S_ dcr, dci;
  F_(stages)(p, out, F_(first_stage)(p, x, length, out));
  dcr = F_(mul)(out[0], TF_FFT_MAX / 2);
  dci = F_(mul)(out[1], TF_FFT_MAX / 2);
#if TF_FFT_WIDE
  /* the halves are within +-16383 (the radix-2 divide), so their sums need no narrowing; the
   * twiddle product may leave the scalar range and is narrowed as kissfft stores it */
  for (k = 1; k <= n / 2; ++k) {
    S_ *a = out + 2 * k, *b = out + 2 * (n - k);
    const S_ *w = p->super_twiddles + 2 * (k - 1);
    const int32_t fpkr = F_(wmul)(a[0], TF_FFT_MAX / 2), fpki = F_(wmul)(a[1], TF_FFT_MAX / 2);
    const int32_t fpnkr = F_(wmul)(b[0], TF_FFT_MAX / 2), fpnki = F_(wmul)(F_(neg)(b[1]), TF_FFT_MAX / 2);
    const int32_t f1kr = F_(wadd)(fpkr, fpnkr), f1ki = F_(wadd)(fpki, fpnki);
    const int32_t f2kr = F_(wsub)(fpkr, fpnkr), f2ki = F_(wsub)(fpki, fpnki);
    const int32_t twr = (S_)F_(wcmul_re)(f2kr, f2ki, w[0], w[1]), twi = (S_)F_(wcmul_im)(f2kr, f2ki, w[0], w[1]);
    /* at k = n / 2 both are one bin: the second store wins, as in kissfft */
    a[0] = (S_)(F_(wadd)(f1kr, twr) >> 1);
    a[1] = (S_)(F_(wadd)(f1ki, twi) >> 1);
    b[0] = (S_)(F_(wsub)(f1kr, twr) >> 1);
    b[1] = (S_)(F_(wsub)(twi, f1ki) >> 1);
  }
#else
  for (k = 1; k <= n / 2; ++k) {
    S_ *a = out + 2 * k, *b = out + 2 * (n - k);
    const S_ *w = p->super_twiddles + 2 * (k - 1);
    const S_ fpkr = F_(mul)(a[0], TF_FFT_MAX / 2), fpki = F_(mul)(a[1], TF_FFT_MAX / 2);
    const S_ fpnkr = F_(mul)(b[0], TF_FFT_MAX / 2), fpnki = F_(mul)(F_(neg)(b[1]), TF_FFT_MAX / 2);
    const S_ f1kr = F_(add)(fpkr, fpnkr), f1ki = F_(add)(fpki, fpnki);
    const S_ f2kr = F_(sub)(fpkr, fpnkr), f2ki = F_(sub)(fpki, fpnki);
    const S_ twr = F_(cmul_re)(f2kr, f2ki, w[0], w[1]), twi = F_(cmul_im)(f2kr, f2ki, w[0], w[1]);
    /* at k = n / 2 both are one bin: the second store wins, as in kissfft */
    a[0] = F_(half_sum)(f1kr, twr);
    a[1] = F_(half_sum)(f1ki, twi);
    b[0] = F_(half_diff)(f1kr, twr);
    b[1] = F_(half_diff)(twi, f1ki);
  }
#endif
  out[0] = F_(add)(dcr, dci);
  out[2 * n] = F_(sub)(dcr, dci);
  out[1] = 0;
  out[2 * n + 1] = 0;
}

/* kiss_fftri: points + 1 interleaved bins to 2 * points samples; work holds 2 * points scalars */
TF_FFT_ENTRY void F_(irfft)(const F_(plan_t) * p, const S_ *in, S_ *work, S_ *out) {
  const int32_t n = p->points;
  int32_t k;
  work[0] = F_(mul)(F_(add)(in[0], in[2 * n]), TF_FFT_MAX / 2);
  work[1] = F_(mul)(F_(sub)(in[0], in[2 * n]), TF_FFT_MAX / 2);
#if TF_FFT_WIDE
  /* as in the forward split: only the twiddle product is narrowed before the stores */
  for (k = 1; k <= n / 2; ++k) {
    const S_ *a = in + 2 * k, *b = in + 2 * (n - k);
    const S_ *w = p->super_twiddles + 2 * (k - 1);
    const int32_t fkr = F_(wmul)(a[0], TF_FFT_MAX / 2), fki = F_(wmul)(a[1], TF_FFT_MAX / 2);
    const int32_t fnkr = F_(wmul)(b[0], TF_FFT_MAX / 2), fnki = F_(wmul)(F_(neg)(b[1]), TF_FFT_MAX / 2);
    const int32_t fekr = F_(wadd)(fkr, fnkr), feki = F_(wadd)(fki, fnki);
    const int32_t dr = F_(wsub)(fkr, fnkr), di = F_(wsub)(fki, fnki);
    const int32_t fokr = (S_)F_(wcmul_re)(dr, di, w[0], w[1]), foki = (S_)F_(wcmul_im)(dr, di, w[0], w[1]);
    work[2 * k] = (S_)F_(wadd)(fekr, fokr);
    work[2 * k + 1] = (S_)F_(wadd)(feki, foki);
    work[2 * (n - k)] = (S_)F_(wsub)(fekr, fokr);
    /* -(fe - fo), narrowed: the same bits as fo - fe narrowed */
    work[2 * (n - k) + 1] = (S_)F_(wsub)(foki, feki);
  }
#else
  for (k = 1; k <= n / 2; ++k) {
    const S_ *a = in + 2 * k, *b = in + 2 * (n - k);
    const S_ *w = p->super_twiddles + 2 * (k - 1);
    const S_ fkr = F_(mul)(a[0], TF_FFT_MAX / 2), fki = F_(mul)(a[1], TF_FFT_MAX / 2);
    const S_ fnkr = F_(mul)(b[0], TF_FFT_MAX / 2), fnki = F_(mul)(F_(neg)(b[1]), TF_FFT_MAX / 2);
    const S_ fekr = F_(add)(fkr, fnkr), feki = F_(add)(fki, fnki);
    const S_ dr = F_(sub)(fkr, fnkr), di = F_(sub)(fki, fnki);
    const S_ fokr = F_(cmul_re)(dr, di, w[0], w[1]), foki = F_(cmul_im)(dr, di, w[0], w[1]);
    work[2 * k] = F_(add)(fekr, fokr);
    work[2 * k + 1] = F_(add)(feki, foki);
    work[2 * (n - k)] = F_(sub)(fekr, fokr);
    work[2 * (n - k) + 1] = F_(neg)(F_(sub)(feki, foki));
  }
#endif
  F_(stages)(p, out, F_(first_stage)(p, work, 2 * n, out));
}

#undef S_
#undef F_
