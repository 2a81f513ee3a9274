// SPDX-License-Identifier: Apache-2.0
/**
 * Concat -> CONCATENATION along the IR axis holding the ONNX axis; every input is brought to the
 * first one's layout, and (quantized) to the output's quantization, which the kernel requires.
 */
import type { OnnxOpLowering } from './registry.ts';
import { requantized } from './outputs.ts';

export const concat: OnnxOpLowering = {
  minOpset: 4,
  lower(ctx, node) {
    const inputs = (node.input ?? []).map((_, i) => ctx.activation(node, i));
    if (inputs.length === 0) throw ctx.fail(node, 'has no inputs');
    const quantized = ctx.quantizedInputs(node, inputs);
    const perm = inputs[0]!.perm;
    const shapes = inputs.map((v) => ctx.onnxShape(v));
    const rank = shapes[0]!.length;
    let axis = ctx.attrInt(node, 'axis', 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) throw ctx.fail(node, `axis ${axis} out of range for rank ${rank}`);
    if (shapes.some((s) => s.length !== rank || s.some((d, i) => i !== axis && d !== shapes[0]![i])))
      throw ctx.fail(node, `inputs of shapes ${shapes.map((s) => `[${s.join(',')}]`).join(', ')} do not concatenate along axis ${axis}`);
    const outShape = [...shapes[0]!];
    outShape[axis] = shapes.reduce((n, s) => n + s[axis]!, 0);
    const out = ctx.output(node, 0, outShape, perm, { quantized });
    const outQuant = ctx.tensors[out.index]!.quant;
    const ready = inputs.map((v) => {
      const laid = ctx.inLayout(v, perm);
      return quantized ? requantized(ctx, laid, outQuant!) : laid;
    });
    ctx.addQuantizedOp(
      'CONCATENATION',
      ready.map((v) => v.index),
      [out.index],
      { axis: perm.indexOf(axis), activation: 'NONE' },
      quantized,
    );
  },
};
