// SPDX-License-Identifier: Apache-2.0
/**
 * Sigmoid -> LOGISTIC. Quantized, it writes the QuantizeLinear's own parameters: the layer computes
 * ONNX Runtime's QLinearSigmoid table, which takes any output quantization (TFLite's fixed 1/256 and
 * -128 would need a second rounding after it).
 */
import type { OnnxOpLowering } from './registry.ts';
import { lowerUnary } from './unary.ts';

export const sigmoid: OnnxOpLowering = {
  minOpset: 6,
  lower: (ctx, node) => lowerUnary(ctx, node, 'LOGISTIC'),
};
