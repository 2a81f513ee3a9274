// SPDX-License-Identifier: Apache-2.0
/**
 * The movement of CONCATENATION and PACK: inputs placed one after another along an axis of the output
 * (PACK's each with a new axis of extent 1), bytes copied unchanged; its params, reference loops and C.
 */
import { DTYPE_C, type Graph, type Op, type Tensor, elementCount } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type MovementParams, denseStrides, renderCopy, stridedCopy } from './strided_copy.ts';
import { forEachCoordinate, shapeComment } from './shape_ops.ts';

/** Inputs placed one after another along `axis` of the output. */
export interface ConcatParams extends MovementParams {
  outShape: number[];
  axis: number;
  /** each input's shape with the concatenation axis present (PACK inserts it with extent 1) */
  pieces: number[][];
  /** inputs whose quantization differs from the output's (their bytes are copied unchanged, as TFLite Micro; int8 CONCATENATION rejects them) */
  requantizationIgnored: number[];
}

/** Movements placing each input's `piece` shape at consecutive offsets along `axis` of the output. */
export function concatParams(graph: Graph, op: Op, inputs: Tensor[], output: Tensor, axis: number, pieces: number[][]): ConcatParams {
  const outStrides = denseStrides(output.shape);
  let offset = 0;
  const moves = pieces.map((piece, j) => {
    const copy = stridedCopy(piece, denseStrides(piece), outStrides, 0, offset * outStrides[axis]!);
    offset += piece[axis]!;
    return { input: j, output: 0, copy };
  });
  return {
    dtype: output.dtype,
    ctype: DTYPE_C[output.dtype],
    moves,
    outputElements: [elementCount(output.shape)],
    outShape: [...output.shape],
    axis,
    pieces,
    requantizationIgnored: inputs.map((t, j) => (sameQuantization(t, output) ? -1 : j)).filter((j) => j >= 0),
  };
}

function sameQuantization(a: Tensor, b: Tensor): boolean {
  if (!a.quant || !b.quant) return !a.quant && !b.quant;
  return Math.fround(a.quant.scale[0]!) === Math.fround(b.quant.scale[0]!) && a.quant.zeroPoint[0] === b.quant.zeroPoint[0];
}

/** The reference kernel: each input's elements land at its offset along the axis. */
export function evaluateConcat(p: ConcatParams, inputs: unknown[][], output: unknown[]): void {
  const outStrides = denseStrides(p.outShape);
  let offset = 0;
  p.pieces.forEach((piece, j) => {
    const input = inputs[j]!;
    forEachCoordinate(piece, (coord, flat) => {
      let at = 0;
      for (let k = 0; k < coord.length; k++) at += (coord[k]! + (k === p.axis ? offset : 0)) * outStrides[k]!;
      output[at] = input[flat];
    });
    offset += piece[p.axis]!;
  });
}

export function emitConcat(p: ConcatParams, ctx: LayerEmitContext): string {
  return ctx.render('../common/families/concat.c.hbs', {
    fnName: ctx.fnName,
    kind: ctx.op.kind,
    dtype: p.dtype,
    inShapes: p.pieces.map(shapeComment).join(', '),
    outShape: shapeComment(p.outShape),
    axis: p.axis,
    note:
      p.requantizationIgnored.length === 0
        ? ''
        : `\n * inputs ${p.requantizationIgnored.join(', ')} are quantized unlike the output: TFLite Micro copies their bytes unchanged, and so does this kernel`,
    copies: p.moves.map((m) => renderCopy(m.copy, p.ctype, ctx.input(m.input), ctx.output(m.output))),
  });
}
