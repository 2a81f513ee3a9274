// SPDX-License-Identifier: Apache-2.0
/**
 * The arithmetic of int8 post-training quantization, as TFLite's converter does it: symmetric
 * weights in [-127, 127], asymmetric activations over [-128, 127] from an observed range, int32
 * biases at the accumulator's scale. Scales are float32 values (the flatbuffer stores float32), so
 * every scale leaves here already rounded with Math.fround and later arithmetic sees what a reader
 * of the written file would see.
 */
import type { Quantization } from '../core/ir/graph.ts';
import { INT32_MAX, INT32_MIN, clamp, f32, roundHalfAway } from '../core/ops/common/numerics/fixedpoint.ts';

export const INT8_MIN = -128;
export const INT8_MAX = 127;
/** symmetric weights leave -128 unused so that negation cannot overflow */
export const WEIGHT_MAX = 127;

/** A closed range of real values seen for one tensor. */
export interface ValueRange {
  min: number;
  max: number;
}

/**
 * Asymmetric int8 parameters covering `range`. The range is first widened to contain 0, so that real
 * 0 (padding, ReLU's floor) is exactly representable; z = round(-128 - min / s), clamped.
 * A range of width 0 (a tensor that is always 0) gets scale 1/255, as if it spanned [0, 1].
 */
export function activationQuant(range: ValueRange): Quantization {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(`range [${range.min}, ${range.max}] is not finite`);
  }
  const width = max - min;
  const scale = f32(width > 0 ? width / (INT8_MAX - INT8_MIN) : 1 / 255);
  const zeroPoint = clamp(roundHalfAway(INT8_MIN - min / scale), INT8_MIN, INT8_MAX);
  return { scale: [scale], zeroPoint: [zeroPoint], axis: 0 };
}

/** Softmax's int8 output is fixed by TFLite: [0, 1) in steps of 1/256. */
export const SOFTMAX_OUTPUT_QUANT: Readonly<Quantization> = { scale: [1 / 256], zeroPoint: [-128], axis: 0 };

/** q = clamp(round(x / s) + z) with the division in float32 (TFLite's AffineQuantize). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, lo = INT8_MIN, hi = INT8_MAX): number {
  return clamp(roundHalfAway(f32(f32(x) / f32(scale))) + zeroPoint, lo, hi);
}

/** Quantizes float values to int8 with one per-tensor scale and zero point. */
export function quantizeTensorValues(values: ArrayLike<number>, quant: Quantization): Int8Array {
  const out = new Int8Array(values.length);
  const s = quant.scale[0]!;
  const z = quant.zeroPoint[0]!;
  for (let i = 0; i < values.length; i++) out[i] = quantizeValue(values[i]!, s, z);
  return out;
}

/** real = s · (q − z), per tensor. */
export function dequantizeTensorValues(values: ArrayLike<number>, quant: Quantization): Float32Array {
  const out = new Float32Array(values.length);
  const s = quant.scale[0]!;
  const z = quant.zeroPoint[0]!;
  for (let i = 0; i < values.length; i++) out[i] = s * (values[i]! - z);
  return out;
}

export interface QuantizedWeights {
  values: Int8Array;
  quant: Quantization;
}

/**
 * Symmetric int8 weights: one scale per slice along `axis` (per channel), or one for the whole
 * tensor when `axis` is undefined. s = max|w| / 127 over the slice; an all-zero slice gets s = 1
 * (any positive scale represents it exactly and keeps the requantization multiplier sane).
 */
export function quantizeWeights(values: ArrayLike<number>, shape: readonly number[], axis: number | undefined): QuantizedWeights {
  const channels = axis === undefined ? 1 : shape[axis]!;
  // elements between consecutive channel indices along `axis`, and the run length of one index
  const inner = axis === undefined ? values.length : shape.slice(axis + 1).reduce((n, d) => n * d, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);

  const maxAbs = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(values[i]!));
  }
  const scale = maxAbs.map((m) => f32(m > 0 ? m / WEIGHT_MAX : 1));
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = quantizeValue(values[i]!, scale[channelOf(i)]!, 0, -WEIGHT_MAX, WEIGHT_MAX);
  }
  return { values: out, quant: { scale, zeroPoint: scale.map(() => 0), axis: axis ?? 0 } };
}

export interface QuantizedBias {
  values: Int32Array;
  quant: Quantization;
}

/**
 * int32 bias at the accumulator's scale s_in · s_w[c] (the product taken in float32, as the
 * converter does), zero point 0. Values beyond int32 saturate; they would only occur with a
 * degenerate weight or input scale.
 */
export function quantizeBias(values: ArrayLike<number>, inputScale: number, weightScales: readonly number[]): QuantizedBias {
  const perTensor = weightScales.length === 1;
  const scale = (perTensor ? weightScales : weightScales.slice(0, values.length)).map((ws) => f32(f32(inputScale) * f32(ws)));
  const out = new Int32Array(values.length);
  for (let c = 0; c < values.length; c++) {
    out[c] = clamp(roundHalfAway(values[c]! / scale[perTensor ? 0 : c]!), INT32_MIN, INT32_MAX);
  }
  return { values: out, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } };
}
