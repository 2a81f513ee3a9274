// SPDX-License-Identifier: Apache-2.0
/**
 * TILE (tf.tile, numpy.tile): output dimension k is input dimension k times multiples[k], the input
 * repeated along each dimension. TFLite Micro has no TILE kernel; desktop TFLite's copies the stored
 * bytes, so tinyforge does the same in every dtype it carries and requires the output to share the
 * input's quantization.
 *
 * The multiples are baked into the C: a constant input, or, when a converter left them computed at
 * run time, the quotients of the static output shape by the input shape.
 *
 * The C writes every output element once: the input goes into the output's first tile, then, from
 * the innermost dimension out, each finished block is replicated multiples[k] - 1 times beside
 * itself with memcpy (the blocks grow outwards, so the outer copies are few and long).
 */
import { OpError } from '../../errors.ts';
import { DTYPE_C, type Op, type Tensor, elementCount, isConstant } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { type StridedCopy, denseStrides, renderCopy, stridedCopy } from '../common/families/strided_copy.ts';
import {
  checkedByPrepare,
  constIndexValues,
  flatOffset,
  forEachCoordinate,
  requireSameDtype,
  requireShape,
  shapeComment,
  shapeText,
} from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface TileParams {
  dtype: string;
  ctype: string;
  inShape: number[];
  outShape: number[];
  multiples: number[];
  /** where the multiples came from, for the layer comment */
  multiplesFrom: 'constant' | 'output shape';
  /** the input into the output's first tile */
  place: StridedCopy;
  /** then each block replicated beside itself, innermost dimension first (output to output) */
  replicate: { axis: number; copy: StridedCopy }[];
}

/** The shortest decimal that reads back as the same float32 (the file's 0.1 is 0.10000000149011612 as a double). */
function float32Text(v: number): string {
  const f = Math.fround(v);
  for (let digits = 1; digits < 17; digits++) {
    const text = String(Number(f.toPrecision(digits)));
    if (Math.fround(Number(text)) === f) return text;
  }
  return String(f);
}

function quantText(t: Tensor): string {
  return t.quant ? `scale ${t.quant.scale.map(float32Text).join(',')}, zero point ${t.quant.zeroPoint.join(',')}` : 'no quantization';
}

/** TILE copies bytes: a different scale or zero point on the output would be a silent requantization. */
function requireSameQuantization(op: Op, input: Tensor, output: Tensor): void {
  const a = input.quant;
  const b = output.quant;
  const same =
    a === undefined || b === undefined
      ? a === b
      : a.scale.length === b.scale.length &&
        a.scale.every((s, i) => Math.fround(s) === Math.fround(b.scale[i]!)) &&
        a.zeroPoint.length === b.zeroPoint.length &&
        a.zeroPoint.every((z, i) => z === b.zeroPoint[i]);
  if (!same) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has ${quantText(output)} but input ${tensorLabel(input)} has ${quantText(input)}; TILE copies bytes, so both must be equal`,
    );
  }
}

/** The multiples: the constant input, or derived from a static output shape. */
function multiplesOf(op: Op, input: Tensor, multiplesT: Tensor, output: Tensor): { multiples: number[]; from: TileParams['multiplesFrom'] } {
  const rank = input.shape.length;
  if (multiplesT.shape.length !== 1 || multiplesT.shape[0] !== rank) {
    throw new OpError(
      op.index,
      op.kind,
      `multiples ${tensorLabel(multiplesT)} has shape ${shapeText(multiplesT.shape)}; expected [${rank}] (one per input dimension)`,
    );
  }
  if (isConstant(multiplesT)) {
    const multiples = constIndexValues(op, multiplesT, 'multiples');
    if (multiples.some((m) => !Number.isSafeInteger(m) || m < 1)) {
      throw new OpError(op.index, op.kind, `multiples ${tensorLabel(multiplesT)} = [${multiples.join(',')}]; each must be 1 or more`);
    }
    return { multiples, from: 'constant' };
  }
  if (multiplesT.dtype !== 'int32' && multiplesT.dtype !== 'int64') {
    throw new OpError(op.index, op.kind, `multiples ${tensorLabel(multiplesT)} is ${multiplesT.dtype}; expected int32 or int64`);
  }
  const whole = output.shape.length === rank && output.shape.every((d, k) => d >= input.shape[k]! && d % input.shape[k]! === 0);
  // the batch converted at 1 counts as static, as everywhere (passes/validate.ts)
  const dynamic = output.shape.some((d) => d < 0) || (output.shapeSignature ?? []).some((d, k) => d < 0 && !(k === 0 && rank >= 2 && output.shape[0] === 1));
  if (dynamic || !whole) {
    throw new OpError(
      op.index,
      op.kind,
      `multiples ${tensorLabel(multiplesT)} is computed at run time and output ${tensorLabel(output)} ${shapeText(output.shape)} is not a static whole multiple of input ${shapeText(input.shape)}; tinyforge needs constant multiples`,
    );
  }
  return { multiples: output.shape.map((d, k) => d / input.shape[k]!), from: 'output shape' };
}

function prepareTile(graph: Parameters<OpDef['prepare']>[0], op: Op): TileParams {
  const input = requireInput(graph, op, 0, 'input');
  const multiplesT = requireInput(graph, op, 1, 'multiples');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  requireSameQuantization(op, input, output);
  const { multiples, from } = multiplesOf(op, input, multiplesT, output);
  const inShape = [...input.shape];
  const outShape = inShape.map((d, k) => d * multiples[k]!);
  requireShape(op, output, 'output', outShape);

  const outStrides = denseStrides(outShape);
  const place = stridedCopy(inShape, denseStrides(inShape), outStrides);
  // Block k (the input's extent along k of everything inside it, already tiled) starts at output
  // offset 0 of its enclosing first tile; its copies follow it at steps of its own length.
  const replicate: TileParams['replicate'] = [];
  for (let k = inShape.length - 1; k >= 0; k--) {
    if (multiples[k] === 1) continue;
    const block = inShape[k]! * outStrides[k]!;
    const extents = [...inShape.slice(0, k), multiples[k]! - 1, block];
    const src = [...outStrides.slice(0, k), 0, 1];
    const dst = [...outStrides.slice(0, k), block, 1];
    replicate.push({ axis: k, copy: stridedCopy(extents, src, dst, 0, block) });
  }
  return {
    dtype: input.dtype,
    ctype: DTYPE_C[input.dtype],
    inShape,
    outShape,
    multiples,
    multiplesFrom: from,
    place,
    replicate,
  };
}

const tile: OpDef<TileParams> = {
  kind: 'TILE',
  dir: import.meta.dirname,
  ...checkedByPrepare(prepareTile),
  macs: () => 0,

  evaluate(p, inputs, outputs) {
    // output coordinate c reads input coordinate c mod the input's shape
    const input = inputs[0]! as unknown as unknown[];
    const output = outputs[0]! as unknown as unknown[];
    const inCoord = new Array<number>(p.inShape.length).fill(0);
    forEachCoordinate(p.outShape, (coord, flat) => {
      for (let k = 0; k < coord.length; k++) inCoord[k] = coord[k]! % p.inShape[k]!;
      output[flat] = input[flatOffset(p.inShape, inCoord)];
    });
  },

  emitC(p, ctx) {
    const out = ctx.output(0);
    return ctx.render('tile.c.hbs', {
      fnName: ctx.fnName,
      dtype: p.dtype,
      inShape: shapeComment(p.inShape),
      outShape: shapeComment(p.outShape),
      multiples: p.multiples.join(', '),
      multiplesFrom: p.multiplesFrom,
      elements: elementCount(p.outShape),
      place: renderCopy(p.place, p.ctype, ctx.input(0), out),
      replicate: p.replicate.map((r) => ({
        axis: r.axis,
        times: p.multiples[r.axis] === 2 ? 'once more' : `${p.multiples[r.axis]! - 1} more times`,
        copy: renderCopy(r.copy, p.ctype, out, out),
      })),
    });
  },
};

export default tile;
