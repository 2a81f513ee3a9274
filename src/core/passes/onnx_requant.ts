// SPDX-License-Identifier: Apache-2.0
/**
 * `CompileOptions.onnxRequant`: layers lowered from ONNX compute as ONNX Runtime does (`exact`, the
 * default: float32 requantization, bit-exact with it) or in TFLite's fixed point (`fixed`: the
 * faster integer kernels and their target variants, within 1 LSB of ONNX Runtime). `fixed` marks
 * them so (requant_f32.ts ONNX_FIXED_POINT); the kernels then take TFLite's arithmetic.
 */
import type { Graph } from '../ir/graph.ts';
import { ONNX_FIXED_POINT } from '../ops/common/numerics/requant_f32.ts';

export type OnnxRequant = 'exact' | 'fixed';

export function applyOnnxRequant(graph: Graph, mode: OnnxRequant | undefined): Graph {
  if (mode !== 'fixed' || !graph.ops.some((op) => op.attrs.arithmetic === 'onnxruntime')) return graph;
  return {
    ...graph,
    ops: graph.ops.map((op) => (op.attrs.arithmetic === 'onnxruntime' ? { ...op, attrs: { ...op.attrs, arithmetic: ONNX_FIXED_POINT } } : op)),
  };
}
