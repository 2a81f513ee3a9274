/* SPDX-License-Identifier: Apache-2.0 */
/* The ESP32-S3's SIMD instructions (the processor instruction extensions, PIE) the 'xtensa-s3' kernels
 * use, one macro each with two definitions:
 *
 * - on the chip (__XTENSA__ with the S3's assembler): the instruction itself, as inline asm;
 * - anywhere else: a functional model in C, the q registers and the ACCX accumulator as static state,
 *   so the same kernel source runs on a host and is tested there bit for bit against the portable C.
 *
 * The model is checked instruction by instruction against Espressif's QEMU (`-M esp32s3`, which
 * executes the PIE instructions) on a table of edge cases: int8 extremes, sums past 2^31 and out of
 * ACCX's 40 bits and QACC's 20-bit lanes, misaligned addresses, the largest steps each instruction
 * encodes (xtensa_s3_pie.test.ts, the emulator's answers recorded for machines without it). They
 * agree everywhere but at the negative saturation bound, where QEMU stops at -MAX and the model
 * follows the chip (below).
 *
 * Semantics, from the ESP32-S3 Technical Reference Manual, chapter "Processor Instruction Extensions
 * (PIE)" (its sections on the register file, on ACCX and the instruction list), and the operand lists
 * of the S3's TIE as GNU binutils has it (xtensa-modules.c of the esp32s3 overlay):
 *
 * - q0..q7: eight 128-bit registers, lanes of 16 int8 in little-endian byte order (lane i = byte i of
 *   memory after a load).
 * - ACCX: a 40-bit accumulator (the TIE state ACCX, 40 bits; user registers ACCX_0 = bits 31..0 and
 *   ACCX_1 = bits 39..32). A sum beyond it saturates to [-2^39, 2^39 - 1].
 * - EE.ZERO.ACCX: ACCX = 0.
 * - EE.VLD.128.IP qu, as, imm: qu = the 16 bytes at (as & ~15), the address's low four bits ignored
 *   (the load is 16-byte aligned); then as += imm (imm a multiple of 16 in [-2048, 2032]).
 * - EE.VMULAS.S8.ACCX qx, qy: ACCX += sum over the 16 lanes of qx[i] * qy[i], signed 8 x 8 bits.
 * - EE.VMULAS.S8.ACCX.LD.IP qu, as, imm, qx, qy: the same multiply-accumulate of the old qx, qy and,
 *   in the same instruction, qu = the 16 bytes at (as & ~15), as += imm.
 * - RUR.ACCX_0 ar: ar = ACCX bits 31..0.
 * - QACC: the lane-wise accumulator, QACC_L and QACC_H of 160 bits each. For the s8 instructions it
 *   holds 16 lanes of 20 bits: lanes 0..7 in QACC_L, lanes 8..15 in QACC_H, lane i of a half at bits
 *   20(i mod 8) + 19 .. 20(i mod 8) of it.
 *   The TRM gives the 16 x 20-bit (s8) and 8 x 40-bit (s16) segmentation; the lane order from bit 0
 *   is how Espressif's QEMU packs the lanes (its stores and WUR.QACC_* agree with the model's).
 * - EE.ZERO.QACC: QACC = 0.
 * - EE.VMULAS.S8.QACC qx, qy: lane i of QACC += qx[i] * qy[i], signed 8 x 8 bits, i = 0..15,
 *   saturated to the lane's [-2^19, 2^19 - 1].
 * - EE.ST.QACC_L.L.128.IP as, imm: the 16 bytes at (as & ~15) = QACC_L bits 127..0, little-endian;
 *   as += imm. EE.ST.QACC_L.H.32.IP as, imm: the 4 bytes at (as & ~3) = QACC_L bits 159..128;
 *   as += imm. EE.ST.QACC_H.L.128.IP and EE.ST.QACC_H.H.32.IP: the same for QACC_H.
 *   So the two stores of a half write its 160 bits as 20 consecutive little-endian bytes when the
 *   32-bit store follows the 128-bit one 16 bytes on.
 *
 * Saturation: the chip saturates QACC's lanes (EE.VMULAS.U8.QACC at 0xfffff, measured on an S3 in
 * espressif/qemu#165) and clamps signed results to the type's minimum, -2^(n-1) (EE.VADDS.S8 at -128,
 * measured in espressif/qemu#161); the model clamps ACCX and the s8 QACC lanes the same way, to
 * [-2^(n-1), 2^(n-1) - 1]. QEMU clamps them to +-(2^(n-1) - 1): at the negative bound it is one
 * above the chip, the fault #161 reports for EE.VADDS. (The signed bounds of ACCX and QACC on the
 * chip are inferred from those two measurements; none of them is published.) The kernels never come near either bound:
 * they run only on layers whose int32 accumulator is proven at compile time not to overflow
 * (variant.ts), so ACCX's low 32 bits (RUR.ACCX_0) are the exact int32 sum, with no shift or
 * rounding in the way. A kernel on QACC's 20-bit lanes runs only where every lane's sum is proven
 * to stay within 20 bits (depthwise_conv_2d/s3simd.ts).
 *
 * TF_XTENSA_S3_SIMD_MODEL forces the model on Xtensa too: for a compiler whose assembler lacks the S3's
 * instructions (the compile check's xtensa-lx106-elf-gcc fallback, targets/esp32s3.json).
 *
 * The macros take register names (q0..q7) and a literal step; pointer operands are `const int8_t *`
 * lvalues, advanced in place as the instruction advances its address register. */
#ifndef TF_XTENSA_S3_SIMD_H
#define TF_XTENSA_S3_SIMD_H
#include <stdint.h>
#include <string.h>

#if defined(__XTENSA__) && !defined(TF_XTENSA_S3_SIMD_MODEL)

#define TF_S3_ZERO_ACCX() __asm__ volatile("ee.zero.accx")
#define TF_S3_VLD_128_IP(qu, ptr, step) __asm__ volatile("ee.vld.128.ip " #qu ", %0, " #step : "+r"(ptr) : : "memory")
#define TF_S3_VMULAS_S8_ACCX(qx, qy) __asm__ volatile("ee.vmulas.s8.accx " #qx ", " #qy)
#define TF_S3_VMULAS_S8_ACCX_LD_IP(qu, ptr, step, qx, qy) \
  __asm__ volatile("ee.vmulas.s8.accx.ld.ip " #qu ", %0, " #step ", " #qx ", " #qy : "+r"(ptr) : : "memory")
#define TF_S3_RUR_ACCX_0(ar) __asm__ volatile("rur.accx_0 %0" : "=r"(ar))
#define TF_S3_ZERO_QACC() __asm__ volatile("ee.zero.qacc")
#define TF_S3_VMULAS_S8_QACC(qx, qy) __asm__ volatile("ee.vmulas.s8.qacc " #qx ", " #qy)
#define TF_S3_ST_QACC_L_L_128_IP(ptr, step) __asm__ volatile("ee.st.qacc_l.l.128.ip %0, " #step : "+r"(ptr) : : "memory")
#define TF_S3_ST_QACC_L_H_32_IP(ptr, step) __asm__ volatile("ee.st.qacc_l.h.32.ip %0, " #step : "+r"(ptr) : : "memory")
#define TF_S3_ST_QACC_H_L_128_IP(ptr, step) __asm__ volatile("ee.st.qacc_h.l.128.ip %0, " #step : "+r"(ptr) : : "memory")
#define TF_S3_ST_QACC_H_H_32_IP(ptr, step) __asm__ volatile("ee.st.qacc_h.h.32.ip %0, " #step : "+r"(ptr) : : "memory")

#else

/* the functional model's machine state */
typedef struct {
  int8_t q[8][16];
  int64_t accx;     /* 40 bits, sign-extended */
  int32_t qacc[16]; /* the s8 lanes, 20 bits each, sign-extended */
} tf_s3_state_t;

static inline tf_s3_state_t *tf_s3_state(void) {
  static tf_s3_state_t state;
  return &state;
}

#define TF_S3_Q_q0 0
#define TF_S3_Q_q1 1
#define TF_S3_Q_q2 2
#define TF_S3_Q_q3 3
#define TF_S3_Q_q4 4
#define TF_S3_Q_q5 5
#define TF_S3_Q_q6 6
#define TF_S3_Q_q7 7

/* a sum clamped to ACCX's 40 bits, [-2^39, 2^39 - 1] */
static inline int64_t tf_s3_sat40(int64_t v) {
  const int64_t max = ((int64_t)1 << 39) - 1;
  return v > max ? max : v < -max - 1 ? -max - 1 : v;
}

/* the 16 bytes of the 16-byte block holding `address`, as the load reads them */
static inline void tf_s3_vld_128(int qu, const int8_t *address) {
  memcpy(tf_s3_state()->q[qu], (const void *)((uintptr_t)address & ~(uintptr_t)15), 16);
}

static inline void tf_s3_vmulas_s8_accx(int qx, int qy) {
  tf_s3_state_t *const s = tf_s3_state();
  int64_t sum = 0;
  for (int i = 0; i < 16; ++i) sum += (int32_t)s->q[qx][i] * s->q[qy][i];
  s->accx = tf_s3_sat40(s->accx + sum);
}

/* a sum clamped to a 20-bit QACC lane, [-2^19, 2^19 - 1] */
static inline int32_t tf_s3_sat20(int32_t v) { return v > 0x7FFFF ? 0x7FFFF : v < -0x80000 ? -0x80000 : v; }

static inline void tf_s3_vmulas_s8_qacc(int qx, int qy) {
  tf_s3_state_t *const s = tf_s3_state();
  for (int i = 0; i < 16; ++i) s->qacc[i] = tf_s3_sat20(s->qacc[i] + (int32_t)s->q[qx][i] * s->q[qy][i]);
}

/* bytes [first, first + count) of the 20 little-endian bytes of a QACC half (lanes 8 * half ..) */
static inline void tf_s3_st_qacc(int half, int first, int count, int8_t *address) {
  uint8_t bytes[20] = {0};
  for (int lane = 0; lane < 8; ++lane) {
    const uint32_t bits = (uint32_t)tf_s3_state()->qacc[8 * half + lane] & 0xFFFFFu;
    for (int b = 0; b < 20; ++b)
      if (bits >> b & 1u) bytes[(20 * lane + b) / 8] |= (uint8_t)(1u << ((20 * lane + b) % 8));
  }
  memcpy(address, bytes + first, (size_t)count);
}

#define TF_S3_ZERO_QACC() memset(tf_s3_state()->qacc, 0, sizeof tf_s3_state()->qacc)
#define TF_S3_VMULAS_S8_QACC(qx, qy) tf_s3_vmulas_s8_qacc(TF_S3_Q_##qx, TF_S3_Q_##qy)
#define TF_S3_ST_QACC_L_L_128_IP(ptr, step) (tf_s3_st_qacc(0, 0, 16, (int8_t *)((uintptr_t)(ptr) & ~(uintptr_t)15)), (ptr) += (step))
#define TF_S3_ST_QACC_L_H_32_IP(ptr, step) (tf_s3_st_qacc(0, 16, 4, (int8_t *)((uintptr_t)(ptr) & ~(uintptr_t)3)), (ptr) += (step))
#define TF_S3_ST_QACC_H_L_128_IP(ptr, step) (tf_s3_st_qacc(1, 0, 16, (int8_t *)((uintptr_t)(ptr) & ~(uintptr_t)15)), (ptr) += (step))
#define TF_S3_ST_QACC_H_H_32_IP(ptr, step) (tf_s3_st_qacc(1, 16, 4, (int8_t *)((uintptr_t)(ptr) & ~(uintptr_t)3)), (ptr) += (step))
#define TF_S3_ZERO_ACCX() (tf_s3_state()->accx = 0)
#define TF_S3_VLD_128_IP(qu, ptr, step) (tf_s3_vld_128(TF_S3_Q_##qu, (ptr)), (ptr) += (step))
#define TF_S3_VMULAS_S8_ACCX(qx, qy) tf_s3_vmulas_s8_accx(TF_S3_Q_##qx, TF_S3_Q_##qy)
/* the product reads qx and qy before the load writes qu */
#define TF_S3_VMULAS_S8_ACCX_LD_IP(qu, ptr, step, qx, qy) (TF_S3_VMULAS_S8_ACCX(qx, qy), TF_S3_VLD_128_IP(qu, ptr, step))
#define TF_S3_RUR_ACCX_0(ar) ((ar) = (int32_t)(uint32_t)((uint64_t)tf_s3_state()->accx & 0xFFFFFFFFu))

#endif

#endif
