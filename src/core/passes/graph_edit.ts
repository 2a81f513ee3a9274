// SPDX-License-Identifier: Apache-2.0
/**
 * Small helpers the graph passes share. Passes are pure (Graph in, new Graph out): they copy the
 * arrays they change and never mutate the input graph's ops or tensors. Tensor indices stay stable
 * (a tensor's index is its position), so new tensors are appended and unused ones simply stay.
 */
import type { DType, Graph, Op, Tensor } from '../ir/graph.ts';
import { isConstant } from '../ir/graph.ts';
import { toBytes, type TensorBuffer } from '../ir/buffers.ts';

/** For every tensor, the ops that read it (in execution order). */
export function consumersOf(graph: Graph): Map<number, Op[]> {
  const map = new Map<number, Op[]>();
  for (const op of graph.ops) {
    for (const i of op.inputs) {
      if (i < 0) continue;
      const list = map.get(i) ?? [];
      if (!list.includes(op)) list.push(op);
      map.set(i, list);
    }
  }
  return map;
}

/** The op that writes each tensor. */
export function producersOf(graph: Graph): Map<number, Op> {
  const map = new Map<number, Op>();
  for (const op of graph.ops) for (const o of op.outputs) map.set(o, op);
  return map;
}

/** A constant tensor with a value known at compile time (and not state that changes at run time). */
export function isFixedConstant(t: Tensor): boolean {
  return isConstant(t) && !t.isVariable;
}

/** Appends a constant tensor; returns the new graph's tensor list and the new index. */
export function appendConstant(
  tensors: readonly Tensor[],
  name: string,
  dtype: DType,
  shape: number[],
  values: TensorBuffer,
): { tensors: Tensor[]; index: number } {
  const index = tensors.length;
  const tensor: Tensor = { index, name, shape, dtype, data: new Uint8Array(toBytes(values)) };
  return { tensors: [...tensors, tensor], index };
}

/** `op 3 (PAD)` as error messages name an op. */
export function opLabel(op: Op): string {
  return `op ${op.index} (${op.kind})`;
}
