// SPDX-License-Identifier: Apache-2.0
/**
 * Gemm -> FULLY_CONNECTED: A [M, K] times a constant B ([K, N], or [N, K] with transB) plus C. The
 * IR's weights are [N, K], so B is transposed at compile time unless transB. alpha and beta scale a
 * float model's weights and bias; a quantized model has them at 1 (ONNX Runtime's quantizer folds them).
 */
import type { OnnxOpLowering } from './registry.ts';
import { addWeights, biasOf, weightsOf } from './common.ts';
import { identityPerm } from '../values.ts';

export const gemm: OnnxOpLowering = {
  minOpset: 7,
  lower(ctx, node) {
    const a0 = ctx.activation(node, 0, 'A');
    const aShape = ctx.onnxShape(a0);
    if (aShape.length !== 2) throw ctx.fail(node, `A has rank ${aShape.length}; Gemm takes a matrix`);
    if (ctx.attrInt(node, 'transA', 0) !== 0) throw ctx.fail(node, 'transA = 1 is not supported (A is an activation)');
    const quantized = ctx.quantizedInputs(node, [a0]);
    const transB = ctx.attrInt(node, 'transB', 0) !== 0;
    const alpha = ctx.attrFloat(node, 'alpha', 1);
    const beta = ctx.attrFloat(node, 'beta', 1);
    if (quantized && (alpha !== 1 || beta !== 1)) throw ctx.fail(node, `alpha ${alpha} and beta ${beta}: a quantized Gemm needs both at 1`);
    const a = ctx.inLayout(a0, identityPerm(2));
    const w = weightsOf(ctx, node, 1, transB ? [0, 1] : [1, 0], quantized, { tensorZeroPoint: true });
    if (w.shape.length !== 2 || w.shape[1] !== aShape[1]) throw ctx.fail(node, `B of shape [${w.shape.join(',')}] (as [N,K]) does not take K = ${aShape[1]}`);
    if (!quantized && alpha !== 1) w.values = w.values.map((v) => v * alpha);
    const units = w.shape[0]!;
    const weights = addWeights(ctx, node, 1, w);
    const bias = biasOf(ctx, node, { index: 2, channels: units, input: a, weights: w, quantized, gain: beta });
    const out = ctx.output(node, 0, [aShape[0]!, units], identityPerm(2), { quantized, fuse: true });
    ctx.addQuantizedOp('FULLY_CONNECTED', [a.index, weights, bias], [out.index], { activation: out.activation, keepNumDims: false }, quantized);
  },
};
