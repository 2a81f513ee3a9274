// SPDX-License-Identifier: Apache-2.0
/**
 * BROADCAST_ARGS (TFLite Micro's broadcast_args.cc, reference `BroadcastArgs`): the shape two
 * shapes broadcast to. Both inputs and the output are rank-1 int32 or int64 (one type), the inputs
 * constant or computed at run time; the output's length is the model's. Matched from the right, a
 * missing dimension counts as 1: a 1 takes the other side's extent, else the two must agree.
 *
 * As TFLite Micro, each extent passes through an `int` (an int64 extent keeps its low 32 bits,
 * sign-extended). Extents that disagree stop TFLite Micro at a check (abort); constant ones are
 * rejected at compile time, and at run time the output takes the first shape's extent.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_C, type Graph, type Op, isConstant } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import type { OpDef } from '../op.ts';
import { checkedByPrepare, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface BroadcastArgsParams {
  dtype: 'int32' | 'int64';
  len1: number;
  len2: number;
  outLen: number;
}

/** The int32 extents of a shape tensor's stored values (int64 ones cut to their low 32 bits). */
function extents(values: Int32Array | BigInt64Array): number[] {
  return Array.from(values as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : v));
}

/** One output extent per position from the right; `agree` false where both sides differ and neither is 1. */
function broadcast(p: BroadcastArgsParams, s1: number[], s2: number[]): { out: number[]; agree: boolean } {
  const out = new Array<number>(p.outLen);
  let agree = true;
  for (let i = 0; i < p.outLen; i++) {
    const a = i < p.len1 ? s1[p.len1 - 1 - i]! : 1;
    const b = i < p.len2 ? s2[p.len2 - 1 - i]! : 1;
    if (a !== 1 && b !== 1 && a !== b) agree = false;
    out[p.outLen - 1 - i] = a === 1 ? b : a;
  }
  return { out, agree };
}

function prepareBroadcastArgs(graph: Graph, op: Op): BroadcastArgsParams {
  if (op.inputs.length !== 2) throw new OpError(op.index, op.kind, `expected 2 inputs (shape1, shape2), got ${op.inputs.length}`);
  const s1 = requireInput(graph, op, 0, 'shape1');
  const s2 = requireInput(graph, op, 1, 'shape2');
  const output = requireOutput(graph, op);
  if (s1.dtype !== 'int32' && s1.dtype !== 'int64')
    throw new OpError(op.index, op.kind, `shape1 ${tensorLabel(s1)} is ${s1.dtype}; TFLite Micro's BROADCAST_ARGS takes int32 or int64`);
  if (s2.dtype !== s1.dtype) throw new OpError(op.index, op.kind, `shape2 ${tensorLabel(s2)} is ${s2.dtype} but shape1 ${tensorLabel(s1)} is ${s1.dtype}`);
  if (output.dtype !== s1.dtype)
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype} but shape1 ${tensorLabel(s1)} is ${s1.dtype}`);
  for (const [role, t] of [
    ['shape1', s1],
    ['shape2', s2],
    ['output', output],
  ] as const) {
    if (t.shape.length !== 1)
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has rank ${t.shape.length}; TFLite Micro's BROADCAST_ARGS takes rank 1`);
  }
  const p: BroadcastArgsParams = { dtype: s1.dtype, len1: s1.shape[0]!, len2: s2.shape[0]!, outLen: output.shape[0]! };
  if (isConstant(s1) && isConstant(s2)) {
    const a = extents(fromBytes(s1.dtype, s1.data!) as Int32Array | BigInt64Array);
    const b = extents(fromBytes(s2.dtype, s2.data!) as Int32Array | BigInt64Array);
    if (!broadcast(p, a, b).agree)
      throw new OpError(op.index, op.kind, `shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast (TFLite Micro stops at a check)`);
  }
  return p;
}

const broadcastArgs: OpDef<BroadcastArgsParams> = {
  kind: 'BROADCAST_ARGS',
  dir: import.meta.dirname,
  ...checkedByPrepare(prepareBroadcastArgs),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const { out } = broadcast(p, extents(inputs[0] as Int32Array | BigInt64Array), extents(inputs[1] as Int32Array | BigInt64Array));
    const o = outputs[0]!;
    if (o instanceof BigInt64Array) out.forEach((v, i) => (o[i] = BigInt(v)));
    else (o as Int32Array).set(out);
  },
  emitC(p, ctx) {
    const ctype = DTYPE_C[p.dtype];
    const pick = (side: string, len: number) => `i < ${len} ? (int32_t)${side}[${len - 1} - i] : 1`;
    return `/* BROADCAST_ARGS ${p.dtype}: shapes of ${p.len1} and ${p.len2} extents -> ${p.outLen} (${shapeComment([p.outLen])}); extents that disagree give the first's (TFLite Micro aborts) */
static void ${ctx.fnName}(void) {
  const ${ctype} *s1 = ${ctx.input(0)};
  const ${ctype} *s2 = ${ctx.input(1)};
  ${ctype} *out = ${ctx.output(0)};
  int i;
  for (i = 0; i < ${p.outLen}; ++i) {
    /* from the right; each extent through an int, as TFLite Micro */
    const int32_t a = ${pick('s1', p.len1)};
    const int32_t b = ${pick('s2', p.len2)};
    out[${p.outLen - 1} - i] = (${ctype})(a == 1 ? b : a);
  }
}
`;
  },
};

export default broadcastArgs;
