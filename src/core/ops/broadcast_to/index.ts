// SPDX-License-Identifier: Apache-2.0
/**
 * BROADCAST_TO (TFLite Micro's broadcast_to.cc): the input repeated along every dimension where it
 * has extent 1 (or is missing on the left) up to the constant target shape, at most rank 5. The
 * stored values are copied (any dtype TFLite Micro copies: int8, int16, int32, bool, float32). One strided
 * copy whose source strides are 0 along the broadcast dimensions.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_C, type Graph, type Op } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { OpDef } from '../op.ts';
import { type StridedCopy, applyCopy, denseStrides, renderCopy, stridedCopy } from '../common/families/strided_copy.ts';
import { checkedByPrepare, constIndexValues, requireSameDtype, requireShape, shapeComment, shapeText } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

const DTYPES = ['int8', 'int16', 'int32', 'bool', 'float32'];

export interface BroadcastToParams {
  dtype: string;
  copy: StridedCopy;
  inShape: number[];
  outShape: number[];
}

function prepareBroadcast(graph: Graph, op: Op): BroadcastToParams {
  const input = requireInput(graph, op, 0, 'input');
  const shapeT = requireInput(graph, op, 1, 'shape');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  if (!DTYPES.includes(input.dtype)) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; supported: ${DTYPES.join(', ')}`);
  const target = constIndexValues(op, shapeT, 'shape');
  if (target.length > 5 || target.length < input.shape.length) {
    throw new OpError(op.index, op.kind, `shape [${target.join(',')}] must have rank ${input.shape.length} to 5 (TFLite Micro broadcasts up to rank 5)`);
  }
  const rank = target.length;
  const dims = target.map((_, i) => input.shape[input.shape.length - rank + i] ?? 1);
  dims.forEach((d, i) => {
    if (d !== 1 && d !== target[i]) throw new OpError(op.index, op.kind, `input ${shapeText(input.shape)} does not broadcast to ${shapeText(target)}`);
  });
  requireShape(op, output, 'output', target);
  const inStrides = denseStrides(dims).map((s, i) => (dims[i] === 1 ? 0 : s));
  return { dtype: input.dtype, copy: stridedCopy(target, inStrides, denseStrides(target)), inShape: [...input.shape], outShape: target };
}

const broadcastTo: OpDef<BroadcastToParams> = {
  kind: 'BROADCAST_TO',
  dir: import.meta.dirname,
  // copies stored values: float32 layers run the same C
  floatKernel: true,
  ...checkedByPrepare(prepareBroadcast),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    applyCopy(p.copy, inputs[0] as TensorBuffer, outputs[0]!);
  },
  emitC(p, ctx) {
    const ctype = DTYPE_C[p.dtype as keyof typeof DTYPE_C];
    return `/* BROADCAST_TO ${p.dtype} [${shapeComment(p.inShape)}] -> [${shapeComment(p.outShape)}], 0 MACs */\nstatic void ${ctx.fnName}(void) {\n${renderCopy(p.copy, ctype, ctx.input(0), ctx.output(0))}\n}\n`;
  },
};

export default broadcastTo;
