// SPDX-License-Identifier: Apache-2.0
/** Sigmoid -> LOGISTIC (int8 writes scale 1/256, zero point -128; another output quantization is requantized). */
import type { OnnxOpLowering } from './registry.ts';
import { lowerUnary } from './unary.ts';

export const sigmoid: OnnxOpLowering = {
  minOpset: 6,
  lower: (ctx, node) => lowerUnary(ctx, node, 'LOGISTIC', {}, { scale: [1 / 256], zeroPoint: [-128], axis: 0 }),
};
