// SPDX-License-Identifier: Apache-2.0
/**
 * Outputs of ops whose IR kernel dictates the output quantization: pools, PAD and shape ops keep the
 * input's, SOFTMAX and LOGISTIC a fixed one. When the QuantizeLinear after the ONNX op asks for
 * another, the op writes a tensor of the quantization it needs and a QUANTIZE requantizes it.
 */
import type { Quantization } from '../../../ir/graph.ts';
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import { type ActivationValue, irShapeOf, sameQuantization } from '../values.ts';

export interface PendingOutput {
  /** the tensor the op writes */
  index: number;
  /** adds the requantization, if any: call after adding the op */
  finish(): void;
}

export interface OutputQuant {
  quantized: boolean;
  /** the quantization the graph asks for (absent: the op's own) */
  wanted?: Quantization;
  stored?: boolean;
}

/** The op's output 0 of `onnxShape` in layout `perm`, through a QUANTIZE where the op's quantization is not the one wanted. */
export function outputWithQuant(ctx: Lowering, node: OnnxNodeProto, onnxShape: number[], perm: number[], quant: OutputQuant): PendingOutput {
  const { quantized, wanted, stored = false } = quant;
  const out = ctx.output(node, 0, onnxShape, perm, { quantized, stored, ...(wanted ? { inherit: wanted } : {}) });
  const t = ctx.tensors[out.index]!;
  if (!quantized || !wanted || sameQuantization(t.quant!, wanted)) return { index: out.index, finish: () => {} };
  const direct = ctx.addTensor(`${t.name}_unscaled`, 'int8', irShapeOf(onnxShape, perm), {
    scale: [...wanted.scale],
    zeroPoint: [...wanted.zeroPoint],
    axis: 0,
  });
  return { index: direct, finish: () => void ctx.addQuantizedOp('QUANTIZE', [direct], [out.index], {}, true) };
}

/** `x` requantized to `quant` (itself when it already has it). */
export function requantized(ctx: Lowering, x: ActivationValue, quant: Quantization): ActivationValue {
  const t = ctx.tensor(x);
  if (sameQuantization(t.quant!, quant)) return x;
  const out = ctx.addTensor(`${t.name}_requantized`, 'int8', [...t.shape], { scale: [...quant.scale], zeroPoint: [...quant.zeroPoint], axis: 0 });
  ctx.addQuantizedOp('QUANTIZE', [x.index], [out], {}, true);
  return { ...x, index: out };
}

/**
 * An op that moves values without changing them (Transpose, a layout-only change): its output is
 * the input tensor seen under `perm`, requantized only when the QuantizeLinear after it differs.
 */
export function aliasOutput(ctx: Lowering, node: OnnxNodeProto, x: ActivationValue, perm: number[], quantized: boolean): void {
  const name = node.output?.[0];
  if (!name) throw ctx.fail(node, 'output 0 is missing');
  const q = quantized ? ctx.soleConsumer(name) : undefined;
  if (!q || q.node.opType !== 'QuantizeLinear') {
    ctx.values.set(name, { ...x, perm });
    return;
  }
  const { quant } = ctx.quantizeParams(q.node);
  ctx.absorbed.add(q.index);
  const moved = requantized(ctx, { ...x, perm }, quant);
  ctx.values.set(q.node.output![0]!, { kind: 'tensor', index: moved.index, perm });
}
