// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX Runtime's lookup tables for its QLinearSigmoid and QLinearLeakyRelu kernels (com.microsoft),
 * which its QDQ fusion also makes of DequantizeLinear -> Sigmoid / LeakyRelu -> QuantizeLinear at
 * graph optimization level `extended` and `all`. ORT builds one 256-entry table per layer from its
 * float kernels, in float32 at every step:
 *
 *   x = fround(x_scale * (q - x_zero_point))      for each of the 256 stored values q
 *   y = f(x)                                       the float kernel below
 *   table[q] = saturate(rint(fround(y / y_scale)) + y_zero_point)
 *
 * The unfused graph (levels `disabled`, `basic`) runs the same three steps per element
 * (DequantizeLinear, the float op, QuantizeLinear), so the table serves every level.
 *
 * Sigmoid is MLAS's logistic: the input clamped to [-18, 18], then p(x) / q(x) + 1/2 with two
 * polynomials in x^2 (the rational approximation Eigen uses). On x86-64 with AVX2 and FMA3, ORT's
 * CPU provider runs its FMA3 kernel: each Horner step is one fused multiply-add (one rounding), the
 * result is clamped below at 0 only. That is the path these tables follow; ORT's portable C kernel
 * (CPUs without FMA3, other architectures) rounds the product and the sum apart and clamps to
 * [0, 1], which moves about 2 entries in a million by one step.
 */
import { f32 } from './fixedpoint.ts';
import { roundHalfEven } from './requant_f32.ts';

const f64 = new Float64Array(1);
const f64Bits = new BigInt64Array(f64.buffer);

/**
 * fmaf(a, b, c) for float32 operands: a * b + c rounded once, to float32. The product of two float32 is
 * exact in a double (48 significant bits); the double sum p + c may round, so its rounding error e
 * (exact, by the two-sum) decides: the sum is rounded to odd (a double whose last bit is even moves
 * one ulp toward e), and a round-to-odd value of 53 bits rounds to 24 bits as the exact sum does.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return f32(s);
  const cPart = s - p;
  const e = p - (s - cPart) + (c - cPart);
  if (e === 0) return f32(s);
  f64[0] = s;
  if ((f64Bits[0]! & 1n) === 0n) f64Bits[0] = f64Bits[0]! + (e > 0 === s > 0 ? 1n : -1n);
  return f32(f64[0]!);
}

// MLAS's logistic constants, float32 as its constant block holds them
const LOWER = -18;
const UPPER = 18;
const [A9, A7, A5, A3, A1, B10, B8, B6, B4, B2, B0] = [
  4.37031012579801e-11, 1.15627324459942e-7, 6.08574864600143e-5, 8.51377133304701e-3, 2.48287947061529e-1, 6.10247389755681e-13, 5.76102136993427e-9,
  6.2910678501704e-6, 1.70198817374094e-3, 1.16817656904453e-1, 9.9315192102318e-1,
].map(f32) as [number, number, number, number, number, number, number, number, number, number, number];

/** MLAS's logistic of one float32 as its x86-64 FMA3 kernel computes it. */
export function mlasLogisticFma3(x: number): number {
  const v = Math.min(Math.max(x, LOWER), UPPER);
  const v2 = f32(v * v);
  let p = fmaF32(v2, A9, A7);
  p = fmaF32(v2, p, A5);
  p = fmaF32(v2, p, A3);
  p = fmaF32(v2, p, A1);
  p = f32(v * p);
  let q = fmaF32(v2, B10, B8);
  q = fmaF32(v2, q, B6);
  q = fmaF32(v2, q, B4);
  q = fmaF32(v2, q, B2);
  q = fmaF32(v2, q, B0);
  return Math.max(0, f32(f32(p / q) + 0.5));
}

/** ORT's float LeakyRelu (QLinearLeakyRelu's table function): x, or fround(alpha * x) below 0. */
export function ortLeakyRelu(x: number, alpha: number): number {
  return x >= 0 ? x : f32(f32(alpha) * x);
}

/** The quantization of an ORT lookup-table layer, int8 (a uint8 tensor is held with its zero point moved by 128). */
export interface OrtLookupQuant {
  inputScale: number;
  inputZeroPoint: number;
  outputScale: number;
  outputZeroPoint: number;
}

/** One entry of ORT's table: the stored int8 value q through DequantizeLinear, `f` and QuantizeLinear. */
export function ortLookupValue(q: number, p: OrtLookupQuant, f: (x: number) => number): number {
  const x = f32(f32(p.inputScale) * (q - p.inputZeroPoint));
  const y = f32(f(x) / f32(p.outputScale));
  return Math.min(Math.max(roundHalfEven(Math.min(Math.max(y, -1e9), 1e9)) + p.outputZeroPoint, -128), 127);
}
