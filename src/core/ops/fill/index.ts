// SPDX-License-Identifier: Apache-2.0
/**
 * FILL (TFLite Micro's fill.cc, reference `Fill`): every element of the output is the scalar value
 * (input 1: float32, int32 or int8, the output's type; constant or computed at run time; its stored
 * value copied, int8 as its raw byte whatever the quantization). The dims (input 0) must be a
 * constant rank-1 integer tensor (int8, int16, int32 or int64) equal to the output's shape, as
 * TFLite Micro requires.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_C, type DType, type Graph, type Op, elementCount, isConstant } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import type { OpDef } from '../op.ts';
import { checkedByPrepare, shapeComment, shapeText } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

const DTYPES: readonly DType[] = ['float32', 'int32', 'int8'];
const DIMS_DTYPES: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];

export interface FillParams {
  dtype: DType;
  count: number;
  shape: number[];
}

function prepareFill(graph: Graph, op: Op): FillParams {
  if (op.inputs.length !== 2) throw new OpError(op.index, op.kind, `expected 2 inputs (dims, value), got ${op.inputs.length}`);
  const dims = requireInput(graph, op, 0, 'dims');
  const value = requireInput(graph, op, 1, 'value');
  const output = requireOutput(graph, op);
  if (value.shape.length !== 0)
    throw new OpError(op.index, op.kind, `value ${tensorLabel(value)} has shape ${shapeText(value.shape)}; TFLite Micro's FILL takes a scalar`);
  if (value.dtype !== output.dtype)
    throw new OpError(op.index, op.kind, `value ${tensorLabel(value)} is ${value.dtype} but output ${tensorLabel(output)} is ${output.dtype}`);
  if (!DTYPES.includes(value.dtype))
    throw new OpError(op.index, op.kind, `value ${tensorLabel(value)} is ${value.dtype}; TFLite Micro's FILL supports ${DTYPES.join(', ')}`);
  if (!isConstant(dims)) throw new OpError(op.index, op.kind, `dims ${tensorLabel(dims)} is computed at run time; TFLite Micro's FILL needs it constant`);
  if (dims.shape.length !== 1)
    throw new OpError(op.index, op.kind, `dims ${tensorLabel(dims)} has rank ${dims.shape.length}; TFLite Micro's FILL takes rank 1`);
  if (!DIMS_DTYPES.includes(dims.dtype))
    throw new OpError(op.index, op.kind, `dims ${tensorLabel(dims)} is ${dims.dtype}; TFLite Micro's FILL takes ${DIMS_DTYPES.join(', ')}`);
  const stored = fromBytes(dims.dtype, dims.data!);
  const target = Array.from(stored as ArrayLike<number | bigint>, Number);
  if (target.length !== output.shape.length || target.some((d, i) => d !== output.shape[i]))
    throw new OpError(
      op.index,
      op.kind,
      `dims ${tensorLabel(dims)} holds ${shapeText(target)} but output ${tensorLabel(output)} has shape ${shapeText(output.shape)}`,
    );
  return { dtype: value.dtype, count: elementCount(output.shape), shape: [...output.shape] };
}

const fill: OpDef<FillParams> = {
  kind: 'FILL',
  dir: import.meta.dirname,
  // copies the stored value: float32 layers run the same C
  floatKernel: true,
  ...checkedByPrepare(prepareFill),
  macs: () => 0,
  evaluate(_p, inputs, outputs) {
    // on the bytes: a float NaN's payload stays as stored
    const v = inputs[1]!;
    const value = new Uint8Array(v.buffer, v.byteOffset, v.BYTES_PER_ELEMENT);
    const o = outputs[0]!;
    const out = new Uint8Array(o.buffer, o.byteOffset, o.byteLength);
    for (let at = 0; at < out.length; at += value.length) out.set(value, at);
  },
  emitC(p, ctx) {
    const ctype = DTYPE_C[p.dtype];
    return `/* FILL ${p.dtype} [${shapeComment(p.shape)}]: ${p.count} copies of the scalar value */
static void ${ctx.fnName}(void) {
  const ${ctype} v = *${ctx.input(1)};
  ${ctype} *out = ${ctx.output(0)};
  int i;
  for (i = 0; i < ${p.count}; ++i) out[i] = v;
}
`;
  },
};

export default fill;
