// SPDX-License-Identifier: Apache-2.0
/**
 * `CompileOptions.onnxRequant`: layers lowered from ONNX compute as ONNX Runtime does (`exact`, the
 * default: float32 requantization, bit-exact with it) or in TFLite's fixed point (`fixed`: the
 * faster integer kernels and their target variants, within 1 LSB of ONNX Runtime). `fixed` marks
 * them so (requant_f32.ts ONNX_FIXED_POINT); the kernels then take TFLite's arithmetic.
 */
import type { Graph, Op, Quantization } from '../ir/graph.ts';
import { ONNX_FIXED_POINT } from '../ops/common/numerics/requant_f32.ts';

export type OnnxRequant = 'exact' | 'fixed';

export function applyOnnxRequant(graph: Graph, mode: OnnxRequant | undefined): Graph {
  if (mode !== 'fixed' || !graph.ops.some((op) => op.attrs.arithmetic === 'onnxruntime')) return graph;
  return {
    ...graph,
    ops: graph.ops.map((op) =>
      op.attrs.arithmetic === 'onnxruntime' && !keepsExactPool(graph, op) && !EXACT_TABLES.has(op.kind)
        ? { ...op, attrs: { ...op.attrs, arithmetic: ONNX_FIXED_POINT } }
        : op,
    ),
  };
}

/**
 * Ops that run as a 256-entry table either way: ONNX Runtime's table costs what TFLite's does, and
 * takes any output quantization (TFLite's LOGISTIC writes 1/256 only), so they stay exact.
 */
const EXACT_TABLES = new Set(['LOGISTIC', 'LEAKY_RELU']);

/**
 * An average pool whose output parameters differ from its input's stays exact: TFLite's pool keeps
 * its input's parameters, so in fixed point it would need a QUANTIZE after it, two roundings and up
 * to 2 LSB from ONNX Runtime; the exact pool rounds once, for a cost per window, not per MAC. So
 * does one with explicit pads, which only the exact pool places.
 */
function keepsExactPool(graph: Graph, op: Op): boolean {
  if (op.kind !== 'AVERAGE_POOL_2D') return false;
  // TFLite's pool has no explicit pads
  if (op.attrs.explicitPads) return true;
  const input = graph.tensors[op.inputs[0] ?? -1]?.quant;
  const output = graph.tensors[op.outputs[0] ?? -1]?.quant;
  return !!input && !!output && !sameParameters(input, output);
}

function sameParameters(a: Quantization, b: Quantization): boolean {
  return (
    a.scale.length === b.scale.length &&
    a.scale.every((s, i) => Math.fround(s) === Math.fround(b.scale[i]!)) &&
    a.zeroPoint.every((z, i) => z === b.zeroPoint[i])
  );
}
