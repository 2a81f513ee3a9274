// SPDX-License-Identifier: Apache-2.0
/**
 * GATHER_ND (TFLite Micro's gather_nd.cc): the output is indices.shape[:-1] + params.shape[nd:],
 * where nd = indices.shape[-1] (at most 5, at most params' rank); each of the indices' rows of nd
 * coordinates picks one slice of params.shape[nd:]. int8 and float32 params, int32 indices,
 * constant or computed at run time.
 *
 * As TFLite Micro, a row's position is Σ index[j]·stride[j] in params' flat order, and only that
 * position is checked (0 <= position, position + slice <= params' size): a coordinate past its
 * dimension that stays inside params reads the slice there. A position out of range makes TFLite
 * Micro's Invoke fail; generated code cannot fail, so that slice of the output is zeros instead. A
 * constant index row out of range is rejected at compile time. The C sums in 64 bits (TFLite
 * Micro's int sum could overflow, which is undefined in C).
 */
import { OpError } from '../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type Graph, type Op, isConstant } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import type { OpDef } from '../op.ts';
import { checkedByPrepare, requireSameDtype, requireShape, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

const MAX_INDICES_ND = 5;

export interface GatherNdParams {
  dtype: 'int8' | 'float32';
  /** index rows */
  slices: number;
  /** coordinates per row */
  nd: number;
  /** elements per slice */
  sliceSize: number;
  /** params' element strides of the first nd dimensions */
  strides: number[];
  flatSize: number;
  paramsShape: number[];
  indicesShape: number[];
  outShape: number[];
}

/** A row's flat position, or undefined where TFLite Micro fails. */
function position(p: GatherNdParams, index: ArrayLike<number>, row: number): number | undefined {
  // in BigInt: products of int32 coordinates and strides pass 2^53
  let pos = 0n;
  for (let j = 0; j < p.nd; j++) pos += BigInt(index[row * p.nd + j]!) * BigInt(p.strides[j]!);
  return pos < 0n || pos + BigInt(p.sliceSize) > BigInt(p.flatSize) ? undefined : Number(pos);
}

function prepareGatherNd(graph: Graph, op: Op): GatherNdParams {
  if (op.inputs.length !== 2) throw new OpError(op.index, op.kind, `expected 2 inputs (params, indices), got ${op.inputs.length}`);
  const params = requireInput(graph, op, 0, 'params');
  const indices = requireInput(graph, op, 1, 'indices');
  const output = requireOutput(graph, op);
  if (params.dtype !== 'int8' && params.dtype !== 'float32')
    throw new OpError(op.index, op.kind, `params ${tensorLabel(params)} is ${params.dtype}; TFLite Micro's GATHER_ND supports int8 and float32`);
  requireSameDtype(op, params, output);
  if (indices.dtype !== 'int32')
    throw new OpError(op.index, op.kind, `indices ${tensorLabel(indices)} is ${indices.dtype}; TFLite Micro's GATHER_ND supports int32 indices`);
  const rank = params.shape.length;
  if (rank < 1) throw new OpError(op.index, op.kind, `params ${tensorLabel(params)} is a scalar; TFLite Micro's GATHER_ND needs at least a vector`);
  if (indices.shape.length < 1)
    throw new OpError(op.index, op.kind, `indices ${tensorLabel(indices)} is a scalar; TFLite Micro's GATHER_ND needs at least a vector`);
  const nd = indices.shape[indices.shape.length - 1]!;
  if (nd > rank) throw new OpError(op.index, op.kind, `indices ${tensorLabel(indices)} have ${nd} coordinates per row, more than params' rank ${rank}`);
  if (nd > MAX_INDICES_ND)
    throw new OpError(
      op.index,
      op.kind,
      `indices ${tensorLabel(indices)} have ${nd} coordinates per row; TFLite Micro's GATHER_ND takes at most ${MAX_INDICES_ND}`,
    );
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  requireShape(op, output, 'output', [...indices.shape.slice(0, -1), ...params.shape.slice(nd)]);
  const strides = params.shape.slice(0, nd).map((_, j) => prod(params.shape.slice(j + 1)));
  const p: GatherNdParams = {
    dtype: params.dtype,
    slices: prod(indices.shape.slice(0, -1)),
    nd,
    sliceSize: prod(params.shape.slice(nd)),
    strides,
    flatSize: prod(params.shape),
    paramsShape: [...params.shape],
    indicesShape: [...indices.shape],
    outShape: [...output.shape],
  };
  if (isConstant(indices)) {
    const index = fromBytes('int32', indices.data!) as Int32Array;
    for (let i = 0; i < p.slices; i++) {
      if (position(p, index, i) === undefined) {
        const row = Array.from(index.subarray(i * nd, (i + 1) * nd));
        throw new OpError(
          op.index,
          op.kind,
          `index [${row.join(',')}] (row ${i} of ${tensorLabel(indices)}) is out of range for params [${params.shape.join(',')}]`,
        );
      }
    }
  }
  return p;
}

const gatherNd: OpDef<GatherNdParams> = {
  kind: 'GATHER_ND',
  dir: import.meta.dirname,
  // copies stored values: float32 layers run the same C
  floatKernel: true,
  ...checkedByPrepare(prepareGatherNd),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const src = inputs[0] as Int8Array;
    const index = inputs[1] as Int32Array;
    const out = outputs[0] as Int8Array;
    for (let i = 0; i < p.slices; i++) {
      const pos = position(p, index, i);
      const dst = i * p.sliceSize;
      if (pos === undefined) out.fill(0, dst, dst + p.sliceSize);
      else out.set(src.subarray(pos, pos + p.sliceSize), dst);
    }
  },
  emitC(p, ctx) {
    const ctype = DTYPE_C[p.dtype];
    const bytes = p.sliceSize * DTYPE_BYTES[p.dtype];
    const sum = p.strides.map((s, j) => `(int64_t)idx[${j}] * ${s}`).join(' + ');
    return `/* GATHER_ND ${p.dtype} [${shapeComment(p.paramsShape)}] by indices [${shapeComment(p.indicesShape)}] -> [${shapeComment(p.outShape)}]: ${p.slices} slices of ${p.sliceSize}; a position out of range gives zeros (TFLite Micro fails) */
static void ${ctx.fnName}(void) {
  const ${ctype} *params = ${ctx.input(0)};
  const int32_t *idx = ${ctx.input(1)};
  ${ctype} *out = ${ctx.output(0)};
  int i;
  for (i = 0; i < ${p.slices}; ++i) {
    /* flat position: coordinates times params' strides (${p.strides.join(', ')}) */
    const int64_t pos = ${sum};
    if (pos < 0 || pos + ${p.sliceSize} > ${p.flatSize}) memset(out, 0, ${bytes});
    else memcpy(out, params + (int32_t)pos, ${bytes});
    idx += ${p.nd};
    out += ${p.sliceSize};
  }
}
`;
  },
};

export default gatherNd;
