// SPDX-License-Identifier: Apache-2.0
/**
 * What tinyforge cannot compile, reported up front with the op at fault: dynamic shapes (a -1 in a
 * tensor's shape or shape_signature) and float ops inside an int8 model. All problems are listed in
 * one error, each naming its op.
 */
import { TinyforgeError } from '../errors.ts';
import type { Graph, Op, Tensor } from '../ir/graph.ts';
import { isConstant } from '../ir/graph.ts';
import { tensorLabel } from '../ops/common/weighted.ts';
import { opLabel } from './graph_edit.ts';

/**
 * A dimension is dynamic when the shape holds a negative size, or when the shape_signature marks it
 * -1. One exception: the batch (dimension 0 of a tensor of rank 2 or more) converted at size 1.
 * Keras marks the batch -1 in nearly every model, and TFLite Micro runs such models at batch 1, as
 * tinyforge does.
 */
export function dynamicDimensions(t: Tensor): number[] {
  const dims: number[] = [];
  t.shape.forEach((d, k) => {
    if (d < 0) dims.push(k);
  });
  (t.shapeSignature ?? []).forEach((d, k) => {
    const batchOfOne = k === 0 && t.shape.length >= 2 && t.shape[0] === 1;
    if (d < 0 && !batchOfOne && !dims.includes(k)) dims.push(k);
  });
  return dims;
}

export function rejectDynamicShapes(graph: Graph, source: string): void {
  const problems: string[] = [];
  const reported = new Set<number>();
  const report = (t: Tensor, where: string) => {
    if (reported.has(t.index)) return;
    const dims = dynamicDimensions(t);
    if (dims.length === 0) return;
    reported.add(t.index);
    const signature = t.shapeSignature
      ? `shape_signature [${t.shapeSignature.join(',')}], converted as [${t.shape.join(',')}]`
      : `shape [${t.shape.join(',')}]`;
    problems.push(
      `${where}${tensorLabel(t)} has a dynamic shape (${signature}; dimension ${dims.join(', ')}): tinyforge compiles static shapes only; export the model with fixed sizes`,
    );
  };
  for (const op of graph.ops) {
    for (const i of op.inputs) if (i >= 0) report(graph.tensors[i]!, `${opLabel(op)}: input `);
    for (const o of op.outputs) report(graph.tensors[o]!, `${opLabel(op)}: output `);
  }
  for (const i of [...graph.inputs, ...graph.outputs]) report(graph.tensors[i]!, 'model input/output ');
  if (problems.length > 0) throw new TinyforgeError(`${source}: ${problems.join('; ')}`);
}

// CAST to or from float32 is a boundary too: converting is that op's job
const BOUNDARY = new Set(['QUANTIZE', 'DEQUANTIZE', 'CAST']);

/** An op computes on quantized integers: a non-constant int8/int16 tensor with quantization parameters. */
function isIntegerOp(graph: Graph, op: Op): boolean {
  return [...op.inputs, ...op.outputs].some((i) => {
    const t = graph.tensors[i];
    return t !== undefined && !isConstant(t) && (t.dtype === 'int8' || t.dtype === 'int16') && t.quant !== undefined;
  });
}

function floatTensorOf(graph: Graph, op: Op): Tensor | undefined {
  return [...op.inputs, ...op.outputs].map((i) => graph.tensors[i]).find((t): t is Tensor => t !== undefined && t.dtype === 'float32');
}

/**
 * Float ops inside an int8 model: anything but QUANTIZE / DEQUANTIZE (the legitimate boundaries)
 * that reads or writes float32, in a model that otherwise computes on int8. (A model with no integer
 * op at all is a float model; prepareGraph says so.)
 */
export function rejectFloatIslands(graph: Graph, source: string): void {
  if (!graph.ops.some((op) => !BOUNDARY.has(op.kind) && isIntegerOp(graph, op))) return;
  const problems = graph.ops
    .filter((op) => !BOUNDARY.has(op.kind))
    .map((op) => ({ op, t: floatTensorOf(graph, op) }))
    .filter((x): x is { op: Op; t: Tensor } => x.t !== undefined)
    .map(
      ({ op, t }) =>
        `${opLabel(op)} computes in float32 (${tensorLabel(t)}) inside an int8 model: tinyforge runs integer kernels only; quantize this op too (full-integer quantization) or end the model before it`,
    );
  if (problems.length > 0) throw new TinyforgeError(`${source}: ${problems.join('; ')}`);
}
