// SPDX-License-Identifier: Apache-2.0
/** Relu -> the fused activation of the op before it, or RELU. */
import type { OnnxOpLowering } from './registry.ts';
import { lowerActivation } from './activation.ts';

export const relu: OnnxOpLowering = {
  minOpset: 6,
  lower(ctx, node) {
    lowerActivation(ctx, node, 'RELU');
  },
};
