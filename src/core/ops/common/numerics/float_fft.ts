// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 FFT TFLite Micro's signal library runs (kissfft built without FIXED_POINT,
 * signal/src/rfft_float.cc and irfft_float.cc), reproduced operation for operation so the bits
 * agree: the same plan as the fixed-point FFT (fixed_fft.ts: kissfft's factoring, the input order
 * of the first stage) with float twiddles, computed as kissfft's init computes them: the phase in
 * double, cos and sin in double, each rounded to float32. The butterflies divide by nothing (C_FIXDIV
 * is a no-op in float), HALF_OF is `x * 0.5f`, and every product of a complex multiply is rounded
 * before the sum or difference (no fused multiply-add). The inverse divides each output sample by
 * fft_length afterwards, as IrfftFloatApply does.
 *
 * Every step below is one IEEE float32 operation (Math.fround after each), in kissfft's order, so
 * this reference, the C of signal_fft_float.h and TFLite Micro give the same bits; no libm function
 * runs at inference (the twiddles are constants).
 */
import { type FftStage, fftPlan } from './fixed_fft.ts';

const F = Math.fround;

export interface FloatFftPlan {
  inverse: boolean;
  /** points of the complex FFT: half the real length */
  points: number;
  /** outermost first, as kissfft's factor list */
  stages: FftStage[];
  /** interleaved (re, im) of exp(-+2 pi i k / points) rounded to float32, k < points */
  twiddles: Float32Array;
  /** interleaved (re, im) of the real split's twiddles, k < points / 2 */
  superTwiddles: Float32Array;
  /** the complex input element each position of the transform buffer starts from */
  order: Int32Array;
}

/** kissfft's float kf_cexp: (float)cos(phase), (float)sin(phase), the phase computed in double. */
function cexp(out: Float32Array, at: number, phase: number): void {
  out[2 * at] = Math.cos(phase);
  out[2 * at + 1] = Math.sin(phase);
}

export function floatFftPlan(fftLength: number, inverse: boolean): FloatFftPlan {
  const points = fftLength / 2;
  // the factoring and input order do not depend on the scalar type
  const { stages, order } = fftPlan(fftLength, 16, inverse);
  const twiddles = new Float32Array(2 * points);
  for (let i = 0; i < points; i++) {
    // kiss_fft_alloc: -2 * pi * i / nfft, negated for the inverse (so twiddle 0 is (1, -0) forward)
    let phase = (-2 * Math.PI * i) / points;
    if (inverse) phase *= -1;
    cexp(twiddles, i, phase);
  }
  const half = Math.floor(points / 2);
  const superTwiddles = new Float32Array(2 * half);
  for (let i = 0; i < half; i++) {
    // kiss_fftr_alloc: -pi * ((i + 1) / nfft + 0.5)
    let phase = -Math.PI * ((i + 1) / points + 0.5);
    if (inverse) phase *= -1;
    cexp(superTwiddles, i, phase);
  }
  return { inverse, points, stages, twiddles, superTwiddles, order };
}

/** C_MUL of buf[k] by twiddle t: each product rounded, then the difference / sum. */
function cmul(buf: Float32Array, k: number, tw: Float32Array, t: number): [number, number] {
  const xr = buf[2 * k]!;
  const xi = buf[2 * k + 1]!;
  const wr = tw[2 * t]!;
  const wi = tw[2 * t + 1]!;
  return [F(F(xr * wr) - F(xi * wi)), F(F(xr * wi) + F(xi * wr))];
}

function butterfly2(buf: Float32Array, base: number, tw: Float32Array, stride: number, m: number): void {
  for (let u = 0; u < m; u++) {
    const k0 = base + u;
    const k1 = k0 + m;
    const [tr, ti] = cmul(buf, k1, tw, u * stride);
    buf[2 * k1] = buf[2 * k0]! - tr;
    buf[2 * k1 + 1] = buf[2 * k0 + 1]! - ti;
    buf[2 * k0] = buf[2 * k0]! + tr;
    buf[2 * k0 + 1] = buf[2 * k0 + 1]! + ti;
  }
}

function butterfly4(buf: Float32Array, base: number, tw: Float32Array, stride: number, m: number, inverse: boolean): void {
  for (let u = 0; u < m; u++) {
    const k0 = base + u;
    const [k1, k2, k3] = [k0 + m, k0 + 2 * m, k0 + 3 * m];
    const [s0r, s0i] = cmul(buf, k1, tw, u * stride);
    const [s1r, s1i] = cmul(buf, k2, tw, 2 * u * stride);
    const [s2r, s2i] = cmul(buf, k3, tw, 3 * u * stride);
    const s5r = F(buf[2 * k0]! - s1r);
    const s5i = F(buf[2 * k0 + 1]! - s1i);
    const f0r = F(buf[2 * k0]! + s1r);
    const f0i = F(buf[2 * k0 + 1]! + s1i);
    const s3r = F(s0r + s2r);
    const s3i = F(s0i + s2i);
    const s4r = F(s0r - s2r);
    const s4i = F(s0i - s2i);
    buf[2 * k2] = f0r - s3r;
    buf[2 * k2 + 1] = f0i - s3i;
    buf[2 * k0] = f0r + s3r;
    buf[2 * k0 + 1] = f0i + s3i;
    if (inverse) {
      buf[2 * k1] = s5r - s4i;
      buf[2 * k1 + 1] = s5i + s4r;
      buf[2 * k3] = s5r + s4i;
      buf[2 * k3 + 1] = s5i - s4r;
    } else {
      buf[2 * k1] = s5r + s4i;
      buf[2 * k1 + 1] = s5i - s4r;
      buf[2 * k3] = s5r - s4i;
      buf[2 * k3 + 1] = s5i + s4r;
    }
  }
}

function butterfly3(buf: Float32Array, base: number, tw: Float32Array, stride: number, m: number): void {
  const epi3i = tw[2 * stride * m + 1]!;
  for (let u = 0; u < m; u++) {
    const k0 = base + u;
    const [k1, k2] = [k0 + m, k0 + 2 * m];
    const [s1r, s1i] = cmul(buf, k1, tw, u * stride);
    const [s2r, s2i] = cmul(buf, k2, tw, 2 * u * stride);
    const s3r = F(s1r + s2r);
    const s3i = F(s1i + s2i);
    const s0r = F(F(s1r - s2r) * epi3i);
    const s0i = F(F(s1i - s2i) * epi3i);
    const f1r = F(buf[2 * k0]! - F(s3r * 0.5));
    const f1i = F(buf[2 * k0 + 1]! - F(s3i * 0.5));
    buf[2 * k0] = buf[2 * k0]! + s3r;
    buf[2 * k0 + 1] = buf[2 * k0 + 1]! + s3i;
    buf[2 * k2] = f1r + s0i;
    buf[2 * k2 + 1] = f1i - s0r;
    buf[2 * k1] = f1r - s0i;
    buf[2 * k1 + 1] = f1i + s0r;
  }
}

function butterfly5(buf: Float32Array, base: number, tw: Float32Array, stride: number, m: number): void {
  const [yar, yai] = [tw[2 * stride * m]!, tw[2 * stride * m + 1]!];
  const [ybr, ybi] = [tw[4 * stride * m]!, tw[4 * stride * m + 1]!];
  for (let u = 0; u < m; u++) {
    const k = [0, 1, 2, 3, 4].map((q) => base + u + q * m);
    const s0r = buf[2 * k[0]!]!;
    const s0i = buf[2 * k[0]! + 1]!;
    const [s1r, s1i] = cmul(buf, k[1]!, tw, u * stride);
    const [s2r, s2i] = cmul(buf, k[2]!, tw, 2 * u * stride);
    const [s3r, s3i] = cmul(buf, k[3]!, tw, 3 * u * stride);
    const [s4r, s4i] = cmul(buf, k[4]!, tw, 4 * u * stride);
    const s7r = F(s1r + s4r);
    const s7i = F(s1i + s4i);
    const s10r = F(s1r - s4r);
    const s10i = F(s1i - s4i);
    const s8r = F(s2r + s3r);
    const s8i = F(s2i + s3i);
    const s9r = F(s2r - s3r);
    const s9i = F(s2i - s3i);
    // Fout0->r += scratch[7].r + scratch[8].r: the sum first
    buf[2 * k[0]!] = s0r + F(s7r + s8r);
    buf[2 * k[0]! + 1] = s0i + F(s7i + s8i);
    const s5r = F(F(s0r + F(s7r * yar)) + F(s8r * ybr));
    const s5i = F(F(s0i + F(s7i * yar)) + F(s8i * ybr));
    const s6r = F(F(s10i * yai) + F(s9i * ybi));
    const s6i = F(-F(s10r * yai) - F(s9r * ybi));
    buf[2 * k[1]!] = s5r - s6r;
    buf[2 * k[1]! + 1] = s5i - s6i;
    buf[2 * k[4]!] = s5r + s6r;
    buf[2 * k[4]! + 1] = s5i + s6i;
    const s11r = F(F(s0r + F(s7r * ybr)) + F(s8r * yar));
    const s11i = F(F(s0i + F(s7i * ybr)) + F(s8i * yar));
    const s12r = F(-F(s10i * ybi) + F(s9i * yai));
    const s12i = F(F(s10r * ybi) - F(s9r * yai));
    buf[2 * k[2]!] = s11r + s12r;
    buf[2 * k[2]! + 1] = s11i + s12i;
    buf[2 * k[3]!] = s11r - s12r;
    buf[2 * k[3]! + 1] = s11i - s12i;
  }
}

/** The complex FFT of the plan: `input(j)` gives complex element j as [re, im]; the result is interleaved in `buf`. */
function complexFft(plan: FloatFftPlan, input: (j: number) => [number, number], buf: Float32Array): void {
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
      if (radix === 2) butterfly2(buf, base, tw, stride, span);
      else if (radix === 3) butterfly3(buf, base, tw, stride, span);
      else if (radix === 4) butterfly4(buf, base, tw, stride, span, plan.inverse);
      else butterfly5(buf, base, tw, stride, span);
    }
  }
}

/**
 * kiss_fftr in float: the real FFT of `input` (its first `inputLength` samples, +0.0f after, as
 * TFLite Micro's memset pads) into `output`, points + 1 interleaved bins.
 */
export function realFftFloat(plan: FloatFftPlan, input: Float32Array, inputLength: number, output: Float32Array): void {
  const n = plan.points;
  const sample = (i: number): number => (i < inputLength ? input[i]! : 0);
  const buf = new Float32Array(2 * n);
  complexFft(plan, (j) => [sample(2 * j), sample(2 * j + 1)], buf);
  const [dcr, dci] = [buf[0]!, buf[1]!];
  output[0] = dcr + dci;
  output[2 * n] = dcr - dci;
  output[1] = 0;
  output[2 * n + 1] = 0;
  const st = plan.superTwiddles;
  for (let k = 1; k <= Math.floor(n / 2); k++) {
    const [fpkr, fpki] = [buf[2 * k]!, buf[2 * k + 1]!];
    const [fpnkr, fpnki] = [buf[2 * (n - k)]!, -buf[2 * (n - k) + 1]!];
    const f1kr = F(fpkr + fpnkr);
    const f1ki = F(fpki + fpnki);
    const f2kr = F(fpkr - fpnkr);
    const f2ki = F(fpki - fpnki);
    const [wr, wi] = [st[2 * (k - 1)]!, st[2 * (k - 1) + 1]!];
    const twr = F(F(f2kr * wr) - F(f2ki * wi));
    const twi = F(F(f2kr * wi) + F(f2ki * wr));
    output[2 * k] = F(f1kr + twr) * 0.5;
    output[2 * k + 1] = F(f1ki + twi) * 0.5;
    output[2 * (n - k)] = F(f1kr - twr) * 0.5;
    output[2 * (n - k) + 1] = F(twi - f1ki) * 0.5;
  }
}

/**
 * kiss_fftri in float, then IrfftFloatApply's divide: the real signal (fft_length = 2 * points
 * samples) of the points + 1 interleaved bins of `input`, each sample divided by fft_length.
 */
export function inverseRealFftFloat(plan: FloatFftPlan, input: Float32Array, output: Float32Array): void {
  const n = plan.points;
  const tmp = new Float32Array(2 * n);
  tmp[0] = input[0]! + input[2 * n]!;
  tmp[1] = input[0]! - input[2 * n]!;
  const st = plan.superTwiddles;
  for (let k = 1; k <= Math.floor(n / 2); k++) {
    const [fkr, fki] = [input[2 * k]!, input[2 * k + 1]!];
    const [fnkr, fnki] = [input[2 * (n - k)]!, -input[2 * (n - k) + 1]!];
    const fekr = F(fkr + fnkr);
    const feki = F(fki + fnki);
    const dr = F(fkr - fnkr);
    const di = F(fki - fnki);
    const [wr, wi] = [st[2 * (k - 1)]!, st[2 * (k - 1) + 1]!];
    const fokr = F(F(dr * wr) - F(di * wi));
    const foki = F(F(dr * wi) + F(di * wr));
    tmp[2 * k] = fekr + fokr;
    tmp[2 * k + 1] = feki + foki;
    tmp[2 * (n - k)] = fekr - fokr;
    // `tmpbuf[ncfft - k].i *= -1`: a multiply by -1.0f, which keeps a NaN's sign where negation flips it
    tmp[2 * (n - k) + 1] = F(feki - foki) * -1;
  }
  const buf = new Float32Array(2 * n);
  complexFft(plan, (j) => [tmp[2 * j]!, tmp[2 * j + 1]!], buf);
  const length = 2 * n;
  for (let i = 0; i < length; i++) output[i] = buf[i]! / length;
}
