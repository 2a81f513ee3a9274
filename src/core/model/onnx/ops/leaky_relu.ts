// SPDX-License-Identifier: Apache-2.0
/** LeakyRelu -> LEAKY_RELU with the same alpha (default 0.01). */
import type { OnnxOpLowering } from './registry.ts';
import { lowerUnary } from './unary.ts';

export const leakyRelu: OnnxOpLowering = {
  minOpset: 6,
  lower: (ctx, node) => lowerUnary(ctx, node, 'LEAKY_RELU', { alpha: ctx.attrFloat(node, 'alpha', 0.01) }),
};
