/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's int8 Arm DSP kernel for 1x1 stride-1 layers over few input channels (conv_2d/dsp_narrow.ts,
 * 1..TF_DSP_NARROW_MAX_IN channels). With 3..8 MACs per output, the wide kernel's per-output work
 * (packing columns, the pair loop's entry and records) outweighs the MACs; here a pixel's inputs are
 * read once (one or two words, any alignment) and sign-extended into at most four registers, and
 * every output channel then costs one record fetch (one LDM of its start, its weights already
 * extended at compile time, m' and P), one SMLAD per two inputs, the requantization and a byte store;
 * output channels go in pairs, one loop test per two.
 *
 * Record of a channel (int32 words, 4-byte aligned; dsp_narrow.ts narrowRecords): { start, the
 * TF_DSP_NARROW_HALVES(in_c) weight words, m, P }. Weight word j pairs with input half j: for the
 * group of inputs 4g..4g+3, half 2g holds lanes (x[4g], x[4g+2]) (SXTB16) and half 2g+1 lanes
 * (x[4g+1], x[4g+3]) (SXTB16 ror 8); a last group of one input needs only its first half. Lanes past
 * in_c read whatever bytes follow (the next pixel's) and meet zero weights.
 */
#ifndef TF_CONV_2D_DSP_NARROW_H
#define TF_CONV_2D_DSP_NARROW_H
#include <stdint.h>
#include <string.h>
#include "arm_dsp.h"
#include "dsp_requant.h"

#define TF_DSP_NARROW_MAX_IN 8
/* weight words (SMLADs) per output for in_c inputs */
#define TF_DSP_NARROW_HALVES(in_c) (2 * ((in_c) >> 2) + (((in_c)&3) == 0 ? 0 : (((in_c)&3) == 1 ? 1 : 2)))

/* One output channel of a pixel from its extended inputs: its record's loads (w steps past it), the
 * SMLADs and the requantization; `round_k` (FAST, saturated): the record holds K = 2^(32 - e) in
 * place of P (dsp.ts roundRecords), h / 2^e rounded half up by a second SMMLAR, the zero point added
 * in it, as narrowRunAsm's rounding form. */
static inline __attribute__((always_inline)) int8_t tf_dsp_narrow_out(uint32_t h0, uint32_t h1, uint32_t h2, uint32_t h3, const int in_c,
                                                                      const int8_t **wp, const tf_rq_t *rq, const int fast, const int full,
                                                                      const int round_k) {
  const int halves = TF_DSP_NARROW_HALVES(in_c);
  const int8_t *w = *wp;
  int32_t acc, m, p;
  uint32_t k0, k1 = 0, k2 = 0, k3 = 0;
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  /* the record in one LDM: its registers pinned in ascending order (r7, the frame pointer, left alone);
     unoptimised builds (-O0, a debug build) cannot give the asm seven pinned registers and w: plain loads */
  register uint32_t r0 __asm__("r0");
  register uint32_t r1 __asm__("r1");
  register uint32_t r2 __asm__("r2");
  register uint32_t r3 __asm__("r3");
  register uint32_t r4 __asm__("r4");
  register uint32_t r5 __asm__("r5");
  register uint32_t r6 __asm__("r6");
  if (halves == 1) {
    __asm__ volatile("ldm %[w]!, {%[a], %[b], %[c], %[d]}"
                     : [a] "=r"(r0), [b] "=r"(r1), [c] "=r"(r2), [d] "=r"(r3), [w] "+r"(w)
                     :
                     : "memory");
    acc = (int32_t)r0, k0 = r1, m = (int32_t)r2, p = (int32_t)r3;
  } else if (halves == 2) {
    __asm__ volatile("ldm %[w]!, {%[a], %[b], %[c], %[d], %[e]}"
                     : [a] "=r"(r0), [b] "=r"(r1), [c] "=r"(r2), [d] "=r"(r3), [e] "=r"(r4), [w] "+r"(w)
                     :
                     : "memory");
    acc = (int32_t)r0, k0 = r1, k1 = r2, m = (int32_t)r3, p = (int32_t)r4;
  } else if (halves == 3) {
    __asm__ volatile("ldm %[w]!, {%[a], %[b], %[c], %[d], %[e], %[f]}"
                     : [a] "=r"(r0), [b] "=r"(r1), [c] "=r"(r2), [d] "=r"(r3), [e] "=r"(r4), [f] "=r"(r5), [w] "+r"(w)
                     :
                     : "memory");
    acc = (int32_t)r0, k0 = r1, k1 = r2, k2 = r3, m = (int32_t)r4, p = (int32_t)r5;
  } else {
    __asm__ volatile("ldm %[w]!, {%[a], %[b], %[c], %[d], %[e], %[f], %[g]}"
                     : [a] "=r"(r0), [b] "=r"(r1), [c] "=r"(r2), [d] "=r"(r3), [e] "=r"(r4), [f] "=r"(r5), [g] "=r"(r6), [w] "+r"(w)
                     :
                     : "memory");
    acc = (int32_t)r0, k0 = r1, k1 = r2, k2 = r3, k3 = r4, m = (int32_t)r5, p = (int32_t)r6;
  }
#else
  acc = (int32_t)TF_LOAD32(w);
  k0 = TF_LOAD32(w + 4);
  if (halves > 1) k1 = TF_LOAD32(w + 8);
  if (halves > 2) k2 = TF_LOAD32(w + 12);
  if (halves > 3) k3 = TF_LOAD32(w + 16);
  m = (int32_t)TF_LOAD32(w + 4 + 4 * halves);
  p = (int32_t)TF_LOAD32(w + 8 + 4 * halves);
  w += 4 * (halves + 3);
#endif
  acc = tf_smlad(h0, k0, acc);
  if (halves > 1) acc = tf_smlad(h1, k1, acc);
  if (halves > 2) acc = tf_smlad(h2, k2, acc);
  if (halves > 3) acc = tf_smlad(h3, k3, acc);
  *wp = w;
  if (round_k) return (int8_t)tf_ssat8(tf_dsp_smmlar(tf_dsp_smmlar(acc, m, acc), p, rq->out_zp));
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  if (fast == 1) {
    /* tf_rq_fast_p with its result in a register of its own: left to itself the compiler may put it
       in P's register and copy P out first, one more instruction per output */
    const int32_t h = tf_dsp_smmlar(acc, m, acc);
    int32_t n;
    __asm__("add %[n], %[p], %[h], lsl #9\n\t"
            "sub %[n], %[n], %[h], lsr #24\n\t"
            "asr %[n], %[n], %[p]"
            : [n] "=&r"(n)
            : [p] "r"(p), [h] "r"(h));
    return (int8_t)(full ? tf_ssat8(n) : tf_clamp(n, rq->act_min, rq->act_max));
  }
#endif
  return tf_dsp_rq(acc, m, p, rq, fast, full);
}

/* One pixel's outputs from its input words (x[0], and x[1] past 4 inputs); returns out past them.
 * Output channels go two per iteration: the loop's compare and branch are paid once per two outputs
 * (a halfword store of both bytes needs one more register than the record's seven and the inputs leave). */
static inline __attribute__((always_inline)) int8_t *tf_dsp_narrow_pixel(uint32_t x0, uint32_t x1, const int in_c, const int8_t *w,
                                                                         int out_c, const tf_rq_t *rq, int8_t *out, const int fast,
                                                                         const int full, const int round_k) {
  const int halves = TF_DSP_NARROW_HALVES(in_c);
  /* scalars, not an array: the compiler keeps them in registers */
  const uint32_t h0 = tf_sxtb16(x0);
  const uint32_t h1 = halves > 1 ? tf_sxtb16_ror8(x0) : 0;
  const uint32_t h2 = halves > 2 ? tf_sxtb16(x1) : 0;
  const uint32_t h3 = halves > 3 ? tf_sxtb16_ror8(x1) : 0;
  for (int8_t *const end = out + (out_c & ~1); out < end; out += 2) {
    out[0] = tf_dsp_narrow_out(h0, h1, h2, h3, in_c, &w, rq, fast, full, round_k);
    out[1] = tf_dsp_narrow_out(h0, h1, h2, h3, in_c, &w, rq, fast, full, round_k);
  }
  if (out_c & 1) *out++ = tf_dsp_narrow_out(h0, h1, h2, h3, in_c, &w, rq, fast, full, round_k);
  return out;
}

/*
 * out[p][c] = rq(start[c] + sum_k w[c][k] * x[p][k]) over `pixels` pixels of in_c (a compile-time
 * constant of the instantiation) int8 inputs. Pixels are read as whole words from their first byte
 * (unaligned loads), so the last pixels, whose words would run past the input, are copied first.
 * Pixel p's outputs are stored after its inputs are read: the output may start at the input when it
 * ends no later than pixel p + 1's inputs for every p (dsp_narrow.ts narrowOverlap).
 */
static inline __attribute__((always_inline)) void tf_dsp_narrow_body(const int8_t *in, int pixels, const int in_c, const int8_t *w,
                                                                     int out_c, const tf_rq_t *rq, int8_t *out, const int fast,
                                                                     const int full, const int round_k) {
  const int bytes = in_c > 4 ? 8 : 4;
  /* pixel p's word reads end at p * in_c + bytes: inside the input for p < safe */
  const int total = pixels * in_c;
  const int safe = total < bytes ? 0 : (total - bytes) / in_c + 1;
  const int8_t *x = in;
  for (const int8_t *const end = in + safe * in_c; x < end; x += in_c) {
    uint32_t x0, x1 = 0;
    memcpy(&x0, x, 4);
    if (in_c > 4) memcpy(&x1, x + 4, 4);
    out = tf_dsp_narrow_pixel(x0, x1, in_c, w, out_c, rq, out, fast, full, round_k);
  }
  for (const int8_t *const end = in + total; x < end; x += in_c) {
    uint32_t words[2] = {0, 0};
    memcpy(words, x, (size_t)in_c);
    out = tf_dsp_narrow_pixel(words[0], words[1], in_c, w, out_c, rq, out, fast, full, round_k);
  }
}

/*
 * The same layer (4 or 8 input channels, FAST records, saturated; `round_k`: K in place of P) with
 * its whole chunks of TF_DSP_NARROW_RUN_PIXELS pixels in the assembly routine `run` (dsp_narrow.ts
 * narrowRunAsm: the chunk's inputs widened once, then channel by channel, each record loaded once a
 * chunk; 0 on the host), the pixels past them as tf_dsp_narrow_body. An output that overlaps the
 * input ends no later than each chunk's inputs begin (dsp_narrow.ts narrowOverlap).
 */
#define TF_DSP_NARROW_RUN_PIXELS 16
typedef void (*tf_dsp_narrow_run_fn)(const int8_t *in, const int8_t *w, int8_t *out);

static inline __attribute__((always_inline)) void tf_dsp_narrow_run_body(const int8_t *in, int pixels, const int in_c, const int8_t *w,
                                                                         int out_c, const tf_rq_t *rq, int8_t *out,
                                                                         tf_dsp_narrow_run_fn run, const int round_k) {
#if TF_DSP_NATIVE
  for (; pixels >= TF_DSP_NARROW_RUN_PIXELS; pixels -= TF_DSP_NARROW_RUN_PIXELS) {
    run(in, w, out);
    in += TF_DSP_NARROW_RUN_PIXELS * in_c;
    out += TF_DSP_NARROW_RUN_PIXELS * out_c;
  }
#else
  (void)run;
#endif
  tf_dsp_narrow_body(in, pixels, in_c, w, out_c, rq, out, 1, 1, round_k);
}

#endif
