// SPDX-License-Identifier: Apache-2.0
/**
 * QuantizeLinear. After an op it is absorbed by that op (it gives the op's output quantization, see
 * Lowering.output); what reaches this lowering is a QuantizeLinear of a float graph input (QUANTIZE
 * float32 -> int8), of a dequantized activation (a requantization, or nothing when the parameters are
 * equal) or of a constant (quantized here, ties to even as ONNX Runtime rounds).
 */
import type { DType, Quantization } from '../../../ir/graph.ts';
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import type { OnnxOpLowering } from './registry.ts';
import { roundHalfEven } from './common.ts';
import { type ActivationValue, identityPerm, sameQuantization } from '../values.ts';

export const quantizeLinear: OnnxOpLowering = {
  minOpset: 10,
  lower(ctx, node) {
    const x = ctx.input(node, 0, 'the input');
    const { quant, storedType } = ctx.quantizeParams(node);
    const name = node.output?.[0];
    if (!name) throw ctx.fail(node, 'output 0 is missing');
    if (x.kind !== 'tensor') {
      if (x.kind !== 'const' || x.dtype !== 'float32') throw ctx.fail(node, 'quantizes a quantized constant');
      const rank = x.dims.length;
      const axis = perChannelAxis(ctx.attrInt(node, 'axis', 1), rank);
      const channels = quant.scale.length;
      if (channels > 1 && x.dims[axis] !== channels) throw ctx.fail(node, `${channels} scales for axis ${axis} of size ${x.dims[axis]}`);
      const inner = x.dims.slice(axis + 1).reduce((n, d) => n * d, 1);
      const [lo, hi] = storedType === 'uint8' ? [0, 255] : storedType === 'int32' ? [-2147483648, 2147483647] : [-128, 127];
      const shift = storedType === 'uint8' ? 128 : 0;
      const values = x.values.map((v, k) => {
        const c = channels > 1 ? Math.floor(k / inner) % channels : 0;
        return Math.min(hi, Math.max(lo, roundHalfEven(v / quant.scale[c]!) + quant.zeroPoint[c]! + shift));
      });
      ctx.values.set(name, { kind: 'const', dtype: storedType, dims: [...x.dims], values });
      ctx.note('quantized at compile time');
      return;
    }
    if (quant.scale.length > 1) return perAxisToOutput(ctx, node, x, quant, storedType);
    const source = ctx.tensor(x);
    if (x.dequantized && source.quant && sameQuantization(source.quant, quant)) {
      ctx.values.set(name, { kind: 'tensor', index: x.index, perm: x.perm });
      ctx.note('the same quantization as its input: nothing to do');
      return;
    }
    if (source.dtype !== 'float32' && !x.dequantized) throw ctx.fail(node, `quantizes a ${source.dtype} tensor`);
    const out = ctx.addTensor(name, 'int8', [...source.shape], quant);
    ctx.addQuantizedOp('QUANTIZE', [x.index], [out], {}, true);
    ctx.values.set(name, { kind: 'tensor', index: out, perm: x.perm });
  },
};

/** A QuantizeLinear / DequantizeLinear axis made non-negative. */
export function perChannelAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * Per-axis quantization of a float activation that is only a graph output (ONNX's QuantizeLinear with
 * `axis`): one QUANTIZE straight to the stored type, each channel with its own scale and zero point.
 * The IR quantizes the activations its ops read per tensor, so any other reader is refused.
 */
function perAxisToOutput(ctx: Lowering, node: OnnxNodeProto, x0: ActivationValue, quant: Quantization, storedType: DType): void {
  const name = node.output![0]!;
  const readers = ctx.consumers.get(name) ?? [];
  if (readers.length === 0 || readers.some((r) => r !== -1))
    throw ctx.fail(node, 'per-axis quantization of an activation is supported only as a graph output (the ops quantize activations per tensor)');
  if (ctx.tensor(x0).dtype !== 'float32' || x0.dequantized) throw ctx.fail(node, 'per-axis quantization of a quantized tensor is not supported');
  if (storedType !== 'int8' && storedType !== 'uint8') throw ctx.fail(node, `per-axis quantization to ${storedType} is not supported`);
  const rank = ctx.onnxShape(x0).length;
  // in ONNX's own axis order, so the channel axis is the ONNX one
  const x = ctx.inLayout(x0, identityPerm(rank));
  const axis = perChannelAxis(ctx.attrInt(node, 'axis', 1), rank);
  const shape = ctx.onnxShape(x);
  if (shape[axis] !== quant.scale.length) throw ctx.fail(node, `${quant.scale.length} scales for axis ${axis} of size ${shape[axis]}`);
  // the zero points as stored (quantizeParams shifts uint8's to int8)
  const zeroPoint = quant.zeroPoint.map((z) => (storedType === 'uint8' ? z + 128 : z));
  const out = ctx.addTensor(name, storedType, [...shape], { scale: [...quant.scale], zeroPoint, axis });
  ctx.addQuantizedOp('QUANTIZE', [x.index], [out], {}, true);
  ctx.values.set(name, { kind: 'tensor', index: out, perm: identityPerm(rank) });
  ctx.note('per-axis, as a graph output');
}
