// SPDX-License-Identifier: Apache-2.0
/** Flatten at `axis` -> RESHAPE to [prod(dims before), prod(dims from axis)]. */
import type { OnnxOpLowering } from './registry.ts';
import { lowerReshape } from './reshape_common.ts';

export const flatten: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const shape = ctx.onnxShape(ctx.activation(node, 0, 'the input'));
    let axis = ctx.attrInt(node, 'axis', 1);
    if (axis < 0) axis += shape.length;
    if (axis < 0 || axis > shape.length) throw ctx.fail(node, `axis ${axis} out of range for rank ${shape.length}`);
    const size = (dims: number[]) => dims.reduce((n, d) => n * d, 1);
    lowerReshape(ctx, node, [size(shape.slice(0, axis)), size(shape.slice(axis))]);
  },
};
