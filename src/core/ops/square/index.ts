// SPDX-License-Identifier: Apache-2.0
/**
 * SQUARE, float32 only (TFLite Micro's SQUARE is float-only). x·x, one IEEE float product (exact
 * rounding, so the same bits on every FPU and in soft float); a NaN comes out quieted.
 */
import { f32 } from '../common/numerics/fixedpoint.ts';
import { floatUnaryOp, fromBits, isNaNBits, quietBits, toBits } from '../common/families/float_unary.ts';

export default floatUnaryOp({
  kind: 'SQUARE',
  dir: import.meta.dirname,
  what: 'x * x',
  bits: (u) => (isNaNBits(u) ? quietBits(u) : toBits(f32(fromBits(u) * fromBits(u)))),
  cBits: '((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu) != 0) ? (u | 0x00400000u) : FN_bits(x * x)',
  cHelpers: 'static uint32_t FN_bits(float f) {\n  union { float f; uint32_t u; } v;\n  v.f = f;\n  return v.u;\n}\n',
});
