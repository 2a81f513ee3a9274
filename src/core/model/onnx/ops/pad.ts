// SPDX-License-Identifier: Apache-2.0
/**
 * Pad (opset 11 on: pads and constant_value as inputs) -> PAD (zero, or the zero point), PADV2
 * (another constant) or MIRROR_PAD (reflect), over the IR axes holding the padded ONNX axes.
 */
import type { OnnxOpLowering } from './registry.ts';
import { roundHalfEven } from './common.ts';
import { outputWithQuant } from './outputs.ts';

export const pad: OnnxOpLowering = {
  minOpset: 11,
  lower(ctx, node) {
    // QOperator models pad the stored integers themselves, with a stored constant_value
    const x = ctx.storedIntegers(node, 0, 'the input');
    const stored = !x.dequantized && ctx.tensor(x).dtype !== 'float32';
    const quantized = ctx.quantizedInputs(node, [x]);
    const shape = ctx.onnxShape(x);
    const rank = shape.length;
    const pads = ctx.constant(node, 1, 'pads').values;
    if (node.input?.[3]) throw ctx.fail(node, 'the axes input (opset 18) is not supported');
    if (pads.length !== 2 * rank) throw ctx.fail(node, `${pads.length} pads for rank ${rank}`);
    if (pads.some((p) => p < 0)) throw ctx.fail(node, 'negative pads (cropping) are not supported');
    const mode = ctx.attrString(node, 'mode', 'constant');
    const t = ctx.tensor(x);
    const outShape = shape.map((d, i) => d + pads[i]! + pads[i + rank]!);
    // IR axis i pads ONNX axis perm[i]
    const paddings = x.perm.flatMap((a) => [pads[a]!, pads[a + rank]!]);
    const paddingTensor = ctx.addConstant(`${t.name}_paddings`, 'int32', [rank, 2], paddings);
    const out = outputWithQuant(ctx, node, outShape, x.perm, { quantized, wanted: t.quant, stored });
    if (mode === 'reflect') {
      ctx.addQuantizedOp('MIRROR_PAD', [x.index, paddingTensor], [out.index], { mode: 'REFLECT' }, quantized);
    } else if (mode === 'constant') {
      const padValue = node.input?.[2] ? ctx.constant(node, 2, 'constant_value') : undefined;
      const value = padValue?.values[0] ?? 0;
      const q = t.quant;
      // a stored value (uint8 shifted to int8), or a real one quantized
      const storedValue = stored
        ? value - (padValue?.dtype === 'uint8' ? 128 : 0)
        : q
          ? Math.min(127, Math.max(-128, roundHalfEven(value / q.scale[0]!) + q.zeroPoint[0]!))
          : value;
      if (stored ? storedValue === q!.zeroPoint[0] : value === 0) {
        ctx.addQuantizedOp('PAD', [x.index, paddingTensor], [out.index], {}, quantized);
      } else {
        const valueTensor = ctx.addConstant(`${t.name}_pad_value`, t.dtype, [], [storedValue], q && { ...q });
        ctx.addQuantizedOp('PADV2', [x.index, paddingTensor, valueTensor], [out.index], {}, quantized);
      }
    } else {
      throw ctx.fail(node, `mode ${mode} is not supported (constant or reflect)`);
    }
    out.finish();
  },
};
