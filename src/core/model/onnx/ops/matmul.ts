// SPDX-License-Identifier: Apache-2.0
/**
 * MatMul of an activation by a constant matrix B [K, N] -> FULLY_CONNECTED (weights [N, K]); an
 * input of rank 3 or more keeps its leading dimensions (keepNumDims).
 */
import type { OnnxOpLowering } from './registry.ts';
import { addWeights, weightsOf } from './common.ts';
import { identityPerm } from '../values.ts';

export const matmul: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const a0 = ctx.activation(node, 0, 'A');
    const aShape = ctx.onnxShape(a0);
    if (aShape.length < 2) throw ctx.fail(node, `A has rank ${aShape.length}; expected 2 or more`);
    const b = ctx.input(node, 1, 'B');
    if (b.kind === 'tensor') throw ctx.fail(node, 'B is an activation: a product of two activations is not supported yet');
    if (b.dims.length !== 2) throw ctx.fail(node, `B has rank ${b.dims.length}; expected a matrix`);
    const quantized = ctx.quantizedInputs(node, [a0]);
    const a = ctx.inLayout(a0, identityPerm(aShape.length));
    const w = weightsOf(ctx, node, 1, [1, 0], quantized);
    const k = aShape[aShape.length - 1]!;
    if (w.shape[1] !== k) throw ctx.fail(node, `B of shape [${b.dims.join(',')}] does not take K = ${k}`);
    const units = w.shape[0]!;
    const weights = addWeights(ctx, node, 1, w);
    const outShape = [...aShape.slice(0, -1), units];
    const out = ctx.output(node, 0, outShape, identityPerm(outShape.length), { quantized, fuse: true });
    ctx.addQuantizedOp('FULLY_CONNECTED', [a.index, weights, -1], [out.index], { activation: out.activation, keepNumDims: aShape.length > 2 }, quantized);
  },
};
