// SPDX-License-Identifier: Apache-2.0
/**
 * SQRT, float32 only (TFLite Micro's SQRT is float-only). std::sqrt is exactly rounded by IEEE 754,
 * so the kernel computes the correctly rounded square root itself, in integers (a 24-bit integer
 * square root of the normalised significand, rounded to nearest), with no libm and the same bits on
 * FPU and soft-float targets. sqrt(-0) = -0, sqrt(+inf) = +inf, NaNs come out quieted.
 *
 * TFLM surprise kept: a negative input gives the x86 "default NaN" 0xFFC00000 (sign bit set), the
 * bits TFLM's x86-64 build writes; an Arm FPU would write 0x7FC00000 there, so the C never uses it.
 */
import { floatUnaryOp, fromBits, isNaNBits, quietBits, toBits } from '../common/families/float_unary.ts';

export function sqrtBits(u: number): number {
  if (isNaNBits(u)) return quietBits(u);
  if ((u & 0x7fffffff) === 0) return u;
  if (u & 0x80000000) return 0xffc00000;
  return toBits(Math.fround(Math.sqrt(fromBits(u))));
}

export default floatUnaryOp({
  kind: 'SQRT',
  dir: import.meta.dirname,
  what: 'correctly rounded sqrt(x) in integers, no libm',
  bits: sqrtBits,
  cBits: 'FN_sqrt(u)',
  cHelpers: `static uint32_t FN_sqrt(uint32_t u) {
  uint32_t m;
  int e;
  uint64_t big, rem, root, bit;
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return u | 0x00400000u; /* NaN */
  if ((u & 0x7fffffffu) == 0) return u;                                               /* +-0 */
  if (u & 0x80000000u) return 0xffc00000u;                                            /* x < 0 */
  if (u == 0x7f800000u) return u;                                                     /* +inf */
  /* x = m * 2^e with m in [2^23, 2^24) */
  if (u & 0x7f800000u) {
    m = (u & 0x007fffffu) | 0x00800000u;
    e = (int)(u >> 23) - 150;
  } else {
    m = u;
    e = -149;
    while (!(m & 0x00800000u)) {
      m <<= 1;
      e--;
    }
  }
  /* an even exponent, and the significand scaled into [2^46, 2^48) so its root has 24 bits */
  if (e & 1) {
    big = (uint64_t)m << 23;
    e -= 23;
  } else {
    big = (uint64_t)m << 24;
    e -= 24;
  }
  /* bit-by-bit integer square root */
  rem = big;
  root = 0;
  bit = (uint64_t)1 << 46;
  while (bit > rem) bit >>= 2;
  while (bit != 0) {
    if (rem >= root + bit) {
      rem -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  /* round to nearest: up when big - root^2 > root (ties cannot happen) */
  if (rem > root) root++;
  e /= 2;
  if (root == ((uint64_t)1 << 24)) {
    root >>= 1;
    e++;
  }
  return (uint32_t)(e + 23 + 127) << 23 | ((uint32_t)root & 0x007fffffu);
}
`,
});
