// SPDX-License-Identifier: Apache-2.0
/** Unsqueeze (axes of the output) -> RESHAPE. */
import type { OnnxOpLowering } from './registry.ts';
import { axesOf, lowerReshape, normalizeAxes } from './reshape_common.ts';

export const unsqueeze: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const shape = ctx.onnxShape(ctx.activation(node, 0, 'the input'));
    const given = axesOf(ctx, node);
    if (!given) throw ctx.fail(node, 'axes are missing');
    const rank = shape.length + given.length;
    const axes = normalizeAxes(ctx, node, given, rank);
    const out: number[] = [];
    for (let i = 0, k = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : shape[k++]!);
    lowerReshape(ctx, node, out);
  },
};
