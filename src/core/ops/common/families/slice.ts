// SPDX-License-Identifier: Apache-2.0
/**
 * The movement of SLICE and STRIDED_SLICE: per input axis a start, a step and a count, copied by the
 * merged strided copy; its params, reference loops and C.
 */
import { DTYPE_C, type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type MovementParams, denseStrides, renderCopy, stridedCopy } from './strided_copy.ts';
import { forEachCoordinate, shapeComment } from './shape_ops.ts';

/** A slice of every input axis: start, step and element count (the output keeps the non-shrunk axes). */
export interface SliceParams extends MovementParams {
  inShape: number[];
  outShape: number[];
  starts: number[];
  steps: number[];
  counts: number[];
}

/** Builds the prepared parameters of a slice given per-axis starts, steps and counts. */
export function sliceParams(graph: Graph, op: Op, starts: number[], steps: number[], counts: number[]): SliceParams {
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  const inStrides = denseStrides(input.shape);
  const outStrides = denseStrides(counts);
  const copy = stridedCopy(
    counts,
    inStrides.map((s, k) => s * steps[k]!),
    outStrides,
    starts.reduce((n, s, k) => n + s * inStrides[k]!, 0),
  );
  return {
    dtype: input.dtype,
    ctype: DTYPE_C[input.dtype],
    moves: [{ input: 0, output: 0, copy }],
    outputElements: [elementCount(output.shape)],
    inShape: [...input.shape],
    outShape: [...output.shape],
    starts,
    steps,
    counts,
  };
}

/** The reference kernel of both slices: element i along axis k is input index starts[k] + i·steps[k]. */
export function evaluateSlice(p: SliceParams, input: unknown[], output: unknown[]): void {
  const inStrides = denseStrides(p.inShape);
  forEachCoordinate(p.counts, (coord, flat) => {
    let at = 0;
    for (let k = 0; k < coord.length; k++) at += (p.starts[k]! + coord[k]! * p.steps[k]!) * inStrides[k]!;
    output[flat] = input[at];
  });
}

export function emitSlice(p: SliceParams, ctx: LayerEmitContext, detail: string): string {
  return ctx.render('../common/families/slice.c.hbs', {
    fnName: ctx.fnName,
    kind: ctx.op.kind,
    dtype: p.dtype,
    inShape: shapeComment(p.inShape),
    outShape: shapeComment(p.outShape),
    detail,
    copy: renderCopy(p.moves[0]!.copy, p.ctype, ctx.input(0), ctx.output(0)),
  });
}
