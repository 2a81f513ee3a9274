// SPDX-License-Identifier: Apache-2.0
/**
 * DYNAMIC_UPDATE_SLICE (TFLite Micro's dynamic_update_slice.cc): the operand with the update
 * written over it at start_indices. Operand and update are float32, int8, int16 or int32 of one
 * rank (the update no larger in any dimension); start_indices is int32 or int64 (one per
 * dimension), constant or computed at run time. As TFLite Micro, each start is clamped to
 * [0, operand dim - update dim] (in 64 bits), so every index is defined and the update stays
 * inside the operand; an update the size of the operand replaces it whole.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type DType, type Graph, type Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { denseStrides } from '../common/families/strided_copy.ts';
import { checkedByPrepare, requireSameDtype, requireShape, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

const DTYPES: readonly DType[] = ['float32', 'int8', 'int16', 'int32'];
/** RuntimeShape::kMaxSmallSize */
const MAX_RANK = 6;

export interface DynamicUpdateSliceParams {
  dtype: DType;
  indexType: 'int32' | 'int64';
  shape: number[];
  updateShape: number[];
  /** operand dim - update dim: each start is clamped to [0, limit] */
  limits: number[];
  outStrides: number[];
  count: number;
  updateCount: number;
}

function prepareDus(graph: Graph, op: Op): DynamicUpdateSliceParams {
  if (op.inputs.length !== 3) throw new OpError(op.index, op.kind, `expected 3 inputs (operand, update, start_indices), got ${op.inputs.length}`);
  const operand = requireInput(graph, op, 0, 'operand');
  const update = requireInput(graph, op, 1, 'update');
  const start = requireInput(graph, op, 2, 'start_indices');
  const output = requireOutput(graph, op);
  if (!DTYPES.includes(operand.dtype))
    throw new OpError(
      op.index,
      op.kind,
      `operand ${tensorLabel(operand)} is ${operand.dtype}; TFLite Micro's DYNAMIC_UPDATE_SLICE supports ${DTYPES.join(', ')}`,
    );
  if (update.dtype !== operand.dtype)
    throw new OpError(op.index, op.kind, `update ${tensorLabel(update)} is ${update.dtype} but operand ${tensorLabel(operand)} is ${operand.dtype}`);
  requireSameDtype(op, operand, output);
  if (start.dtype !== 'int32' && start.dtype !== 'int64')
    throw new OpError(op.index, op.kind, `start_indices ${tensorLabel(start)} is ${start.dtype}; TFLite Micro's DYNAMIC_UPDATE_SLICE takes int32 or int64`);
  const rank = operand.shape.length;
  if (rank < 1 || rank > MAX_RANK)
    throw new OpError(op.index, op.kind, `operand ${tensorLabel(operand)} has rank ${rank}; TFLite Micro's DYNAMIC_UPDATE_SLICE takes 1 to ${MAX_RANK}`);
  if (start.shape.length !== 1 || start.shape[0] !== rank)
    throw new OpError(
      op.index,
      op.kind,
      `start_indices ${tensorLabel(start)} has shape [${start.shape.join(',')}]; expected [${rank}], one start per operand dimension`,
    );
  if (update.shape.length !== rank)
    throw new OpError(op.index, op.kind, `update ${tensorLabel(update)} has rank ${update.shape.length}; the operand's is ${rank}`);
  update.shape.forEach((d, i) => {
    if (d > operand.shape[i]!)
      throw new OpError(
        op.index,
        op.kind,
        `update ${tensorLabel(update)} [${update.shape.join(',')}] is larger than operand [${operand.shape.join(',')}] in dimension ${i}`,
      );
  });
  requireShape(op, output, 'output', operand.shape);
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    dtype: operand.dtype,
    indexType: start.dtype,
    shape: [...operand.shape],
    updateShape: [...update.shape],
    limits: operand.shape.map((d, i) => d - update.shape[i]!),
    outStrides: denseStrides(operand.shape),
    count: prod(operand.shape),
    updateCount: prod(update.shape),
  };
}

const dynamicUpdateSlice: OpDef<DynamicUpdateSliceParams> = {
  kind: 'DYNAMIC_UPDATE_SLICE',
  dir: import.meta.dirname,
  // moves stored values: float32 layers run the same C
  floatKernel: true,
  ...checkedByPrepare(prepareDus),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const operand = inputs[0] as Int8Array;
    const update = inputs[1] as Int8Array;
    const start = inputs[2] as Int32Array | BigInt64Array;
    const out = outputs[0] as Int8Array;
    if (p.count === p.updateCount) {
      out.set(update);
      return;
    }
    out.set(operand);
    const rank = p.shape.length;
    let base = 0;
    for (let d = 0; d < rank; d++) {
      const v = BigInt(start[d]!);
      const lim = BigInt(p.limits[d]!);
      base += Number(v < 0n ? 0n : v > lim ? lim : v) * p.outStrides[d]!;
    }
    const last = p.updateShape[rank - 1]!;
    const rows = p.updateCount / last;
    for (let r = 0; r < rows; r++) {
      let off = base;
      let rem = r;
      for (let d = rank - 2; d >= 0; d--) {
        off += (rem % p.updateShape[d]!) * p.outStrides[d]!;
        rem = Math.floor(rem / p.updateShape[d]!);
      }
      out.set(update.subarray(r * last, (r + 1) * last), off);
    }
  },
  emitC(p, ctx) {
    const ctype = DTYPE_C[p.dtype];
    const itype = DTYPE_C[p.indexType];
    const size = DTYPE_BYTES[p.dtype];
    const head = `/* DYNAMIC_UPDATE_SLICE ${p.dtype} [${shapeComment(p.shape)}] <- update [${shapeComment(p.updateShape)}] at ${p.indexType} start_indices clamped to [0, ${p.limits.join(' / ')}] */
static void ${ctx.fnName}(void) {`;
    if (p.count === p.updateCount) {
      return `${head}
  /* the update is the operand's size: it replaces it whole */
  memcpy(${ctx.output(0)}, ${ctx.input(1)}, ${p.count * size});
}
`;
    }
    const rank = p.shape.length;
    const last = p.updateShape[rank - 1]!;
    const rows = p.updateCount / last;
    const clamps = p.limits
      .map((lim, d) => `  v = (int64_t)start[${d}];\n  if (v < 0) v = 0;\n  if (v > ${lim}) v = ${lim};\n  base += (int32_t)v * ${p.outStrides[d]};`)
      .join('\n');
    // the row's offset: each update coordinate but the last (from the row number) times the output's stride
    const terms: string[] = [];
    let div = 1;
    for (let d = rank - 2; d >= 0; d--) {
      const ud = p.updateShape[d]!;
      if (ud > 1) terms.push(`(${div === 1 ? 'r' : `r / ${div}`} % ${ud}) * ${p.outStrides[d]}`);
      div *= ud;
    }
    return `${head}
  const ${ctype} *operand = ${ctx.input(0)};
  const ${ctype} *update = ${ctx.input(1)};
  const ${itype} *start = ${ctx.input(2)};
  ${ctype} *out = ${ctx.output(0)};
  int64_t v;
  int32_t base = 0;
  int32_t r;
  memcpy(out, operand, ${p.count * size});
${clamps}
  /* ${rows} rows of ${last} */
  for (r = 0; r < ${rows}; ++r) {
    memcpy(out + base${terms.length > 0 ? ` + ${terms.join(' + ')}` : ''}, update + r * ${last}, ${last * size});
  }
}
`;
  },
};

export default dynamicUpdateSlice;
