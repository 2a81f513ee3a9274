// SPDX-License-Identifier: Apache-2.0
/**
 * FLOOR, float32 only (TFLite Micro's FLOOR is float-only: "input->type != kTfLiteFloat32" for
 * int8). std::floor, exact: values of magnitude 2^23 and above (and infinities) are already
 * integers, -0.0 stays -0.0, a NaN comes out quieted. The C needs no libm: below 2^23 the value is
 * truncated through int32 and stepped down when that rounded up.
 */
import { floatUnaryOp, fromBits, isNaNBits, quietBits, toBits } from '../common/families/float_unary.ts';

export default floatUnaryOp({
  kind: 'FLOOR',
  dir: import.meta.dirname,
  what: 'floor(x), no libm',
  bits: (u) => (isNaNBits(u) ? quietBits(u) : toBits(Math.floor(fromBits(u)))),
  cBits: 'FN_floor(u)',
  cHelpers: `static uint32_t FN_floor(uint32_t u) {
  union { float f; uint32_t u; } v;
  v.u = u;
  if ((u & 0x7f800000u) == 0x7f800000u) return (u & 0x007fffffu) ? (u | 0x00400000u) : u;
  if ((u & 0x7fffffffu) >= 0x4b000000u || (u & 0x7fffffffu) == 0) return u; /* |x| >= 2^23, or +-0 */
  {
    const float x = v.f;
    float t = (float)(int32_t)x;
    if (t > x) t -= 1.0f;
    v.f = t;
    return v.u;
  }
}
`,
});
