/* The shared loops of the int8 DSP kernel variants (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED):
 * always-inline bodies that a layer's template instantiates once per model and mode (a guarded
 * static function), each layer passing its constants, so flash holds one copy per kernel kind.
 * Needs dsp.h and fixedpoint.h first (codegen includes the common headers in name order).
 *
 * Requantization: per output channel a record of TF_RQ_FIELDS int32 built at compile time:
 *   { acc start (bias, input offset folded in where the kernel allows), multiplier,
 *     lsh1 = max(shift,0)+1, rnd, rsh1 = max(-shift,0)+1 }.
 * FAST mode (the generator proved |acc| * 2^lsh1 < 2^31 and no overflow below): SRDHM is SMMULR
 * of the doubled value, and RDBPOT(v, e) + zp = (2v + 2^e + zp*2^(e+1) - [v<0]) >> (e+1) with
 * rnd = 2^e + zp*2^(e+1): bit-exact with TFLite Micro. Otherwise rnd is unused and TFLM's 64-bit
 * steps run. FULL: the activation range is [-128, 127], one SSAT. */
#ifndef TF_KERNELS_DSP_H
#define TF_KERNELS_DSP_H
#if !defined(TF_DSP_H) || !defined(TF_FIXEDPOINT_H)
#error "include dsp.h and fixedpoint.h before kernels_dsp.h"
#endif

#define TF_RQ_FIELDS 5

typedef struct {
  int32_t out_zp;
  int32_t act_min;
  int32_t act_max;
} tf_rq_t;

/* Word loads of data the generator keeps 4-byte aligned (weights, arena tensors at offsets that are
 * multiples of 4): plain loads on the device so the compiler may pair them (LDRD); memcpy on the
 * host, whose test buffers carry no alignment promise. */
#if TF_DSP_NATIVE
#define TF_LOAD32(p) (*(const uint32_t *)(const void *)(p))
#else
#define TF_LOAD32(p) tf_read_u32(p)
#endif

/* One channel's requantization constants, held in registers across the pixels of a block. */
typedef struct {
  int32_t m, lsh1, rnd, rsh1;
} tf_rq_channel_t;

static inline __attribute__((always_inline)) tf_rq_channel_t tf_rq_channel(const int32_t *q) {
  tf_rq_channel_t c;
  c.m = q[1];
  c.lsh1 = q[2];
  c.rnd = q[3];
  c.rsh1 = q[4];
  return c;
}

static inline __attribute__((always_inline)) int8_t tf_rq_out(int32_t acc, tf_rq_channel_t c, const tf_rq_t *rq, const int fast, const int full) {
  int32_t v;
  if (fast) {
    const int32_t h = tf_smmulr((int32_t)((uint32_t)acc << c.lsh1), c.m);
    v = (int32_t)(2u * (uint32_t)h + (uint32_t)c.rnd - ((uint32_t)h >> 31)) >> c.rsh1;
  } else {
    v = tf_rdbpot(tf_srdhm((int32_t)((uint32_t)acc << (c.lsh1 - 1)), c.m), c.rsh1 - 1) + rq->out_zp;
  }
  if (full) return (int8_t)tf_ssat8(v);
  return (int8_t)tf_clamp(v, rq->act_min, rq->act_max);
}

/*
 * Weights of the DSP kernels are laid out at compile time in the order the loops read them: rows of
 * k4 int8 (a multiple of 4), channels taken in pairs whose rows are interleaved four bytes at a time
 * (a0..a3 b0..b3 a4..a7 b4..b7 ...), an odd last channel's row plain. SXTB16 of a weight word pairs
 * lane for lane with the column words (the column producer and the weight order agree on it).
 *
 * Columns of a pixel pair: per four values, words 0 / 2 hold pixel A's, 1 / 3 pixel B's, two int16
 * lanes each. k4 / 4 steps of 4 values: two channels by two pixels, 16 MACs in 8 SMLAD.
 */
#if TF_DSP_NATIVE
/* 4 values of the 2x2 block: 3 LDRD, 4 SXTB16, 8 SMLAD */
#define TF_DSP_STEP2X2 \
  "ldrd %[t0], %[t1], [%[w]], #8\n\t" \
  "ldrd %[x0], %[x1], [%[x]], #8\n\t" \
  "sxtb16 %[e], %[t0]\n\t" \
  "smlad %[aa], %[x0], %[e], %[aa]\n\t" \
  "smlad %[ab], %[x1], %[e], %[ab]\n\t" \
  "sxtb16 %[e], %[t1]\n\t" \
  "smlad %[ba], %[x0], %[e], %[ba]\n\t" \
  "smlad %[bb], %[x1], %[e], %[bb]\n\t" \
  "ldrd %[x0], %[x1], [%[x]], #8\n\t" \
  "sxtb16 %[t0], %[t0], ror #8\n\t" \
  "smlad %[aa], %[x0], %[t0], %[aa]\n\t" \
  "smlad %[ab], %[x1], %[t0], %[ab]\n\t" \
  "sxtb16 %[t1], %[t1], ror #8\n\t" \
  "smlad %[ba], %[x0], %[t1], %[ba]\n\t" \
  "smlad %[bb], %[x1], %[t1], %[bb]\n\t"
#endif

static inline __attribute__((always_inline)) void tf_dsp_dot2x2(
    const uint32_t *x, const int8_t *w, int k4, int32_t *aa, int32_t *ab, int32_t *ba, int32_t *bb) {
#if TF_DSP_NATIVE
  int32_t raa = *aa, rab = *ab, rba = *ba, rbb = *bb;
  uint32_t t0, t1, e, x0, x1;
  const uint32_t *const end8 = x + (k4 & ~7);
  if (x < end8) {
    __asm__ volatile(
        "1:\n\t" TF_DSP_STEP2X2 TF_DSP_STEP2X2
        "cmp %[x], %[end]\n\t"
        "bne 1b\n\t"
        : [aa] "+r"(raa), [ab] "+r"(rab), [ba] "+r"(rba), [bb] "+r"(rbb), [x] "+r"(x), [w] "+r"(w),
          [t0] "=&r"(t0), [t1] "=&r"(t1), [e] "=&r"(e), [x0] "=&r"(x0), [x1] "=&r"(x1)
        : [end] "r"(end8)
        : "cc", "memory");
  }
  if (k4 & 4) {
    __asm__ volatile(TF_DSP_STEP2X2
        : [aa] "+r"(raa), [ab] "+r"(rab), [ba] "+r"(rba), [bb] "+r"(rbb), [x] "+r"(x), [w] "+r"(w),
          [t0] "=&r"(t0), [t1] "=&r"(t1), [e] "=&r"(e), [x0] "=&r"(x0), [x1] "=&r"(x1)
        :
        : "memory");
  }
  *aa = raa;
  *ab = rab;
  *ba = rba;
  *bb = rbb;
#else
  const uint32_t *const end = x + k4;
  for (; x < end; x += 4, w += 8) {
    const uint32_t w1 = tf_read_u32(w), w2 = tf_read_u32(w + 4);
    *aa = tf_smlad(x[0], tf_sxtb16(w1), *aa);
    *ab = tf_smlad(x[1], tf_sxtb16(w1), *ab);
    *ba = tf_smlad(x[0], tf_sxtb16(w2), *ba);
    *bb = tf_smlad(x[1], tf_sxtb16(w2), *bb);
    *aa = tf_smlad(x[2], tf_sxtb16_ror8(w1), *aa);
    *ab = tf_smlad(x[3], tf_sxtb16_ror8(w1), *ab);
    *ba = tf_smlad(x[2], tf_sxtb16_ror8(w2), *ba);
    *bb = tf_smlad(x[3], tf_sxtb16_ror8(w2), *bb);
  }
#endif
}

static inline __attribute__((always_inline)) void tf_dsp_pair_channels(
    const uint32_t *cols, int k4, const int8_t *w, int out_c, const int32_t *q, const tf_rq_t *rq,
    int8_t *out_a, int8_t *out_b, const int fast, const int full) {
  int c = 0;
  for (; c + 2 <= out_c; c += 2, w += 2 * k4, q += 2 * TF_RQ_FIELDS) {
    int32_t aa = q[0], ab = q[0], ba = q[TF_RQ_FIELDS], bb = q[TF_RQ_FIELDS];
    tf_dsp_dot2x2(cols, w, k4, &aa, &ab, &ba, &bb);
    const tf_rq_channel_t qa = tf_rq_channel(q), qb = tf_rq_channel(q + TF_RQ_FIELDS);
    const int8_t raa = tf_rq_out(aa, qa, rq, fast, full), rab = tf_rq_out(ab, qa, rq, fast, full);
    const int8_t rba = tf_rq_out(ba, qb, rq, fast, full), rbb = tf_rq_out(bb, qb, rq, fast, full);
    out_a[c] = raa;
    out_b[c] = rab;
    out_a[c + 1] = rba;
    out_b[c + 1] = rbb;
  }
  if (c < out_c) {
    int32_t aa = q[0], ab = q[0];
    const uint32_t *x = cols;
    const uint32_t *const end = cols + k4;
    for (; x < end; x += 4, w += 4) {
      const uint32_t w1 = TF_LOAD32(w);
      const uint32_t e = tf_sxtb16(w1), o = tf_sxtb16_ror8(w1);
      aa = tf_smlad(x[0], e, aa);
      ab = tf_smlad(x[1], e, ab);
      aa = tf_smlad(x[2], o, aa);
      ab = tf_smlad(x[3], o, ab);
    }
    const tf_rq_channel_t qa = tf_rq_channel(q);
    const int8_t raa = tf_rq_out(aa, qa, rq, fast, full), rab = tf_rq_out(ab, qa, rq, fast, full);
    out_a[c] = raa;
    out_b[c] = rab;
  }
}

/* The same for one pixel, whose columns are two words per group of four values (k4 / 2 words). */
static inline __attribute__((always_inline)) void tf_dsp_single_channels(
    const uint32_t *cols, int k4, const int8_t *w, int out_c, const int32_t *q, const tf_rq_t *rq, int8_t *out,
    const int fast, const int full) {
  int c = 0;
  for (; c + 2 <= out_c; c += 2, w += 2 * k4, q += 2 * TF_RQ_FIELDS) {
    const int8_t *wp = w;
    int32_t a = q[0], b = q[TF_RQ_FIELDS];
    const uint32_t *x = cols;
    const uint32_t *const end = cols + k4 / 2;
    for (; x < end; x += 2, wp += 8) {
      const uint32_t w1 = TF_LOAD32(wp), w2 = TF_LOAD32(wp + 4);
      const uint32_t x0 = x[0], x1 = x[1];
      a = tf_smlad(x0, tf_sxtb16(w1), a);
      b = tf_smlad(x0, tf_sxtb16(w2), b);
      a = tf_smlad(x1, tf_sxtb16_ror8(w1), a);
      b = tf_smlad(x1, tf_sxtb16_ror8(w2), b);
    }
    const int8_t ra = tf_rq_out(a, tf_rq_channel(q), rq, fast, full);
    const int8_t rb = tf_rq_out(b, tf_rq_channel(q + TF_RQ_FIELDS), rq, fast, full);
    out[c] = ra;
    out[c + 1] = rb;
  }
  if (c < out_c) {
    int32_t a = q[0];
    const uint32_t *x = cols;
    const uint32_t *const end = cols + k4 / 2;
    for (; x < end; x += 2, w += 4) {
      const uint32_t w1 = TF_LOAD32(w);
      a = tf_smlad(x[0], tf_sxtb16(w1), a);
      a = tf_smlad(x[1], tf_sxtb16_ror8(w1), a);
    }
    out[c] = tf_rq_out(a, tf_rq_channel(q), rq, fast, full);
  }
}

/* One pixel's int8 values (k4 of them, a multiple of 4) as SXTB16 halves into columns: in a pair,
 * words 0/2 of each group of four for pixel A (`slot` 0), 1/3 for pixel B (`slot` 1), `step` 4;
 * alone, words 0/1 of each group, `step` 2. */
static inline __attribute__((always_inline)) void tf_dsp_pack_pixel(uint32_t *cols, int slot, int step, const int8_t *x, int k4) {
  uint32_t *d = cols + slot;
  const int odd = step / 2;
  for (int k = 0; k < k4; k += 4, d += step) {
    const uint32_t v = TF_LOAD32(x + k);
    d[0] = tf_sxtb16(v);
    d[odd] = tf_sxtb16_ror8(v);
  }
}

/*
 * 1x1 convolution at stride 1 and FULLY_CONNECTED: out[p][c] = rq(q[c].start + sum_k w[c][k] *
 * x[p][k]), two pixels at a time (k4 = channels, a multiple of 4): the columns hold SXTB16 halves
 * (bytes 0,2 then 1,3) and so do the weights, in their own byte order, once extended. `cols` holds
 * k4 words.
 */
static inline __attribute__((always_inline)) void tf_dsp_pointwise_body(
    const int8_t *in, int pixels, int k4, const int8_t *w, int out_c, const int32_t *q, const tf_rq_t *rq,
    int8_t *out, uint32_t *cols, const int fast, const int full) {
  int p = 0;
  for (; p + 2 <= pixels; p += 2, in += 2 * k4, out += 2 * out_c) {
    tf_dsp_pack_pixel(cols, 0, 4, in, k4);
    tf_dsp_pack_pixel(cols, 1, 4, in + k4, k4);
    tf_dsp_pair_channels(cols, k4, w, out_c, q, rq, out, out + out_c, fast, full);
  }
  if (p < pixels) {
    tf_dsp_pack_pixel(cols, 0, 2, in, k4);
    tf_dsp_single_channels(cols, k4, w, out_c, q, rq, out, fast, full);
  }
}

/* Geometry of a convolution lowered to columns (im2col). */
typedef struct {
  int16_t in_h, in_w, in_c;
  int16_t out_h, out_w, out_c;
  int16_t k_h, k_w;
  int16_t stride_h, stride_w, dilation_h, dilation_w;
  int16_t pad_top, pad_left;
  /* the -z_in added to each value (padded taps become 0, the same as skipping them) */
  int16_t input_offset;
  /* k = k_h * k_w * in_c rounded up to a multiple of 4 */
  int16_t k4;
} tf_conv_geom_t;

/* One output pixel's receptive field as int16 (x + offset, 0 outside the image), in natural order,
 * into `lin` (k4 values; the tail past k stays 0 from the caller). */
static inline __attribute__((always_inline)) void tf_dsp_im2col_linear(
    int16_t *lin, const int8_t *image, int oy, int ox, const tf_conv_geom_t *g) {
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int off = g->input_offset;
  const int in_c = g->in_c;
  const int row_bytes = g->in_w * in_c;
  for (int ky = 0; ky < g->k_h; ++ky) {
    const int iy = iy0 + ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) {
      for (int n = g->k_w * in_c; n > 0; --n) *lin++ = 0;
      continue;
    }
    const int8_t *row = image + iy * row_bytes;
    if (g->dilation_w == 1 && ix0 >= 0 && ix0 + g->k_w <= g->in_w) {
      /* the whole filter row lies inside: one contiguous run */
      const int8_t *src = row + ix0 * in_c;
      for (int n = g->k_w * in_c; n > 0; --n) *lin++ = (int16_t)(*src++ + off);
      continue;
    }
    for (int kx = 0; kx < g->k_w; ++kx) {
      const int ix = ix0 + kx * g->dilation_w;
      if (ix >= 0 && ix < g->in_w) {
        const int8_t *src = row + ix * in_c;
        for (int ic = 0; ic < in_c; ++ic) *lin++ = (int16_t)(src[ic] + off);
      } else {
        for (int ic = 0; ic < in_c; ++ic) *lin++ = 0;
      }
    }
  }
}

/* Moves a pixel's natural-order values into a pair's columns: pair j of values (2j, 2j+1) is one
 * word, at word 2j + slot. */
static inline __attribute__((always_inline)) void tf_dsp_interleave(uint32_t *cols, int slot, const int16_t *lin, int k4) {
  uint32_t *d = cols + slot;
  for (int j = 0; j < k4; j += 2, d += 2) d[0] = tf_read_u32(lin + j);
}

/*
 * A convolution through columns: two output pixels' receptive fields (int16, offset applied) are
 * gathered, then every output channel is a dot product with a weight row of k4 int8 stored
 * permuted in groups of four (w0, w2, w1, w3) so that SXTB16 yields (w0, w1) and (w2, w3).
 */
static inline __attribute__((always_inline)) void tf_dsp_im2col_body(
    const int8_t *in, int batches, const tf_conv_geom_t *g, const int8_t *w, const int32_t *q, const tf_rq_t *rq,
    int8_t *out, uint32_t *cols, const int fast, const int full) {
  const int k4 = g->k4;
  /* after the columns: one pixel's values in natural order, zero-padded to k4 */
  int16_t *lin = (int16_t *)(void *)(cols + k4);
  for (int k = 0; k < k4; ++k) lin[k] = 0;
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * g->in_c;
    int oy = 0, ox = 0;
    for (int left = g->out_h * g->out_w; left > 0;) {
      tf_dsp_im2col_linear(lin, image, oy, ox, g);
      if (++ox == g->out_w) { ox = 0; ++oy; }
      if (left == 1) {
        /* a lone last pixel: its natural order is the single-pixel column layout */
        tf_dsp_single_channels((const uint32_t *)(const void *)lin, k4, w, g->out_c, q, rq, out, fast, full);
        out += g->out_c;
        break;
      }
      tf_dsp_interleave(cols, 0, lin, k4);
      tf_dsp_im2col_linear(lin, image, oy, ox, g);
      if (++ox == g->out_w) { ox = 0; ++oy; }
      tf_dsp_interleave(cols, 1, lin, k4);
      tf_dsp_pair_channels(cols, k4, w, g->out_c, q, rq, out, out + g->out_c, fast, full);
      out += 2 * g->out_c;
      left -= 2;
    }
  }
}

/* Geometry of a depthwise convolution with one output channel per input channel. */
typedef struct {
  int16_t in_h, in_w, channels;
  int16_t out_h, out_w;
  int16_t k_h, k_w;
  int16_t stride_h, stride_w, dilation_h, dilation_w;
  int16_t pad_top, pad_left;
  /* z_in: padded taps read a row of it, which adds w * (z_in - z_in) = 0 */
  int16_t input_zero_point;
} tf_dw_geom_t;

/*
 * Depthwise convolution, channels a multiple of 4, depth multiplier 1. Per output pixel a pointer
 * per tap (a row of the zero point for taps outside the image), then per group of four channels the
 * taps two at a time: PKHBT/PKHTB pair tap t and t+1 of one channel in the lanes of a word, which
 * meets (w_t, w_t+1) of that channel, packed at compile time, in one SMLAD. An odd last tap meets
 * (w[c0], w[c2]) and (w[c1], w[c3]) in SMLABB/SMLATT. The input offset is folded into the starts.
 * `scratch`: the tap pointers, then `channels` bytes of the zero-point row.
 */
static inline __attribute__((always_inline)) void tf_dsp_depthwise_body(
    const int8_t *in, int batches, const tf_dw_geom_t *g, const uint32_t *w, const int32_t *q, const tf_rq_t *rq,
    int8_t *out, void *scratch, const int fast, const int full) {
  const int taps = g->k_h * g->k_w;
  const int channels = g->channels;
  const int8_t **ptrs = (const int8_t **)scratch;
  int8_t *zp_row = (int8_t *)(void *)(ptrs + taps);
  memset(zp_row, g->input_zero_point, (size_t)channels);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * channels;
    for (int oy = 0; oy < g->out_h; ++oy) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      for (int ox = 0; ox < g->out_w; ++ox, out += channels) {
        const int ix0 = ox * g->stride_w - g->pad_left;
        int t = 0;
        for (int ky = 0; ky < g->k_h; ++ky) {
          const int iy = iy0 + ky * g->dilation_h;
          for (int kx = 0; kx < g->k_w; ++kx, ++t) {
            const int ix = ix0 + kx * g->dilation_w;
            ptrs[t] = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w ? image + (iy * g->in_w + ix) * channels : zp_row;
          }
        }
        const uint32_t *wp = w;
        const int32_t *qc = q;
        for (int c = 0; c < channels; c += 4, qc += 4 * TF_RQ_FIELDS) {
          int32_t a0 = qc[0], a1 = qc[TF_RQ_FIELDS], a2 = qc[2 * TF_RQ_FIELDS], a3 = qc[3 * TF_RQ_FIELDS];
          int k = 0;
          for (; k + 2 <= taps; k += 2, wp += 4) {
            const uint32_t xa = TF_LOAD32(ptrs[k] + c), xb = TF_LOAD32(ptrs[k + 1] + c);
            const uint32_t a02 = tf_sxtb16(xa), a13 = tf_sxtb16_ror8(xa);
            const uint32_t b02 = tf_sxtb16(xb), b13 = tf_sxtb16_ror8(xb);
            a0 = tf_smlad(tf_pack_lo(a02, b02), wp[0], a0);
            a1 = tf_smlad(tf_pack_lo(a13, b13), wp[1], a1);
            a2 = tf_smlad(tf_pack_hi(a02, b02), wp[2], a2);
            a3 = tf_smlad(tf_pack_hi(a13, b13), wp[3], a3);
          }
          if (k < taps) {
            const uint32_t xa = TF_LOAD32(ptrs[k] + c);
            const uint32_t a02 = tf_sxtb16(xa), a13 = tf_sxtb16_ror8(xa);
            a0 = tf_smlabb(a02, wp[0], a0);
            a2 = tf_smlatt(a02, wp[0], a2);
            a1 = tf_smlabb(a13, wp[1], a1);
            a3 = tf_smlatt(a13, wp[1], a3);
            wp += 2;
          }
          const int8_t r0 = tf_rq_out(a0, tf_rq_channel(qc), rq, fast, full);
          const int8_t r1 = tf_rq_out(a1, tf_rq_channel(qc + TF_RQ_FIELDS), rq, fast, full);
          const int8_t r2 = tf_rq_out(a2, tf_rq_channel(qc + 2 * TF_RQ_FIELDS), rq, fast, full);
          const int8_t r3 = tf_rq_out(a3, tf_rq_channel(qc + 3 * TF_RQ_FIELDS), rq, fast, full);
          out[c] = r0;
          out[c + 1] = r1;
          out[c + 2] = r2;
          out[c + 3] = r3;
        }
      }
    }
  }
}

#endif
