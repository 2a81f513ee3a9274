/* SPDX-License-Identifier: Apache-2.0 */
/* CONV_2D's int8 Arm DSP kernels (Armv7E-M, Armv8-M Mainline): what several of them share, two
 * pixels by two channels in SMLAD (the pair steps and dot products, the pixel pairs' packing, the
 * assembly runs' frame, the rounding requantization, the im2col geometry). Each kernel has its own
 * header, which a model ships only where a layer runs that kernel: conv_2d_dsp_pointwise_blocks.h,
 * conv_2d_dsp_pointwise_pairs.h, conv_2d_dsp_pointwise_quads.h, conv_2d_dsp_im2col_blocks.h,
 * conv_2d_dsp_im2col_triples.h, conv_2d_dsp_im2col_quads.h, conv_2d_dsp_row_bands.h,
 * conv_2d_dsp_stem_bands.h. Always-inline bodies that the layer templates instantiate once per model
 * and requantization mode (ctx.defineOnce), each layer passing its constants, so flash holds one copy
 * per kernel kind. DEPTHWISE_CONV_2D's one-channel kernel reuses the pair loop (tf_dsp_pair_channels). */
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
 * The 1x1 `pairs` layers' channel-pair run as one assembly routine (common/isa/dsp_conv/pairs_run.ts pairsRunAsm, one per
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

/* One output of the quads' rounding records (dsp.ts roundRecords, roundLines: K = 2^(32 - e) in
 * place of P, the floor at or above the zero point): h by SMMLAR as FAST's, h / 2^e rounded half up
 * by SMMLAR with K, the zero point added (FAST: in the SMMLAR; WIDE: after), saturated. */
static inline __attribute__((always_inline)) int32_t tf_dsp_rq_round_sat(int32_t acc, int32_t m, int32_t k, const tf_rq_t *rq,
                                                                         const int fast) {
  const int32_t h = tf_dsp_smmlar(acc, m, acc);
  return fast == 2 ? tf_ssat8(tf_dsp_smmlar(h, k, 0) + rq->out_zp) : tf_ssat8(tf_dsp_smmlar(h, k, rq->out_zp));
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

#endif
