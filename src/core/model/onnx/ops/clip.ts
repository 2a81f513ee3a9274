// SPDX-License-Identifier: Apache-2.0
/** Clip to [0, 6], [0, inf) or [-1, 1] -> the fused activation of the op before it, or RELU6 / RELU / RELU_N1_TO_1. */
import type { OnnxOpLowering } from './registry.ts';
import { lowerActivation } from './activation.ts';

export const clip: OnnxOpLowering = {
  minOpset: 11,
  lower(ctx, node) {
    const activation = ctx.fusableActivation(node);
    if (!activation) throw ctx.fail(node, 'only Clip to [0, 6], [0, inf) or [-1, 1] with constant bounds is supported');
    lowerActivation(ctx, node, activation);
  },
};
