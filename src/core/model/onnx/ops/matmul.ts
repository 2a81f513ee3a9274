// SPDX-License-Identifier: Apache-2.0
/**
 * MatMul of an activation by a constant matrix B [K, N] -> FULLY_CONNECTED (weights [N, K]); an
 * input of rank 3 or more keeps its leading dimensions (keepNumDims). MatMul of two activations ->
 * BATCH_MATMUL (batch dimensions broadcast).
 */
import type { OnnxOpLowering } from './registry.ts';
import { accumulatorScales, addWeights, weightsOf } from './common.ts';
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import { type ActivationValue, identityPerm } from '../values.ts';

export const matmul: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const a0 = ctx.activation(node, 0, 'A');
    const aShape = ctx.onnxShape(a0);
    if (aShape.length < 2) throw ctx.fail(node, `A has rank ${aShape.length}; expected 2 or more`);
    const b = ctx.input(node, 1, 'B');
    if (b.kind === 'tensor') return lowerBatchMatmul(ctx, node, a0, b);
    if (b.kind === 'qconst' && b.dims.length > 2 && b.scale.length === 1) {
      // a constant stack of matrices: BATCH_MATMUL with B a constant tensor
      const { values, zeroPoint } = ctx.int8Values(node, b, 'B');
      const index = ctx.addConstant(node.input![1]!, 'int8', b.dims, values, { scale: [...b.scale], zeroPoint: [...zeroPoint], axis: 0 });
      return lowerBatchMatmul(ctx, node, a0, { kind: 'tensor', index, perm: identityPerm(b.dims.length), dequantized: true });
    }
    if (b.dims.length !== 2) throw ctx.fail(node, `B has rank ${b.dims.length}; expected a matrix`);
    const quantized = ctx.quantizedInputs(node, [a0]);
    const a = ctx.inLayout(a0, identityPerm(aShape.length));
    const w = weightsOf(ctx, node, 1, [1, 0], quantized, { tensorZeroPoint: true });
    const k = aShape[aShape.length - 1]!;
    if (w.shape[1] !== k) throw ctx.fail(node, `B of shape [${b.dims.join(',')}] does not take K = ${k}`);
    const units = w.shape[0]!;
    const weights = addWeights(ctx, node, 1, w);
    const outShape = [...aShape.slice(0, -1), units];
    const accumulatorScale = quantized ? accumulatorScales(ctx, a, w) : undefined;
    const out = ctx.output(node, 0, outShape, identityPerm(outShape.length), { quantized, fuse: true, ...(accumulatorScale ? { accumulatorScale } : {}) });
    ctx.addQuantizedOp('FULLY_CONNECTED', [a.index, weights, -1], [out.index], { activation: out.activation, keepNumDims: aShape.length > 2 }, quantized);
  },
};

function lowerBatchMatmul(ctx: Lowering, node: OnnxNodeProto, a0: ActivationValue, b0: ActivationValue): void {
  const quantized = ctx.quantizedInputs(node, [a0, b0]);
  const [aShape, bShape] = [ctx.onnxShape(a0), ctx.onnxShape(b0)];
  if (bShape.length < 2) throw ctx.fail(node, `B has rank ${bShape.length}; expected 2 or more`);
  if (aShape.at(-1) !== bShape.at(-2)) throw ctx.fail(node, `A [${aShape.join(',')}] and B [${bShape.join(',')}] do not multiply`);
  const rank = Math.max(aShape.length, bShape.length);
  const batchOf = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s.slice(0, -2)];
  const [ba, bb] = [batchOf(aShape), batchOf(bShape)];
  const batch = ba.map((d, i) => {
    const e = bb[i]!;
    if (d !== e && d !== 1 && e !== 1) throw ctx.fail(node, `batch dimensions of A [${aShape.join(',')}] and B [${bShape.join(',')}] do not broadcast`);
    return Math.max(d, e);
  });
  const outShape = [...batch, aShape.at(-2)!, bShape.at(-1)!];
  const a = ctx.inLayout(a0, identityPerm(aShape.length));
  const b = ctx.inLayout(b0, identityPerm(bShape.length));
  const out = ctx.output(node, 0, outShape, identityPerm(outShape.length), { quantized });
  ctx.addQuantizedOp('BATCH_MATMUL', [a.index, b.index], [out.index], { adjX: false, adjY: false }, quantized);
}
