// SPDX-License-Identifier: Apache-2.0
/**
 * Per-channel quantization of activations, ONNX's QuantizeLinear / DequantizeLinear with `axis`
 * (QUANTIZE and DEQUANTIZE): when a tensor takes it and its channels' scales and zero points.
 */
import type { Tensor } from '../../../ir/graph.ts';
import { opArithmetic } from './requant_f32.ts';
import { f32 } from './fixedpoint.ts';

/**
 * Per-channel parameters of an activation (ONNX's QuantizeLinear / DequantizeLinear with `axis`):
 * element i is in channel floor(i / inner) % scales.length.
 */
export interface PerChannelParams {
  scales: number[];
  zeroPoints: number[];
  /** elements after the channel axis: the run of one channel */
  inner: number;
}

/** The per-channel parameters of `t`'s quantization along its axis (scales as float32). */
export function perChannelParams(t: Tensor): PerChannelParams {
  const q = t.quant!;
  return {
    scales: q.scale.map((s) => f32(s)),
    zeroPoints: [...q.zeroPoint],
    inner: t.shape.slice(q.axis + 1).reduce((n, d) => n * d, 1),
  };
}

/**
 * Per-channel quantization of an activation is ONNX's alone (QuantizeLinear / DequantizeLinear with
 * `axis`, attrs.arithmetic 'onnxruntime'): TFLite quantizes activations per tensor.
 */
export function allowsPerChannel(attrs: Record<string, unknown>, t: Tensor): boolean {
  return opArithmetic(attrs) === 'onnxruntime' && (t.quant?.scale.length ?? 0) > 1;
}
