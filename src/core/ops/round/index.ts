// SPDX-License-Identifier: Apache-2.0
/**
 * ROUND, float32 only (TFLite Micro's ROUND prepare requires kTfLiteFloat32). TFLite's reference
 * RoundToNearest, round half to even: f = floor(x), d = x - f; f when d < 0.5 or (d == 0.5 and f is
 * even), else f + 1.0f. Kept as it computes: -0.0 stays -0.0, but a value in [-0.5, 0) gives +0.0
 * (f = -1, then -1 + 1); magnitudes of 2^23 and above and infinities come out unchanged (d is 0, or
 * NaN for an infinity and inf + 1 = inf), a NaN comes out quieted. Exact: no libm.
 */
import { floatUnaryOp, fromBits, isNaNBits, quietBits, toBits } from '../common/families/float_unary.ts';

export function roundBits(u: number): number {
  if (isNaNBits(u)) return quietBits(u);
  const x = fromBits(u);
  const f = Math.floor(x);
  const d = x - f; // exact (both are float32 within 2^23 of each other), NaN for an infinity
  if (d < 0.5 || (d === 0.5 && f % 2 === 0)) return toBits(f);
  return toBits(Math.fround(f + 1));
}

export default floatUnaryOp({
  kind: 'ROUND',
  dir: import.meta.dirname,
  what: "round half to even as TFLite's RoundToNearest, no libm",
  bits: roundBits,
  cBits: 'FN_round(u)',
  cHelpers: `static uint32_t FN_round(uint32_t u) {
  union { float f; uint32_t u; } v;
  v.u = u;
  if ((u & 0x7f800000u) == 0x7f800000u) return (u & 0x007fffffu) ? (u | 0x00400000u) : u;
  if ((u & 0x7fffffffu) >= 0x4b000000u || (u & 0x7fffffffu) == 0) return u; /* |x| >= 2^23, or +-0 */
  {
    const float x = v.f;
    float f = (float)(int32_t)x; /* floor(x): truncated, stepped down when that rounded up */
    float d;
    if (f > x) f -= 1.0f;
    d = x - f;
    if (d < 0.5f || (d == 0.5f && (int32_t)f % 2 == 0)) {
      v.f = f;
    } else {
      v.f = f + 1.0f;
    }
    return v.u;
  }
}
`,
});
