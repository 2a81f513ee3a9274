// SPDX-License-Identifier: Apache-2.0
/**
 * GATHER (TFLite Micro's gather.cc), int8 params with int32 positions (the types TFLite Micro's
 * kernel takes, float32 aside): output = params[batch, outer, positions[batch, coord], inner], the
 * output shaped params[:axis] + positions[batch_dims:] + params[axis+1:]. Positions may be constant
 * or computed at run time; each one moves one contiguous run of `inner` elements.
 *
 * A position outside [0, axis size) makes TFLite Micro's Invoke fail (the output is left partly
 * written). Generated code cannot fail, so it writes zeros for that run instead; a constant
 * position out of range is rejected at compile time.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type Graph, type Op, isConstant } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import type { OpDef } from '../op.ts';
import { checkedByPrepare, normalizeAxis, requireSameDtype, requireShape, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface GatherParams {
  dtype: string;
  ctype: string;
  batch: number;
  outer: number;
  coords: number;
  axisSize: number;
  inner: number;
  inShape: number[];
  outShape: number[];
  axis: number;
  batchDims: number;
}

function prepareGather(graph: Graph, op: Op): GatherParams {
  const input = requireInput(graph, op, 0, 'params');
  const positions = requireInput(graph, op, 1, 'positions');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  if (input.dtype !== 'int8' && input.dtype !== 'float32')
    throw new OpError(op.index, op.kind, `params ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's GATHER supports int8 and float32`);
  if (positions.dtype !== 'int32')
    throw new OpError(op.index, op.kind, `positions ${tensorLabel(positions)} is ${positions.dtype}; TFLite Micro's GATHER supports int32 positions`);
  const rank = input.shape.length;
  if (rank === 0) throw new OpError(op.index, op.kind, `params ${tensorLabel(input)} is a scalar`);
  const axis = normalizeAxis(op, op.attrs.axis ?? 0, rank);
  let batchDims = (op.attrs.batchDims ?? 0) as number;
  if (typeof batchDims !== 'number' || !Number.isInteger(batchDims)) throw new OpError(op.index, op.kind, `batch_dims ${String(batchDims)} is not an integer`);
  if (batchDims < 0) batchDims += positions.shape.length;
  if (batchDims < 0 || batchDims > axis || batchDims >= rank || batchDims > positions.shape.length) {
    throw new OpError(
      op.index,
      op.kind,
      `batch_dims ${String(op.attrs.batchDims)} is out of range for axis ${axis} and positions of rank ${positions.shape.length}`,
    );
  }
  for (let i = 0; i < batchDims; i++) {
    if (input.shape[i] !== positions.shape[i]) throw new OpError(op.index, op.kind, `params and positions differ in batch dimension ${i}`);
  }
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const expected = [...input.shape.slice(0, axis), ...positions.shape.slice(batchDims), ...input.shape.slice(axis + 1)];
  requireShape(op, output, 'output', expected);
  const axisSize = input.shape[axis]!;
  if (isConstant(positions)) {
    const bad = Array.from(fromBytes('int32', positions.data!) as Int32Array).find((v) => v < 0 || v >= axisSize);
    if (bad !== undefined) throw new OpError(op.index, op.kind, `position ${bad} is out of range for axis ${axis} of size ${axisSize}`);
  }
  return {
    dtype: input.dtype,
    ctype: DTYPE_C[input.dtype],
    batch: prod(input.shape.slice(0, batchDims)),
    outer: prod(input.shape.slice(batchDims, axis)),
    coords: prod(positions.shape.slice(batchDims)),
    axisSize,
    inner: prod(input.shape.slice(axis + 1)),
    inShape: [...input.shape],
    outShape: [...output.shape],
    axis,
    batchDims,
  };
}

const gather: OpDef<GatherParams> = {
  kind: 'GATHER',
  dir: import.meta.dirname,
  // copies stored values: float32 layers run the same C
  floatKernel: true,
  ...checkedByPrepare(prepareGather),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const src = inputs[0] as Int8Array;
    const pos = inputs[1] as Int32Array;
    const out = outputs[0] as Int8Array;
    for (let b = 0; b < p.batch; b++) {
      for (let o = 0; o < p.outer; o++) {
        for (let c = 0; c < p.coords; c++) {
          const v = pos[b * p.coords + c]!;
          const dst = ((b * p.outer + o) * p.coords + c) * p.inner;
          if (v < 0 || v >= p.axisSize) out.fill(0, dst, dst + p.inner);
          else out.set(src.subarray(((b * p.outer + o) * p.axisSize + v) * p.inner, ((b * p.outer + o) * p.axisSize + v + 1) * p.inner), dst);
        }
      }
    }
  },
  emitC(p, ctx) {
    return ctx.render('gather.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      inShapeText: shapeComment(p.inShape),
      outShapeText: shapeComment(p.outShape),
      input: ctx.input(0),
      positions: ctx.input(1),
      output: ctx.output(0),
      runBytes: p.inner * DTYPE_BYTES[p.dtype as keyof typeof DTYPE_BYTES],
    });
  },
};

export default gather;
