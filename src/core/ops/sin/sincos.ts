// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 sine and cosine of SIN and COS (TFLite Micro's elementwise.cc: std::sin, std::cos per
 * element, float32 only). TFLite Micro calls the C library, whose sinf/cosf round differently per
 * library (glibc on the host tflm-ref, newlib on the targets), so the kernel carries its own, the
 * same on every target, within SINCOS_ULP of glibc's:
 *
 * - |x| < pi/4: r = x.
 * - else Payne-Hanek in integers: x = m * 2^k (m the 24-bit significand), the 128 bits of 2/pi from
 *   weight 2^(k+31) down to 2^-(k+96) times m, kept mod 2^98: the quadrant n (2 bits) and the
 *   fraction (96 bits; the bits of 2/pi above the window contribute multiples of 4, those below it
 *   at most 2^-72). The fraction rounds to nearest (n + 1 and a negative fraction above 1/2), is
 *   normalised to 64 bits, converted to double and multiplied by pi/2: r in [-pi/4, pi/4].
 * - sin r and cos r as their Taylor polynomials in double (to r^15 and r^16: truncation below
 *   5e-17 relative), Horner's scheme; the quadrant picks +-sin r or +-cos r; rounded to float once.
 *
 * The result is the correctly rounded float but for values within about 1e-16 relative of a halfway
 * point; glibc's sinf and cosf are within 0.56 ULP: the two are at most SINCOS_ULP apart. NaN comes
 * out quieted (payload kept), an infinity gives x86's default NaN 0xFFC00000, the bits glibc writes
 * on TFLite Micro's x86-64 build; sin(-0) = -0, tiny and subnormal x give sin x = x.
 *
 * The TS reference does the same integer steps on BigInts and the same double operations in the
 * same order (no fused multiply-add: the C is compiled as ISO C), so the C and the reference agree
 * bit for bit on every target.
 */

/** bits of 2/pi after the binary point, computed: floor(2^256 * 2 / pi), from pi by Machin's formula */
function twoOverPiBits(): bigint {
  const P = 400n;
  const one = 1n << P;
  const atanInv = (x: bigint): bigint => {
    // atan(1/x) = sum (-1)^k / ((2k + 1) x^(2k + 1))
    let sum = 0n;
    let power = one / x;
    const x2 = x * x;
    for (let k = 0n; power !== 0n; k++) {
      const term = power / (2n * k + 1n);
      sum += k % 2n === 0n ? term : -term;
      power /= x2;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n); // pi * 2^400, within a few units
  return (1n << (257n + P)) / pi; // 2/pi * 2^256
}

export const TWO_OVER_PI_256 = twoOverPiBits();
/** the same bits as eight 32-bit words, most significant first (bits 1..256 after the point) */
export const TWO_OVER_PI_WORDS: number[] = Array.from({ length: 8 }, (_, i) => Number((TWO_OVER_PI_256 >> BigInt(224 - 32 * i)) & 0xffffffffn));

const PIO2 = 1.5707963267948966; // pi/2 rounded to double
const FACT = (n: number): number => {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
};
/** Taylor coefficients (-1)^j / (2j + 3)! and (-1)^(j+1) / (2j + 2)!, as doubles */
const SIN_C = [3, 5, 7, 9, 11, 13, 15].map((n, j) => (j % 2 === 0 ? -1 : 1) / FACT(n));
const COS_C = [2, 4, 6, 8, 10, 12, 14, 16].map((n, j) => (j % 2 === 0 ? -1 : 1) / FACT(n));

/** the largest distance, in ULPs, between this kernel's sinf / cosf and glibc's (TFLite Micro on the host) */
export const SINCOS_ULP = 1;

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function sinPoly(r: number, r2: number): number {
  let s = SIN_C[SIN_C.length - 1]!;
  for (let j = SIN_C.length - 2; j >= 0; j--) s = SIN_C[j]! + r2 * s;
  return r + r * (r2 * s);
}

function cosPoly(r2: number): number {
  let c = COS_C[COS_C.length - 1]!;
  for (let j = COS_C.length - 2; j >= 0; j--) c = COS_C[j]! + r2 * c;
  return 1 + r2 * c;
}

const MASK96 = (1n << 96n) - 1n;

/** |x| >= pi/4, finite, as bits: [n mod 4, r] with x = n * pi/2 + r */
function remPio2(ax: number): [number, number] {
  const m = BigInt((ax & 0x007fffff) | 0x00800000);
  const k = (ax >>> 23) - 150;
  const window = (TWO_OVER_PI_256 >> BigInt(256 - (k + 96))) & ((1n << 128n) - 1n);
  const product = m * window;
  let n = Number((product >> 96n) & 3n);
  let f = product & MASK96;
  let negative = false;
  if (f >> 95n) {
    n = (n + 1) & 3;
    f = ((1n << 96n) - f) & MASK96;
    negative = true;
  }
  if (f === 0n) return [n, 0];
  const s = 96 - f.toString(2).length;
  const hi = ((f << BigInt(s)) >> 32n) & 0xffffffffffffffffn;
  U64[0] = BigInt(1023 - 64 - s) << 52n;
  const r = Number(hi) * F64[0]! * PIO2;
  return [n, negative ? -r : r];
}

/** sinf (cosine false) or cosf (cosine true) of float32 bits, as float32 bits */
export function sincosBits(u: number, cosine: boolean): number {
  u >>>= 0;
  const ax = u & 0x7fffffff;
  if (ax >= 0x7f800000) return ax > 0x7f800000 ? (u | 0x00400000) >>> 0 : 0xffc00000;
  U32[0] = ax;
  let n = 0;
  let r = F32[0]!;
  if (ax >= 0x3f490fdb) [n, r] = remPio2(ax);
  const q = (n + (cosine ? 1 : 0)) & 3;
  const r2 = r * r;
  let y = q & 1 ? cosPoly(r2) : sinPoly(r, r2);
  if (q & 2) y = -y;
  if (!cosine && u & 0x80000000) y = -y;
  F32[0] = y;
  return U32[0]!;
}

const lit = (v: number): string => {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
};

const horner = (c: readonly number[], v: string): string => c.slice(0, -1).reduceRight((acc, k) => `${lit(k)} + ${v} * (${acc})`, lit(c[c.length - 1]!));

/** The C of the kernel: tf_sincosf_bits(u, cosine), shared by the model's SIN and COS layers (ctx.defineOnce). */
export const SINCOS_C = `/* sinf and cosf, the same bits on every target (src/core/ops/sin/sincos.ts): Payne-Hanek
 * reduction in integers, Taylor polynomials in double, one rounding to float. Within ${SINCOS_ULP} ULP of glibc. */
static const uint32_t tf_two_over_pi[8] = { /* 2/pi: bits 1..256 after the binary point */
  ${TWO_OVER_PI_WORDS.map((w) => `0x${w.toString(16).padStart(8, '0')}u`).join(', ')}
};
/* the 32 bits of 2/pi from weight 2^-p down; the bits above the binary point (p <= 0) are 0 */
static uint32_t tf_two_over_pi_at(int p) {
  int i, sh;
  if (p <= -31) return 0u;
  if (p <= 0) return tf_two_over_pi[0] >> (1 - p);
  i = (p - 1) >> 5;
  sh = (p - 1) & 31;
  if (sh == 0) return tf_two_over_pi[i];
  return (tf_two_over_pi[i] << sh) | (tf_two_over_pi[i + 1] >> (32 - sh));
}
/* |x| >= pi/4 and finite (ax: its bits without the sign): x = n * pi/2 + r, |r| <= pi/4; returns n mod 4 */
static int tf_rem_pio2f(uint32_t ax, double *r) {
  const uint32_t m = (ax & 0x007fffffu) | 0x00800000u;
  const int k = (int)(ax >> 23) - 150; /* x = m * 2^k, k in [-24, 104] */
  uint32_t f0, f1, f2;
  uint64_t t, hi;
  int n, s = 0, negative = 0;
  union { double d; uint64_t u; } scale;
  /* m times the 128 bits of 2/pi from weight 2^(k+31) down to 2^-(k+96), mod 2^98 */
  t = (uint64_t)m * tf_two_over_pi_at(k + 65);
  f0 = (uint32_t)t;
  t = (uint64_t)m * tf_two_over_pi_at(k + 33) + (t >> 32);
  f1 = (uint32_t)t;
  t = (uint64_t)m * tf_two_over_pi_at(k + 1) + (t >> 32);
  f2 = (uint32_t)t;
  t = (uint64_t)m * tf_two_over_pi_at(k - 31) + (t >> 32);
  n = (int)(t & 3u);
  if (f2 & 0x80000000u) { /* fraction >= 1/2: the next quadrant, a negative r */
    n = (n + 1) & 3;
    negative = 1;
    f0 = ~f0;
    f1 = ~f1;
    f2 = ~f2;
    if (++f0 == 0u && ++f1 == 0u) ++f2;
  }
  hi = ((uint64_t)f2 << 32) | f1;
  if (hi == 0u && f0 == 0u) {
    *r = 0.0;
    return n;
  }
  while (!(hi & 0x8000000000000000u)) { /* normalise: the fraction's leading 64 bits */
    hi = (hi << 1) | (f0 >> 31);
    f0 <<= 1;
    s++;
  }
  scale.u = (uint64_t)(1023 - 64 - s) << 52; /* 2^(-64 - s) */
  *r = (double)hi * scale.d * ${lit(PIO2)};
  if (negative) *r = -*r;
  return n;
}
static uint32_t tf_sincosf_bits(uint32_t u, int cosine) {
  const uint32_t ax = u & 0x7fffffffu;
  union { float f; uint32_t u; } v;
  double r, r2, y;
  int n = 0, q;
  if (ax >= 0x7f800000u) return ax > 0x7f800000u ? (u | 0x00400000u) : 0xffc00000u; /* NaN: quieted; +-inf: x86's default NaN */
  v.u = ax;
  r = (double)v.f;
  if (ax >= 0x3f490fdbu) n = tf_rem_pio2f(ax, &r); /* |x| >= pi/4 */
  q = (n + cosine) & 3;
  r2 = r * r;
  if (q & 1) {
    y = 1.0 + r2 * (${horner(COS_C, 'r2')});
  } else {
    y = r + r * (r2 * (${horner(SIN_C, 'r2')}));
  }
  if (q & 2) y = -y;
  if (!cosine && (u & 0x80000000u)) y = -y;
  v.f = (float)y;
  return v.u;
}
`;
