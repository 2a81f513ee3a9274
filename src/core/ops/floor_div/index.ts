// SPDX-License-Identifier: Apache-2.0
/**
 * FLOOR_DIV, float32 only (TFLite Micro's FLOOR_DIV Eval has a float32 case and no other). TFLite's
 * reference FloorDiv<float>: std::floor((double)x1 / (double)x2), rounded to float32. The C keeps
 * the double division (exactly rounded: the FPU, or libgcc's soft double) and floors through int64
 * below 2^52 (above, a double is an integer), so it needs no libm and gives the same bits on every
 * target. TFLite Micro fails at Invoke when any divisor is 0 ("Division by 0"): a constant divisor
 * with a zero is refused here; a computed one gives what the formula gives (x / 0 = +-inf; 0 / 0 a
 * NaN). NaN operands come out quieted, the first one's payload kept; inf / inf is x86's default NaN
 * 0xFFC00000, the bits TFLite Micro's x86-64 build writes.
 */
import { OpError } from '../../errors.ts';
import { X86_DEFAULT_NAN, fromBits, isNaNBits, quietBits, toBits } from '../common/families/float_unary.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { floorBinaryOp } from '../common/families/floor_binary.ts';

export function floorDivBits(a: number, b: number): number {
  if (isNaNBits(a)) return quietBits(a);
  if (isNaNBits(b)) return quietBits(b);
  const q = fromBits(a) / fromBits(b);
  if (Number.isNaN(q)) return X86_DEFAULT_NAN;
  return toBits(Math.floor(q));
}

export default floorBinaryOp({
  kind: 'FLOOR_DIV',
  dir: import.meta.dirname,
  what: "floor((double)x1 / (double)x2) as a float, as TFLite Micro's reference FloorDiv",
  bits: floorDivBits,
  cName: 'FN_floor_div',
  cHelper: `static uint32_t FN_floor_div(uint32_t a, uint32_t b) {
  union { float f; uint32_t u; } x, y, r;
  double q, t;
  if ((a & 0x7fffffffu) > 0x7f800000u) return a | 0x00400000u; /* NaN operands: quieted, the first one */
  if ((b & 0x7fffffffu) > 0x7f800000u) return b | 0x00400000u;
  x.u = a;
  y.u = b;
  q = (double)x.f / (double)y.f;
  if (q != q) return 0xffc00000u; /* inf / inf, 0 / 0: x86's default NaN */
  if (q > -4503599627370496.0 && q < 4503599627370496.0 && q != 0.0) {
    /* |q| < 2^52: floor through int64 (truncated, stepped down when that rounded up); +-0 kept */
    t = (double)(int64_t)q;
    if (t > q) t -= 1.0;
    q = t;
  }
  r.f = (float)q;
  return r.u;
}`,
  extraCheck(graph, op) {
    const divisor = graph.tensors[op.inputs[1]!]!;
    if (!divisor.data) return;
    const values = new Float32Array(divisor.data.buffer, divisor.data.byteOffset, divisor.data.byteLength / 4);
    if (values.some((v) => v === 0)) {
      throw new OpError(op.index, op.kind, `input 2 ${tensorLabel(divisor)} is a constant with a 0; TFLite Micro fails at Invoke ("Division by 0")`);
    }
  },
});
