// SPDX-License-Identifier: Apache-2.0
/**
 * EMBEDDING_LOOKUP (TFLite Micro's embedding_lookup.cc): output row i = value row ids[i], the
 * output shaped [ids, value.shape[1:]]. Input 0 is the int32 ids (rank 1, constant or computed at
 * run time), input 1 the value table (rank 2 or more). float32 values give float32 rows and int8
 * values int8 rows (their bytes copied); int8 values with a float32 output are the hybrid form:
 * each element dequantized as `(v - 0) * scale` by the value tensor's scale (zero point 0, as
 * TFLite Micro requires).
 *
 * An id outside [0, rows) makes TFLite Micro's Invoke fail (the rows before it written). Generated
 * code cannot fail, so that row of the output is zeros instead; a constant id out of range is
 * rejected at compile time.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type Graph, type Op, isConstant } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import type { OpDef } from '../op.ts';
import { checkedByPrepare, requireShape, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';
import { cFloatLiteral } from '../common/families/float_variant.ts';

export interface EmbeddingLookupParams {
  /** the value table's dtype (int8 or float32) */
  dtype: 'int8' | 'float32';
  /** int8 values into float32 rows, dequantized by `scale` */
  hybrid: boolean;
  scale: number;
  ids: number;
  rows: number;
  columns: number;
  valueShape: number[];
  outShape: number[];
}

function prepareEmbeddingLookup(graph: Graph, op: Op): EmbeddingLookupParams {
  if (op.inputs.length !== 2) throw new OpError(op.index, op.kind, `expected 2 inputs (ids, value), got ${op.inputs.length}`);
  const ids = requireInput(graph, op, 0, 'ids');
  const value = requireInput(graph, op, 1, 'value');
  const output = requireOutput(graph, op);
  if (ids.dtype !== 'int32') throw new OpError(op.index, op.kind, `ids ${tensorLabel(ids)} is ${ids.dtype}; TFLite Micro's EMBEDDING_LOOKUP takes int32 ids`);
  if (ids.shape.length !== 1)
    throw new OpError(op.index, op.kind, `ids ${tensorLabel(ids)} has rank ${ids.shape.length}; TFLite Micro's EMBEDDING_LOOKUP takes rank 1`);
  if (value.shape.length < 2)
    throw new OpError(op.index, op.kind, `value ${tensorLabel(value)} has rank ${value.shape.length}; TFLite Micro's EMBEDDING_LOOKUP takes rank 2 or more`);
  if (value.dtype !== 'float32' && value.dtype !== 'int8')
    throw new OpError(op.index, op.kind, `value ${tensorLabel(value)} is ${value.dtype}; TFLite Micro's EMBEDDING_LOOKUP supports float32 and int8`);
  const allowed = value.dtype === 'float32' ? ['float32'] : ['int8', 'float32'];
  if (!allowed.includes(output.dtype))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; a ${value.dtype} value table gives ${allowed.join(' or ')}`);
  const hybrid = value.dtype === 'int8' && output.dtype === 'float32';
  let scale = 0;
  if (hybrid) {
    const q = value.quant;
    if (!q || q.scale.length !== 1)
      throw new OpError(op.index, op.kind, `value ${tensorLabel(value)} needs one scale to dequantize into the float32 output ${tensorLabel(output)}`);
    if (q.zeroPoint[0] !== 0)
      throw new OpError(op.index, op.kind, `value ${tensorLabel(value)} has zero point ${q.zeroPoint[0]}; TFLite Micro's hybrid EMBEDDING_LOOKUP needs 0`);
    scale = Math.fround(q.scale[0]!);
  }
  requireShape(op, output, 'output', [ids.shape[0]!, ...value.shape.slice(1)]);
  const rows = value.shape[0]!;
  if (isConstant(ids)) {
    const bad = Array.from(fromBytes('int32', ids.data!) as Int32Array).find((v) => v < 0 || v >= rows);
    if (bad !== undefined)
      throw new OpError(op.index, op.kind, `id ${bad} in ${tensorLabel(ids)} is out of range for the ${rows} rows of ${tensorLabel(value)}`);
  }
  return {
    dtype: value.dtype,
    hybrid,
    scale,
    ids: ids.shape[0]!,
    rows,
    columns: value.shape.slice(1).reduce((a, b) => a * b, 1),
    valueShape: [...value.shape],
    outShape: [...output.shape],
  };
}

const embeddingLookup: OpDef<EmbeddingLookupParams> = {
  kind: 'EMBEDDING_LOOKUP',
  dir: import.meta.dirname,
  // float32 rows are copied; the hybrid form multiplies by the scale as TFLite Micro's Dequantize
  floatKernel: true,
  ...checkedByPrepare(prepareEmbeddingLookup),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const ids = inputs[0] as Int32Array;
    const value = inputs[1] as Int8Array | Float32Array;
    const out = outputs[0] as Int8Array | Float32Array;
    for (let i = 0; i < p.ids; i++) {
      const id = ids[i]!;
      const dst = i * p.columns;
      if (id < 0 || id >= p.rows) {
        out.fill(0, dst, dst + p.columns);
      } else if (p.hybrid) {
        for (let c = 0; c < p.columns; c++) out[dst + c] = Math.fround(value[id * p.columns + c]! * p.scale);
      } else {
        (out as Int8Array).set((value as Int8Array).subarray(id * p.columns, (id + 1) * p.columns), dst);
      }
    }
  },
  emitC(p, ctx) {
    const vtype = DTYPE_C[p.dtype];
    const otype = p.hybrid ? 'float' : vtype;
    const runBytes = p.columns * (p.hybrid ? 4 : DTYPE_BYTES[p.dtype]);
    const row = p.hybrid
      ? `      for (c = 0; c < ${p.columns}; ++c) out[c] = (float)row[c] * ${cFloatLiteral(p.scale)}; /* (v - 0) * scale */`
      : `      memcpy(out, row, ${runBytes});`;
    return `/* EMBEDDING_LOOKUP ${p.hybrid ? 'int8 -> float32 (hybrid)' : p.dtype} [${shapeComment(p.valueShape)}] by ${p.ids} ids -> [${shapeComment(p.outShape)}]: rows of ${p.columns}; an id out of range gives a row of zeros (TFLite Micro fails) */
static void ${ctx.fnName}(void) {
  const int32_t *ids = ${ctx.input(0)};
  const ${vtype} *value = ${ctx.input(1)};
  ${otype} *out = ${ctx.output(0)};
  int i;${p.hybrid ? '\n  int c;' : ''}
  for (i = 0; i < ${p.ids}; ++i) {
    const int32_t id = ids[i];
    if (id < 0 || id >= ${p.rows}) {
      memset(out, 0, ${runBytes});
    } else {
      const ${vtype} *row = value + id * ${p.columns};
${row}
    }
    out += ${p.columns};
  }
}
`;
  },
};

export default embeddingLookup;
