// SPDX-License-Identifier: Apache-2.0
/** Float semantics of every op the compression pipeline can evaluate, by TFLite builtin name. */
import { conv2d, depthwiseConv2d } from './conv.ts';
import { fullyConnected } from './fully_connected.ts';
import { FLOAT_ELEMENTWISE_OPS } from './elementwise.ts';
import type { FloatOpDef } from './op.ts';

export type { FloatEvalContext, FloatOpDef, OutputQuantRule, WeightsRole } from './op.ts';

export const FLOAT_OP_DEFS: ReadonlyMap<string, FloatOpDef> = new Map(
  [conv2d, depthwiseConv2d, fullyConnected, ...FLOAT_ELEMENTWISE_OPS].map((d) => [d.kind, d]),
);

export function floatOpDef(kind: string): FloatOpDef | undefined {
  return FLOAT_OP_DEFS.get(kind);
}
