/* SPDX-License-Identifier: Apache-2.0 */
/* The int8 dot product of the 'xtensa-s3' kernels (conv_2d, fully_connected: s3simd.ts): ACCX sums 16
 * products per instruction. Both rows are 16-byte aligned and `blocks` x 16 bytes long (the kernels
 * pad weight rows with zeros and copy input rows into aligned scratch), so no load crosses a row's end
 * and a tail needs no special case: a zero weight adds nothing whatever the input byte. */
#ifndef TF_XTENSA_S3_DOT_H
#define TF_XTENSA_S3_DOT_H
#include <stdint.h>
#include "xtensa_s3_simd.h"

/* sum of x[i] * w[i] over blocks * 16 bytes, blocks >= 1. Software-pipelined two blocks a pass: the
 * multiply of one pair loads the next weights (EE.VMULAS.S8.ACCX.LD.IP), q0/q1 and q2/q3 alternate, and
 * nothing is read past the last block. */
static inline int32_t tf_s3_dot_s8(const int8_t *x, const int8_t *w, int blocks) {
  int32_t sum;
  TF_S3_ZERO_ACCX();
  TF_S3_VLD_128_IP(q0, x, 16);
  TF_S3_VLD_128_IP(q1, w, 16);
  int rest = blocks - 1;
  for (; rest >= 2; rest -= 2) {
    TF_S3_VLD_128_IP(q2, x, 16);
    TF_S3_VMULAS_S8_ACCX_LD_IP(q3, w, 16, q0, q1);
    TF_S3_VLD_128_IP(q0, x, 16);
    TF_S3_VMULAS_S8_ACCX_LD_IP(q1, w, 16, q2, q3);
  }
  if (rest == 1) {
    TF_S3_VLD_128_IP(q2, x, 16);
    TF_S3_VMULAS_S8_ACCX_LD_IP(q3, w, 16, q0, q1);
    TF_S3_VMULAS_S8_ACCX(q2, q3);
  } else {
    TF_S3_VMULAS_S8_ACCX(q0, q1);
  }
  TF_S3_RUR_ACCX_0(sum);
  return sum;
}

/* QACC's 16 s8 lanes (20 bits each) as int32: the two halves stored through `raw` (52 bytes, 16-byte
 * aligned: QACC_L's 20 bytes at 0, QACC_H's at 32), then each lane's 20 bits sign-extended. The
 * depthwise kernel's use: 16 channels' sums over a window (depthwise_conv_2d/s3simd.ts). */
static inline void tf_s3_qacc_s8_lanes(int32_t *lanes, int8_t *raw) {
  int8_t *p = raw;
  TF_S3_ST_QACC_L_L_128_IP(p, 16);
  TF_S3_ST_QACC_L_H_32_IP(p, 16);
  TF_S3_ST_QACC_H_L_128_IP(p, 16);
  TF_S3_ST_QACC_H_H_32_IP(p, 0);
  for (int i = 0; i < 16; ++i) {
    const uint8_t *const b = (const uint8_t *)raw + (i >> 3) * 32 + (i & 7) * 20 / 8;
    const uint32_t bits = ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16) >> ((i & 1) * 4) & 0xFFFFFu;
    lanes[i] = (int32_t)(bits ^ 0x80000u) - 0x80000;
  }
}

#endif
