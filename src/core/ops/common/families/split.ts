// SPDX-License-Identifier: Apache-2.0
/**
 * The movement of SPLIT, SPLIT_V and UNPACK: one input cut along an axis into consecutive pieces, one
 * per output (UNPACK's drop the axis); its params, checks of the outputs, reference loops and C.
 */
import { OpError } from '../../../errors.ts';
import { DTYPE_C, type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type MovementParams, denseStrides, renderCopy, stridedCopy } from './strided_copy.ts';
import { forEachCoordinate, outputTensors, requireSameDtype, requireShape, shapeComment } from './shape_ops.ts';
import { requireInput } from './weighted.ts';

/** One input cut along `axis` into consecutive pieces of `sizes` elements (one per output). */
export interface SplitParams extends MovementParams {
  inShape: number[];
  axis: number;
  sizes: number[];
  /** whether the outputs keep the split axis (SPLIT, SPLIT_V) or drop it (UNPACK) */
  keepsAxis: boolean;
  /** which op input holds the data */
  dataInput: number;
}

/** The expected output shape of piece `size` along `axis`. */
export function pieceShape(inShape: readonly number[], axis: number, size: number, keepsAxis: boolean): number[] {
  const shape = [...inShape];
  if (keepsAxis) shape[axis] = size;
  else shape.splice(axis, 1);
  return shape;
}

/** Checks the outputs against the pieces (dtype and shape) and builds the movements. */
export function splitParams(graph: Graph, op: Op, dataInput: number, axis: number, sizes: number[], keepsAxis: boolean): SplitParams {
  const input = requireInput(graph, op, dataInput, 'input');
  const outputs = outputTensors(graph, op);
  if (outputs.length !== sizes.length) throw new OpError(op.index, op.kind, `expected ${sizes.length} outputs, got ${outputs.length}`);
  const inStrides = denseStrides(input.shape);
  let offset = 0;
  const moves = sizes.map((size, j) => {
    const output = outputs[j]!;
    requireSameDtype(op, input, output);
    requireShape(op, output, `output ${j}`, pieceShape(input.shape, axis, size, keepsAxis));
    const extents = [...input.shape];
    extents[axis] = size;
    const copy = stridedCopy(extents, inStrides, denseStrides(extents), offset * inStrides[axis]!);
    offset += size;
    return { input: dataInput, output: j, copy };
  });
  return {
    dtype: input.dtype,
    ctype: DTYPE_C[input.dtype],
    moves,
    outputElements: outputs.map((t) => elementCount(t.shape)),
    inShape: [...input.shape],
    axis,
    sizes,
    keepsAxis,
    dataInput,
  };
}

/** The reference kernel: output j holds input elements offset_j .. offset_j + size_j - 1 along the axis. */
export function evaluateSplit(p: SplitParams, input: unknown[], outputs: unknown[][]): void {
  const inStrides = denseStrides(p.inShape);
  let offset = 0;
  p.sizes.forEach((size, j) => {
    const extents = [...p.inShape];
    extents[p.axis] = size;
    const out = outputs[j]!;
    forEachCoordinate(extents, (coord, flat) => {
      let at = 0;
      for (let k = 0; k < coord.length; k++) at += (coord[k]! + (k === p.axis ? offset : 0)) * inStrides[k]!;
      out[flat] = input[at];
    });
    offset += size;
  });
}

export function emitSplit(p: SplitParams, ctx: LayerEmitContext): string {
  return ctx.render('../common/families/split.c.hbs', {
    fnName: ctx.fnName,
    kind: ctx.op.kind,
    dtype: p.dtype,
    inShape: shapeComment(p.inShape),
    axis: p.axis,
    sizes: p.sizes.join(', '),
    copies: p.moves.map((m) => renderCopy(m.copy, p.ctype, ctx.input(m.input), ctx.output(m.output))),
  });
}
