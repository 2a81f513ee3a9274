// SPDX-License-Identifier: Apache-2.0
/** Squeeze (the given axes of size 1, or all of them) -> RESHAPE. */
import type { OnnxOpLowering } from './registry.ts';
import { axesOf, lowerReshape, normalizeAxes } from './reshape_common.ts';

export const squeeze: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const shape = ctx.onnxShape(ctx.activation(node, 0, 'the input'));
    const given = axesOf(ctx, node);
    const axes = given ? normalizeAxes(ctx, node, given, shape.length) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
    if (axes.some((a) => shape[a] !== 1)) throw ctx.fail(node, `squeezes axes [${axes.join(',')}] of [${shape.join(',')}], not all of size 1`);
    lowerReshape(
      ctx,
      node,
      shape.filter((_, i) => !axes.includes(i)),
    );
  },
};
