// SPDX-License-Identifier: Apache-2.0
/**
 * Softmax (opset 13: along one axis) -> SOFTMAX along the last IR axis (the activation is laid out
 * so that the ONNX axis is last). int8 SOFTMAX writes scale 1/256, zero point -128 (what ONNX
 * Runtime's quantizer gives a softmax output); another output quantization is requantized.
 */
import type { OnnxOpLowering } from './registry.ts';
import { outputWithQuant } from './outputs.ts';
import { identityPerm } from '../values.ts';

export const softmax: OnnxOpLowering = {
  minOpset: 13,
  lower(ctx, node) {
    const x0 = ctx.activation(node, 0, 'the input');
    const rank = x0.perm.length;
    const quantized = ctx.quantizedInputs(node, [x0]);
    let axis = ctx.attrInt(node, 'axis', -1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) throw ctx.fail(node, `axis ${axis} out of range for rank ${rank}`);
    let x = x0;
    if (x.perm[rank - 1] !== axis) {
      // the softmax axis last, the others in ONNX order
      x = ctx.inLayout(x0, [...identityPerm(rank).filter((a) => a !== axis), axis]);
    }
    const out = outputWithQuant(ctx, node, ctx.onnxShape(x), x.perm, {
      quantized,
      wanted: quantized ? { scale: [1 / 256], zeroPoint: [-128], axis: 0 } : undefined,
    });
    ctx.addQuantizedOp('SOFTMAX', [x.index], [out.index], { beta: 1 }, quantized);
    out.finish();
  },
};
