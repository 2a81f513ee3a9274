// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX Runtime's requantization (MLAS, CPU provider, the same code onnxruntime-web runs in wasm), for
 * ops whose `attrs.arithmetic` is `'onnxruntime'`: the int32 accumulator goes to float32, is scaled
 * by a float32 multiplier, rounded half to even, offset by the output zero point and saturated.
 * Every step is float32 (`Math.fround`), so this equals ORT's outputs bit for bit. The C twin is
 * requant_f32.h.
 */
import { f32 } from './fixedpoint.ts';

/** What an op's `attrs.arithmetic` says it must match: absent = TFLite's fixed point. */
export type Arithmetic = 'tflite' | 'onnxruntime';

/**
 * `attrs.arithmetic` of a layer lowered from ONNX that the compile was told to run in fixed point
 * (`CompileOptions.onnxRequant: 'fixed'`): TFLite's kernels, within 1 LSB of ONNX Runtime, and the
 * reports still count it among the ONNX layers.
 */
export const ONNX_FIXED_POINT = 'onnxruntime-fixed';

/** The arithmetic an op's attributes ask for. */
export function opArithmetic(attrs: Record<string, unknown>): Arithmetic {
  return attrs.arithmetic === 'onnxruntime' ? 'onnxruntime' : 'tflite';
}

/** A layer lowered from ONNX (whichever arithmetic it runs). */
export function fromOnnx(attrs: Record<string, unknown>): boolean {
  return attrs.arithmetic === 'onnxruntime' || attrs.arithmetic === ONNX_FIXED_POINT;
}

/** Prepared parameters that compute as ONNX Runtime does (float32 multipliers, an ORT kernel, half-to-even rounding). */
export function usesOrtArithmetic(params: unknown): boolean {
  if (typeof params !== 'object' || params === null) return false;
  const p = params as { ortScale?: unknown; onnxRuntime?: unknown; halfEven?: unknown };
  return p.ortScale !== undefined || p.onnxRuntime === true || p.halfEven === true;
}

/** How the layers lowered from ONNX compute: as ONNX Runtime (float32, exact) or in TFLite's fixed point. */
export interface OnnxArithmeticCounts {
  exact: number;
  fixed: number;
}

export function onnxArithmeticCounts(layers: readonly { op: { attrs: Record<string, unknown> }; params: unknown; isAlias?: boolean }[]): OnnxArithmeticCounts {
  const counts = { exact: 0, fixed: 0 };
  for (const l of layers) {
    if (l.isAlias || !fromOnnx(l.op.attrs)) continue;
    if (usesOrtArithmetic(l.params)) counts.exact++;
    else counts.fixed++;
  }
  return counts;
}

/**
 * QLinearConv's, QLinearMatMul's and QGemm's output scale, per output channel: ORT evaluates
 * `x_scale * w_scale / y_scale` left to right in float32, so the product is rounded before the
 * division (fround(fround(sx * sw) / sy), not sx * (sw / sy)).
 */
export function ortOutputScale(inputScale: number, weightScale: number, outputScale: number): number {
  return f32(f32(f32(inputScale) * f32(weightScale)) / f32(outputScale));
}

/** Round half to even of a float (rint under the default rounding mode); |x| < 2^52. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds halves up: a half whose upper neighbour is odd goes down instead
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * MlasRequantizeOutput: fround(fround(acc) * multiplier), clamped to [lo - zp, hi - zp] in float,
 * rounded half to even, plus zp. Clamping an integer-bounded float before rounding equals rounding
 * then clamping, which is what this does.
 */
export function requantF32(acc: number, multiplier: number, zeroPoint: number, lo: number, hi: number): number {
  const scaled = f32(f32(acc) * multiplier);
  const q = roundHalfEven(Math.min(Math.max(scaled, lo - zeroPoint), hi - zeroPoint)) + zeroPoint;
  return q;
}

/**
 * The float32 multipliers of an int8 weighted layer (conv, depthwise, fully connected) that must
 * match ONNX Runtime, one per output channel; `{}` for a layer with TFLite's arithmetic. The importer
 * may hand them over (`attrs.requantScale`, computed as ORT computes them); else they are computed
 * here from the tensors' scales, the same way.
 */
export function ortChannelScales(
  attrs: Record<string, unknown>,
  inputScale: number,
  filterScales: readonly number[],
  outputScale: number,
  channels: number,
): { ortScale?: number[] } {
  if (opArithmetic(attrs) !== 'onnxruntime') return {};
  const given = attrs.requantScale as readonly number[] | undefined;
  const ortScale: number[] = [];
  for (let c = 0; c < channels; c++) {
    if (given && given.length > 0) ortScale.push(f32(given.length === 1 ? given[0]! : given[c]!));
    else ortScale.push(ortOutputScale(inputScale, filterScales.length === 1 ? filterScales[0]! : filterScales[c]!, outputScale));
  }
  return { ortScale };
}

/** A float32 value's IEEE-754 bits as an int32 (the C reads them back with tf_f32_from_bits). */
export function f32Bits(v: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, v);
  return view.getInt32(0);
}

/**
 * A float32 multiplier as requant_f32.h's tf_requant_f32_int takes it: mantissa / 2^shift with the
 * mantissa in [2^23, 2^24), shift in [8, 123]; undefined for a multiplier outside [2^-100, 2^16)
 * (whose layers keep the float steps).
 */
export function ortIntegerMultiplier(m: number): { mantissa: number; shift: number } | undefined {
  if (!(m >= 2 ** -100 && m < 2 ** 16)) return undefined;
  const bits = f32Bits(m);
  const exponent = (bits >>> 23) & 0xff;
  return { mantissa: (bits & 0x7fffff) | 0x800000, shift: 150 - exponent };
}

/** Whether every multiplier (none: a layer of TFLite's arithmetic) is one tf_requant_f32_int takes. */
export function ortMultipliersFit(scales: readonly number[] | undefined): boolean {
  return scales === undefined || scales.every((s) => ortIntegerMultiplier(s) !== undefined);
}

/**
 * The C expression of a layer's float32 multiplier at `channelVar`: one value inlined, or a table of
 * their bits in flash beside the weights.
 */
export function ortScaleExpr(
  scales: readonly number[],
  channelVar: string,
  addConst: (suffix: string, ctype: 'int32_t', values: ArrayLike<number>) => string,
): string {
  if (scales.every((s) => s === scales[0])) return `tf_f32_from_bits(${f32Bits(scales[0]!)}) /* ${scales[0]} */`;
  const table = addConst('ort_scale', 'int32_t', scales.map(f32Bits));
  return `tf_f32_from_bits(${table}[${channelVar}])`;
}

/**
 * QLinearAdd and QLinearMul as ONNX Runtime's portable MLAS kernels compute them (the ones
 * onnxruntime-web runs; its x86 and Arm builds use vector kernels of their own): each input
 * dequantized to float32, `(a + b) / sc` or `(a * b) / sc`, clamped to [lo - zc, hi - zc], then zc
 * added in float32 and the sum rounded half to even.
 */
export function ortBinary(
  kind: 'add' | 'mul',
  q1: number,
  q2: number,
  s: { s1: number; z1: number; s2: number; z2: number; so: number; zo: number },
  lo: number,
  hi: number,
): number {
  const a = f32(s.s1 * (q1 - s.z1));
  const b = f32(s.s2 * (q2 - s.z2));
  const combined = kind === 'add' ? f32(a + b) : f32(a * b);
  const scaled = Math.min(Math.max(f32(combined / s.so), lo - s.zo), hi - s.zo);
  return roundHalfEven(f32(scaled + s.zo));
}

/**
 * QLinearAveragePool (ONNX Runtime's contrib kernel, CPU): the taps dequantized to float32 and summed
 * in window order (rows, then columns), divided by the count of taps inside the image, then
 * `rint(fround(fround(avg / sy) + zy))` clamped to the int8 range.
 */
export function ortAveragePool(taps: readonly number[], s: { sx: number; zx: number; sy: number; zy: number }): number {
  let sum = 0;
  for (const q of taps) sum = f32(sum + f32(s.sx * (q - s.zx)));
  const avg = f32(sum / taps.length);
  return Math.min(127, Math.max(-128, roundHalfEven(f32(f32(avg / s.sy) + s.zy))));
}

/**
 * QLinearGlobalAveragePool (MLAS): the int32 sum of the image less zx times its size, requantized by
 * fround(sx / fround(sy * size)) as MlasRequantizeOutput does.
 */
export function ortGlobalAveragePoolScale(sx: number, sy: number, size: number): number {
  return f32(f32(sx) / f32(f32(sy) * size));
}
