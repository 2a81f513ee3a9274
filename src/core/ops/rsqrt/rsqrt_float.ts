// SPDX-License-Identifier: Apache-2.0
/**
 * RSQRT float32: TFLite Micro's elementwise.cc, 1.f / std::sqrt(x). sqrtf is exactly rounded (IEEE
 * 754: the FPU's vsqrt.f32, newlib's and glibc's sqrtf alike) and so is the division, so the outputs
 * are TFLite Micro's bits on every target; a negative input gives a NaN, whose sign and payload
 * differ between x86 and Arm (the comparisons count any NaN as any other).
 */
import { libmUnaryKernel } from '../common/families/float_libm.ts';

const F = Math.fround;

export const rsqrtFloat = libmUnaryKernel({
  kind: 'RSQRT',
  what: '1 / sqrtf(x)',
  ref: (x) => F(1 / F(Math.sqrt(x))),
  cBody: 'r = 1.0f / sqrtf(x);',
});
