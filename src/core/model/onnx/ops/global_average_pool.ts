// SPDX-License-Identifier: Apache-2.0
/** GlobalAveragePool (N, C, H, W) -> MEAN over H and W of the NHWC tensor, dimensions kept. */
import type { OnnxOpLowering } from './registry.ts';
import { channelsLastPerm } from '../values.ts';

export const globalAveragePool: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const x0 = ctx.activation(node, 0, 'the input');
    const shape = ctx.onnxShape(x0);
    if (shape.length !== 4) throw ctx.fail(node, `input of rank ${shape.length}: tinyforge lowers the 2-D GlobalAveragePool`);
    const quantized = ctx.quantizedInputs(node, [x0]);
    const x = ctx.inLayout(x0, channelsLastPerm(4));
    const axes = ctx.addConstant(`${ctx.tensor(x).name}_axes`, 'int32', [2], [1, 2]);
    const out = ctx.output(node, 0, [shape[0]!, shape[1]!, 1, 1], channelsLastPerm(4), { quantized });
    ctx.addQuantizedOp('MEAN', [x.index, axes], [out.index], { keepDims: true }, quantized);
  },
};
