// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import { DTYPE_C, type Graph, type Op, elementCount } from '../../ir/graph.ts';
import type { LayerEmitContext, OpDef } from '../op.ts';
import { type MovementParams, denseStrides, renderCopy, stridedCopy } from '../common/families/strided_copy.ts';
import {
  constIndexValues,
  forEachCoordinate,
  normalizeAxis,
  outputTensors,
  requireSameDtype,
  requireShape,
  shapeComment,
} from '../common/families/shape_ops.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';

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
  return ctx.render('../split/split.c.hbs', {
    fnName: ctx.fnName,
    kind: ctx.op.kind,
    dtype: p.dtype,
    inShape: shapeComment(p.inShape),
    axis: p.axis,
    sizes: p.sizes.join(', '),
    copies: p.moves.map((m) => renderCopy(m.copy, p.ctype, ctx.input(m.input), ctx.output(m.output))),
  });
}

/**
 * SPLIT (TFLite Micro's reference Split): input 0 is the constant axis, input 1 the data, cut into
 * num_splits equal pieces, one per output. Pure data movement in any dtype.
 */
const split: OpDef<SplitParams> = {
  kind: 'SPLIT',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    split.prepare(graph, op);
  },

  prepare(graph, op) {
    const axisTensor = requireInput(graph, op, 0, 'axis');
    const input = requireInput(graph, op, 1, 'input');
    const axisValues = constIndexValues(op, axisTensor, 'axis');
    if (axisValues.length !== 1) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} holds ${axisValues.length} values; expected one`);
    const axis = normalizeAxis(op, axisValues[0], input.shape.length);
    const n = op.outputs.length;
    const numSplits = op.attrs.numSplits;
    if (typeof numSplits === 'number' && numSplits !== 0 && numSplits !== n) {
      throw new OpError(op.index, op.kind, `num_splits ${numSplits} but ${n} outputs`);
    }
    if (n === 0 || input.shape[axis]! % n !== 0) {
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} axis ${axis} (${input.shape[axis]} elements) does not split into ${n} equal pieces`);
    }
    return splitParams(graph, op, 1, axis, new Array<number>(n).fill(input.shape[axis]! / n), true);
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateSplit(p, inputs[p.dataInput]! as unknown as unknown[], outputs as unknown as unknown[][]);
  },

  emitC(p, ctx) {
    return emitSplit(p, ctx);
  },
};

export default split;
