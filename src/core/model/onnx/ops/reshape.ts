// SPDX-License-Identifier: Apache-2.0
/** Reshape with a constant shape (0 copies a dimension unless allowzero, -1 is inferred) -> RESHAPE. */
import type { OnnxOpLowering } from './registry.ts';
import { lowerReshape } from './reshape_common.ts';

export const reshape: OnnxOpLowering = {
  minOpset: 5,
  lower(ctx, node) {
    const x = ctx.activation(node, 0, 'the input');
    const inShape = ctx.onnxShape(x);
    const requested = ctx.constant(node, 1, 'the shape').values;
    const allowZero = ctx.attrInt(node, 'allowzero', 0) !== 0;
    const shape = requested.map((d, i) => (d === 0 && !allowZero ? inShape[i]! : d));
    const unknown = shape.indexOf(-1);
    if (unknown >= 0) {
      const known = shape.reduce((n, d, i) => (i === unknown ? n : n * d), 1);
      shape[unknown] = known === 0 ? 0 : inShape.reduce((n, d) => n * d, 1) / known;
    }
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw ctx.fail(node, `shape [${requested.join(',')}] does not fit [${inShape.join(',')}]`);
    lowerReshape(ctx, node, shape);
  },
};
