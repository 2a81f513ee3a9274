// SPDX-License-Identifier: Apache-2.0
/** Add -> ADD (numpy broadcasting; a following Relu is fused). */
import type { OnnxOpLowering } from './registry.ts';
import { lowerBinary } from './binary.ts';

export const add: OnnxOpLowering = { minOpset: 7, lower: (ctx, node) => lowerBinary(ctx, node, 'ADD') };
