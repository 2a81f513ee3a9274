// SPDX-License-Identifier: Apache-2.0
/**
 * Pruned layers, generated: a CONV_2D (1x1 or KxK), DEPTHWISE_CONV_2D or FULLY_CONNECTED whose
 * int8 weights are zero at a given share (each weight independently, as magnitude pruning leaves
 * them), per-channel scales, a bias, RELU6. For the sparse-or-dense choice (encoding_choice.ts):
 * the same layer at every sparsity, dense and as the compiler chooses.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, rng } from './op_harness.ts';

export interface PrunedLayerShape {
  kind: 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED';
  /** input height and width (square; 1 for FULLY_CONNECTED) */
  size: number;
  inC: number;
  /** output channels (DEPTHWISE_CONV_2D: inC) */
  outC: number;
  /** kernel height and width (1 for FULLY_CONNECTED) */
  k: number;
  /** rows of a FULLY_CONNECTED input (its batch) */
  batches?: number;
}

/** A one-layer graph of `shape` with `sparsity` of its weights zero; the seed fixes every value. */
export function prunedLayer(shape: PrunedLayerShape, sparsity: number, seed: number, name = 'pruned'): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const q = { scale: 0.02, zeroPoint: -3 };
  const fc = shape.kind === 'FULLY_CONNECTED';
  const depthwise = shape.kind === 'DEPTHWISE_CONV_2D';
  const outC = depthwise ? shape.inC : shape.outC;
  const inShape = fc ? [shape.batches ?? 1, shape.inC] : [1, shape.size, shape.size, shape.inC];
  const x = b.input({ shape: inShape, q, name: 'input' });
  const wShape = fc ? [outC, shape.inC] : depthwise ? [1, shape.k, shape.k, outC] : [outC, shape.k, shape.k, shape.inC];
  const count = wShape.reduce((a, d) => a * d, 1);
  const values = Int8Array.from({ length: count }, () => (rand() < sparsity ? 0 : randomInt(rand, -127, 127) || 1));
  const scales = Array.from({ length: outC }, () => 0.003 + rand() * 0.004);
  const axis = depthwise ? 3 : 0;
  const w = b.constant({ shape: wShape, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis } }, values);
  const bias = b.constant(
    { shape: [outC], dtype: 'int32', quant: { scale: scales.map((s) => s * q.scale), zeroPoint: scales.map(() => 0), axis: 0 } },
    Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)),
  );
  const fanIn = (depthwise ? 1 : shape.inC) * shape.k * shape.k * (1 - sparsity);
  const yq = { scale: (q.scale * 0.005 * Math.sqrt(Math.max(1, fanIn)) * 73 * 40) / 60, zeroPoint: -128 };
  if (fc) {
    const y = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [shape.batches ?? 1, outC], q: yq, name: 'y' }], { activation: 'RELU6', keepNumDims: false })[0]!;
    b.output(y);
    return b.build();
  }
  const attrs = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6', ...(depthwise ? { depthMultiplier: 1 } : {}) };
  const y = b.op(shape.kind, [x, w, bias], [{ shape: [1, shape.size, shape.size, outC], q: yq, name: 'y' }], attrs)[0]!;
  b.output(y);
  return b.build();
}
