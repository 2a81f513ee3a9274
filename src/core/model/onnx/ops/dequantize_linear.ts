// SPDX-License-Identifier: Apache-2.0
/**
 * DequantizeLinear. Of a constant: a quantized constant (weights, biases), read by the op that uses
 * it. Of an activation: the same quantized tensor, now read as its real values by the next op (no IR
 * op). Of an int8 / uint8 graph input: that input's quantization (uint8 becomes int8 in a QUANTIZE).
 */
import type { Quantization } from '../../../ir/graph.ts';
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import type { OnnxOpLowering } from './registry.ts';
import { perChannelAxis } from './quantize_linear.ts';
import { type ActivationValue, sameQuantization } from '../values.ts';

export const dequantizeLinear: OnnxOpLowering = {
  minOpset: 10,
  lower(ctx, node) {
    const x = ctx.input(node, 0, 'the input');
    const name = node.output?.[0];
    if (!name) throw ctx.fail(node, 'output 0 is missing');
    const { quant } = ctx.quantizeParams(node, x.kind === 'tensor' ? ctx.tensor(x).dtype : x.dtype);
    if (x.kind === 'qconst') throw ctx.fail(node, 'dequantizes a value that is already dequantized');
    if (x.kind === 'const') {
      if (x.dtype !== 'int8' && x.dtype !== 'uint8' && x.dtype !== 'int32') throw ctx.fail(node, `dequantizes a ${x.dtype} constant`);
      const rank = x.dims.length;
      const axis = quant.scale.length > 1 ? perChannelAxis(ctx.attrInt(node, 'axis', 1), rank) : 0;
      if (quant.scale.length > 1 && x.dims[axis] !== quant.scale.length)
        throw ctx.fail(node, `${quant.scale.length} scales for axis ${axis} of size ${x.dims[axis]}`);
      // the constant's own integer type says how its zero point is stored
      const zeroPoint = quant.zeroPoint.map((z) => (x.dtype === 'uint8' ? z + 128 : z));
      ctx.values.set(name, { kind: 'qconst', dtype: x.dtype, dims: [...x.dims], values: x.values, scale: quant.scale, zeroPoint, axis });
      ctx.note('a quantized constant');
      return;
    }
    if (quant.scale.length > 1) return perAxisOfInput(ctx, node, x, quant);
    const t = ctx.tensor(x);
    if (x.dequantized) throw ctx.fail(node, 'dequantizes a value that is already dequantized');
    if (t.dtype === 'float32') throw ctx.fail(node, 'dequantizes a float tensor');
    const int8Copy = t.dtype === 'uint8' && t.quant ? ctx.ops.find((op) => op.kind === 'QUANTIZE' && op.inputs[0] === x.index) : undefined;
    if (int8Copy) {
      // a uint8 graph input another DequantizeLinear converted already: this one reads the int8 copy
      // (the input's own value keeps naming the graph input, whose ONNX layout the edges record)
      if (!sameQuantization(t.quant!, { ...quant, zeroPoint: quant.zeroPoint.map((z) => z + 128) }))
        return readWithOwnParameters(ctx, node, { ...x, index: int8Copy.outputs[0]! }, quant);
      ctx.values.set(name, { kind: 'tensor', index: int8Copy.outputs[0]!, perm: x.perm, dequantized: true });
      ctx.note('reads the quantized tensor');
      return;
    }
    if (!t.quant) {
      // an int8 / uint8 graph input: its quantization is this node's
      if (t.dtype === 'uint8') {
        t.quant = { scale: [...quant.scale], zeroPoint: quant.zeroPoint.map((z) => z + 128), axis: 0 };
        const out = ctx.addTensor(`${t.name}_int8`, 'int8', [...t.shape], quant);
        ctx.addQuantizedOp('QUANTIZE', [x.index], [out], {}, true);
        ctx.values.set(name, { kind: 'tensor', index: out, perm: x.perm, dequantized: true });
        return;
      }
      t.quant = quant;
    } else if (!sameQuantization(t.quant, quant)) {
      return readWithOwnParameters(ctx, node, x, quant);
    }
    ctx.values.set(name, { ...x, dequantized: true });
    ctx.note('reads the quantized tensor');
  },
};

/**
 * A DequantizeLinear whose scale or zero point is not the one its input was quantized with (a tensor
 * quantized twice, as hand-edited and some exported graphs hold): ONNX Runtime reads the stored
 * integers as they are, (q - z) * s with the DequantizeLinear's own parameters, and so does the IR:
 * a RESHAPE to the same shape (an alias: no bytes move) whose output carries this node's
 * quantization, so the op that reads it takes the same integers under the other scale and zero point.
 */
function readWithOwnParameters(ctx: Lowering, node: OnnxNodeProto, x: ActivationValue, quant: Quantization): void {
  const name = node.output![0]!;
  const t = ctx.tensor(x);
  const shape = [...t.shape];
  const out = ctx.addTensor(`${name}_quantized`, t.dtype, shape, { scale: [...quant.scale], zeroPoint: [...quant.zeroPoint], axis: 0 });
  ctx.addOp('RESHAPE', [x.index, ctx.addConstant(`${name}_shape`, 'int32', [shape.length], shape)], [out], { newShape: shape });
  // it holds the very integers of the value it reads, which a reference compares it with
  const source = node.input![0]!;
  ctx.tensors[out]!.onnx = x.perm.every((p, i) => p === i) ? { name: source } : { name: source, perm: [...x.perm] };
  ctx.values.set(name, { kind: 'tensor', index: out, perm: x.perm, dequantized: true });
  ctx.note(`reads the integers of '${node.input![0]}' with its own scale and zero point (the tensor is quantized twice)`);
}

/**
 * Per-axis dequantization of an int8 / uint8 graph input (ONNX's DequantizeLinear with `axis`): the
 * input takes the per-channel quantization and one DEQUANTIZE gives the float values. Its output is
 * float, so what reads it is a float op; a quantized op would need the activation per tensor.
 */
function perAxisOfInput(ctx: Lowering, node: OnnxNodeProto, x: ActivationValue, quant: Quantization): void {
  const t = ctx.tensor(x);
  if (t.quant || x.dequantized || (t.dtype !== 'int8' && t.dtype !== 'uint8'))
    throw ctx.fail(node, 'per-axis dequantization is supported only of an int8 or uint8 graph input (the ops quantize activations per tensor)');
  const shape = ctx.onnxShape(x);
  const axis = perChannelAxis(ctx.attrInt(node, 'axis', 1), shape.length);
  if (shape[axis] !== quant.scale.length) throw ctx.fail(node, `${quant.scale.length} scales for axis ${axis} of size ${shape[axis]}`);
  const zeroPoint = quant.zeroPoint.map((z) => (t.dtype === 'uint8' ? z + 128 : z));
  t.quant = { scale: [...quant.scale], zeroPoint, axis: x.perm.indexOf(axis) };
  const out = ctx.addTensor(node.output![0]!, 'float32', [...t.shape]);
  ctx.addQuantizedOp('DEQUANTIZE', [x.index], [out], {}, true);
  ctx.values.set(node.output![0]!, { kind: 'tensor', index: out, perm: x.perm });
  ctx.note('per-axis, of a graph input');
}
