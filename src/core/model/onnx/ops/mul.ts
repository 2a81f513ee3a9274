// SPDX-License-Identifier: Apache-2.0
/** Mul -> MUL (numpy broadcasting; a following Relu is fused). */
import type { OnnxOpLowering } from './registry.ts';
import { lowerBinary } from './binary.ts';

export const mul: OnnxOpLowering = { minOpset: 7, lower: (ctx, node) => lowerBinary(ctx, node, 'MUL') };
