// SPDX-License-Identifier: Apache-2.0
/** HardSwish -> HARD_SWISH (both x * relu6(x + 3) / 6). */
import type { OnnxOpLowering } from './registry.ts';
import { lowerUnary } from './unary.ts';

export const hardSwish: OnnxOpLowering = {
  minOpset: 14,
  lower: (ctx, node) => lowerUnary(ctx, node, 'HARD_SWISH'),
};
