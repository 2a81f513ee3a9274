// SPDX-License-Identifier: Apache-2.0
/**
 * FLOOR_MOD, float32 only (TFLite Micro's FLOOR_MOD Eval has a float32 case and no other). TFLite's
 * reference FloorMod<float>: t = std::fmod(x1, x2) (exact: the truncated remainder, the sign of x1),
 * then t + x2 when t is not 0 and its sign differs from x2's (one float addition), else t. The C
 * computes fmod itself on the bit patterns (integer shift and subtract over the significands, no
 * libm), so every target gives the same bits. x2 = 0 or an infinite x1 give x86's default NaN
 * 0xFFC00000 (glibc's fmodf on TFLite Micro's x86-64 build); NaN operands come out quieted, the
 * first one's payload kept; an infinite x2 gives x1 (plus x2 when their signs differ). TFLite Micro
 * does not check the divisor.
 */
import { X86_DEFAULT_NAN, fromBits, isNaNBits, quietBits, toBits } from '../common/families/float_unary.ts';
import { floorBinaryOp } from '../common/families/floor_binary.ts';

export function floorModBits(a: number, b: number): number {
  if (isNaNBits(a)) return quietBits(a);
  if (isNaNBits(b)) return quietBits(b);
  const x = fromBits(a);
  const y = fromBits(b);
  if (y === 0 || !Number.isFinite(x)) return X86_DEFAULT_NAN;
  const t = x % y; // the exact truncated remainder, as fmod (the sign of x, -0 kept)
  if (t !== 0 && y < 0 !== t < 0) return toBits(Math.fround(t + y));
  return toBits(t);
}

export default floorBinaryOp({
  kind: 'FLOOR_MOD',
  dir: import.meta.dirname,
  what: "t = fmod(x1, x2); t != 0 && (x2 < 0) != (t < 0) ? t + x2 : t, as TFLite Micro's reference FloorMod",
  bits: floorModBits,
  cName: 'FN_floor_mod',
  cHelper: `/* fmodf on bit patterns: a and b finite, b not 0; the exact remainder with a's sign */
static uint32_t FN_fmod(uint32_t a, uint32_t b) {
  const uint32_t sign = a & 0x80000000u;
  const uint32_t ax = a & 0x7fffffffu, ay = b & 0x7fffffffu;
  uint32_t mx, my;
  int ex, ey;
  if (ax < ay) return a;           /* |a| < |b|: a itself (+-0 included) */
  if (ax == ay) return sign;       /* a multiple: a zero of a's sign */
  /* a = mx * 2^(ex - 150), b = my * 2^(ey - 150), mx and my in [2^23, 2^24) */
  ex = (int)(ax >> 23);
  ey = (int)(ay >> 23);
  if (ex == 0) {
    mx = ax;
    ex = 1;
    while (mx < 0x00800000u) { mx <<= 1; ex--; }
  } else {
    mx = (ax & 0x007fffffu) | 0x00800000u;
  }
  if (ey == 0) {
    my = ay;
    ey = 1;
    while (my < 0x00800000u) { my <<= 1; ey--; }
  } else {
    my = (ay & 0x007fffffu) | 0x00800000u;
  }
  /* long division, one bit of the quotient per step: mx stays below 2 * my */
  for (; ex > ey; ex--) {
    if (mx >= my) mx -= my;
    if (mx == 0) return sign;
    mx <<= 1;
  }
  if (mx >= my) mx -= my;
  if (mx == 0) return sign;
  while (mx < 0x00800000u) { mx <<= 1; ex--; }
  if (ex >= 1) return sign | ((uint32_t)ex << 23) | (mx & 0x007fffffu);
  return sign | (mx >> (1 - ex)); /* subnormal: the shifted-out bits are 0 (the remainder is exact) */
}
static uint32_t FN_floor_mod(uint32_t a, uint32_t b) {
  union { float f; uint32_t u; } t, y;
  if ((a & 0x7fffffffu) > 0x7f800000u) return a | 0x00400000u; /* NaN operands: quieted, the first one */
  if ((b & 0x7fffffffu) > 0x7f800000u) return b | 0x00400000u;
  if ((b & 0x7fffffffu) == 0 || (a & 0x7fffffffu) == 0x7f800000u) return 0xffc00000u; /* fmod invalid: x86's default NaN */
  if ((b & 0x7fffffffu) == 0x7f800000u) {
    t.u = a; /* fmod(a, +-inf) = a */
  } else {
    t.u = FN_fmod(a, b);
  }
  y.u = b;
  if ((t.u & 0x7fffffffu) != 0 && (y.f < 0.0f) != (t.f < 0.0f)) t.f = t.f + y.f;
  return t.u;
}`,
});
