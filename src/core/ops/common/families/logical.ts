// SPDX-License-Identifier: Apache-2.0
/**
 * LOGICAL_AND, LOGICAL_OR (TFLite Micro's logical.cc) and LOGICAL_NOT (elementwise.cc): bool tensors
 * only, one byte per element, 0 or 1. The binary ops broadcast as TFLite Micro does: equal shapes run
 * one flat loop (BinaryFunction), different shapes take BroadcastBinaryFunction4DSlow, which handles
 * at most 4 dimensions, so a broadcast of a larger rank is refused. TFLite Micro's LOGICAL_NOT
 * refuses any input type but bool and an output type other than the input's.
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { forEachBroadcast } from './broadcast.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors, sameShape, unaryTensors } from './elementwise.ts';
import { tensorLabel } from './weighted.ts';

export type LogicalBinaryKind = 'LOGICAL_AND' | 'LOGICAL_OR';

const C_OPERATOR: Record<LogicalBinaryKind, string> = { LOGICAL_AND: '&&', LOGICAL_OR: '||' };

function checkBinary(graph: Graph, op: Op): void {
  const { a, b, out } = binaryTensors(graph, op);
  for (const [t, role] of [
    [a, 'input 1'],
    [b, 'input 2'],
    [out, 'output'],
  ] as const) {
    if (t.dtype !== 'bool') throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; TFLite Micro's ${op.kind} supports bool only`);
  }
  if (!sameShape(a.shape, b.shape) && out.shape.length > 4) {
    throw new OpError(
      op.index,
      op.kind,
      `broadcasting output ${tensorLabel(out)} has rank ${out.shape.length}; TFLite Micro broadcasts ${op.kind} up to rank 4`,
    );
  }
}

/** LOGICAL_AND / LOGICAL_OR: x && y, x || y per element of the broadcast. */
export function logicalBinaryOp(kind: LogicalBinaryKind, dir: string): OpDef<BinaryLayout> {
  const f = kind === 'LOGICAL_AND' ? (x: number, y: number) => x !== 0 && y !== 0 : (x: number, y: number) => x !== 0 || y !== 0;
  return {
    kind,
    dir,
    check: checkBinary,
    prepare: (graph, op) => binaryLayout(graph, op),
    macs: () => 0,
    evaluate(p, inputs, outputs) {
      const a = inputs[0] as Uint8Array;
      const b = inputs[1] as Uint8Array;
      const out = outputs[0] as Uint8Array;
      let o = 0;
      forEachBroadcast(p.loops, (ia, ib) => {
        out[o++] = f(a[ia]!, b[ib]!) ? 1 : 0;
      });
    },
    emitC: (p, ctx) => ctx.render('../common/families/logical.c.hbs', { ...binaryEmitView(p, ctx), kind, op: C_OPERATOR[kind] }),
  };
}

/** LOGICAL_NOT: !x per element. */
export function logicalNotOp(dir: string): OpDef<{ size: number }> {
  return {
    kind: 'LOGICAL_NOT',
    dir,
    check(graph, op) {
      const { input, output } = unaryTensors(graph, op);
      if (input.dtype !== 'bool')
        throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's LOGICAL_NOT supports bool only`);
      if (output.dtype !== 'bool') throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; expected bool, the input's type`);
    },
    prepare: (graph, op) => ({ size: graph.tensors[op.outputs[0]!]!.shape.reduce((n, d) => n * d, 1) }),
    macs: () => 0,
    // the kernel reads element i before writing it: the output may take the input's bytes
    overlap: () => ({ input: 0, gap: 0 }),
    evaluate(p, inputs, outputs) {
      const x = inputs[0] as Uint8Array;
      const out = outputs[0] as Uint8Array;
      for (let i = 0; i < p.size; i++) out[i] = x[i] ? 0 : 1;
    },
    emitC(p, ctx) {
      const t = ctx.graph.tensors[ctx.op.outputs[0]!]!;
      return ctx.render('../common/families/logical.c.hbs', {
        fnName: ctx.fnName,
        not: true,
        kind: 'LOGICAL_NOT',
        shape: t.shape.join('x'),
        size: p.size,
        input1: ctx.input(0),
        output: ctx.output(0),
      });
    },
  };
}
