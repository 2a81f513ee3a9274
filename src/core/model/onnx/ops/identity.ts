// SPDX-License-Identifier: Apache-2.0
/** Identity -> nothing: its output is its input. */
import type { OnnxOpLowering } from './registry.ts';

export const identity: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const name = node.output?.[0];
    if (!name) throw ctx.fail(node, 'output 0 is missing');
    ctx.values.set(name, ctx.input(node, 0, 'the input'));
    ctx.note('an alias');
  },
};
