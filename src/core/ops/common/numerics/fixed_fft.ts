// SPDX-License-Identifier: Apache-2.0
/**
 * The fixed-point FFT TFLite Micro's signal library runs (kissfft built with FIXED_POINT 16 or 32),
 * reproduced operation for operation so the bytes agree: a real FFT of length N is a complex FFT of
 * N/2 points over the samples taken in pairs, split into the N/2 + 1 bins by the "super twiddles".
 * The complex FFT is mixed-radix (kissfft's factoring: fours first, then twos, threes, fives) and
 * every butterfly first divides its inputs by its radix (multiplying by floor(MAX / radix) with
 * rounding), so the complex transform comes out divided by its N/2 points and the real one, after
 * the split halves it again, divided by N: values stay in range except at the extremes. Each
 * product is rounded as `(a * b + 2^(F-1)) >> F` (F = 15 or 31) and narrowed to the scalar type;
 * sums wrap to the scalar type as kissfft's stores do.
 *
 * The plan (factors, twiddles, the input order) is computed once here; the reference kernel below
 * and the C of signal_fft.h run the same arithmetic.
 */

export type FftWidth = 16 | 32;

export interface FftStage {
  radix: number;
  /** points per sub-transform this stage combines (kissfft's m) */
  span: number;
  /** twiddle stride of this stage: the product of the radices before it */
  stride: number;
}

export interface FftPlan {
  width: FftWidth;
  inverse: boolean;
  /** points of the complex FFT: half the real length */
  points: number;
  /** outermost first, as kissfft's factor list */
  stages: FftStage[];
  /** interleaved (re, im) of exp(-+2 pi i k / points), k < points */
  twiddles: Int32Array;
  /** interleaved (re, im) of the real split's twiddles, k < points / 2 */
  superTwiddles: Int32Array;
  /** the complex input element each position of the transform buffer starts from */
  order: Int32Array;
  /**
   * The twiddles of the radix-2 and radix-4 stages in the order their butterflies use them (u = 1
   * up, twiddles u, 2u, 3u times the stride), interleaved (re, im), for the C's one-pointer walk;
   * `stageTwiddleAt[s]` is where stage s's start (0 for other stages).
   */
  stageTwiddles: Int32Array;
  stageTwiddleAt: number[];
}

/** kissfft's factoring of `n`: 4 while it divides, then 2, then odd numbers up to sqrt(n), then n itself. */
export function kissFactors(n: number): { radix: number; span: number }[] {
  const factors: { radix: number; span: number }[] = [];
  const floorSqrt = Math.floor(Math.sqrt(n));
  let p = 4;
  do {
    while (n % p !== 0) {
      p = p === 4 ? 2 : p === 2 ? 3 : p + 2;
      if (p > floorSqrt) p = n;
    }
    n /= p;
    factors.push({ radix: p, span: n });
  } while (n > 1);
  return factors;
}

/**
 * Why TFLite Micro cannot run a real FFT of `fftLength` (undefined when it can): kiss_fftr needs an
 * even length, and the build TFLite Micro uses has no temporary memory, which the generic butterfly
 * of radices other than 2, 3, 4 and 5 allocates.
 */
export function unsupportedFftLength(fftLength: number): string | undefined {
  if (!Number.isInteger(fftLength) || fftLength < 4) return 'is below 4';
  if (fftLength % 2 !== 0) return 'is odd (the real FFT takes an even length)';
  if (fftLength > 65536) return 'is above 65536';
  const bad = kissFactors(fftLength / 2).find((f) => f.radix < 2 || f.radix > 5);
  if (bad) return `has a factor ${bad.radix} in its half length (TFLite Micro's FFT takes factors 2, 3 and 5 only)`;
  return undefined;
}

const SAMP_MAX: Record<FftWidth, number> = { 16: 32767, 32: 2147483647 };

/** kissfft's fixed-point cexp: floor(0.5 + MAX * cos), floor(0.5 + MAX * sin). */
function cexp(out: Int32Array, at: number, phase: number, max: number): void {
  out[2 * at] = Math.floor(0.5 + max * Math.cos(phase));
  out[2 * at + 1] = Math.floor(0.5 + max * Math.sin(phase));
}

export function fftPlan(fftLength: number, width: FftWidth, inverse: boolean): FftPlan {
  const points = fftLength / 2;
  const max = SAMP_MAX[width];
  const twiddles = new Int32Array(2 * points);
  for (let i = 0; i < points; i++) {
    // the phase as kiss_fft_alloc computes it, sign flip included
    let phase = (-2 * Math.PI * i) / points;
    if (inverse) phase *= -1;
    cexp(twiddles, i, phase, max);
  }
  const superTwiddles = new Int32Array(2 * Math.floor(points / 2));
  for (let i = 0; i < Math.floor(points / 2); i++) {
    let phase = -Math.PI * ((i + 1) / points + 0.5);
    if (inverse) phase *= -1;
    cexp(superTwiddles, i, phase, max);
  }
  let stride = 1;
  const stages = kissFactors(points).map((f) => {
    const stage = { ...f, stride };
    stride *= f.radix;
    return stage;
  });
  // kissfft's recursion reads its input decimated: stage s takes every stride-th element
  const order = new Int32Array(points);
  const place = (s: number, from: number, step: number, at: number): void => {
    const { radix, span } = stages[s]!;
    for (let j = 0; j < radix; j++) {
      if (span === 1) order[at + j] = from + j * step;
      else place(s + 1, from + j * step, step * radix, at + j * span);
    }
  };
  place(0, 0, 1, 0);
  const walk: number[] = [];
  const stageTwiddleAt = stages.map(({ radix, span, stride }) => {
    const at = walk.length;
    if (radix === 2 || radix === 4)
      for (let u = 1; u < span; u++) for (let q = 1; q < radix; q++) walk.push(twiddles[2 * q * u * stride]!, twiddles[2 * q * u * stride + 1]!);
    return at;
  });
  return { width, inverse, points, stages, twiddles, superTwiddles, order, stageTwiddles: Int32Array.from(walk), stageTwiddleAt };
}

/** The scalar arithmetic of one kissfft build. */
interface Arith {
  max: number;
  /** the value stored in a scalar (wraps) */
  narrow(x: number): number;
  /** sround(smul(a, b)): the rounded Q-format product, narrowed */
  mul(a: number, b: number): number;
  /** sround(smul(ar, br) - smul(ai, bi)) */
  mulSub(ar: number, br: number, ai: number, bi: number): number;
  /** sround(smul(ar, bi) + smul(ai, br)) */
  mulAdd(ar: number, bi: number, ai: number, br: number): number;
  /** HALF_OF of an exact sum of two scalars: int16 halves the int sum, int32 the wrapped one */
  half(sum: number): number;
}

const narrow16 = (x: number): number => (x << 16) >> 16;
const ARITH16: Arith = {
  max: 32767,
  narrow: narrow16,
  mul: (a, b) => narrow16(Math.floor((a * b + 16384) / 32768)),
  mulSub: (ar, br, ai, bi) => narrow16(Math.floor((ar * br - ai * bi + 16384) / 32768)),
  mulAdd: (ar, bi, ai, br) => narrow16(Math.floor((ar * bi + ai * br + 16384) / 32768)),
  half: (sum) => narrow16(Math.floor(sum / 2)),
};

const ROUND31 = 1n << 30n;
const round31 = (x: bigint): number => Number(BigInt.asIntN(32, (x + ROUND31) >> 31n));
const ARITH32: Arith = {
  max: 2147483647,
  narrow: (x) => x | 0,
  mul: (a, b) => round31(BigInt(a) * BigInt(b)),
  mulSub: (ar, br, ai, bi) => round31(BigInt(ar) * BigInt(br) - BigInt(ai) * BigInt(bi)),
  mulAdd: (ar, bi, ai, br) => round31(BigInt(ar) * BigInt(bi) + BigInt(ai) * BigInt(br)),
  half: (sum) => (sum | 0) >> 1,
};

const arithOf = (width: FftWidth): Arith => (width === 16 ? ARITH16 : ARITH32);

/** The complex FFT of the plan: `input(j)` gives complex element j as [re, im]; the result is interleaved in `buf`. */
function complexFft(plan: FftPlan, a: Arith, input: (j: number) => [number, number], buf: Int32Array): void {
  for (let k = 0; k < plan.points; k++) {
    const [re, im] = input(plan.order[k]!);
    buf[2 * k] = re;
    buf[2 * k + 1] = im;
  }
  const tw = plan.twiddles;
  for (let s = plan.stages.length - 1; s >= 0; s--) {
    const { radix, span, stride } = plan.stages[s]!;
    for (let b = 0; b < stride; b++) {
      const base = b * radix * span;
      if (radix === 2) butterfly2(a, buf, base, tw, stride, span);
      else if (radix === 3) butterfly3(a, buf, base, tw, stride, span);
      else if (radix === 4) butterfly4(a, buf, base, tw, { stride, m: span, inverse: plan.inverse });
      else butterfly5(a, buf, base, tw, stride, span);
    }
  }
}

/** C_FIXDIV of element k: both parts times floor(MAX / radix), rounded. */
function fixdiv(a: Arith, buf: Int32Array, k: number, radix: number): void {
  const d = Math.floor(a.max / radix);
  buf[2 * k] = a.mul(buf[2 * k]!, d);
  buf[2 * k + 1] = a.mul(buf[2 * k + 1]!, d);
}

/** C_MUL of element k by twiddle t. */
function cmul(a: Arith, buf: Int32Array, k: number, tw: Int32Array, t: number): [number, number] {
  const xr = buf[2 * k]!;
  const xi = buf[2 * k + 1]!;
  const wr = tw[2 * t]!;
  const wi = tw[2 * t + 1]!;
  return [a.mulSub(xr, wr, xi, wi), a.mulAdd(xr, wi, xi, wr)];
}

function butterfly2(a: Arith, buf: Int32Array, base: number, tw: Int32Array, stride: number, m: number): void {
  for (let u = 0; u < m; u++) {
    const k0 = base + u;
    const k1 = k0 + m;
    fixdiv(a, buf, k0, 2);
    fixdiv(a, buf, k1, 2);
    const [tr, ti] = cmul(a, buf, k1, tw, u * stride);
    buf[2 * k1] = a.narrow(buf[2 * k0]! - tr);
    buf[2 * k1 + 1] = a.narrow(buf[2 * k0 + 1]! - ti);
    buf[2 * k0] = a.narrow(buf[2 * k0]! + tr);
    buf[2 * k0 + 1] = a.narrow(buf[2 * k0 + 1]! + ti);
  }
}

/** The radix-4 butterflies of one group: `m` of them, twiddles `stride` apart, forward or inverse. */
function butterfly4(a: Arith, buf: Int32Array, base: number, tw: Int32Array, step: { stride: number; m: number; inverse: boolean }): void {
  const { stride, m, inverse } = step;
  for (let u = 0; u < m; u++) {
    const k0 = base + u;
    const [k1, k2, k3] = [k0 + m, k0 + 2 * m, k0 + 3 * m];
    for (const k of [k0, k1, k2, k3]) fixdiv(a, buf, k, 4);
    const [s0r, s0i] = cmul(a, buf, k1, tw, u * stride);
    const [s1r, s1i] = cmul(a, buf, k2, tw, 2 * u * stride);
    const [s2r, s2i] = cmul(a, buf, k3, tw, 3 * u * stride);
    const s5r = a.narrow(buf[2 * k0]! - s1r);
    const s5i = a.narrow(buf[2 * k0 + 1]! - s1i);
    let f0r = a.narrow(buf[2 * k0]! + s1r);
    let f0i = a.narrow(buf[2 * k0 + 1]! + s1i);
    const s3r = a.narrow(s0r + s2r);
    const s3i = a.narrow(s0i + s2i);
    const s4r = a.narrow(s0r - s2r);
    const s4i = a.narrow(s0i - s2i);
    buf[2 * k2] = a.narrow(f0r - s3r);
    buf[2 * k2 + 1] = a.narrow(f0i - s3i);
    f0r = a.narrow(f0r + s3r);
    f0i = a.narrow(f0i + s3i);
    buf[2 * k0] = f0r;
    buf[2 * k0 + 1] = f0i;
    const sign = inverse ? -1 : 1;
    buf[2 * k1] = a.narrow(s5r + sign * s4i);
    buf[2 * k1 + 1] = a.narrow(s5i - sign * s4r);
    buf[2 * k3] = a.narrow(s5r - sign * s4i);
    buf[2 * k3 + 1] = a.narrow(s5i + sign * s4r);
  }
}

function butterfly3(a: Arith, buf: Int32Array, base: number, tw: Int32Array, stride: number, m: number): void {
  const epi3i = tw[2 * stride * m + 1]!;
  for (let u = 0; u < m; u++) {
    const k0 = base + u;
    const [k1, k2] = [k0 + m, k0 + 2 * m];
    for (const k of [k0, k1, k2]) fixdiv(a, buf, k, 3);
    const [s1r, s1i] = cmul(a, buf, k1, tw, u * stride);
    const [s2r, s2i] = cmul(a, buf, k2, tw, 2 * u * stride);
    const s3r = a.narrow(s1r + s2r);
    const s3i = a.narrow(s1i + s2i);
    let s0r = a.narrow(s1r - s2r);
    let s0i = a.narrow(s1i - s2i);
    let f1r = a.narrow(buf[2 * k0]! - (s3r >> 1));
    let f1i = a.narrow(buf[2 * k0 + 1]! - (s3i >> 1));
    s0r = a.mul(s0r, epi3i);
    s0i = a.mul(s0i, epi3i);
    buf[2 * k0] = a.narrow(buf[2 * k0]! + s3r);
    buf[2 * k0 + 1] = a.narrow(buf[2 * k0 + 1]! + s3i);
    buf[2 * k2] = a.narrow(f1r + s0i);
    buf[2 * k2 + 1] = a.narrow(f1i - s0r);
    f1r = a.narrow(f1r - s0i);
    f1i = a.narrow(f1i + s0r);
    buf[2 * k1] = f1r;
    buf[2 * k1 + 1] = f1i;
  }
}

function butterfly5(a: Arith, buf: Int32Array, base: number, tw: Int32Array, stride: number, m: number): void {
  const [yar, yai] = [tw[2 * stride * m]!, tw[2 * stride * m + 1]!];
  const [ybr, ybi] = [tw[4 * stride * m]!, tw[4 * stride * m + 1]!];
  for (let u = 0; u < m; u++) {
    const k = [0, 1, 2, 3, 4].map((q) => base + u + q * m);
    for (const e of k) fixdiv(a, buf, e, 5);
    const s0r = buf[2 * k[0]!]!;
    const s0i = buf[2 * k[0]! + 1]!;
    const [s1r, s1i] = cmul(a, buf, k[1]!, tw, u * stride);
    const [s2r, s2i] = cmul(a, buf, k[2]!, tw, 2 * u * stride);
    const [s3r, s3i] = cmul(a, buf, k[3]!, tw, 3 * u * stride);
    const [s4r, s4i] = cmul(a, buf, k[4]!, tw, 4 * u * stride);
    const s7r = a.narrow(s1r + s4r);
    const s7i = a.narrow(s1i + s4i);
    const s10r = a.narrow(s1r - s4r);
    const s10i = a.narrow(s1i - s4i);
    const s8r = a.narrow(s2r + s3r);
    const s8i = a.narrow(s2i + s3i);
    const s9r = a.narrow(s2r - s3r);
    const s9i = a.narrow(s2i - s3i);
    buf[2 * k[0]!] = a.narrow(s0r + s7r + s8r);
    buf[2 * k[0]! + 1] = a.narrow(s0i + s7i + s8i);
    const s5r = a.narrow(s0r + a.mul(s7r, yar) + a.mul(s8r, ybr));
    const s5i = a.narrow(s0i + a.mul(s7i, yar) + a.mul(s8i, ybr));
    const s6r = a.narrow(a.mul(s10i, yai) + a.mul(s9i, ybi));
    const s6i = a.narrow(-a.mul(s10r, yai) - a.mul(s9r, ybi));
    buf[2 * k[1]!] = a.narrow(s5r - s6r);
    buf[2 * k[1]! + 1] = a.narrow(s5i - s6i);
    buf[2 * k[4]!] = a.narrow(s5r + s6r);
    buf[2 * k[4]! + 1] = a.narrow(s5i + s6i);
    const s11r = a.narrow(s0r + a.mul(s7r, ybr) + a.mul(s8r, yar));
    const s11i = a.narrow(s0i + a.mul(s7i, ybr) + a.mul(s8i, yar));
    const s12r = a.narrow(-a.mul(s10i, ybi) + a.mul(s9i, yai));
    const s12i = a.narrow(a.mul(s10r, ybi) - a.mul(s9r, yai));
    buf[2 * k[2]!] = a.narrow(s11r + s12r);
    buf[2 * k[2]! + 1] = a.narrow(s11i + s12i);
    buf[2 * k[3]!] = a.narrow(s11r - s12r);
    buf[2 * k[3]! + 1] = a.narrow(s11i - s12i);
  }
}

/**
 * kiss_fftr: the real FFT of `input` (its first `inputLength` samples, zeros after) into
 * `output`, points + 1 interleaved bins.
 */
export function realFft(plan: FftPlan, input: ArrayLike<number>, inputLength: number, output: { [i: number]: number }): void {
  const a = arithOf(plan.width);
  const n = plan.points;
  const sample = (i: number): number => (i < inputLength ? input[i]! : 0);
  const buf = new Int32Array(2 * n);
  complexFft(plan, a, (j) => [sample(2 * j), sample(2 * j + 1)], buf);
  const d2 = Math.floor(a.max / 2);
  const dcr = a.mul(buf[0]!, d2);
  const dci = a.mul(buf[1]!, d2);
  output[0] = a.narrow(dcr + dci);
  output[2 * n] = a.narrow(dcr - dci);
  output[1] = 0;
  output[2 * n + 1] = 0;
  const st = plan.superTwiddles;
  for (let k = 1; k <= Math.floor(n / 2); k++) {
    const fpkr = a.mul(buf[2 * k]!, d2);
    const fpki = a.mul(buf[2 * k + 1]!, d2);
    const fpnkr = a.mul(buf[2 * (n - k)]!, d2);
    const fpnki = a.mul(a.narrow(-buf[2 * (n - k) + 1]!), d2);
    const f1kr = a.narrow(fpkr + fpnkr);
    const f1ki = a.narrow(fpki + fpnki);
    const f2kr = a.narrow(fpkr - fpnkr);
    const f2ki = a.narrow(fpki - fpnki);
    const [wr, wi] = [st[2 * (k - 1)]!, st[2 * (k - 1) + 1]!];
    const twr = a.mulSub(f2kr, wr, f2ki, wi);
    const twi = a.mulAdd(f2kr, wi, f2ki, wr);
    output[2 * k] = a.half(f1kr + twr);
    output[2 * k + 1] = a.half(f1ki + twi);
    output[2 * (n - k)] = a.half(f1kr - twr);
    output[2 * (n - k) + 1] = a.half(twi - f1ki);
  }
}

/** kiss_fftri: the real signal (2 * points samples) of the points + 1 interleaved bins of `input`. */
export function inverseRealFft(plan: FftPlan, input: ArrayLike<number>, output: { [i: number]: number }): void {
  const a = arithOf(plan.width);
  const n = plan.points;
  const d2 = Math.floor(a.max / 2);
  const tmp = new Int32Array(2 * n);
  tmp[0] = a.mul(a.narrow(input[0]! + input[2 * n]!), d2);
  tmp[1] = a.mul(a.narrow(input[0]! - input[2 * n]!), d2);
  const st = plan.superTwiddles;
  for (let k = 1; k <= Math.floor(n / 2); k++) {
    const fkr = a.mul(input[2 * k]!, d2);
    const fki = a.mul(input[2 * k + 1]!, d2);
    const fnkr = a.mul(input[2 * (n - k)]!, d2);
    const fnki = a.mul(a.narrow(-input[2 * (n - k) + 1]!), d2);
    const fekr = a.narrow(fkr + fnkr);
    const feki = a.narrow(fki + fnki);
    const dr = a.narrow(fkr - fnkr);
    const di = a.narrow(fki - fnki);
    const [wr, wi] = [st[2 * (k - 1)]!, st[2 * (k - 1) + 1]!];
    const fokr = a.mulSub(dr, wr, di, wi);
    const foki = a.mulAdd(dr, wi, di, wr);
    tmp[2 * k] = a.narrow(fekr + fokr);
    tmp[2 * k + 1] = a.narrow(feki + foki);
    tmp[2 * (n - k)] = a.narrow(fekr - fokr);
    tmp[2 * (n - k) + 1] = a.narrow(-a.narrow(feki - foki));
  }
  const buf = new Int32Array(2 * n);
  complexFft(plan, a, (j) => [tmp[2 * j]!, tmp[2 * j + 1]!], buf);
  for (let i = 0; i < 2 * n; i++) output[i] = buf[i]!;
}
