// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 multiply-accumulate steps the float CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
 * kernels share: four accumulators held in FPU registers, each taking x * w rounded, then added and
 * rounded (TFLite Micro's `total += x * w` in its order: never a fused multiply-add).
 *
 * On an Arm core with a single-precision FPU (Cortex-M4F, M7, M33, M55...) the loop is inline
 * assembly: VLDMIA loads two inputs and the eight weights of two steps in two instructions, and
 * VMLA.F32 multiplies and accumulates in one. VMLA is not fused: the Arm ARM defines it as FPMul then
 * FPAdd, each rounded (what `vmul.f32` then `vadd.f32` give), so the bits are the reference's. Elsewhere
 * (the host, soft-float cores) the same loop is C, compiled in ISO C mode (no contraction).
 */

/** Whether the C sees an Arm FPU with single precision, in Thumb-2 (VLDM and VMLA.F32 available). */
const ARM_FPU = '#if defined(__ARM_FP) && ((__ARM_FP) & 4) && defined(__thumb2__)';

/**
 * `tf_fmla4(acc, x, w, n)`: acc[j] += x[c] * w[4 * c + j] for c = 0 .. n - 1 in order, j = 0..3 (four
 * outputs over one run of n inputs, the weights interleaved by four). n may be 0.
 */
export const C_FMLA4 = `/* acc[j] += x[c] * w[4c + j], c = 0 .. n-1 in order: products rounded, then sums rounded */
static inline void tf_fmla4(float *acc, const float *x, const float *w, int n) {
  float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
${ARM_FPU}
  int pairs = n >> 1;
  if (pairs > 0) {
    __asm__ volatile(
        "1:\\n\\t"
        "vldmia %[x]!, {s14-s15}\\n\\t"
        "vldmia %[w]!, {s0-s7}\\n\\t"
        "vmla.f32 %[a0], s14, s0\\n\\t"
        "vmla.f32 %[a1], s14, s1\\n\\t"
        "vmla.f32 %[a2], s14, s2\\n\\t"
        "vmla.f32 %[a3], s14, s3\\n\\t"
        "vmla.f32 %[a0], s15, s4\\n\\t"
        "vmla.f32 %[a1], s15, s5\\n\\t"
        "vmla.f32 %[a2], s15, s6\\n\\t"
        "vmla.f32 %[a3], s15, s7\\n\\t"
        "subs %[k], %[k], #1\\n\\t"
        "bne 1b\\n\\t"
        : [a0] "+t"(a0), [a1] "+t"(a1), [a2] "+t"(a2), [a3] "+t"(a3), [x] "+r"(x), [w] "+r"(w), [k] "+r"(pairs)
        :
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s14", "s15", "cc", "memory");
  }
  if (n & 1) {
    const float v = x[0];
    a0 += v * w[0];
    a1 += v * w[1];
    a2 += v * w[2];
    a3 += v * w[3];
  }
#else
  for (int c = 0; c < n; ++c, w += 4) {
    const float v = x[c];
    a0 += v * w[0];
    a1 += v * w[1];
    a2 += v * w[2];
    a3 += v * w[3];
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}
`;

/** `tf_fmla4x(acc, x, w)`: acc[j] += x[j] * w[j], j = 0..3 (four channels side by side, one tap). */
export const C_FMLA4X = `/* acc[j] += x[j] * w[j], j = 0..3: product rounded, then sum rounded */
static inline void tf_fmla4x(float *acc, const float *x, const float *w) {
  float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
${ARM_FPU}
  __asm__ volatile(
      "vldmia %[x], {s0-s3}\\n\\t"
      "vldmia %[w], {s4-s7}\\n\\t"
      "vmla.f32 %[a0], s0, s4\\n\\t"
      "vmla.f32 %[a1], s1, s5\\n\\t"
      "vmla.f32 %[a2], s2, s6\\n\\t"
      "vmla.f32 %[a3], s3, s7\\n\\t"
      : [a0] "+t"(a0), [a1] "+t"(a1), [a2] "+t"(a2), [a3] "+t"(a3)
      : [x] "r"(x), [w] "r"(w)
      : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "memory");
#else
  a0 += x[0] * w[0];
  a1 += x[1] * w[1];
  a2 += x[2] * w[2];
  a3 += x[3] * w[3];
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}
`;

/**
 * Rows of `rowLength` weights (one per output, `rows` of them) re-arranged for tf_fmla4: each block of
 * four rows interleaved (element c of the four rows side by side), the rows past the last full block
 * after them as they were.
 */
export function interleaveRowsBy4(w: ArrayLike<number>, rows: number, rowLength: number): Float32Array {
  const out = new Float32Array(rows * rowLength);
  const full = rows - (rows % 4);
  for (let r0 = 0; r0 < full; r0 += 4)
    for (let c = 0; c < rowLength; c++) for (let j = 0; j < 4; j++) out[r0 * rowLength + c * 4 + j] = w[(r0 + j) * rowLength + c]!;
  for (let r = full; r < rows; r++) for (let c = 0; c < rowLength; c++) out[r * rowLength + c] = w[r * rowLength + c]!;
  return out;
}
