// SPDX-License-Identifier: Apache-2.0
/**
 * One op's float32 semantics for compression: how it evaluates on float tensors (tfjs ops, so that
 * the same code runs calibration, the float reference and training with gradients), and how
 * int8 post-training quantization treats it (TFLite's converter rules).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Graph, Op, Quantization } from '../../core/ir/graph.ts';

export interface FloatEvalContext {
  graph: Graph;
  op: Op;
  /** the value of input `i` (a constant, an activation, or a transformed weight during training) */
  input(i: number): tf.Tensor;
  /** whether input `i` is present (optional inputs are -1) */
  has(i: number): boolean;
  /** the output's shape with the batch dimension free: [-1, ...shape.slice(1)] */
  outputShape(o?: number): number[];
}

/** How the int8 output's scale and zero point are chosen. */
export type OutputQuantRule =
  /** from the calibrated range of the float output (conv, FC, add, mean, ...) */
  | { kind: 'range' }
  /** the input's parameters: the int8 kernel moves values without rescaling (pools, reshape, pad) */
  | { kind: 'input'; input: number }
  /** fixed by TFLite's int8 kernel (softmax, logistic, tanh) */
  | { kind: 'fixed'; quant: Quantization };

/** A constant input that is weights, quantized symmetric per channel along `axis` (or per tensor). */
export interface WeightsRole {
  input: number;
  /** the per-channel axis, undefined for per-tensor */
  axis: number | undefined;
  /** input index of the op's int32 bias, if it has one */
  bias?: number;
}

export interface FloatOpDef {
  kind: string;
  evaluate(ctx: FloatEvalContext): tf.Tensor;
  outputQuant: OutputQuantRule;
  /** the op's weights (conv, depthwise, FC); `perChannelDense` asks FC for per-channel weights */
  weights?(op: Op, options: { perChannelDense?: boolean }): WeightsRole;
}
