// SPDX-License-Identifier: Apache-2.0
/**
 * CEIL, float32 only (TFLite Micro's CEIL prepare requires kTfLiteFloat32 for input and output).
 * std::ceil, exact: values of magnitude 2^23 and above (and infinities) are already integers, +-0
 * stays itself, a value in (-1, 0) gives -0.0, a NaN comes out quieted. The C needs no libm: below
 * 2^23 the value is truncated through int32 and stepped up when that rounded down.
 */
import { floatUnaryOp, fromBits, isNaNBits, quietBits, toBits } from '../common/families/float_unary.ts';

export function ceilBits(u: number): number {
  if (isNaNBits(u)) return quietBits(u);
  return toBits(Math.ceil(fromBits(u)));
}

export default floatUnaryOp({
  kind: 'CEIL',
  dir: import.meta.dirname,
  what: 'ceil(x), no libm',
  bits: ceilBits,
  cBits: 'FN_ceil(u)',
  cHelpers: `static uint32_t FN_ceil(uint32_t u) {
  union { float f; uint32_t u; } v;
  v.u = u;
  if ((u & 0x7f800000u) == 0x7f800000u) return (u & 0x007fffffu) ? (u | 0x00400000u) : u;
  if ((u & 0x7fffffffu) >= 0x4b000000u || (u & 0x7fffffffu) == 0) return u; /* |x| >= 2^23, or +-0 */
  {
    const float x = v.f;
    float t = (float)(int32_t)x;
    if (t < x) t += 1.0f;
    v.f = t;
    if (v.u == 0u) return u & 0x80000000u; /* ceil of a value in (-1, 0) is -0.0 */
    return v.u;
  }
}
`,
});
