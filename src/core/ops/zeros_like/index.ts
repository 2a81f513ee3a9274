// SPDX-License-Identifier: Apache-2.0
/**
 * ZEROS_LIKE (TFLite Micro's zeros_like.cc): an output shaped like the input, every stored value 0.
 * int8, int32 and int64, the integer types TFLite Micro fills (int16 it rejects). Surprise kept:
 * int8 gets raw 0, not the zero point, so its real value is −scale·zero_point.
 */
import { OpError } from '../../errors.ts';
import { type DType, type Graph, type Op, byteSize } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { sameShape } from '../common/families/elementwise.ts';
import { checkedByPrepare, requireSameDtype, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

const DTYPES: readonly DType[] = ['int8', 'int32', 'int64', 'float32'];

export interface ZerosLikeParams {
  dtype: DType;
  bytes: number;
  shape: number[];
}

function prepareZeros(graph: Graph, op: Op): ZerosLikeParams {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  if (!DTYPES.includes(input.dtype))
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's ZEROS_LIKE supports ${DTYPES.join(', ')}`);
  if (!sameShape(input.shape, output.shape))
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected the input's [${input.shape.join(',')}]`,
    );
  return { dtype: input.dtype, bytes: byteSize(output), shape: [...output.shape] };
}

const zerosLike: OpDef<ZerosLikeParams> = {
  kind: 'ZEROS_LIKE',
  dir: import.meta.dirname,
  // zero bytes are +0.0f: float32 layers run the same memset
  floatKernel: true,
  ...checkedByPrepare(prepareZeros),
  macs: () => 0,
  evaluate(_p, _inputs, outputs) {
    const out = outputs[0]!;
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).fill(0);
  },
  emitC(p, ctx) {
    return `/* ZEROS_LIKE ${p.dtype} [${shapeComment(p.shape)}]: raw zeros (not the zero point), as TFLite Micro */\nstatic void ${ctx.fnName}(void) {\n  memset(${ctx.output(0)}, 0, ${p.bytes});\n}\n`;
  },
};

export default zerosLike;
