// SPDX-License-Identifier: Apache-2.0
/**
 * The layout of an ONNX model's inputs at the C API (docs/onnx.md, "The compiled model's inputs and
 * outputs"). ONNX's convolutions read NCHW (NCW, NCDHW); tinyforge's kernels read channels last.
 * Lowered as exported, a 4-D input is copied into NHWC by a TRANSPOSE on the board before its first
 * layer. With `channels-last` (the default) that copy is made at compile time instead: the input
 * itself is declared NHWC (the layout a camera or an interleaved sensor buffer gives) and its
 * `tensor.onnx.perm` says so, so that every host-side tool permutes ONNX-layout data on the way in.
 */
import type { Op } from '../../ir/graph.ts';
import type { Lowering } from './lowering.ts';
import { channelsLastPerm, identityPerm, samePerm } from './values.ts';

/** Where an ONNX model's edges keep their layout: channels last (no transpose on the board) or as exported (NCHW). */
export type OnnxLayout = 'channels-last' | 'as-exported';

export const ONNX_LAYOUTS: readonly OnnxLayout[] = ['channels-last', 'as-exported'];

/** Ops that compute element by element whatever the layout, through which an input's layout change is followed. */
const ELEMENTWISE = new Set(['QUANTIZE', 'DEQUANTIZE']);

/**
 * Every graph input of rank 3 or more whose only use, through QUANTIZE / DEQUANTIZE, is to be laid
 * out channels last (one or more TRANSPOSE / RESHAPE ops `inLayout` added) becomes a channels-last
 * input: the layout ops go, and the tensors before them take their shape. Returns the inputs changed.
 */
export function channelsLastInputs(ctx: Lowering, inputs: readonly number[], outputs: ReadonlySet<number>): number[] {
  const changed: number[] = [];
  for (const input of inputs) {
    const rank = ctx.tensors[input]!.shape.length;
    if (rank < 3) continue;
    const from = identityPerm(rank);
    const to = channelsLastPerm(rank);
    const chain = [input];
    let layoutOps: Op[] | undefined;
    for (;;) {
      const last = chain[chain.length - 1]!;
      if (outputs.has(last)) break;
      const users = ctx.ops.filter((op) => op.inputs.includes(last));
      if (users.length === 0) break;
      const changes = users.map((op) => ctx.layoutChanges.get(op));
      if (changes.every((c) => c && c.from.length === rank && samePerm(c.from, from) && samePerm(c.to, to))) {
        layoutOps = users;
        break;
      }
      const next = users[0]!;
      const out = ctx.tensors[next.outputs[0]!];
      const perTensor = !out?.quant || out.quant.scale.length === 1;
      if (users.length !== 1 || !ELEMENTWISE.has(next.kind) || next.inputs[0] !== last || next.outputs.length !== 1 || !perTensor) break;
      chain.push(next.outputs[0]!);
    }
    if (!layoutOps || layoutOps.some((op) => outputs.has(op.outputs[0]!))) continue;
    const last = chain[chain.length - 1]!;
    const shape = [...ctx.tensors[layoutOps[0]!.outputs[0]!]!.shape];
    for (const index of chain) {
      const t = ctx.tensors[index]!;
      t.shape = [...shape];
      if (t.shapeSignature) t.shapeSignature = to.map((axis) => t.shapeSignature![axis]!);
    }
    // the layout ops' outputs are read from the chain's end instead
    const replaced = new Map(layoutOps.map((op) => [op.outputs[0]!, last]));
    const removed = new Set(layoutOps);
    const kept = ctx.ops.filter((op) => !removed.has(op));
    ctx.ops.length = 0;
    kept.forEach((op, i) => {
      op.index = i;
      op.inputs = op.inputs.map((t) => replaced.get(t) ?? t);
      ctx.ops.push(op);
    });
    for (const op of layoutOps) {
      // `inspect`'s account of the node that asked for the layout no longer lists the op
      const kinds = ctx.layoutChanges.get(op)!.kinds;
      const at = kinds.indexOf(op.kind);
      if (at >= 0) kinds.splice(at, 1);
      ctx.layoutChanges.delete(op);
    }
    // every ONNX value bound to the chain or to a layout op's output is now held channels last
    const held = new Set([...chain, ...replaced.keys()]);
    for (const [name, value] of ctx.values) {
      if (value.kind !== 'tensor' || !held.has(value.index)) continue;
      ctx.values.set(name, { ...value, index: replaced.get(value.index) ?? value.index, perm: [...to] });
    }
    changed.push(input);
  }
  return changed;
}
