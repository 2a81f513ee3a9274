// SPDX-License-Identifier: Apache-2.0
/**
 * What the ops that only rename a shape (SQUEEZE, EXPAND_DIMS; RESHAPE has its own) share: they are
 * aliases (the planner gives the output the input's bytes and no code runs), with a byte copy as the
 * reference kernel and as the C for the rare layer that cannot alias.
 */
import { DTYPE_C, type Graph, type Op, byteSize } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import type { LayerEmitContext } from '../../op.ts';
import { shapeComment } from './shape_ops.ts';

export interface AliasParams {
  bytes: number;
  ctype: string;
  inShape: number[];
  outShape: number[];
}

export function aliasParams(graph: Graph, op: Op): AliasParams {
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  return { bytes: byteSize(output), ctype: DTYPE_C[output.dtype], inShape: [...input.shape], outShape: [...output.shape] };
}

export function copyBytes(input: TensorBuffer, output: TensorBuffer): void {
  if (input === output) return;
  new Uint8Array(output.buffer, output.byteOffset, output.byteLength).set(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
}

export function emitAliasCopy(p: AliasParams, ctx: LayerEmitContext): string {
  return ctx.render('../common/families/alias_copy.c.hbs', {
    fnName: ctx.fnName,
    kind: ctx.op.kind,
    ctype: p.ctype,
    inShape: shapeComment(p.inShape),
    outShape: shapeComment(p.outShape),
    bytes: p.bytes,
    input: ctx.input(0),
    output: ctx.output(0),
  });
}
