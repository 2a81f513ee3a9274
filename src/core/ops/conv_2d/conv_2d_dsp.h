/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's int8 Arm DSP kernels (Armv7E-M, Armv8-M Mainline): the 1x1 matrix product and the
 * im2col convolution, two pixels by two channels in SMLAD. Always-inline bodies that the layer
 * templates instantiate once per model and requantization mode (ctx.defineOnce), each layer passing
 * its constants, so flash holds one copy per kernel kind. DEPTHWISE_CONV_2D's one-channel kernel
 * reuses the pair loop (tf_dsp_pair_channels). */
#ifndef TF_CONV_2D_DSP_H
#define TF_CONV_2D_DSP_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "arm_dsp.h"
#include "dsp_requant.h"

/*
 * Weights of the DSP kernels are laid out at compile time in the order the loops read them: rows of
 * k4 int8 (a multiple of 4), channels taken in pairs whose rows are interleaved four bytes at a time
 * (a0..a3 b0..b3 a4..a7 b4..b7 ...), an odd last channel's row plain. SXTB16 of a weight word pairs
 * lane for lane with the column words (the column producer and the weight order agree on it).
 *
 * Columns of a pixel pair: per four values, words 0 / 2 hold pixel A's, 1 / 3 pixel B's, two int16
 * lanes each. k4 / 4 steps of 4 values: two channels by two pixels, 16 MACs in 8 SMLAD.
 */

/* The unrolled loop of tf_dsp_dot2x2: TF_DSP_STEPS_PER_TURN steps of TF_DSP_STEP2X2_BYTES code bytes
 * each (two 32-bit LDM, a high register in each list, four SXTB16 and eight SMLAD, every one a
 * 32-bit encoding). tf_dsp_entry computes the jump into it from these; the assembler checks both
 * where the loop is emitted (.if/.error in tf_dsp_dot2x2), so a change of the step's code fails the
 * build instead of jumping into the middle of an instruction. The steps a turn are a power of 2
 * (tf_dsp_entry takes the count modulo by a mask). */
#define TF_DSP_STEPS_PER_TURN 8
#define TF_DSP_STEP2X2_BYTES 56

#if TF_DSP_NATIVE
/* 4 values of the 2x2 block: LDM of the four column words, LDM of the two weight words, 4 SXTB16,
 * 8 SMLAD. LDM fills registers in number order, so the operands are pinned to registers (r7, the
 * Thumb frame pointer, is left alone). */
#define TF_DSP_STEP2X2 \
  "ldm %[x]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
  "ldm %[w]!, {%[w0], %[w1]}\n\t" \
  "sxtb16 %[e], %[w0]\n\t" \
  "smlad %[aa], %[x0], %[e], %[aa]\n\t" \
  "smlad %[ab], %[x1], %[e], %[ab]\n\t" \
  "sxtb16 %[e], %[w1]\n\t" \
  "smlad %[ba], %[x0], %[e], %[ba]\n\t" \
  "smlad %[bb], %[x1], %[e], %[bb]\n\t" \
  "sxtb16 %[w0], %[w0], ror #8\n\t" \
  "smlad %[aa], %[x2], %[w0], %[aa]\n\t" \
  "smlad %[ab], %[x3], %[w0], %[ab]\n\t" \
  "sxtb16 %[w1], %[w1], ror #8\n\t" \
  "smlad %[ba], %[x2], %[w1], %[ba]\n\t" \
  "smlad %[bb], %[x3], %[w1], %[bb]\n\t"
#endif

/* One channel pair of a pixel pair: the two starts at `w`, the 2x2 block over the k4 values that
 * follow, then the four record words past the weights (into `rec`); returns the blob past them. */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_dot2x2(const uint32_t *x, const int8_t *w, int k4, int entry,
                                                                         const uint32_t *const *endp, int32_t *aa, int32_t *ab, int32_t *ba,
                                                                         int32_t *bb, int32_t rec[4]) {
#if TF_DSP_NATIVE
  register int32_t raa __asm__("r0");
  register int32_t rab __asm__("r1");
  register int32_t rba __asm__("r2");
  register int32_t rbb __asm__("r3");
  register uint32_t x0 __asm__("r4");
  register uint32_t x1 __asm__("r5");
  register uint32_t x2 __asm__("r6");
  register uint32_t x3 __asm__("r8");
  register uint32_t w0 __asm__("r9");
  register uint32_t w1 __asm__("r10");
  register uint32_t e __asm__("r11");
  register const uint32_t *rx __asm__("r12") = x;
  register const int8_t *rw __asm__("lr") = w;
  /* TF_DSP_STEPS_PER_TURN steps a turn; the first turn is entered `entry` bytes in (tf_dsp_entry),
   * past the steps that k4 / 4 mod TF_DSP_STEPS_PER_TURN does not need: ADD PC (16-bit; PC reads 4
   * bytes on, at label 10 past the NOP) jumps there. The .if blocks make the assembler check the
   * layout that jump assumes: label 10 four bytes past the ADD, each step TF_DSP_STEP2X2_BYTES long,
   * the turn TF_DSP_STEPS_PER_TURN steps. */
  (void)k4;
  e = (uint32_t)entry;
  __asm__ volatile("ldrd %[aa], %[ba], [%[w]], #8\n\t"
                   "mov %[ab], %[aa]\n\t"
                   "mov %[bb], %[ba]\n\t"
                   "11:\n\t"
                   "add pc, %[e]\n\t"
                   "nop\n\t"
                   "10:\n\t" TF_DSP_STEP2X2
                   "12:\n\t" TF_DSP_STEP2X2 TF_DSP_STEP2X2 TF_DSP_STEP2X2 TF_DSP_STEP2X2 TF_DSP_STEP2X2 TF_DSP_STEP2X2 TF_DSP_STEP2X2
                   "13:\n\t"
                   ".if (10b - 11b) != 4\n\t"
                   ".error \"tf_dsp_dot2x2: the loop must start 4 bytes past ADD PC (where PC reads)\"\n\t"
                   ".endif\n\t"
                   ".if (12b - 10b) != %c[step]\n\t"
                   ".error \"tf_dsp_dot2x2: TF_DSP_STEP2X2 is no longer TF_DSP_STEP2X2_BYTES of code (tf_dsp_entry)\"\n\t"
                   ".endif\n\t"
                   ".if (13b - 10b) != %c[step] * %c[steps]\n\t"
                   ".error \"tf_dsp_dot2x2: the turn is not TF_DSP_STEPS_PER_TURN steps (tf_dsp_entry)\"\n\t"
                   ".endif\n\t"
                   "ldr %[e], %[end]\n\t"
                   "cmp %[x], %[e]\n\t"
                   "bne 10b\n\t"
                   "ldm %[w]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"
                   : [aa] "=&r"(raa), [ab] "=&r"(rab), [ba] "=&r"(rba), [bb] "=&r"(rbb), [x] "+&r"(rx), [w] "+&r"(rw), [x0] "=&r"(x0),
                     [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [w0] "=&r"(w0), [w1] "=&r"(w1), [e] "+&r"(e)
                   : [end] "m"(*endp), [step] "i"(TF_DSP_STEP2X2_BYTES), [steps] "i"(TF_DSP_STEPS_PER_TURN)
                   : "cc", "memory");
  *aa = raa;
  *ab = rab;
  *ba = rba;
  *bb = rbb;
  rec[0] = (int32_t)x0;
  rec[1] = (int32_t)x1;
  rec[2] = (int32_t)x2;
  rec[3] = (int32_t)x3;
  return rw;
#else
  (void)entry;
  (void)endp;
  *aa = *ab = (int32_t)tf_read_u32(w);
  *ba = *bb = (int32_t)tf_read_u32(w + 4);
  w += 8;
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
  for (int i = 0; i < 4; ++i, w += 4) rec[i] = (int32_t)tf_read_u32(w);
  return w;
#endif
}

/*
 * Channel pairs in one halfword (the `pairs` layout; fully_connected_dsp_pairs.h has the idea): the
 * rows r, s of a pair are stored as int16 lanes r_k + 256 s_k, per four values two words with the
 * lanes (0, 2) and (1, 3) (bytes r, s - [r < 0]), the column words' order. SMLAD(SXTB16(W), X) sums
 * row r and SMLAD(W, X) sums r + 256 s, so s = (difference) >> 8: 12 instructions per 16 MACs (LDM
 * of the four column words, LDM of the two weight words, 2 SXTB16, 8 SMLAD) against 14. The
 * combined sums wrap mod 2^32 like the instruction; the difference is exact while |sum of s_k x_k|
 * < 2^23, which TF_DSP_PAIR_CHUNK_STEPS steps of 4 values (at most 128 x 128 each) keep: the sums
 * are taken every chunk.
 */
#define TF_DSP_STEP2X2P_BYTES 48
#define TF_DSP_PAIR_CHUNK_STEPS 120

#if TF_DSP_NATIVE
#define TF_DSP_STEP2X2P \
  "ldm %[x]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
  "ldm %[w]!, {%[w0], %[w1]}\n\t" \
  "sxtb16 %[e], %[w0]\n\t" \
  "smlad %[aa], %[x0], %[e], %[aa]\n\t" \
  "smlad %[ab], %[x1], %[e], %[ab]\n\t" \
  "smlad %[ca], %[x0], %[w0], %[ca]\n\t" \
  "smlad %[cb], %[x1], %[w0], %[cb]\n\t" \
  "sxtb16 %[e], %[w1]\n\t" \
  "smlad %[aa], %[x2], %[e], %[aa]\n\t" \
  "smlad %[ab], %[x3], %[e], %[ab]\n\t" \
  "smlad %[ca], %[x2], %[w1], %[ca]\n\t" \
  "smlad %[cb], %[x3], %[w1], %[cb]\n\t"
#endif

/* Where tf_dsp_dot2x2p enters its loop: as tf_dsp_entry, in its own step size. */
static inline int tf_dsp_entry_pairs(int k4) { return ((-(k4 >> 2)) & (TF_DSP_STEPS_PER_TURN - 1)) * TF_DSP_STEP2X2P_BYTES; }

/* The column words of the first chunk: k4 / 4 steps mod TF_DSP_PAIR_CHUNK_STEPS (a whole chunk if
 * 0), so that the first chunk's part-turn is the one tf_dsp_entry_pairs enters and the rest are
 * whole chunks (TF_DSP_PAIR_CHUNK_STEPS is a multiple of TF_DSP_STEPS_PER_TURN). */
static inline int tf_dsp_first_chunk(int k4) {
  const int steps = (k4 >> 2) % TF_DSP_PAIR_CHUNK_STEPS;
  return 4 * (steps ? steps : TF_DSP_PAIR_CHUNK_STEPS);
}

/* One step of the `pairs` layout in C (the host's path and the assembly run's twin): two pixels' 4
 * values against one channel pair's 8 weight bytes. r sums the lanes as read (channel r in the low
 * byte of each halfword, sign-extended), c the whole halfwords r + 256 s; tf_dsp_dot2x2p recovers s
 * from their difference. */
static inline __attribute__((always_inline)) void tf_dsp_pair_step(const uint32_t *x, const int8_t *w, int32_t *ra, int32_t *rb,
                                                                   int32_t *ca, int32_t *cb) {
  const uint32_t w0 = tf_read_u32(w), w1 = tf_read_u32(w + 4);
  *ra = tf_smlad(x[0], tf_sxtb16(w0), *ra);
  *rb = tf_smlad(x[1], tf_sxtb16(w0), *rb);
  *ca = tf_smlad(x[0], w0, *ca);
  *cb = tf_smlad(x[1], w0, *cb);
  *ra = tf_smlad(x[2], tf_sxtb16(w1), *ra);
  *rb = tf_smlad(x[3], tf_sxtb16(w1), *rb);
  *ca = tf_smlad(x[2], w1, *ca);
  *cb = tf_smlad(x[3], w1, *cb);
}

/* One channel pair of a pixel pair in the `pairs` layout: as tf_dsp_dot2x2 (starts, weights, then
 * the four record words into `rec`; returns the blob past them). `end` is cols + k4, `first` the
 * words of the first chunk (tf_dsp_first_chunk). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_dot2x2p(const uint32_t *x, const int8_t *w, const uint32_t *end,
                                                                          int first, int entry, int32_t *aa, int32_t *ab, int32_t *ba,
                                                                          int32_t *bb, int32_t rec[4]) {
  const int32_t start_r = (int32_t)TF_LOAD32(w), start_s = (int32_t)TF_LOAD32(w + 4);
  w += 8;
  int32_t sa = start_s, sb = start_s;
#if TF_DSP_NATIVE
  const uint32_t *stop = x + first;
  register int32_t raa __asm__("r0") = start_r;
  register int32_t rab __asm__("r1") = start_r;
  register int32_t rca __asm__("r2") = start_r;
  register int32_t rcb __asm__("r3") = start_r;
  register uint32_t x0 __asm__("r4");
  register uint32_t x1 __asm__("r5");
  register uint32_t x2 __asm__("r6");
  register uint32_t x3 __asm__("r8");
  register uint32_t w0 __asm__("r9");
  register uint32_t w1 __asm__("r10");
  register uint32_t e __asm__("r11");
  register const uint32_t *rx __asm__("r12") = x;
  register const int8_t *rw __asm__("lr") = w;
  for (;;) {
    /* a chunk: the first turn entered `entry` bytes in (as tf_dsp_dot2x2; 0 after the first chunk) */
    e = (uint32_t)entry;
    __asm__ volatile(
        "11:\n\t"
        "add pc, %[e]\n\t"
        "nop\n\t"
        "10:\n\t" TF_DSP_STEP2X2P
        "12:\n\t" TF_DSP_STEP2X2P TF_DSP_STEP2X2P TF_DSP_STEP2X2P TF_DSP_STEP2X2P TF_DSP_STEP2X2P TF_DSP_STEP2X2P TF_DSP_STEP2X2P "13:\n\t"
        ".if (10b - 11b) != 4\n\t"
        ".error \"tf_dsp_dot2x2p: the loop must start 4 bytes past ADD PC (where PC reads)\"\n\t"
        ".endif\n\t"
        ".if (12b - 10b) != %c[step]\n\t"
        ".error \"tf_dsp_dot2x2p: TF_DSP_STEP2X2P is no longer TF_DSP_STEP2X2P_BYTES of code (tf_dsp_entry_pairs)\"\n\t"
        ".endif\n\t"
        ".if (13b - 10b) != %c[step] * %c[steps]\n\t"
        ".error \"tf_dsp_dot2x2p: the turn is not TF_DSP_STEPS_PER_TURN steps (tf_dsp_entry_pairs)\"\n\t"
        ".endif\n\t"
        "ldr %[e], %[stop]\n\t"
        "cmp %[x], %[e]\n\t"
        "bne 10b\n\t"
        : [aa] "+&r"(raa), [ab] "+&r"(rab), [ca] "+&r"(rca), [cb] "+&r"(rcb), [x] "+&r"(rx), [w] "+&r"(rw), [x0] "=&r"(x0), [x1] "=&r"(x1),
          [x2] "=&r"(x2), [x3] "=&r"(x3), [w0] "=&r"(w0), [w1] "=&r"(w1), [e] "+&r"(e)
        : [stop] "m"(stop), [step] "i"(TF_DSP_STEP2X2P_BYTES), [steps] "i"(TF_DSP_STEPS_PER_TURN)
        : "cc", "memory");
    sa += (int32_t)((uint32_t)rca - (uint32_t)raa) >> 8;
    sb += (int32_t)((uint32_t)rcb - (uint32_t)rab) >> 8;
    if (rx == end) break;
    rca = raa;
    rcb = rab;
    entry = 0;
    stop = rx + 4 * TF_DSP_PAIR_CHUNK_STEPS;
  }
  *aa = raa;
  *ab = rab;
  w = rw;
#else
  (void)entry;
  int32_t ra = start_r, rb = start_r;
  for (const uint32_t *stop = x + first;; stop = x + 4 * TF_DSP_PAIR_CHUNK_STEPS) {
    int32_t ca = ra, cb = rb;
    for (; x < stop; x += 4, w += 8) tf_dsp_pair_step(x, w, &ra, &rb, &ca, &cb);
    sa += (int32_t)((uint32_t)ca - (uint32_t)ra) >> 8;
    sb += (int32_t)((uint32_t)cb - (uint32_t)rb) >> 8;
    if (x == end) break;
  }
  *aa = ra;
  *ab = rb;
#endif
  *ba = sa;
  *bb = sb;
  /* written out: a loop here may be kept as one (a copy through the stack) */
  rec[0] = (int32_t)TF_LOAD32(w);
  rec[1] = (int32_t)TF_LOAD32(w + 4);
  rec[2] = (int32_t)TF_LOAD32(w + 8);
  rec[3] = (int32_t)TF_LOAD32(w + 12);
  return w + 16;
}

/* Where tf_dsp_dot2x2 enters its loop for k4 values: the code bytes of the steps to skip so that the
 * first turn runs (k4 / 4) mod TF_DSP_STEPS_PER_TURN of them (all of them at 0); unused on the host. */
static inline int tf_dsp_entry(int k4) { return ((-(k4 >> 2)) & (TF_DSP_STEPS_PER_TURN - 1)) * TF_DSP_STEP2X2_BYTES; }

/* An odd last channel of a pixel pair: { start }, its k4 weights, { m, P }. */
static inline __attribute__((always_inline)) void tf_dsp_odd_channel(const uint32_t *cols, int k4, const int8_t *w, const tf_rq_t *rq,
                                                                     int8_t *out_a, int8_t *out_b, const int fast, const int full) {
  int32_t aa = (int32_t)TF_LOAD32(w), ab = aa;
  w += 4;
  for (const uint32_t *x = cols; x < cols + k4; x += 4, w += 4) {
    const uint32_t w1 = TF_LOAD32(w);
    const uint32_t e = tf_sxtb16(w1), o = tf_sxtb16_ror8(w1);
    aa = tf_smlad(x[0], e, aa);
    ab = tf_smlad(x[1], e, ab);
    aa = tf_smlad(x[2], o, aa);
    ab = tf_smlad(x[3], o, ab);
  }
  const int32_t m = (int32_t)TF_LOAD32(w), p = (int32_t)TF_LOAD32(w + 4);
  *out_a = tf_dsp_rq(aa, m, p, rq, fast, full);
  *out_b = tf_dsp_rq(ab, m, p, rq, fast, full);
}

/*
 * Every output channel of a pixel pair. `w`: per channel pair { start a, start b } (int32), the
 * pair's weights (2 k4 int8, interleaved), { m a, P a, m b, P b }; an odd last channel { start },
 * its k4 weights, { m, P } (records of TF_RQ_FIELDS words split around the weights, in the order
 * the loop reads them). `*endp` is cols + k4.
 */
static inline __attribute__((always_inline)) void tf_dsp_pair_channels_in(const uint32_t *cols, int k4, int entry,
                                                                          const uint32_t *const *endp, const int8_t *w, int out_c,
                                                                          const tf_rq_t *rq, int8_t *out_a, int8_t *out_b, const int fast,
                                                                          const int full, const int pairs) {
  /* pixel B's outputs from pixel A's: one pointer (out_b may be the twin in the scratch) */
  const intptr_t gap = (intptr_t)out_b - (intptr_t)out_a;
  /* a narrower activation range clamps the block's four outputs at once (SSUB8/SEL on the bytes of
   * one word: 4 instructions for 4 outputs instead of two compares each), then two halfword stores */
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  for (int8_t *const end_a = out_a + (out_c & ~1); out_a < end_a; out_a += 2) {
    int32_t aa, ab, ba, bb, rec[4];
    if (pairs) {
      w = tf_dsp_dot2x2p(cols, w, *endp, tf_dsp_first_chunk(k4), entry, &aa, &ab, &ba, &bb, rec);
    } else {
      w = tf_dsp_dot2x2(cols, w, k4, entry, endp, &aa, &ab, &ba, &bb, rec);
    }
    const int32_t ma = rec[0], pa = rec[1], mb = rec[2], pb = rec[3];
    const int32_t raa = tf_dsp_rq_sat(aa, ma, pa, rq, fast), rab = tf_dsp_rq_sat(ab, ma, pa, rq, fast);
    const int32_t rba = tf_dsp_rq_sat(ba, mb, pb, rq, fast), rbb = tf_dsp_rq_sat(bb, mb, pb, rq, fast);
    if (full) {
      out_a[0] = (int8_t)raa;
      out_a[1] = (int8_t)rba;
      out_a[gap] = (int8_t)rab;
      out_a[gap + 1] = (int8_t)rbb;
    } else {
      const uint32_t v = tf_smin8(tf_smax8(tf_bytes4(raa, rba, rab, rbb), lo4), hi4);
      tf_put2(out_a, v);
      tf_put2(out_a + gap, v >> 16);
    }
  }
  if (out_c & 1) tf_dsp_odd_channel(cols, k4, w, rq, out_a, out_a + gap, fast, full);
}

/* The same in the plain layout (DEPTHWISE_CONV_2D's one-channel kernel). */
static inline __attribute__((always_inline)) void tf_dsp_pair_channels(const uint32_t *cols, int k4, int entry, const uint32_t *const *endp,
                                                                       const int8_t *w, int out_c, const tf_rq_t *rq, int8_t *out_a,
                                                                       int8_t *out_b, const int fast, const int full) {
  tf_dsp_pair_channels_in(cols, k4, entry, endp, w, out_c, rq, out_a, out_b, fast, full, 0);
}

/* The int8 values of a pixel pair (k4 each, a multiple of 4) as SXTB16 halves into columns: per
 * group of four values, words 0 / 2 for pixel A, 1 / 3 for pixel B. */
static inline __attribute__((always_inline)) void tf_dsp_pack_pair(uint32_t *cols, const int8_t *xa, const int8_t *xb, int k4) {
  /* unoptimised builds (-O0, a debug build) cannot give this asm its nine registers beside the frame: plain C */
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  /* eight values a turn: two LDRD, eight SXTB16, two STM (registers pinned for the STM order) */
  register uint32_t t0 __asm__("r0");
  register uint32_t t1 __asm__("r1");
  register uint32_t a0 __asm__("r2");
  register uint32_t b0 __asm__("r3");
  register uint32_t a1 __asm__("r6");
  register uint32_t b1 __asm__("r8");
  if (k4 & 4) {
    __asm__ volatile("ldr %[a0], [%[xa]], #4\n\t"
                     "ldr %[b0], [%[xb]], #4\n\t"
                     "sxtb16 %[t0], %[a0]\n\t"
                     "sxtb16 %[t1], %[b0]\n\t"
                     "sxtb16 %[a0], %[a0], ror #8\n\t"
                     "sxtb16 %[b0], %[b0], ror #8\n\t"
                     "stm %[d]!, {%[t0], %[t1], %[a0], %[b0]}\n\t"
                     : [t0] "=&r"(t0), [t1] "=&r"(t1), [a0] "=&r"(a0), [b0] "=&r"(b0), [xa] "+&r"(xa), [xb] "+&r"(xb), [d] "+&r"(cols)
                     :
                     : "memory");
  }
  if (k4 >= 8) {
    const int8_t *const end = xa + (k4 & ~7);
#if defined(__ARM_ARCH_7EM__) && !(defined(__ARM_FP) && (__ARM_FP & 8))
    /* the Cortex-M4: four LDR in a row (2 + 1 + 1 + 1 cycles, where two LDRD take 3 + 3) and single
     * STR (1 cycle each, where an STM of four takes 5): 24 cycles a turn, not 27 */
    __asm__ volatile("1:\n\t"
                     "ldr %[a1], [%[xa], #4]\n\t"
                     "ldr %[a0], [%[xa]], #8\n\t"
                     "ldr %[b1], [%[xb], #4]\n\t"
                     "ldr %[b0], [%[xb]], #8\n\t"
                     "sxtb16 %[t0], %[a0]\n\t"
                     "sxtb16 %[t1], %[b0]\n\t"
                     "sxtb16 %[a0], %[a0], ror #8\n\t"
                     "sxtb16 %[b0], %[b0], ror #8\n\t"
                     "str %[t0], [%[d]], #32\n\t"
                     "str %[t1], [%[d], #-28]\n\t"
                     "str %[a0], [%[d], #-24]\n\t"
                     "str %[b0], [%[d], #-20]\n\t"
                     "sxtb16 %[t0], %[a1]\n\t"
                     "sxtb16 %[t1], %[b1]\n\t"
                     "sxtb16 %[a1], %[a1], ror #8\n\t"
                     "sxtb16 %[b1], %[b1], ror #8\n\t"
                     "str %[t0], [%[d], #-16]\n\t"
                     "str %[t1], [%[d], #-12]\n\t"
                     "str %[a1], [%[d], #-8]\n\t"
                     "str %[b1], [%[d], #-4]\n\t"
                     "cmp %[xa], %[end]\n\t"
                     "bne 1b\n\t"
                     : [t0] "=&r"(t0), [t1] "=&r"(t1), [a0] "=&r"(a0), [b0] "=&r"(b0), [a1] "=&r"(a1), [b1] "=&r"(b1), [xa] "+&r"(xa),
                       [xb] "+&r"(xb), [d] "+&r"(cols)
                     : [end] "r"(end)
                     : "cc", "memory");
#else
    __asm__ volatile("1:\n\t"
                     "ldrd %[a0], %[a1], [%[xa]], #8\n\t"
                     "ldrd %[b0], %[b1], [%[xb]], #8\n\t"
                     "sxtb16 %[t0], %[a0]\n\t"
                     "sxtb16 %[t1], %[b0]\n\t"
                     "sxtb16 %[a0], %[a0], ror #8\n\t"
                     "sxtb16 %[b0], %[b0], ror #8\n\t"
                     "stm %[d]!, {%[t0], %[t1], %[a0], %[b0]}\n\t"
                     "sxtb16 %[t0], %[a1]\n\t"
                     "sxtb16 %[t1], %[b1]\n\t"
                     "sxtb16 %[a1], %[a1], ror #8\n\t"
                     "sxtb16 %[b1], %[b1], ror #8\n\t"
                     "stm %[d]!, {%[t0], %[t1], %[a1], %[b1]}\n\t"
                     "cmp %[xa], %[end]\n\t"
                     "bne 1b\n\t"
                     : [t0] "=&r"(t0), [t1] "=&r"(t1), [a0] "=&r"(a0), [b0] "=&r"(b0), [a1] "=&r"(a1), [b1] "=&r"(b1), [xa] "+&r"(xa),
                       [xb] "+&r"(xb), [d] "+&r"(cols)
                     : [end] "r"(end)
                     : "cc", "memory");
#endif
  }
#else
  for (const int8_t *const end = xa + k4; xa < end; xa += 4, xb += 4, cols += 4) {
    const uint32_t a = TF_LOAD32(xa), b = TF_LOAD32(xb);
    cols[0] = tf_sxtb16(a);
    cols[1] = tf_sxtb16(b);
    cols[2] = tf_sxtb16_ror8(a);
    cols[3] = tf_sxtb16_ror8(b);
  }
#endif
}

/*
 * 1x1 convolution at stride 1: out[p][c] = rq(q[c].start + sum_k w[c][k] * x[p][k]), two pixels at a
 * time (k4 = channels, a multiple of 4): the columns hold SXTB16 halves (bytes 0,2 then 1,3) and so do
 * the weights, in their own byte order, once extended. `cols` holds k4 words, then (odd pixel
 * counts) out_c bytes where a lone last pixel, computed as a pair with itself, writes its twin.
 */
static inline __attribute__((always_inline)) void tf_dsp_pointwise_body(const int8_t *in, int pixels, int k4, const int8_t *w, int out_c,
                                                                        const tf_rq_t *rq, int8_t *out, uint32_t *cols, const int fast,
                                                                        const int full, const int pairs) {
  const uint32_t *const end = cols + k4;
  const int entry = pairs ? tf_dsp_entry_pairs(k4) : tf_dsp_entry(k4);
  for (int p = 0; p < pixels; p += 2, in += 2 * k4, out += 2 * out_c) {
    const int pair = p + 1 < pixels;
    tf_dsp_pack_pair(cols, in, pair ? in + k4 : in, k4);
    tf_dsp_pair_channels_in(cols, k4, entry, &end, w, out_c, rq, out, pair ? out + out_c : (int8_t *)(void *)(cols + k4), fast, full,
                            pairs);
  }
}

/*
 * The 1x1 `pairs` layers' channel-pair run as one assembly routine (dsp.ts pairsRunAsm, one per
 * model and mode, emitted by the layer template): starts, SMLAD loop, extraction, requantization and
 * stores of every channel pair of a pixel pair without leaving the assembly. In C the loop's 13
 * pinned registers left the output pointers, the gap and the chunk's stop on the stack around
 * every block (~60 instructions a block outside the loop); here the per-block state is one LDM
 * from the stack and the stop stays in a register (one chunk: k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS).
 * Layout of a pair in the weights: { start r }, the pair's 2 k4 weight bytes, { start s, m r, P r,
 * m s, P s } (dsp.ts withRecords, `split`), so one LDM past the loop fetches the rest. WIDE
 * requantization adds the zero point after the clamp: with act_min >= zp the clamp of v + zp to
 * [act_min, act_max] is USAT8(v) clamped to [act_min - zp, act_max - zp] (within 0..255, unsigned
 * lanes), then zp added bytewise (the sum is the int8 output, so the wrap is exact).
 */
typedef struct {
  const uint32_t *cols;  /* the pixel pair's columns */
  int8_t *out_a;         /* pixel A's first output of the run */
  int8_t *out_b;         /* pixel B's (or the twin in the scratch) */
  int8_t *end_a;         /* out_a past the last channel pair */
  uint32_t lo4, hi4;     /* the clamp's bounds in four bytes (WIDE: minus the zero point) */
  uint32_t zp4;          /* the zero point in four bytes (WIDE) */
  const uint32_t *stop;  /* cols + k4 */
  int32_t entry;         /* tf_dsp_entry_pairs(k4): code bytes into the loop's first turn */
  const int8_t *in_next; /* the quads' routine that moves to the next pair itself: that pair's pixel A */
  int32_t pairs;         /* and the pixel pairs it runs */
} tf_dsp_pw_run_t;

/* a macro's value as a string, for the assembler's layout checks */
#define TF_DSP_STR_(x) #x
#define TF_DSP_STR(x) TF_DSP_STR_(x)

#if TF_DSP_NATIVE
/* A compile error (an array of size -1) unless `field` of tf_dsp_pw_run_t lies at byte `offset`: C99
 * has no _Static_assert, and a file-scope typedef compiles to nothing. */
#define TF_DSP_CHECK_RUN_OFFSET(field, offset) \
  typedef char tf_dsp_pw_run_check_##field[(offsetof(tf_dsp_pw_run_t, field) == (offset)) ? 1 : -1]
/* the offsets pairsRunAsm's LDM and LDR read (32-bit pointers) */
TF_DSP_CHECK_RUN_OFFSET(cols, 0);
TF_DSP_CHECK_RUN_OFFSET(out_a, 4);
TF_DSP_CHECK_RUN_OFFSET(out_b, 8);
TF_DSP_CHECK_RUN_OFFSET(end_a, 12);
TF_DSP_CHECK_RUN_OFFSET(lo4, 16);
TF_DSP_CHECK_RUN_OFFSET(hi4, 20);
TF_DSP_CHECK_RUN_OFFSET(zp4, 24);
TF_DSP_CHECK_RUN_OFFSET(stop, 28);
TF_DSP_CHECK_RUN_OFFSET(entry, 32);
#endif

/* the assembly routine: returns the weights past the channel pairs */
typedef const int8_t *(*tf_dsp_pw_run_fn)(const uint32_t *cols, const int8_t *w, const tf_dsp_pw_run_t *s);

/* The routine's C twin (the host's; the same layout and the same integers). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_pw_run_twin(const tf_dsp_pw_run_t *s, const int8_t *w, int k4,
                                                                              const tf_rq_t *rq, const int fast, const int full) {
  int8_t *out_b = s->out_b;
  for (int8_t *out_a = s->out_a; out_a < s->end_a; out_a += 2, out_b += 2) {
    const int32_t start_r = (int32_t)TF_LOAD32(w);
    int32_t ra = start_r, rb = start_r, ca = start_r, cb = start_r;
    w += 4;
    for (const uint32_t *x = s->cols; x < s->cols + k4; x += 4, w += 8) tf_dsp_pair_step(x, w, &ra, &rb, &ca, &cb);
    const int32_t start_s = (int32_t)TF_LOAD32(w), ma = (int32_t)TF_LOAD32(w + 4), pa = (int32_t)TF_LOAD32(w + 8);
    const int32_t mb = (int32_t)TF_LOAD32(w + 12), pb = (int32_t)TF_LOAD32(w + 16);
    w += 20;
    const int32_t sa = start_s + ((int32_t)((uint32_t)ca - (uint32_t)ra) >> 8);
    const int32_t sb = start_s + ((int32_t)((uint32_t)cb - (uint32_t)rb) >> 8);
    const int32_t raa = tf_dsp_rq_sat(ra, ma, pa, rq, fast), rab = tf_dsp_rq_sat(rb, ma, pa, rq, fast);
    const int32_t rba = tf_dsp_rq_sat(sa, mb, pb, rq, fast), rbb = tf_dsp_rq_sat(sb, mb, pb, rq, fast);
    const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
    const uint32_t v = full ? tf_bytes4(raa, rba, rab, rbb) : tf_smin8(tf_smax8(tf_bytes4(raa, rba, rab, rbb), lo4), hi4);
    tf_put2(out_a, v);
    tf_put2(out_b, v >> 16);
  }
  return w;
}

/* tf_dsp_pointwise_body with the channel pairs in the assembly routine `run` (0 on the host: its
 * twin). FAST or WIDE (with act_min >= zp) requantization, k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS, out_c >= 2. */
static inline __attribute__((always_inline)) void tf_dsp_pointwise_run_body(const int8_t *in, int pixels, int k4, const int8_t *w,
                                                                            int out_c, const tf_rq_t *rq, int8_t *out, uint32_t *cols,
                                                                            const int fast, const int full, tf_dsp_pw_run_fn run) {
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_pw_run_t s;
  s.cols = cols;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  s.stop = cols + k4;
  s.entry = tf_dsp_entry_pairs(k4);
  const int pairs_c = out_c & ~1;
  for (int p = 0; p < pixels; p += 2, in += 2 * k4, out += 2 * out_c) {
    const int pair = p + 1 < pixels;
    tf_dsp_pack_pair(cols, in, pair ? in + k4 : in, k4);
    s.out_a = out;
    s.out_b = pair ? out + out_c : (int8_t *)(void *)(cols + k4);
    s.end_a = out + pairs_c;
#if TF_DSP_NATIVE
    const int8_t *const rest = run(cols, w, &s);
#else
    (void)run;
    const int8_t *const rest = tf_dsp_pw_run_twin(&s, w, k4, rq, fast, full);
#endif
    if (out_c & 1) tf_dsp_odd_channel(cols, k4, rest, rq, s.out_a + pairs_c, s.out_b + pairs_c, fast, full);
  }
}

/*
 * The 1x1 `pairs` layers of whole channel quads (out_c a multiple of 4) run two pixels by four
 * channels (two channel pairs) in one assembly routine (dsp.ts quadRunAsm): per half step one LDM of
 * two column words against one LDM of two weight words, the pairs' words for the same lanes (dsp.ts
 * halfwordQuads), so that each LDM moves two registers and the block's fixed work is spread over
 * eight outputs. Layout of a quad in the weights: { start r, start r' }, the quad's 4 k4 weight
 * bytes, { start s, start s', m r, P r, m s, P s, m r', P r', m s', P s' } (dsp.ts withQuadRecords).
 * The routine takes tf_dsp_pw_run_t less its `entry`: it computes where its loop is entered from
 * cols and stop (its turn, four to sixteen steps, is the generator's: dsp.ts pointwiseQuadTurn), and
 * ends its loop on the sentinel word past the columns (TF_DSP_QUAD_SENTINEL), not on the stop.
 */

/* The word after a 1x1 layer's columns that ends the quad routine's loop (dsp.ts QUAD_SENTINEL): its
 * high lane -32768, which no SXTB16 of int8 values gives; the loop reads it with the block's starts
 * of the second channels, then tests it. Two words: the loop loads a half step's pair of them. */
#define TF_DSP_QUAD_SENTINEL 0x80000000u
#define TF_DSP_QUAD_SENTINEL_WORDS 2

/* One output of the quads' rounding records (dsp.ts roundRecords, roundLines: K = 2^(32 - e) in
 * place of P, the floor at or above the zero point): h by SMMLAR as FAST's, h / 2^e rounded half up
 * by SMMLAR with K, the zero point added (FAST: in the SMMLAR; WIDE: after), saturated. */
static inline __attribute__((always_inline)) int32_t tf_dsp_rq_round_sat(int32_t acc, int32_t m, int32_t k, const tf_rq_t *rq,
                                                                         const int fast) {
  const int32_t h = tf_dsp_smmlar(acc, m, acc);
  return fast == 2 ? tf_ssat8(tf_dsp_smmlar(h, k, 0) + rq->out_zp) : tf_ssat8(tf_dsp_smmlar(h, k, rq->out_zp));
}

/* The quads' routine's C twin (the host's; the same layout and the same integers); `round_k`: the
 * records hold K in place of P (tf_dsp_rq_round_sat). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_pw_quad_twin_rq(const tf_dsp_pw_run_t *s, const int8_t *w, int k4,
                                                                                  const tf_rq_t *rq, const int fast, const int full,
                                                                                  const int round_k) {
  int8_t *out_b = s->out_b;
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  for (int8_t *out_a = s->out_a; out_a < s->end_a; out_a += 4, out_b += 4) {
    const int32_t start_p = (int32_t)TF_LOAD32(w), start_q = (int32_t)TF_LOAD32(w + 4);
    int32_t pra = start_p, prb = start_p, pca = start_p, pcb = start_p;
    int32_t qra = start_q, qrb = start_q, qca = start_q, qcb = start_q;
    w += 8;
    for (const uint32_t *x = s->cols; x < s->cols + k4; x += 4, w += 16) {
      /* per half: the pairs' words P, Q of the lanes the two column words hold */
      for (int h = 0; h < 2; ++h) {
        const uint32_t xa = x[2 * h], xb = x[2 * h + 1];
        const uint32_t wp = TF_LOAD32(w + 8 * h), wq = TF_LOAD32(w + 8 * h + 4);
        pca = tf_smlad(xa, wp, pca);
        pcb = tf_smlad(xb, wp, pcb);
        pra = tf_smlad(xa, tf_sxtb16(wp), pra);
        prb = tf_smlad(xb, tf_sxtb16(wp), prb);
        qca = tf_smlad(xa, wq, qca);
        qcb = tf_smlad(xb, wq, qcb);
        qra = tf_smlad(xa, tf_sxtb16(wq), qra);
        qrb = tf_smlad(xb, tf_sxtb16(wq), qrb);
      }
    }
    const int32_t start_ps = (int32_t)TF_LOAD32(w), start_qs = (int32_t)TF_LOAD32(w + 4);
    const int32_t psa = start_ps + ((int32_t)((uint32_t)pca - (uint32_t)pra) >> 8);
    const int32_t psb = start_ps + ((int32_t)((uint32_t)pcb - (uint32_t)prb) >> 8);
    const int32_t qsa = start_qs + ((int32_t)((uint32_t)qca - (uint32_t)qra) >> 8);
    const int32_t qsb = start_qs + ((int32_t)((uint32_t)qcb - (uint32_t)qrb) >> 8);
    w += 8;
    int32_t q[8];
    for (int i = 0; i < 8; ++i) q[i] = (int32_t)TF_LOAD32(w + 4 * i);
    w += 32;
#define TF_DSP_QUAD_RQ(acc, m, p) (round_k ? tf_dsp_rq_round_sat(acc, m, p, rq, fast) : tf_dsp_rq_sat(acc, m, p, rq, fast))
    const int32_t a0 = TF_DSP_QUAD_RQ(pra, q[0], q[1]), b0 = TF_DSP_QUAD_RQ(prb, q[0], q[1]);
    const int32_t a1 = TF_DSP_QUAD_RQ(psa, q[2], q[3]), b1 = TF_DSP_QUAD_RQ(psb, q[2], q[3]);
    const int32_t a2 = TF_DSP_QUAD_RQ(qra, q[4], q[5]), b2 = TF_DSP_QUAD_RQ(qrb, q[4], q[5]);
    const int32_t a3 = TF_DSP_QUAD_RQ(qsa, q[6], q[7]), b3 = TF_DSP_QUAD_RQ(qsb, q[6], q[7]);
#undef TF_DSP_QUAD_RQ
    const uint32_t va = tf_bytes4(a0, a1, a2, a3), vb = tf_bytes4(b0, b1, b2, b3);
    const uint32_t ca = full ? va : tf_smin8(tf_smax8(va, lo4), hi4), cb = full ? vb : tf_smin8(tf_smax8(vb, lo4), hi4);
    tf_put2(out_a, ca);
    tf_put2(out_a + 2, ca >> 16);
    tf_put2(out_b, cb);
    tf_put2(out_b + 2, cb >> 16);
  }
  return w;
}

/* The quads' routine's C twin with { m, P } records. */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_pw_quad_twin(const tf_dsp_pw_run_t *s, const int8_t *w, int k4,
                                                                               const tf_rq_t *rq, const int fast, const int full) {
  return tf_dsp_pw_quad_twin_rq(s, w, k4, rq, fast, full, 0);
}

/* tf_dsp_pointwise_run_body in channel quads through the assembly routine `run` (0 on the host: its
 * twin). FAST or WIDE (with act_min >= zp) requantization, k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS, out_c a
 * multiple of 4. A last lone pixel (odd pixel counts) runs in `lone` (dsp.ts quadLoneAsm, one pixel
 * by four channels) where it is given, else in `run` as a pair with itself (its twin in the scratch).
 * `round_k`: the records hold K in place of P (dsp.ts roundRecords); under FAST the frame's zp4 word
 * holds the zero point itself, which the routines' rounding form reads (WIDE's clamp reads the four
 * bytes; FAST's other forms read neither). */
static inline __attribute__((always_inline)) void tf_dsp_pointwise_quad_body(const int8_t *in, int pixels, int k4, const int8_t *w,
                                                                             int out_c, const tf_rq_t *rq, int8_t *out, uint32_t *cols,
                                                                             const int fast, const int full, const int round_k,
                                                                             const int pixel_loop, tf_dsp_pw_run_fn run,
                                                                             tf_dsp_pw_run_fn lone) {
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_pw_run_t s;
  s.cols = cols;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = wide ? zp % 256u * 0x01010101u : (uint32_t)rq->out_zp;
  s.stop = cols + k4;
  s.entry = 0; /* unused: the quads' routines compute their entry */
  /* the routine's loop ends on the sentinel past the columns (TF_DSP_QUAD_SENTINEL); a lone pixel's twin outputs past it */
  cols[k4] = TF_DSP_QUAD_SENTINEL;
  cols[k4 + 1] = 0;
#if TF_DSP_NATIVE
  /* the routine runs every whole pair from one call, packing the next pair's columns itself; an odd
   * pixel count's last pixel is one call of one pair (the other routines read neither field) */
  if (pixel_loop) {
    s.in_next = in;
    s.pairs = 1;
  }
  if (pixel_loop && pixels >= 2) {
    const int pairs = pixels / 2;
    tf_dsp_pack_pair(cols, in, in + k4, k4);
    s.out_a = out;
    s.out_b = out + out_c;
    s.end_a = out + out_c;
    s.in_next = in + 2 * k4;
    s.pairs = pairs;
    (void)run(cols, w, &s);
    s.pairs = 1;
    in += 2 * pairs * k4;
    out += 2 * pairs * out_c;
    pixels -= 2 * pairs;
  }
#else
  (void)pixel_loop;
#endif
  for (int p = 0; p < pixels; p += 2, in += 2 * k4, out += 2 * out_c) {
    const int pair = p + 1 < pixels;
    tf_dsp_pack_pair(cols, in, pair ? in + k4 : in, k4);
    s.out_a = out;
    s.out_b = pair ? out + out_c : (int8_t *)(void *)(cols + k4 + TF_DSP_QUAD_SENTINEL_WORDS);
    s.end_a = out + out_c;
#if TF_DSP_NATIVE
    (void)fast;
    (void)full;
    (void)round_k;
    (void)(pair || !lone ? run : lone)(cols, w, &s);
#else
    (void)run;
    (void)lone;
    (void)tf_dsp_pw_quad_twin_rq(&s, w, k4, rq, fast, full, round_k);
#endif
  }
}

/* Geometry of a convolution lowered to columns (im2col). */
typedef struct {
  int16_t in_h, in_w, in_c;
  int16_t out_h, out_w, out_c;
  int16_t k_h, k_w;
  int16_t stride_h, stride_w, dilation_h, dilation_w;
  int16_t pad_top, pad_left;
  /* the -z_in added to each value: padded taps read z_in, which the start's folded offset cancels */
  int16_t input_offset;
  /* k = k_h * k_w * in_c rounded up to a multiple of 4 */
  int16_t k4;
} tf_conv_geom_t;

/* Filter row ky of an output pixel's receptive field, k_w * in_c int8 values: a pointer into the
 * image when the row lies inside it at dilation 1, else gathered into `tmp` (taps outside the image
 * read the input zero point, so that with the offset folded into the start they add 0). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_filter_row(int8_t *tmp, const int8_t *image, int oy, int ox, int ky,
                                                                             const tf_conv_geom_t *g) {
  const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int in_c = g->in_c;
  const int zp = -g->input_offset;
  if (iy < 0 || iy >= g->in_h) {
    memset(tmp, zp, (size_t)(g->k_w * in_c));
    return tmp;
  }
  const int8_t *const src = image + iy * g->in_w * in_c;
  if (g->dilation_w == 1 && ix0 >= 0 && ix0 + g->k_w <= g->in_w) return src + ix0 * in_c;
  for (int kx = 0; kx < g->k_w; ++kx) {
    const int ix = ix0 + kx * g->dilation_w;
    if (ix >= 0 && ix < g->in_w) {
      memcpy(tmp + kx * in_c, src + ix * in_c, (size_t)in_c);
    } else {
      memset(tmp + kx * in_c, zp, (size_t)in_c);
    }
  }
  return tmp;
}

/*
 * Three output pixels by one channel pair in the `pairs` layout (im2col layers whose rows take it):
 * per 4 values the columns hold six words, lanes (0, 2) of pixels A, B, C then lanes (1, 3), and a
 * step of 24 MACs is 3 LDM, 2 SXTB16 and 12 SMLAD (M4: 25 cycles, against 18 for the 16 MACs of the
 * two-pixel step). Thirteen registers: six accumulators (r and r + 256 s per pixel), three column
 * words (each LDM fills them for one lane pair), the two weight words, the two pointers; the raw
 * weight word is used before SXTB16 overwrites it, and the second weight word's register takes the
 * entry and the stop. Pixel counts not a multiple of 3 end with the two-pixel path.
 */
#if TF_DSP_NATIVE && defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && (__ARM_FP & 8)
/* Armv7E-M with a double-precision FPU: the Cortex-M7 (no Cortex-M4 has one), which issues a MAC
 * with a load or an ALU instruction beside it, never two multiplies, and moves LDM's registers two
 * a cycle without pairing it. The step loads its eight words one LDR at a time, each beside an
 * SMLAD, and extends the second weight word into the first one's register (free by then); its
 * last two loads fetch the next step's first weight and column words (TF_DSP_STEP3X2P_AHEAD words
 * ahead: the chunk's first two are loaded before the jump into the loop, and the pointers step
 * back past the loop), so that every SMLAD but two follows a load or an SXTB16: 13 cycles per 24
 * MACs in the timing model (docs/timing.md) against 18 with the LDMs. On the M4 and M33, whose LDM
 * moves a word a cycle and whose LDR costs 2 outside a run of loads, the LDM step stays. The words
 * read ahead past a chunk's end are the row buffers' (columns) and the records' (weights). */
#define TF_DSP_DUAL_ISSUE 1
#define TF_DSP_STEP3X2P_BYTES 88
#define TF_DSP_STEP3X2P_AHEAD 1
#define TF_DSP_STEP3X2P_PRE \
  "ldr.w %[w0], [%[w]], #4\n\t" \
  "ldr.w %[x0], [%[x]], #4\n\t"
#define TF_DSP_STEP3X2P_POST \
  "sub %[x], %[x], #4\n\t" \
  "sub %[w], %[w], #4\n\t"
#define TF_DSP_STEP3X2P \
  "smlad %[ca], %[x0], %[w0], %[ca]\n\t" \
  "ldr.w %[x1], [%[x]], #4\n\t" \
  "smlad %[cb], %[x1], %[w0], %[cb]\n\t" \
  "ldr.w %[x2], [%[x]], #4\n\t" \
  "smlad %[cc], %[x2], %[w0], %[cc]\n\t" \
  "sxtb16 %[w0], %[w0]\n\t" \
  "smlad %[ra], %[x0], %[w0], %[ra]\n\t" \
  "ldr.w %[w1], [%[w]], #4\n\t" \
  "smlad %[rb], %[x1], %[w0], %[rb]\n\t" \
  "ldr.w %[x0], [%[x]], #4\n\t" \
  "smlad %[rc], %[x2], %[w0], %[rc]\n\t" \
  "sxtb16 %[w0], %[w1]\n\t" \
  "smlad %[ra], %[x0], %[w0], %[ra]\n\t" \
  "ldr.w %[x1], [%[x]], #4\n\t" \
  "smlad %[ca], %[x0], %[w1], %[ca]\n\t" \
  "ldr.w %[x2], [%[x]], #4\n\t" \
  "smlad %[rb], %[x1], %[w0], %[rb]\n\t" \
  "smlad %[rc], %[x2], %[w0], %[rc]\n\t" \
  "ldr.w %[w0], [%[w]], #4\n\t" \
  "smlad %[cb], %[x1], %[w1], %[cb]\n\t" \
  "ldr.w %[x0], [%[x]], #4\n\t" \
  "smlad %[cc], %[x2], %[w1], %[cc]\n\t"
#else
#define TF_DSP_DUAL_ISSUE 0
#define TF_DSP_STEP3X2P_BYTES 68
#define TF_DSP_STEP3X2P_AHEAD 0
#define TF_DSP_STEP3X2P_PRE ""
#define TF_DSP_STEP3X2P_POST ""
#endif

#if TF_DSP_NATIVE && !defined(TF_DSP_STEP3X2P)
#define TF_DSP_STEP3X2P \
  "ldm.w %[x]!, {%[x0], %[x1], %[x2]}\n\t" \
  "ldm.w %[w]!, {%[w0], %[w1]}\n\t" \
  "smlad %[ca], %[x0], %[w0], %[ca]\n\t" \
  "smlad %[cb], %[x1], %[w0], %[cb]\n\t" \
  "smlad %[cc], %[x2], %[w0], %[cc]\n\t" \
  "sxtb16 %[w0], %[w0]\n\t" \
  "smlad %[ra], %[x0], %[w0], %[ra]\n\t" \
  "smlad %[rb], %[x1], %[w0], %[rb]\n\t" \
  "smlad %[rc], %[x2], %[w0], %[rc]\n\t" \
  "ldm.w %[x]!, {%[x0], %[x1], %[x2]}\n\t" \
  "smlad %[ca], %[x0], %[w1], %[ca]\n\t" \
  "smlad %[cb], %[x1], %[w1], %[cb]\n\t" \
  "smlad %[cc], %[x2], %[w1], %[cc]\n\t" \
  "sxtb16 %[w1], %[w1]\n\t" \
  "smlad %[ra], %[x0], %[w1], %[ra]\n\t" \
  "smlad %[rb], %[x1], %[w1], %[rb]\n\t" \
  "smlad %[rc], %[x2], %[w1], %[rc]\n\t"
#endif

/* Where tf_dsp_dot3x2p enters its loop: as tf_dsp_entry_pairs, in its own step size. */
static inline int tf_dsp_entry_triple(int k4) { return ((-(k4 >> 2)) & (TF_DSP_STEPS_PER_TURN - 1)) * TF_DSP_STEP3X2P_BYTES; }

#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
/* tf_dsp_pack_triple's loop out of line: four values of the three pixels a group, three LDR, six
 * SXTB16, one STM of r4..r9 (the STM's register order fixes the words'), two groups a turn after an
 * odd first one. A naked routine with its own registers, never inlined: pinned registers in an
 * inlined asm left GCC no allocation in register-hungry callers (the strided up-sampling op's phase
 * kernels: "impossible constraints"). r0 cols, r1..r3 the three pixels' values, k4 on the stack
 * (AAPCS); reads exactly k4 bytes of each pixel. */
#define TF_DSP_PACK_TRIPLE_GROUP \
  "ldr r7, [r1], #4\n\t" \
  "ldr r8, [r2], #4\n\t" \
  "ldr r9, [r3], #4\n\t" \
  "sxtb16 r4, r7\n\t" \
  "sxtb16 r5, r8\n\t" \
  "sxtb16 r6, r9\n\t" \
  "sxtb16 r7, r7, ror #8\n\t" \
  "sxtb16 r8, r8, ror #8\n\t" \
  "sxtb16 r9, r9, ror #8\n\t" \
  "stm r0!, {r4-r9}\n\t"
__attribute__((naked, noinline, unused)) static void
tf_dsp_pack_triple_asm(uint32_t *cols __attribute__((unused)), const int8_t *xa __attribute__((unused)),
                       const int8_t *xb __attribute__((unused)), const int8_t *xc __attribute__((unused)), int k4 __attribute__((unused))) {
  __asm__ volatile("ldr r12, [sp]\n\t"
                   "push {r4-r9}\n\t"
                   "lsls r4, r12, #30\n\t" /* C: bit 2 of k4, an odd group */
                   "add r12, r1, r12\n\t"
                   "bcc 2f\n\t" TF_DSP_PACK_TRIPLE_GROUP "cmp r1, r12\n\t"
                   "beq 3f\n\t"
                   "2:\n\t" TF_DSP_PACK_TRIPLE_GROUP TF_DSP_PACK_TRIPLE_GROUP "cmp r1, r12\n\t"
                   "bne 2b\n\t"
                   "3:\n\t"
                   "pop {r4-r9}\n\t"
                   "bx lr\n\t");
}
#endif

/* The values of three pixels (k4 each, a multiple of 4, at least 4) as SXTB16 halves into columns:
 * per group of four values, words 0..2 the lanes (0, 2) of pixels A, B, C, words 3..5 lanes (1, 3). */
static inline __attribute__((always_inline)) void tf_dsp_pack_triple(uint32_t *cols, const int8_t *xa, const int8_t *xb, const int8_t *xc,
                                                                     int k4) {
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  tf_dsp_pack_triple_asm(cols, xa, xb, xc, k4);
#else
  for (const int8_t *const end = xa + k4; xa < end; xa += 4, xb += 4, xc += 4, cols += 6) {
    const uint32_t a = TF_LOAD32(xa), b = TF_LOAD32(xb), c = TF_LOAD32(xc);
    cols[0] = tf_sxtb16(a);
    cols[1] = tf_sxtb16(b);
    cols[2] = tf_sxtb16(c);
    cols[3] = tf_sxtb16_ror8(a);
    cols[4] = tf_sxtb16_ror8(b);
    cols[5] = tf_sxtb16_ror8(c);
  }
#endif
}

/* One step of a pixel triple's channel pair in C: 4 values of pixels A, B, C (x[0..5], two halfword
 * pairs each) against the pair's two weight words; r in r*, the combined lanes r + 256 s in c*. */
static inline __attribute__((always_inline)) void tf_dsp_step3x2p_c(const uint32_t *x, const int8_t *w, int32_t *ra, int32_t *rb,
                                                                    int32_t *rc, int32_t *ca, int32_t *cb, int32_t *cc) {
  const uint32_t w0 = tf_read_u32(w), w1 = tf_read_u32(w + 4);
  *ca = tf_smlad(x[0], w0, *ca);
  *cb = tf_smlad(x[1], w0, *cb);
  *cc = tf_smlad(x[2], w0, *cc);
  *ra = tf_smlad(x[0], tf_sxtb16(w0), *ra);
  *rb = tf_smlad(x[1], tf_sxtb16(w0), *rb);
  *rc = tf_smlad(x[2], tf_sxtb16(w0), *rc);
  *ca = tf_smlad(x[3], w1, *ca);
  *cb = tf_smlad(x[4], w1, *cb);
  *cc = tf_smlad(x[5], w1, *cc);
  *ra = tf_smlad(x[3], tf_sxtb16(w1), *ra);
  *rb = tf_smlad(x[4], tf_sxtb16(w1), *rb);
  *rc = tf_smlad(x[5], tf_sxtb16(w1), *rc);
}

/* One channel pair of a pixel triple: { start r, start s }, the 2 k4 weight bytes of the pair, then
 * the four record words into `rec`; `acc` gets r of pixels A, B, C then s. `end` is cols + 3 k4 / 2
 * (words), `first` the words of the first chunk (6 per step: tf_dsp_first_chunk's steps). Returns the
 * blob past the records. */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_dot3x2p(const uint32_t *x, const int8_t *w, const uint32_t *end,
                                                                          int first, int entry, int32_t acc[6], int32_t rec[4]) {
  const int32_t start_r = (int32_t)TF_LOAD32(w), start_s = (int32_t)TF_LOAD32(w + 4);
  w += 8;
  int32_t sa = start_s, sb = start_s, sc = start_s;
#if TF_DSP_NATIVE
  const uint32_t *stop = x + first + TF_DSP_STEP3X2P_AHEAD;
  register int32_t ra __asm__("r0") = start_r;
  register int32_t rb __asm__("r1") = start_r;
  register int32_t rc __asm__("r2") = start_r;
  register int32_t ca __asm__("r3") = start_r;
  register int32_t cb __asm__("r4") = start_r;
  register int32_t cc __asm__("r5") = start_r;
  register uint32_t x0 __asm__("r6");
  register uint32_t x1 __asm__("r8");
  register uint32_t x2 __asm__("r9");
  register uint32_t w0 __asm__("r10");
  register uint32_t w1 __asm__("r11");
  register const uint32_t *rx __asm__("r12") = x;
  register const int8_t *rw __asm__("lr") = w;
  for (;;) {
    /* a chunk: the first turn entered `entry` bytes in (as tf_dsp_dot2x2p; 0 after the first chunk) */
    w1 = (uint32_t)entry;
    __asm__ volatile(
        TF_DSP_STEP3X2P_PRE
        "11:\n\t"
        "add pc, %[w1]\n\t"
        "nop\n\t"
        "10:\n\t" TF_DSP_STEP3X2P
        "12:\n\t" TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P TF_DSP_STEP3X2P "13:\n\t"
        ".if (10b - 11b) != 4\n\t"
        ".error \"tf_dsp_dot3x2p: the loop must start 4 bytes past ADD PC (where PC reads)\"\n\t"
        ".endif\n\t"
        ".if (12b - 10b) != %c[step]\n\t"
        ".error \"tf_dsp_dot3x2p: TF_DSP_STEP3X2P is no longer TF_DSP_STEP3X2P_BYTES of code (tf_dsp_entry_triple)\"\n\t"
        ".endif\n\t"
        ".if (13b - 10b) != %c[step] * %c[steps]\n\t"
        ".error \"tf_dsp_dot3x2p: the turn is not TF_DSP_STEPS_PER_TURN steps (tf_dsp_entry_triple)\"\n\t"
        ".endif\n\t"
        "ldr %[w1], %[stop]\n\t"
        "cmp %[x], %[w1]\n\t"
        "bne 10b\n\t" TF_DSP_STEP3X2P_POST
        : [ra] "+&r"(ra), [rb] "+&r"(rb), [rc] "+&r"(rc), [ca] "+&r"(ca), [cb] "+&r"(cb), [cc] "+&r"(cc), [x] "+&r"(rx), [w] "+&r"(rw),
          [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [w0] "=&r"(w0), [w1] "+&r"(w1)
        : [stop] "m"(stop), [step] "i"(TF_DSP_STEP3X2P_BYTES), [steps] "i"(TF_DSP_STEPS_PER_TURN)
        : "cc", "memory");
    sa += (int32_t)((uint32_t)ca - (uint32_t)ra) >> 8;
    sb += (int32_t)((uint32_t)cb - (uint32_t)rb) >> 8;
    sc += (int32_t)((uint32_t)cc - (uint32_t)rc) >> 8;
    if (rx == end) break;
    ca = ra;
    cb = rb;
    cc = rc;
    entry = 0;
    stop = rx + 6 * TF_DSP_PAIR_CHUNK_STEPS + TF_DSP_STEP3X2P_AHEAD;
  }
  acc[0] = ra;
  acc[1] = rb;
  acc[2] = rc;
  w = rw;
#else
  (void)entry;
  int32_t ra = start_r, rb = start_r, rc = start_r;
  for (const uint32_t *stop = x + first;; stop = x + 6 * TF_DSP_PAIR_CHUNK_STEPS) {
    int32_t ca = ra, cb = rb, cc = rc;
    for (; x < stop; x += 6, w += 8) {
      tf_dsp_step3x2p_c(x, w, &ra, &rb, &rc, &ca, &cb, &cc);
    }
    sa += (int32_t)((uint32_t)ca - (uint32_t)ra) >> 8;
    sb += (int32_t)((uint32_t)cb - (uint32_t)rb) >> 8;
    sc += (int32_t)((uint32_t)cc - (uint32_t)rc) >> 8;
    if (x == end) break;
  }
  acc[0] = ra;
  acc[1] = rb;
  acc[2] = rc;
#endif
  acc[3] = sa;
  acc[4] = sb;
  acc[5] = sc;
  /* written out: a loop here may be kept as one (a copy through the stack) */
  rec[0] = (int32_t)TF_LOAD32(w);
  rec[1] = (int32_t)TF_LOAD32(w + 4);
  rec[2] = (int32_t)TF_LOAD32(w + 8);
  rec[3] = (int32_t)TF_LOAD32(w + 12);
  return w + 16;
}

/* The odd last output channel of a pixel triple in C: { start }, k4 plain weights, { m, P } at `w`
 * (outputs of pixel A at `out`, B and C out_c and 2 out_c on). */
static inline __attribute__((always_inline)) void tf_dsp_triple_odd_channel(const uint32_t *cols, const uint32_t *end, const int8_t *w,
                                                                            int out_c, const tf_rq_t *rq, int8_t *out, const int fast,
                                                                            const int full) {
  int32_t a = (int32_t)TF_LOAD32(w), b = a, c = a;
  w += 4;
  for (const uint32_t *x = cols; x < end; x += 6, w += 4) {
    const uint32_t w1 = TF_LOAD32(w);
    const uint32_t e = tf_sxtb16(w1), o = tf_sxtb16_ror8(w1);
    a = tf_smlad(x[0], e, a);
    b = tf_smlad(x[1], e, b);
    c = tf_smlad(x[2], e, c);
    a = tf_smlad(x[3], o, a);
    b = tf_smlad(x[4], o, b);
    c = tf_smlad(x[5], o, c);
  }
  const int32_t m = (int32_t)TF_LOAD32(w), p = (int32_t)TF_LOAD32(w + 4);
  out[0] = tf_dsp_rq(a, m, p, rq, fast, full);
  out[out_c] = tf_dsp_rq(b, m, p, rq, fast, full);
  out[2 * out_c] = tf_dsp_rq(c, m, p, rq, fast, full);
}

/* Every output channel of a pixel triple (outputs of pixel A at `out`, B and C out_c and 2 out_c
 * on): channel pairs in the `pairs` layout, then an odd last channel ({ start }, k4 plain weights,
 * { m, P }) in C. */
static inline __attribute__((always_inline)) void tf_dsp_triple_channels(const uint32_t *cols, int k4, int entry, const int8_t *w,
                                                                         int out_c, const tf_rq_t *rq, int8_t *out, const int fast,
                                                                         const int full) {
  const uint32_t *const end = cols + 3 * (k4 >> 1);
  const int first = tf_dsp_first_chunk(k4) / 4 * 6;
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  for (int8_t *const end_a = out + (out_c & ~1); out < end_a; out += 2) {
    int32_t acc[6], rec[4];
    w = tf_dsp_dot3x2p(cols, w, end, first, entry, acc, rec);
    const int32_t ma = rec[0], pa = rec[1], mb = rec[2], pb = rec[3];
    const int32_t ar = tf_dsp_rq_sat(acc[0], ma, pa, rq, fast), br = tf_dsp_rq_sat(acc[1], ma, pa, rq, fast);
    const int32_t cr = tf_dsp_rq_sat(acc[2], ma, pa, rq, fast), as = tf_dsp_rq_sat(acc[3], mb, pb, rq, fast);
    const int32_t bs = tf_dsp_rq_sat(acc[4], mb, pb, rq, fast), cs = tf_dsp_rq_sat(acc[5], mb, pb, rq, fast);
    if (full) {
      out[0] = (int8_t)ar;
      out[1] = (int8_t)as;
      out[out_c] = (int8_t)br;
      out[out_c + 1] = (int8_t)bs;
      out[2 * out_c] = (int8_t)cr;
      out[2 * out_c + 1] = (int8_t)cs;
    } else {
      const uint32_t v = tf_smin8(tf_smax8(tf_bytes4(ar, as, br, bs), lo4), hi4);
      const uint32_t u = tf_smin8(tf_smax8(tf_bytes4(cr, cs, 0, 0), lo4), hi4);
      tf_put2(out, v);
      tf_put2(out + out_c, v >> 16);
      tf_put2(out + 2 * out_c, u);
    }
  }
  if (out_c & 1) tf_dsp_triple_odd_channel(cols, end, w, out_c, rq, out, fast, full);
}

/*
 * A whole receptive field as int8 in filter order into `dst` (k_h rows of `run` = k_w * in_c values,
 * back to back), for input channels that are not a multiple of 4 (rows that straddle the column
 * groups). Where the field lies inside the image at dilation_w 1, each row is copied a word at a
 * time: the rows of a stem are 1 to 30 bytes, which a memcpy call per row costs several times over.
 * A row's last word may run up to 3 bytes past it, into the next row (copied after it) or past the
 * field (the tail that meets zero weights, then the next buffer, gathered after it; the scratch
 * keeps 4 bytes of slack, dsp.ts); on the read side it is taken only while those bytes lie inside
 * the image. Elsewhere the rows go through tf_dsp_filter_row.
 */
static inline __attribute__((always_inline)) void tf_dsp_gather_field(int8_t *dst, const int8_t *image, int image_bytes, int oy, int ox,
                                                                      int run, const tf_conv_geom_t *g) {
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int row_step = g->dilation_h * g->in_w * g->in_c;
  const int span = (g->k_h - 1) * row_step;
  const int at = (iy0 * g->in_w + ix0) * g->in_c;
  if (g->dilation_w == 1 && iy0 >= 0 && iy0 + (g->k_h - 1) * g->dilation_h < g->in_h && ix0 >= 0 && ix0 + g->k_w <= g->in_w &&
      image_bytes - (at + span) >= ((run + 3) & ~3)) {
    const int8_t *src = image + at;
    for (const int8_t *const last = src + span;; src += row_step, dst += run) {
      for (int i = 0; i < run; i += 4) tf_write_u32(dst + i, TF_LOAD32(src + i));
      if (src == last) break;
    }
    return;
  }
  for (int ky = 0; ky < g->k_h; ++ky) {
    int8_t *const row = dst + ky * run;
    const int8_t *const r = tf_dsp_filter_row(row, image, oy, ox, ky, g);
    if (r != row) memcpy(row, r, (size_t)run);
  }
}

/*
 * A convolution through columns: two output pixels' receptive fields, as int8 in filter order, are
 * packed and multiplied as the 1x1 kernel does, the weight rows in filter order padded with zeros to
 * k4 and the input offset folded into the starts. With input channels a multiple of 4 every filter
 * row packs on its own, straight from the image where it lies inside; otherwise whole fields are
 * gathered first (tf_dsp_gather_field; their tails past k meet zero weights). `cols`: k4 words of
 * columns (`pairs`: 3 k4 / 2, three pixels), two rows (`pairs`: three) of k_w in_c bytes, or of k4
 * when whole fields are gathered (then 4 bytes of slack), then out_c bytes where a lone last pixel,
 * computed as a pair with itself, writes its twin.
 */
static inline __attribute__((always_inline)) void tf_dsp_im2col_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                     const int8_t *w, const tf_rq_t *rq, int8_t *out, uint32_t *cols,
                                                                     const int fast, const int full, const int pairs) {
  const int k4 = g->k4;
  const int run = g->k_w * g->in_c;
  const int out_c = g->out_c;
  const int by_rows = (g->in_c & 3) == 0;
  const uint32_t *const end = cols + k4;
  const int entry = pairs ? tf_dsp_entry_pairs(k4) : tf_dsp_entry(k4);
  const int entry3 = tf_dsp_entry_triple(k4);
  /* the `pairs` layers' columns hold three pixels (k4 / 4 groups of six words); a row buffer holds
   * one filter row (padded rows, by_rows) or a whole field */
  const int row_bytes = by_rows ? run : k4;
  int8_t *const row_a = (int8_t *)(void *)(cols + (pairs ? 3 * (k4 >> 1) : k4));
  int8_t *const row_b = row_a + row_bytes;
  int8_t *const row_c = row_b + row_bytes;
  int8_t *const twin = (pairs ? row_c : row_b) + row_bytes + (by_rows ? 0 : 4);
  /* the tails past k: any value meets a zero weight, but a defined one */
  memset(row_a, 0, (size_t)((pairs ? 3 : 2) * row_bytes));
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * g->in_c;
    const int image_bytes = g->in_h * g->in_w * g->in_c;
    int oy = 0, ox = 0;
    int left = g->out_h * g->out_w;
    if (pairs) {
      for (; left >= 3; left -= 3) {
        /* the whole fields in a loop (one inlined copy of the gathering: code size); the rows of
         * the layers over channels a multiple of 4, the usual 3x3 ones, inlined per pixel */
        int8_t *const rows[3] = {row_a, row_b, row_c};
        int at[3][2];
        for (int i = 0; i < 3; ++i) {
          at[i][0] = oy;
          at[i][1] = ox;
          if (++ox == g->out_w) {
            ox = 0;
            ++oy;
          }
        }
        if (by_rows) {
          for (int ky = 0; ky < g->k_h; ++ky) {
            const int8_t *const ra = tf_dsp_filter_row(row_a, image, at[0][0], at[0][1], ky, g);
            const int8_t *const rb = tf_dsp_filter_row(row_b, image, at[1][0], at[1][1], ky, g);
            const int8_t *const rc = tf_dsp_filter_row(row_c, image, at[2][0], at[2][1], ky, g);
            tf_dsp_pack_triple(cols + 3 * ((ky * run) >> 1), ra, rb, rc, run);
          }
        } else {
          for (int i = 0; i < 3; ++i) tf_dsp_gather_field(rows[i], image, image_bytes, at[i][0], at[i][1], run, g);
          tf_dsp_pack_triple(cols, row_a, row_b, row_c, k4);
        }
        tf_dsp_triple_channels(cols, k4, entry3, w, out_c, rq, out, fast, full);
        out += 3 * out_c;
      }
    }
    for (; left > 0; left -= 2) {
      const int pair = left > 1;
      const int oy_a = oy, ox_a = ox;
      if (++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      const int oy_b = oy, ox_b = ox;
      if (pair && ++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      if (by_rows) {
        for (int ky = 0; ky < g->k_h; ++ky) {
          const int8_t *const ra = tf_dsp_filter_row(row_a, image, oy_a, ox_a, ky, g);
          const int8_t *const rb = pair ? tf_dsp_filter_row(row_b, image, oy_b, ox_b, ky, g) : ra;
          tf_dsp_pack_pair(cols + ky * run, ra, rb, run);
        }
      } else {
        tf_dsp_gather_field(row_a, image, image_bytes, oy_a, ox_a, run, g);
        if (pair) tf_dsp_gather_field(row_b, image, image_bytes, oy_b, ox_b, run, g);
        tf_dsp_pack_pair(cols, row_a, pair ? row_b : row_a, k4);
      }
      tf_dsp_pair_channels_in(cols, k4, entry, &end, w, out_c, rq, out, pair ? out + out_c : twin, fast, full, pairs);
      out += pair ? 2 * out_c : out_c;
    }
  }
}

/*
 * The im2col `pairs` layers' channel pairs of a pixel triple as one assembly routine (dsp.ts
 * tripleRunAsm, one per model and mode, the Cortex-M7's schedule where TF_DSP_DUAL_ISSUE): starts,
 * the SMLAD loop, the extraction, the requantization, the clamp and the stores of every channel pair
 * without leaving the assembly (in C the loop's thirteen pinned registers left the block's state on
 * the stack). One extraction chunk (k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS), FAST or WIDE (act_min >= zp)
 * requantization, as the 1x1 run. Layout of a pair in the weights: { start r }, the pair's 2 k4
 * weight bytes, { start s, m r, P r, m s, P s } (dsp.ts withRecords, `split`); an odd last channel
 * { start }, k4 plain weights, { m, P }, in C. Every pixel goes in a triple: the last one or two of an
 * image with copies of the last as the others, their outputs into the scratch and copied out.
 */
typedef struct {
  const uint32_t *cols; /* the triple's columns */
  int8_t *out;          /* pixel A's first output of the run (B's out_c on, C's 2 out_c) */
  int8_t *end;          /* out past the last channel pair */
  int32_t out_c;        /* output channels */
  uint32_t lo4, hi4;    /* the clamp's bounds in four bytes (WIDE: minus the zero point) */
  uint32_t zp4;         /* the zero point in four bytes (WIDE) */
  const uint32_t *stop; /* cols + 3 k4 / 2, and TF_DSP_STEP3X2P_AHEAD words read ahead */
  int32_t entry;        /* code bytes into the loop's first turn (k4 / 4 mod the turn's steps) */
} tf_dsp_tr_run_t;

#if TF_DSP_NATIVE
#define TF_DSP_CHECK_TR_OFFSET(field, offset) \
  typedef char tf_dsp_tr_run_check_##field[(offsetof(tf_dsp_tr_run_t, field) == (offset)) ? 1 : -1]
/* the offsets tripleRunAsm's LDM and LDR read (32-bit pointers) */
TF_DSP_CHECK_TR_OFFSET(cols, 0);
TF_DSP_CHECK_TR_OFFSET(out, 4);
TF_DSP_CHECK_TR_OFFSET(end, 8);
TF_DSP_CHECK_TR_OFFSET(out_c, 12);
TF_DSP_CHECK_TR_OFFSET(lo4, 16);
TF_DSP_CHECK_TR_OFFSET(hi4, 20);
TF_DSP_CHECK_TR_OFFSET(zp4, 24);
TF_DSP_CHECK_TR_OFFSET(stop, 28);
TF_DSP_CHECK_TR_OFFSET(entry, 32);
#endif

/* the assembly routine: returns the weights past the channel pairs */
typedef const int8_t *(*tf_dsp_tr_run_fn)(const uint32_t *cols, const int8_t *w, const tf_dsp_tr_run_t *s);

/* The routine's C twin (the host's; the same layout and the same integers). */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_tr_run_twin(const tf_dsp_tr_run_t *s, const int8_t *w, int k4,
                                                                              const tf_rq_t *rq, const int fast, const int full) {
  const int out_c = s->out_c;
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  for (int8_t *out = s->out; out < s->end; out += 2) {
    const int32_t start_r = (int32_t)TF_LOAD32(w);
    int32_t ra = start_r, rb = start_r, rc = start_r, ca = start_r, cb = start_r, cc = start_r;
    w += 4;
    for (const uint32_t *x = s->cols; x < s->cols + 3 * (k4 >> 1); x += 6, w += 8) {
      tf_dsp_step3x2p_c(x, w, &ra, &rb, &rc, &ca, &cb, &cc);
    }
    const int32_t start_s = (int32_t)TF_LOAD32(w), mr = (int32_t)TF_LOAD32(w + 4), pr = (int32_t)TF_LOAD32(w + 8);
    const int32_t ms = (int32_t)TF_LOAD32(w + 12), ps = (int32_t)TF_LOAD32(w + 16);
    w += 20;
    const int32_t sa = start_s + ((int32_t)((uint32_t)ca - (uint32_t)ra) >> 8);
    const int32_t sb = start_s + ((int32_t)((uint32_t)cb - (uint32_t)rb) >> 8);
    const int32_t sc = start_s + ((int32_t)((uint32_t)cc - (uint32_t)rc) >> 8);
    const int32_t ar = tf_dsp_rq_sat(ra, mr, pr, rq, fast), br = tf_dsp_rq_sat(rb, mr, pr, rq, fast);
    const int32_t cr = tf_dsp_rq_sat(rc, mr, pr, rq, fast), as = tf_dsp_rq_sat(sa, ms, ps, rq, fast);
    const int32_t bs = tf_dsp_rq_sat(sb, ms, ps, rq, fast), cs = tf_dsp_rq_sat(sc, ms, ps, rq, fast);
    const uint32_t v = tf_bytes4(ar, as, br, bs), u = tf_bytes4(cr, cs, 0, 0);
    const uint32_t cv = full ? v : tf_smin8(tf_smax8(v, lo4), hi4), cu = full ? u : tf_smin8(tf_smax8(u, lo4), hi4);
    tf_put2(out, cv);
    tf_put2(out + out_c, cv >> 16);
    tf_put2(out + 2 * out_c, cu);
  }
  return w;
}

/*
 * One pixel of a triple into the columns (at `cols`, the pixel's lane: 0, 1 or 2) in the `split`
 * order of the values (dsp.ts splitRows): each filter row's first 4 q values (q words straight from
 * the row, which starts at `src`, `stride` bytes after the one before), then the rows' last values
 * (run = 4 q + 1) four a group, zeros past the last row (`tail` 1), or none (run = 4 q, `tail` 0).
 * k_h, q and tail are constants of the layer, so the loops unroll: two SXTB16 and two stores a word.
 */
static inline __attribute__((always_inline)) void tf_dsp_pack_split(uint32_t *cols, const int8_t *src, int stride, const int k_h,
                                                                    const int q, const int tail) {
  uint32_t *c = cols;
  const int8_t *row = src;
  for (int ky = 0; ky < k_h; ++ky, row += stride) {
    for (int j = 0; j < q; ++j, c += 6) {
      const uint32_t v = tf_read_u32(row + 4 * j);
      c[0] = tf_sxtb16(v);
      c[3] = tf_sxtb16_ror8(v);
    }
  }
  if (tail) {
    const int8_t *last = src + 4 * q;
    for (int ky = 0; ky < k_h; ky += 4, c += 6, last += 4 * stride) {
      const int32_t a = last[0];
      const int32_t b = ky + 1 < k_h ? last[stride] : 0;
      const int32_t d = ky + 2 < k_h ? last[2 * stride] : 0;
      const int32_t e = ky + 3 < k_h ? last[3 * stride] : 0;
      c[0] = ((uint32_t)a & 0xffffu) | ((uint32_t)d << 16);
      c[3] = ((uint32_t)b & 0xffffu) | ((uint32_t)e << 16);
    }
  }
}

/*
 * Three pixels of one output row into the columns in the `split` order, their fields inside the
 * image: pixel A's rows start at `src`, B's and C's `step` (stride_w in_c) and 2 `step` bytes on.
 * Per word of the three: three loads, six SXTB16, six stores.
 */
static inline __attribute__((always_inline)) void tf_dsp_pack_split3(uint32_t *cols, const int8_t *src, int step, int stride, const int k_h,
                                                                     const int q, const int tail) {
  uint32_t *c = cols;
  const int8_t *row = src;
  for (int ky = 0; ky < k_h; ++ky, row += stride) {
    for (int j = 0; j < q; ++j, c += 6) {
      const uint32_t a = tf_read_u32(row + 4 * j), b = tf_read_u32(row + step + 4 * j), d = tf_read_u32(row + 2 * step + 4 * j);
      c[0] = tf_sxtb16(a);
      c[1] = tf_sxtb16(b);
      c[2] = tf_sxtb16(d);
      c[3] = tf_sxtb16_ror8(a);
      c[4] = tf_sxtb16_ror8(b);
      c[5] = tf_sxtb16_ror8(d);
    }
  }
  if (tail) {
    for (int i = 0; i < 3; ++i) {
      const int8_t *last = src + i * step + 4 * q;
      uint32_t *t = c + i;
      for (int ky = 0; ky < k_h; ky += 4, t += 6, last += 4 * stride) {
        const int32_t a = last[0];
        const int32_t b = ky + 1 < k_h ? last[stride] : 0;
        const int32_t d = ky + 2 < k_h ? last[2 * stride] : 0;
        const int32_t e = ky + 3 < k_h ? last[3 * stride] : 0;
        t[0] = ((uint32_t)a & 0xffffu) | ((uint32_t)d << 16);
        t[3] = ((uint32_t)b & 0xffffu) | ((uint32_t)e << 16);
      }
    }
  }
}

/*
 * Every output channel of a packed triple into `dst` (pixel A's, B's out_c on, C's 2 out_c): the
 * channel pairs in the routine `run` (0 on the host: its twin), an odd last channel in C.
 */
static inline __attribute__((always_inline)) void tf_dsp_tr_run_channels(tf_dsp_tr_run_t *s, const uint32_t *cols, const int8_t *w,
                                                                         const int k4, const tf_rq_t *rq, int8_t *dst, const int out_c,
                                                                         const int fast, const int full, tf_dsp_tr_run_fn run) {
  const int pairs_c = out_c & ~1;
  const int8_t *rest = w;
  if (pairs_c) {
    s->out = dst;
    s->end = dst + pairs_c;
#if TF_DSP_NATIVE
    rest = run(cols, w, s);
#else
    (void)run;
    rest = tf_dsp_tr_run_twin(s, w, k4, rq, fast, full);
#endif
  }
  if (out_c & 1) tf_dsp_triple_odd_channel(cols, cols + 3 * (k4 >> 1), rest, out_c, rq, dst + pairs_c, fast, full);
}

/*
 * tf_dsp_im2col_body's `pairs` path with the channel pairs of each pixel triple in the assembly
 * routine `run` (0 on the host: its twin). `cols`: 3 k4 / 2 words of columns, three row buffers (of
 * k_w in_c bytes, or of k4 and 4 bytes of slack when whole fields are gathered), at least 3 out_c
 * bytes (rounded up to 4), where a last partial triple writes its outputs before they are copied out.
 */
static inline __attribute__((always_inline)) void tf_dsp_im2col_triple_run_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                                const int8_t *w, const tf_rq_t *rq, int8_t *out,
                                                                                uint32_t *cols, const int fast, const int full,
                                                                                tf_dsp_tr_run_fn run, const int turn, const int split_kh,
                                                                                const int split_q, const int split_tail) {
  const int k4 = g->k4;
  const int run_bytes = g->k_w * g->in_c;
  const int out_c = g->out_c;
  const int by_rows = (g->in_c & 3) == 0;
  const int row_bytes = by_rows ? run_bytes : k4;
  int8_t *const row_a = (int8_t *)(void *)(cols + 3 * (k4 >> 1));
  int8_t *const row_b = row_a + row_bytes;
  int8_t *const row_c = row_b + row_bytes;
  /* a last partial triple's outputs: over the row buffers, packed into the columns by then (the
   * Cortex-M7 loop's read-ahead word there is never used; the tails past k stay defined values) */
  int8_t *const spare = row_a;
  int8_t *const rows[3] = {row_a, row_b, row_c};
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_tr_run_t s;
  s.cols = cols;
  s.out_c = out_c;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  s.stop = cols + 3 * (k4 >> 1) + TF_DSP_STEP3X2P_AHEAD;
  /* the run's loop turns every `turn` steps (2 or 8, dsp.ts tripleTurn): the first turn entered past
   * the steps k4 / 4 mod turn does not need */
  s.entry = ((-(k4 >> 2)) & (turn - 1)) * TF_DSP_STEP3X2P_BYTES;
  /* the tails past k: any value meets a zero weight, but a defined one */
  memset(row_a, 0, (size_t)(3 * row_bytes));
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * g->in_c;
    const int image_bytes = g->in_h * g->in_w * g->in_c;
    int oy = 0, ox = 0;
    for (int left = g->out_h * g->out_w; left > 0; left -= 3) {
      if (split_kh && (g->out_w - ox) >= 3) {
        /* the `split` order: the run of whole triples of this output row whose fields lie inside
         * the image, each packed straight from it, the row's pointers stepped (no per-pixel
         * coordinates) */
        const int iy0 = oy * g->stride_h - g->pad_top, ix0 = ox * g->stride_w - g->pad_left;
        const int x_last = g->in_w - 2 * g->stride_w - g->k_w;
        if (iy0 >= 0 && iy0 + (split_kh - 1) * g->dilation_h < g->in_h && ix0 >= 0 && ix0 <= x_last) {
          const int by_room = (g->out_w - ox) / 3, by_image = (x_last - ix0) / (3 * g->stride_w) + 1;
          const int count = by_room < by_image ? by_room : by_image;
          const int step = g->stride_w * g->in_c;
          const int8_t *src = image + (iy0 * g->in_w + ix0) * g->in_c;
          for (int t = 0; t < count; ++t, src += 3 * step, out += 3 * out_c) {
            tf_dsp_pack_split3(cols, src, step, g->dilation_h * g->in_w * g->in_c, split_kh, split_q, split_tail);
            tf_dsp_tr_run_channels(&s, cols, w, k4, rq, out, out_c, fast, full, run);
          }
          ox += 3 * count;
          if (ox == g->out_w) {
            ox = 0;
            ++oy;
          }
          /* the loop's own step takes the last of the run's triples */
          left -= 3 * (count - 1);
          continue;
        }
      }
      const int n = left < 3 ? left : 3;
      /* the pixels of the triple; past the image's last pixel, copies of it */
      int at[3][2];
      for (int i = 0; i < 3; ++i) {
        at[i][0] = oy;
        at[i][1] = ox;
        if (i + 1 < n && ++ox == g->out_w) {
          ox = 0;
          ++oy;
        }
      }
      if (++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      if (by_rows) {
        /* three pixels of one output row whose fields lie inside the image at dilation 1: their
         * rows straight from it, stride_w in_c bytes apart (no per-row bounds) */
        const int iy0 = at[0][0] * g->stride_h - g->pad_top, ix0 = at[0][1] * g->stride_w - g->pad_left;
        const int inside = n == 3 && at[2][0] == at[0][0] && g->dilation_h == 1 && g->dilation_w == 1 && iy0 >= 0 &&
                           iy0 + g->k_h <= g->in_h && ix0 >= 0 && ix0 + 2 * g->stride_w + g->k_w <= g->in_w;
        const int8_t *src = image + (iy0 * g->in_w + ix0) * g->in_c;
        const int step = g->stride_w * g->in_c;
        for (int ky = 0; ky < g->k_h; ++ky) {
          const int8_t *ra, *rb, *rc;
          if (inside) {
            ra = src;
            rb = src + step;
            rc = rb + step;
            src += g->in_w * g->in_c;
          } else {
            ra = tf_dsp_filter_row(row_a, image, at[0][0], at[0][1], ky, g);
            rb = tf_dsp_filter_row(row_b, image, at[1][0], at[1][1], ky, g);
            rc = tf_dsp_filter_row(row_c, image, at[2][0], at[2][1], ky, g);
          }
          tf_dsp_pack_triple(cols + 3 * ((ky * run_bytes) >> 1), ra, rb, rc, run_bytes);
        }
      } else if (split_kh) {
        /* the `split` order (dsp.ts splitRows): three pixels of one row inside the image packed
         * together from it; else each field inside the image packed from it, another gathered into
         * its row buffer first (rows back to back) */
        const int iy0 = at[0][0] * g->stride_h - g->pad_top, ix0 = at[0][1] * g->stride_w - g->pad_left;
        const int step = g->stride_w * g->in_c;
        if (n == 3 && at[2][0] == at[0][0] && iy0 >= 0 && iy0 + (split_kh - 1) * g->dilation_h < g->in_h && ix0 >= 0 &&
            ix0 + 2 * g->stride_w + g->k_w <= g->in_w) {
          tf_dsp_pack_split3(cols, image + (iy0 * g->in_w + ix0) * g->in_c, step, g->dilation_h * g->in_w * g->in_c, split_kh, split_q,
                             split_tail);
        } else {
          for (int i = 0; i < 3; ++i) {
            const int y0 = at[i][0] * g->stride_h - g->pad_top, x0 = at[i][1] * g->stride_w - g->pad_left;
            if (y0 >= 0 && y0 + (split_kh - 1) * g->dilation_h < g->in_h && x0 >= 0 && x0 + g->k_w <= g->in_w) {
              tf_dsp_pack_split(cols + i, image + (y0 * g->in_w + x0) * g->in_c, g->dilation_h * g->in_w * g->in_c, split_kh, split_q,
                                split_tail);
            } else {
              tf_dsp_gather_field(rows[i], image, image_bytes, at[i][0], at[i][1], run_bytes, g);
              tf_dsp_pack_split(cols + i, rows[i], run_bytes, split_kh, split_q, split_tail);
            }
          }
        }
      } else {
        for (int i = 0; i < 3; ++i) tf_dsp_gather_field(rows[i], image, image_bytes, at[i][0], at[i][1], run_bytes, g);
        tf_dsp_pack_triple(cols, row_a, row_b, row_c, k4);
      }
      int8_t *const dst = n == 3 ? out : spare;
      tf_dsp_tr_run_channels(&s, cols, w, k4, rq, dst, out_c, fast, full, run);
      if (n < 3) memcpy(out, spare, (size_t)(n * out_c));
      out += n * out_c;
    }
  }
}

/* tf_dsp_filter_row for filter rows of one word (k_w in_c = 4, dsp.ts quadRows: 1, 2 or 4 input
 * channels): the padding's bytes set one by one, no memcpy / memset call per column */
static inline __attribute__((always_inline)) const int8_t *tf_dsp_word_row(int8_t *tmp, const int8_t *image, int oy, int ox, int ky,
                                                                           const tf_conv_geom_t *g) {
  const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int in_c = g->in_c;
  const int8_t zp = (int8_t)(-g->input_offset);
  if (iy < 0 || iy >= g->in_h) {
    tmp[0] = zp;
    tmp[1] = zp;
    tmp[2] = zp;
    tmp[3] = zp;
    return tmp;
  }
  const int8_t *const src = image + iy * g->in_w * in_c;
  if (g->dilation_w == 1 && ix0 >= 0 && ix0 + g->k_w <= g->in_w) return src + ix0 * in_c;
  const int shift = in_c == 1 ? 0 : in_c == 2 ? 1 : 2;
  for (int b = 0; b < 4; ++b) {
    const int ix = ix0 + (b >> shift) * g->dilation_w;
    tmp[b] = ix >= 0 && ix < g->in_w ? src[ix * in_c + (b & (in_c - 1))] : zp;
  }
  return tmp;
}

/*
 * The im2col `pairs` layers over input channels a multiple of 4 and whole channel quads (out_c a
 * multiple of 4) on the cores without dual issue (dsp.ts quadIm2colTaken): two pixels by four
 * channels a block in the 1x1 layers' quad routine `run` (dsp.ts quadRunAsm, its weights and records
 * in withQuadRecords' layout; 0 on the host: its twin). Each pixel pair's filter rows are packed
 * into the columns as the 1x1 layers' pixel pairs (tf_dsp_pack_pair, one call a filter row): two
 * pixels of one output row whose fields lie inside the image straight from it, else through the two
 * row buffers (tf_dsp_filter_row). A last lone pixel runs as a pair with itself, its twin's outputs
 * into the scratch. `cols`: k4 words of columns, two row buffers of k_w in_c bytes, out_c bytes.
 */
static inline __attribute__((always_inline)) void tf_dsp_im2col_quad_run_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                              const int8_t *w, const tf_rq_t *rq, int8_t *out,
                                                                              uint32_t *cols, const int fast, const int full,
                                                                              tf_dsp_pw_run_fn run, const int step_bytes, const int turn,
                                                                              const int signed_wide) {
  const int k4 = g->k4;
  const int run_bytes = g->k_w * g->in_c;
  const int out_c = g->out_c;
  int8_t *const row_a = (int8_t *)(void *)(cols + k4);
  int8_t *const row_b = row_a + run_bytes;
  int8_t *const twin = row_b + run_bytes;
  /* the zero point after the unsigned clamp (WIDE), or before the SSAT (signed WIDE: the clamp on signed lanes) */
  const int wide = fast == 2 && !signed_wide;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  const int step = g->stride_w * g->in_c;
  const int line = g->in_w * g->in_c;
  tf_dsp_pw_run_t s;
  s.cols = cols;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  s.stop = cols + k4;
  /* the code bytes into the loop's first turn (bandRunAsm reads them; quadRunAsm computes its own) */
  s.entry = ((-(k4 >> 2)) & (turn - 1)) * step_bytes;
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * line;
    int oy = 0, ox = 0;
    for (int left = g->out_h * g->out_w; left > 0; left -= 2) {
      const int pair = left > 1;
      const int ay = oy, ax = ox;
      if (++ox == g->out_w) {
        ox = 0;
        ++oy;
      }
      int by = ay, bx = ax;
      if (pair) {
        by = oy;
        bx = ox;
        if (++ox == g->out_w) {
          ox = 0;
          ++oy;
        }
      }
      /* two pixels of one output row whose fields lie inside the image at dilation 1: their rows
       * straight from it, stride_w in_c bytes apart */
      const int iy0 = ay * g->stride_h - g->pad_top, ix0 = ax * g->stride_w - g->pad_left;
      const int inside = pair && by == ay && g->dilation_h == 1 && g->dilation_w == 1 && iy0 >= 0 && iy0 + g->k_h <= g->in_h && ix0 >= 0 &&
                         ix0 + g->stride_w + g->k_w <= g->in_w;
      const int8_t *src = inside ? image + (iy0 * g->in_w + ix0) * g->in_c : image;
      for (int ky = 0; ky < g->k_h; ++ky) {
        const int8_t *ra, *rb;
        if (inside) {
          ra = src;
          rb = src + step;
          src += line;
        } else if (run_bytes == 4) {
          ra = tf_dsp_word_row(row_a, image, ay, ax, ky, g);
          rb = pair ? tf_dsp_word_row(row_b, image, by, bx, ky, g) : ra;
        } else {
          ra = tf_dsp_filter_row(row_a, image, ay, ax, ky, g);
          rb = pair ? tf_dsp_filter_row(row_b, image, by, bx, ky, g) : ra;
        }
        tf_dsp_pack_pair(cols + ky * run_bytes, ra, rb, run_bytes);
      }
      s.out_a = out;
      s.out_b = pair ? out + out_c : twin;
      s.end_a = out + out_c;
#if TF_DSP_NATIVE
      (void)full;
      (void)run(cols, w, &s);
#else
      (void)run;
      (void)tf_dsp_pw_quad_twin(&s, w, k4, rq, fast, full);
#endif
      out += (pair ? 2 : 1) * out_c;
    }
  }
}

/*
 * The im2col quad layers at dilation 1 on the Cortex-M4 and M33 (dsp.ts bandRunTaken): each output row's
 * fields from a band of int16 columns instead of per-pixel columns. Band column j (image column
 * j - pad_left, the input zero point outside the image) holds the k_h filter rows' in_c values of
 * that column, four a group as SXTB16 halves (lanes 0, 2 then 1, 3), so a pixel's field (k_w
 * columns from ox stride_w) is k4 contiguous int16 values in (kx, ky, c) order, the weights laid out
 * in the same order (dsp.ts kxMajorRows), and the next pixel's field lies `off` (stride_w k_h in_c
 * 2) bytes on. The band packs each value k_h / stride_h times per row of outputs where the pixel
 * columns packed it k_h k_w / stride_h times. `run` (dsp.ts bandRunAsm) reads pixel A's words and
 * B's at that offset, `entry` the code bytes into its loop's first turn (past the block's first half
 * step), and runs a row's whole pixel pairs in one call; a lone last pixel of a row runs as a pair
 * with the columns past it, its twin's outputs into the scratch. `band`: (out_w
 * stride_w + k_w) columns of k_h in_c int16, then out_c bytes.
 */
/* `count` neighbouring image columns (in_c values each, contiguous in the image) into their band
 * columns, col_words apart: eight values a turn, then a last four */
static inline __attribute__((always_inline)) void tf_dsp_band_pack(uint32_t *dst, const int8_t *src, int count, int in_c, int col_words) {
  const int skip = col_words - in_c / 2;
#if TF_DSP_NATIVE && defined(__OPTIMIZE__)
  /* one LDRD, four SXTB16 and one STM a turn (registers pinned for the STM order): the rows of a
   * layer over channels a multiple of 4 are word aligned */
  register uint32_t t0 __asm__("r0");
  register uint32_t a0 __asm__("r1");
  register uint32_t t1 __asm__("r2");
  register uint32_t a1 __asm__("r3");
  for (; count > 0; --count, dst += skip) {
    if (in_c >= 8) {
      const int8_t *const end = src + (in_c & ~7);
      __asm__ volatile("1:\n\t"
                       "ldrd %[a0], %[a1], [%[s]], #8\n\t"
                       "sxtb16 %[t0], %[a0]\n\t"
                       "sxtb16 %[a0], %[a0], ror #8\n\t"
                       "sxtb16 %[t1], %[a1]\n\t"
                       "sxtb16 %[a1], %[a1], ror #8\n\t"
                       "stm %[d]!, {%[t0], %[a0], %[t1], %[a1]}\n\t"
                       "cmp %[s], %[end]\n\t"
                       "bne 1b\n\t"
                       : [t0] "=&r"(t0), [a0] "=&r"(a0), [t1] "=&r"(t1), [a1] "=&r"(a1), [s] "+&r"(src), [d] "+&r"(dst)
                       : [end] "r"(end)
                       : "cc", "memory");
    }
    if (in_c & 4) {
      __asm__ volatile("ldr %[a0], [%[s]], #4\n\t"
                       "sxtb16 %[t0], %[a0]\n\t"
                       "sxtb16 %[a0], %[a0], ror #8\n\t"
                       "stm %[d]!, {%[t0], %[a0]}\n\t"
                       : [t0] "=&r"(t0), [a0] "=&r"(a0), [s] "+&r"(src), [d] "+&r"(dst)
                       :
                       : "memory");
    }
  }
#else
  for (; count > 0; --count, dst += skip) {
    int c = in_c;
    for (; c >= 8; c -= 8, src += 8, dst += 4) {
      const uint32_t v0 = tf_read_u32(src), v1 = tf_read_u32(src + 4);
      dst[0] = tf_sxtb16(v0);
      dst[1] = tf_sxtb16_ror8(v0);
      dst[2] = tf_sxtb16(v1);
      dst[3] = tf_sxtb16_ror8(v1);
    }
    if (c) {
      const uint32_t v = tf_read_u32(src);
      dst[0] = tf_sxtb16(v);
      dst[1] = tf_sxtb16_ror8(v);
      src += 4;
      dst += 2;
    }
  }
#endif
}

/* `count` band columns of the padding: the input zero point's word */
static inline __attribute__((always_inline)) void tf_dsp_band_fill(uint32_t *dst, int count, int in_c, int col_words, uint32_t zpw) {
  for (; count > 0; --count, dst += col_words) {
    for (int c = 0; c < in_c / 2; ++c) dst[c] = zpw;
  }
}

/* The routine's C twin (the host's): tf_dsp_pw_quad_twin_rq with pixel B's words `off` bytes past A's;
 * `round_k`: the records hold K in place of P (tf_dsp_rq_round_sat). */
static inline __attribute__((always_inline)) void tf_dsp_band_quad_twin_rq(const tf_dsp_pw_run_t *s, const int8_t *w, int k4, int off,
                                                                           const tf_rq_t *rq, const int fast, const int full,
                                                                           const int round_k) {
  int8_t *out_b = s->out_b;
  const uint32_t lo4 = (uint32_t)(uint8_t)rq->act_min * 0x01010101u, hi4 = (uint32_t)(uint8_t)rq->act_max * 0x01010101u;
  const uint32_t *const xb0 = (const uint32_t *)(const void *)((const int8_t *)(const void *)s->cols + off);
  for (int8_t *out_a = s->out_a; out_a < s->end_a; out_a += 4, out_b += 4) {
    const int32_t start_p = (int32_t)TF_LOAD32(w), start_q = (int32_t)TF_LOAD32(w + 4);
    int32_t pra = start_p, prb = start_p, pca = start_p, pcb = start_p;
    int32_t qra = start_q, qrb = start_q, qca = start_q, qcb = start_q;
    w += 8;
    for (int i = 0; i < k4 / 2; i += 2, w += 16) {
      for (int h = 0; h < 2; ++h) {
        const uint32_t xa = s->cols[i + h], xb = xb0[i + h];
        const uint32_t wp = TF_LOAD32(w + 8 * h), wq = TF_LOAD32(w + 8 * h + 4);
        pca = tf_smlad(xa, wp, pca);
        pcb = tf_smlad(xb, wp, pcb);
        pra = tf_smlad(xa, tf_sxtb16(wp), pra);
        prb = tf_smlad(xb, tf_sxtb16(wp), prb);
        qca = tf_smlad(xa, wq, qca);
        qcb = tf_smlad(xb, wq, qcb);
        qra = tf_smlad(xa, tf_sxtb16(wq), qra);
        qrb = tf_smlad(xb, tf_sxtb16(wq), qrb);
      }
    }
    const int32_t start_ps = (int32_t)TF_LOAD32(w), start_qs = (int32_t)TF_LOAD32(w + 4);
    const int32_t psa = start_ps + ((int32_t)((uint32_t)pca - (uint32_t)pra) >> 8);
    const int32_t psb = start_ps + ((int32_t)((uint32_t)pcb - (uint32_t)prb) >> 8);
    const int32_t qsa = start_qs + ((int32_t)((uint32_t)qca - (uint32_t)qra) >> 8);
    const int32_t qsb = start_qs + ((int32_t)((uint32_t)qcb - (uint32_t)qrb) >> 8);
    w += 8;
    int32_t q[8];
    for (int i = 0; i < 8; ++i) q[i] = (int32_t)TF_LOAD32(w + 4 * i);
    w += 32;
#define TF_DSP_BAND_RQ(acc, m, p) (round_k ? tf_dsp_rq_round_sat(acc, m, p, rq, fast) : tf_dsp_rq_sat(acc, m, p, rq, fast))
    const int32_t a0 = TF_DSP_BAND_RQ(pra, q[0], q[1]), b0 = TF_DSP_BAND_RQ(prb, q[0], q[1]);
    const int32_t a1 = TF_DSP_BAND_RQ(psa, q[2], q[3]), b1 = TF_DSP_BAND_RQ(psb, q[2], q[3]);
    const int32_t a2 = TF_DSP_BAND_RQ(qra, q[4], q[5]), b2 = TF_DSP_BAND_RQ(qrb, q[4], q[5]);
    const int32_t a3 = TF_DSP_BAND_RQ(qsa, q[6], q[7]), b3 = TF_DSP_BAND_RQ(qsb, q[6], q[7]);
#undef TF_DSP_BAND_RQ
    const uint32_t va = tf_bytes4(a0, a1, a2, a3), vb = tf_bytes4(b0, b1, b2, b3);
    const uint32_t ca = full ? va : tf_smin8(tf_smax8(va, lo4), hi4), cb = full ? vb : tf_smin8(tf_smax8(vb, lo4), hi4);
    tf_put2(out_a, ca);
    tf_put2(out_a + 2, ca >> 16);
    tf_put2(out_b, cb);
    tf_put2(out_b + 2, cb >> 16);
  }
}

/* The routine's C twin with { m, P } records. */
static inline __attribute__((always_inline)) void tf_dsp_band_quad_twin(const tf_dsp_pw_run_t *s, const int8_t *w, int k4, int off,
                                                                        const tf_rq_t *rq, const int fast, const int full) {
  tf_dsp_band_quad_twin_rq(s, w, k4, off, rq, fast, full, 0);
}

/* dsp.ts bandRunAsm: `pairs` pixel pairs of one band, each 2 off bytes of columns and 2 out_c outputs past the one before */
typedef const int8_t *(*tf_dsp_band_run_fn)(const uint32_t *cols, const int8_t *w, const tf_dsp_pw_run_t *s, int pairs);

static inline __attribute__((always_inline)) void tf_dsp_im2col_band_run_body(const int8_t *in, int batches, const tf_conv_geom_t *g,
                                                                              const int8_t *w, const tf_rq_t *rq, int8_t *out,
                                                                              uint32_t *band, const int fast, const int full,
                                                                              tf_dsp_band_run_fn run, const int step_bytes, const int turn,
                                                                              const int signed_wide) {
  const int k4 = g->k4;
  const int in_c = g->in_c;
  const int out_c = g->out_c;
  const int col_words = g->k_h * in_c / 2;
  const int columns = g->out_w * g->stride_w + g->k_w;
  const int off = g->stride_w * col_words * 4;
  int8_t *const twin = (int8_t *)(void *)(band + columns * col_words);
  const int wide = fast == 2 && !signed_wide;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  /* the padding's words: the input zero point in both lanes */
  const uint32_t zpw = tf_sxtb16((uint32_t)(uint8_t)(-g->input_offset) * 0x01010101u);
  tf_dsp_pw_run_t s;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  s.zp4 = zp % 256u * 0x01010101u;
  /* the block's first half step runs before the loop: the loop runs k4 / 2 - 1 halves, entered part-way */
  s.entry = ((1 - (k4 >> 1)) & (2 * turn - 1)) * (step_bytes / 2);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * in_c;
    for (int oy = 0; oy < g->out_h; ++oy) {
      /* the band of this output row: per filter row, the columns left of the image, the image
       * row's span (column j is image column j - pad_left), the columns past it */
      for (int ky = 0; ky < g->k_h; ++ky) {
        const int iy = oy * g->stride_h - g->pad_top + ky;
        uint32_t *dst = band + ky * (in_c / 2);
        const int8_t *row = image;
        int lead = columns, span = 0;
        if (iy >= 0 && iy < g->in_h) {
          row = image + iy * g->in_w * in_c;
          lead = g->pad_left < columns ? g->pad_left : columns;
          span = g->in_w < columns - lead ? g->in_w : columns - lead;
        }
        tf_dsp_band_fill(dst, lead, in_c, col_words, zpw);
        tf_dsp_band_pack(dst + lead * col_words, row, span, in_c, col_words);
        tf_dsp_band_fill(dst + (lead + span) * col_words, columns - lead - span, in_c, col_words, zpw);
      }
#if TF_DSP_NATIVE
      /* the row's whole pixel pairs in one call, then a lone last pixel with its twin */
      (void)full;
      (void)off;
      const int pairs = g->out_w / 2;
      if (pairs > 0) {
        s.cols = band;
        s.stop = band + k4 / 2;
        s.out_a = out;
        s.out_b = out + out_c;
        s.end_a = out + out_c;
        (void)run(s.cols, w, &s, pairs);
        out += 2 * pairs * out_c;
      }
      if (g->out_w & 1) {
        s.cols = band + (g->out_w - 1) * g->stride_w * col_words;
        s.stop = s.cols + k4 / 2;
        s.out_a = out;
        s.out_b = twin;
        s.end_a = out + out_c;
        (void)run(s.cols, w, &s, 1);
        out += out_c;
      }
#else
      (void)run;
      for (int ox = 0; ox < g->out_w; ox += 2) {
        const int pair = ox + 1 < g->out_w;
        s.cols = band + ox * g->stride_w * col_words;
        s.stop = s.cols + k4 / 2;
        s.out_a = out;
        s.out_b = pair ? out + out_c : twin;
        s.end_a = out + out_c;
        tf_dsp_band_quad_twin(&s, w, k4, off, rq, fast, full);
        out += (pair ? 2 : 1) * out_c;
      }
#endif
    }
  }
}

/*
 * The stem band (dsp.ts stemBandTaken): im2col layers over input channels not a multiple of 4
 * (RGB stems) read their fields from a band of plain int16 values per chunk of `chunk` pixels of an
 * output row. Band column j (image column x0 + j, the input zero point outside the image) holds
 * the k_h filter rows' in_c values, k_h in_c halves back to back, so a pixel's field is k
 * contiguous int16 values in (kx, ky, c) order (the weights re-laid by kxMajorRows, lanes in plain
 * order: dsp.ts plainLanes) and the next pixel's lies stride_w k_h in_c halves on (an even count:
 * every field starts on a word). The k4 - k values past a field meet zero weights (the band is
 * cleared once, so they stay defined). The chunk's whole pixel pairs run in one call of the band
 * routine (bandRunAsm), a lone last pixel in a call of its own with its twin's outputs past the band.
 */
/* one int16 half of the band (memcpy: the band is read back as words) */
static inline __attribute__((always_inline)) void tf_dsp_half(int16_t *d, int32_t v) {
  const int16_t h = (int16_t)v;
  memcpy(d, &h, 2);
}

/* Two neighbouring band columns of a 3x3 RGB stem, both inside the image (`d` word-aligned: 18 halves,
 * nine words; `r` the first column's top-left byte, `line` bytes a row): per row its six bytes in two
 * words (bytes 0-3 and 2-5), widened by SXTB16 into (b0, b2), (b1, b3), (b2, b4), (b3, b5), and each
 * output word one PKHBT or PKHTB of two of those: 36 instructions where the bytes one at a time
 * (a signed byte load and a halfword store each) took 36 accesses of 2 cycles. */
static inline __attribute__((always_inline)) void tf_dsp_stem_band_pair3x3(int16_t *d, const int8_t *r, const int line) {
  /* scalars, not arrays: the compiler keeps them in registers */
  uint32_t a0, b0, a1, b1, a2, b2;
  memcpy(&a0, r, 4), memcpy(&b0, r + 2, 4);
  memcpy(&a1, r + line, 4), memcpy(&b1, r + line + 2, 4);
  memcpy(&a2, r + 2 * line, 4), memcpy(&b2, r + 2 * line + 2, 4);
  const uint32_t e00 = tf_sxtb16(a0), o00 = tf_sxtb16_ror8(a0), e10 = tf_sxtb16(b0), o10 = tf_sxtb16_ror8(b0);
  const uint32_t e01 = tf_sxtb16(a1), o01 = tf_sxtb16_ror8(a1), e11 = tf_sxtb16(b1), o11 = tf_sxtb16_ror8(b1);
  const uint32_t e02 = tf_sxtb16(a2), o02 = tf_sxtb16_ror8(a2), e12 = tf_sxtb16(b2), o12 = tf_sxtb16_ror8(b2);
  /* column A: rows 0..2 of bytes b0 b1 b2, then column B: of b3 b4 b5, two halves a word */
  uint32_t *const w = (uint32_t *)(void *)d;
  w[0] = tf_pack_lo(e00, o00);
  w[1] = tf_pack_lo(e10, e01);
  w[2] = tf_pack_lo(o01, e11);
  w[3] = tf_pack_lo(e02, o02);
  w[4] = tf_pack_lo(e12, o10);
  w[5] = tf_pack_hi(e10, o10);
  w[6] = tf_pack_hi(o01, e11);
  w[7] = tf_pack_hi(o11, o02);
  w[8] = tf_pack_hi(e12, o12);
}

static inline __attribute__((always_inline)) void tf_dsp_stem_band_pack(int16_t *band, const int8_t *image, const tf_conv_geom_t *g, int oy,
                                                                        int x0, int columns, const int in_c, const int k_h) {
  const int col = k_h * in_c;
  const int16_t zp = (int16_t)(-g->input_offset);
  const int lead = x0 < 0 ? (-x0 < columns ? -x0 : columns) : 0;
  const int room = g->in_w - x0;
  const int inside_end = room < columns ? (room > lead ? room : lead) : columns;
  const int iy0 = oy * g->stride_h - g->pad_top;
  if (in_c == 3 && k_h == 3 && iy0 >= 0 && iy0 + 2 < g->in_h) {
    /* 3x3 over 3 channels, the three rows inside the image: a column's nine values in one short
     * loop (its code small beside the band routine's, in the STM32L4+'s 1 KB ART) */
    const int line = g->in_w * 3;
    const int8_t *r = image + (iy0 * g->in_w + x0 + lead) * 3;
    int j = 0;
    for (; j < lead; ++j)
      for (int h = 0; h < 9; ++h) tf_dsp_half(band + j * 9 + h, zp);
    /* from an even column (its halves start on a word) two columns at a time, the odd ones alone */
    int16_t *d = band + j * 9;
    if ((j & 1) && j < inside_end) {
      tf_dsp_half(d, r[0]), tf_dsp_half(d + 1, r[1]), tf_dsp_half(d + 2, r[2]);
      tf_dsp_half(d + 3, r[line]), tf_dsp_half(d + 4, r[line + 1]), tf_dsp_half(d + 5, r[line + 2]);
      tf_dsp_half(d + 6, r[2 * line]), tf_dsp_half(d + 7, r[2 * line + 1]), tf_dsp_half(d + 8, r[2 * line + 2]);
      ++j, d += 9, r += 3;
    }
    for (; j + 2 <= inside_end; j += 2, d += 18, r += 6) tf_dsp_stem_band_pair3x3(d, r, line);
    for (; j < inside_end; ++j, d += 9, r += 3) {
      tf_dsp_half(d, r[0]), tf_dsp_half(d + 1, r[1]), tf_dsp_half(d + 2, r[2]);
      tf_dsp_half(d + 3, r[line]), tf_dsp_half(d + 4, r[line + 1]), tf_dsp_half(d + 5, r[line + 2]);
      tf_dsp_half(d + 6, r[2 * line]), tf_dsp_half(d + 7, r[2 * line + 1]), tf_dsp_half(d + 8, r[2 * line + 2]);
    }
    for (; j < columns; ++j)
      for (int h = 0; h < 9; ++h) tf_dsp_half(band + j * 9 + h, zp);
    return;
  }
  for (int ky = 0; ky < k_h; ++ky) {
    const int iy = iy0 + ky;
    int16_t *d = band + ky * in_c;
    if (iy < 0 || iy >= g->in_h) {
      for (int j = 0; j < columns; ++j, d += col)
        for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, zp);
      continue;
    }
    const int8_t *src = image + (iy * g->in_w + x0 + lead) * in_c;
    int j = 0;
    for (; j < lead; ++j, d += col)
      for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, zp);
    for (; j < inside_end; ++j, d += col, src += in_c)
      for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, src[c]);
    for (; j < columns; ++j, d += col)
      for (int c = 0; c < in_c; ++c) tf_dsp_half(d + c, zp);
  }
}

static inline __attribute__((always_inline)) void
tf_dsp_im2col_stem_band_body(const int8_t *in, int batches, const tf_conv_geom_t *g, const int8_t *w, const tf_rq_t *rq, int8_t *out,
                             uint32_t *scratch, const int fast, const int full, tf_dsp_band_run_fn run, const int step_bytes,
                             const int turn, const int in_c, const int k_h, const int chunk, const int round_k) {
  const int k4 = g->k4;
  const int out_c = g->out_c;
  const int col = k_h * in_c;
  const int span = g->stride_w * col;
  const int most = chunk * g->stride_w + g->k_w;
  const int halves = most * col + (k4 - g->k_w * col);
  int16_t *const band = (int16_t *)(void *)scratch;
  int8_t *const twin = (int8_t *)(void *)(scratch + (halves + 1) / 2);
  const int wide = fast == 2;
  const uint32_t zp = (uint32_t)(wide ? rq->out_zp : 0);
  tf_dsp_pw_run_t s;
  s.lo4 = ((uint32_t)rq->act_min - zp) % 256u * 0x01010101u;
  s.hi4 = ((uint32_t)rq->act_max - zp) % 256u * 0x01010101u;
  /* the rounding form (round_k: the records hold K in place of P) reads the zero point itself under FAST */
  s.zp4 = round_k && !wide ? (uint32_t)rq->out_zp : zp % 256u * 0x01010101u;
  /* the block's first half step runs before the loop: the loop runs k4 / 2 - 1 halves, entered part-way */
  s.entry = ((1 - (k4 >> 1)) & (2 * turn - 1)) * (step_bytes / 2);
  /* the values past the last field meet zero weights: defined, once */
  memset(band, 0, (size_t)halves * 2u);
  for (int b = 0; b < batches; ++b) {
    const int8_t *image = in + b * g->in_h * g->in_w * in_c;
    for (int oy = 0; oy < g->out_h; ++oy) {
      for (int ox = 0; ox < g->out_w; ox += chunk) {
        const int n = g->out_w - ox < chunk ? g->out_w - ox : chunk;
        tf_dsp_stem_band_pack(band, image, g, oy, ox * g->stride_w - g->pad_left, (n - 1) * g->stride_w + g->k_w, in_c, k_h);
#if TF_DSP_NATIVE
        (void)full;
        (void)round_k;
        const int pairs = n / 2;
        if (pairs > 0) {
          s.cols = (const uint32_t *)(const void *)band;
          s.stop = s.cols + k4 / 2;
          s.out_a = out;
          s.out_b = out + out_c;
          s.end_a = out + out_c;
          (void)run(s.cols, w, &s, pairs);
          out += 2 * pairs * out_c;
        }
        if (n & 1) {
          s.cols = (const uint32_t *)(const void *)(band + (n - 1) * span);
          s.stop = s.cols + k4 / 2;
          s.out_a = out;
          s.out_b = twin;
          s.end_a = out + out_c;
          (void)run(s.cols, w, &s, 1);
          out += out_c;
        }
#else
        (void)run;
        for (int i = 0; i < n; i += 2) {
          const int pair = i + 1 < n;
          s.cols = (const uint32_t *)(const void *)(band + i * span);
          s.stop = s.cols + k4 / 2;
          s.out_a = out;
          s.out_b = pair ? out + out_c : twin;
          s.end_a = out + out_c;
          tf_dsp_band_quad_twin_rq(&s, w, k4, span * 2, rq, fast, full, round_k);
          out += (pair ? 2 : 1) * out_c;
        }
#endif
      }
    }
  }
}

#endif
