/* SPDX-License-Identifier: Apache-2.0 */
/* Requantization shared by the int8 Arm DSP kernel variants (CONV_2D, DEPTHWISE_CONV_2D,
 * FULLY_CONNECTED): the per-layer constants (tf_rq_t), the per-channel records, the word loads of
 * compile-time aligned data, and one output from an accumulator.
 *
 * Per output channel a record of TF_RQ_FIELDS int32 built at compile time (common/isa/dsp.ts
 * requantRecords): { acc start (bias, input offset folded in where the kernel allows), multiplier, P }.
 * FAST mode (every shift <= 0, and the generator proved the bounds of dsp.ts's fastRequantHolds),
 * with e = -shift and rnd = 2^e + zp * 2^(e+1):
 *   h = SRDHM(acc, m) = SMMULR(2 acc, m) = acc + SMMULR(acc, 2m - 2^32) = SMMLAR(acc, m', acc),
 *       the record holding m' = 2m - 2^32 (an int32, as m >= 2^30);
 *   RDBPOT(h, e) + zp = (2h + rnd - [h<0]) >> (e+1)
 *                     = (512h + 256 rnd + j - 255 [h<0]) >> (e+9) for any 0 <= j <= 254
 *       (scaled by 256, the -1 becomes -256 + (j + 1), which stays inside one step of 2^(e+9)),
 *   and 255 [h<0] = h >>> 24 while |h| < 2^24. So P = 256 rnd + (e+9) is both the addend and,
 *   in its low byte, the shift (Arm's register-shifted ASR reads the low byte): SMMLAR, ADD, SUB,
 *   ASR and SSAT per output, exact with TFLite Micro.
 * WIDE mode (`fast` 2: every shift <= -1, dsp.ts wideRequantHolds), for layers whose zero point
 * overflows FAST's word (zp -128 at shifts of -14 and below) or whose h reaches 2^22:
 *   RDBPOT(h, e) = (h + 2^(e-1) - [h<0]) >> e = (256h + 2^(e+7) + j - 255 [h<0]) >> (e+8), 0 <= j <= 254,
 *   P = 2^(e+7) + (e+8) (the low byte free as e >= 1), and the zero point added after the shift:
 *   SMMLAR, ADD, SUB, ASR, ADD and SSAT per output.
 * LONG mode (`fast` 3, taken by the kernels that say so: dsp.ts longRequantHolds), for accumulators
 *   whose h passes 2^23 (FULLY_CONNECTED's eight-row block over long rows): h = SMMLAR(acc, m', acc)
 *   exactly as FAST (for any acc), then RDBPOT(h, e) + zp = (h + (h >> 31) + K) >> e, K = 2^(e-1) +
 *   zp 2^e, P = 256 K + e (shifts -1 to -16): SMMLAR, ADD, ADD, ASR and SSAT per output.
 * ORT mode (`fast` 4: layers that must match ONNX Runtime, dsp.ts RQ_ORT): the record's m holds the
 *   float32 multiplier's bits, P is unused, and tf_dsp_rq_ort runs ONNX Runtime's float32 steps.
 * Otherwise P = lsh1 | rsh1 << 8 (lsh1 = max(shift,0)+1, rsh1 = max(-shift,0)+1) and TFLM's
 * 64-bit steps run. FULL: the activation range is [-128, 127], one SSAT. */
#ifndef TF_DSP_REQUANT_H
#define TF_DSP_REQUANT_H
#include <stdint.h>
#include <string.h>
#include "arm_dsp.h"
#include "fixedpoint.h"

#define TF_RQ_FIELDS 3

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

/* One channel's requantization constants (its record less the start), held in registers across
 * the pixels of a block. */
typedef struct {
  int32_t m, p;
} tf_rq_channel_t;

static inline __attribute__((always_inline)) tf_rq_channel_t tf_rq_channel(const int32_t *q) {
  tf_rq_channel_t c;
  c.m = q[1];
  c.p = q[2];
  return c;
}

/* x >> (s & 255) as Arm's register-shifted ASR computes it (amounts here stay below 32) */
static inline __attribute__((always_inline)) int32_t tf_asr_low8(int32_t x, int32_t s) {
#if TF_DSP_NATIVE
  int32_t r;
  __asm__("asr %0, %1, %2" : "=r"(r) : "r"(x), "r"(s));
  return r;
#else
  return x >> (s & 255);
#endif
}

/* FAST requantization of an accumulator, before the activation clamp (see above; m is 2m - 2^32). */
static inline __attribute__((always_inline)) int32_t tf_rq_fast_p(int32_t acc, int32_t m, int32_t p) {
  const int32_t h = tf_dsp_smmlar(acc, m, acc);
  const uint32_t n = (uint32_t)p + ((uint32_t)h << 9) - ((uint32_t)h >> 24);
  return tf_asr_low8((int32_t)n, p);
}

/* WIDE requantization of an accumulator, before the zero point and the clamp (see above). */
static inline __attribute__((always_inline)) int32_t tf_rq_wide_p(int32_t acc, int32_t m, int32_t p) {
  const int32_t h = tf_dsp_smmlar(acc, m, acc);
  const uint32_t n = (uint32_t)p + ((uint32_t)h << 8) - ((uint32_t)h >> 24);
  return tf_asr_low8((int32_t)n, p);
}

/* LONG requantization of an accumulator, the zero point included, before the clamp (see above). */
static inline __attribute__((always_inline)) int32_t tf_rq_long_p(int32_t acc, int32_t m, int32_t p) {
  const int32_t h = tf_dsp_smmlar(acc, m, acc);
  const uint32_t n = (uint32_t)h + (uint32_t)(h >> 31) + (uint32_t)(p >> 8);
  return tf_asr_low8((int32_t)n, p);
}

/* The Arm DSP family's epilogue for layers that must match ONNX Runtime (MlasRequantizeOutput).
 * Contract: for every int32 acc, every finite float32 multiplier (its IEEE-754 bits in `bits`) and
 * act_min <= act_max within [-128, 127], returns what common/numerics/requant_f32.h's tf_requant_f32
 * returns for (acc, multiplier, out_zp, act_min, act_max): float32(acc) * multiplier in float32,
 * clamped to [act_min - zp, act_max - zp], rounded half to even, plus zp; the result lies in
 * [act_min, act_max]. The rounding adds 1.5 * 2^23: the clamped value is within 255 of 0, so the sum
 * lies in [2^23, 2^24), where the float32 step is 1 and the addition itself rounds to an integer,
 * half to even under the default rounding mode (which C99 code without <fenv.h> runs in); that
 * integer is the sum's bits less 1.5 * 2^23's. With an FPU (FPv4-SP, FPv5) a few instructions and
 * no VRINT; without one libgcc's float routines, which round the same way. */
static inline __attribute__((always_inline)) int32_t tf_dsp_rq_ort(int32_t acc, int32_t bits, const tf_rq_t *rq) {
  union {
    uint32_t u;
    float f;
  } v;
  v.u = (uint32_t)bits;
  float scaled = (float)acc * v.f;
  const float low = (float)(rq->act_min - rq->out_zp), high = (float)(rq->act_max - rq->out_zp);
  if (scaled < low) scaled = low;
  if (scaled > high) scaled = high;
  v.f = scaled + 12582912.0f;
  return (int32_t)v.u - 0x4B400000 + rq->out_zp;
}

/* One output from a record's { m, P } (FAST, WIDE, LONG, ORT or exact, as the record was built; see
 * above), with the output zero point, before saturation or clamp. */
static inline __attribute__((always_inline)) int32_t tf_dsp_rq_raw(int32_t acc, int32_t m, int32_t p, const tf_rq_t *rq, const int fast) {
  if (fast == 4) return tf_dsp_rq_ort(acc, m, rq);
  if (fast == 3) return tf_rq_long_p(acc, m, p);
  if (fast == 2) return tf_rq_wide_p(acc, m, p) + rq->out_zp;
  if (fast) return tf_rq_fast_p(acc, m, p);
  const int lsh = (p & 255) - 1, rsh = ((p >> 8) & 255) - 1;
  return tf_rdbpot(tf_srdhm((int32_t)((uint32_t)acc << lsh), m), rsh) + rq->out_zp;
}

/* ... saturated to int8 (SSAT) but kept an int32, before any narrower activation clamp. */
static inline __attribute__((always_inline)) int32_t tf_dsp_rq_sat(int32_t acc, int32_t m, int32_t p, const tf_rq_t *rq, const int fast) {
  return tf_ssat8(tf_dsp_rq_raw(acc, m, p, rq, fast));
}

/* One output from a record's { m, P } (FAST, WIDE or exact, as the record was built; see above). */
static inline __attribute__((always_inline)) int8_t tf_dsp_rq(int32_t acc, int32_t m, int32_t p, const tf_rq_t *rq, const int fast,
                                                              const int full) {
  const int32_t v = tf_dsp_rq_raw(acc, m, p, rq, fast);
  if (full) return (int8_t)tf_ssat8(v);
  return (int8_t)tf_clamp(v, rq->act_min, rq->act_max);
}

/* Four int8 values (each already in [-128, 127], sign-extended) as the bytes of one word, a0 in the
 * low byte: three BFI on the device. */
static inline __attribute__((always_inline)) uint32_t tf_bytes4(int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
#if TF_DSP_NATIVE
  uint32_t r = (uint32_t)a0;
  __asm__("bfi %0, %1, #8, #8\n\t"
          "bfi %0, %2, #16, #8\n\t"
          "bfi %0, %3, #24, #8"
          : "+&r"(r)
          : "r"(a1), "r"(a2), "r"(a3));
  return r;
#else
  return (uint32_t)(uint8_t)a0 | (uint32_t)(uint8_t)a1 << 8 | (uint32_t)(uint8_t)a2 << 16 | (uint32_t)(uint8_t)a3 << 24;
#endif
}

/* Two bytes at any address (halfword stores may be unaligned on Armv7E-M and Armv8-M Mainline). */
static inline __attribute__((always_inline)) void tf_put2(int8_t *out, uint32_t v) {
#if TF_DSP_NATIVE
  __asm__("strh %1, %0" : "=m"(*(uint16_t *)(void *)out) : "r"(v));
#else
  const uint16_t h = (uint16_t)v;
  memcpy(out, &h, 2);
#endif
}

static inline __attribute__((always_inline)) int8_t tf_rq_out(int32_t acc, tf_rq_channel_t c, const tf_rq_t *rq, const int fast,
                                                              const int full) {
  return tf_dsp_rq(acc, c.m, c.p, rq, fast, full);
}

#endif
