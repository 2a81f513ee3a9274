// SPDX-License-Identifier: Apache-2.0
/** Graphs of stub layers for the planner tests: sizes, inputs and outputs, scratch, aliases, overlaps. */
import type { Graph, Op, Tensor } from '../../src/core/ir/graph.ts';
import type { OpDef } from '../../src/core/ops/op.ts';
import type { PreparedGraph } from '../../src/core/ops/prepare.ts';
import { portableVariant } from '../../src/core/ops/variant.ts';

const stubDef = (isAlias = false) => ({ kind: 'STUB', isAlias }) as unknown as OpDef;

/** A graph of int8 activations from (op inputs, op outputs, sizes); tensor i has sizes[i] bytes. */
export function graphOf(
  sizes: number[],
  ops: [number[], number[], { alias?: boolean; scratch?: number; consts?: number[]; overlap?: { input: number; gap: number; exact?: boolean } }?][],
  inputs: number[],
  outputs: number[],
): PreparedGraph {
  const constSet = new Set(ops.flatMap(([, , o]) => o?.consts ?? []));
  const tensors: Tensor[] = sizes.map((n, index) => ({
    index,
    name: `t${index}`,
    shape: [n],
    dtype: 'int8',
    ...(constSet.has(index) ? { data: new Uint8Array(n) } : {}),
  }));
  const graphOps: Op[] = ops.map(([i, o], index) => ({ index, kind: 'STUB', inputs: i, outputs: o, attrs: {} }));
  const graph: Graph = { name: 'g', tensors, ops: graphOps, inputs, outputs };
  return {
    graph,
    layers: graphOps.map((op, position) => ({
      position,
      op,
      def: stubDef(ops[position]![2]?.alias),
      variant: portableVariant(stubDef(ops[position]![2]?.alias)),
      params: {},
      macs: 0,
      scratchBytes: ops[position]![2]?.scratch ?? 0,
      isAlias: ops[position]![2]?.alias ?? false,
      ...(ops[position]![2]?.overlap ? { overlap: ops[position]![2]!.overlap } : {}),
    })),
  };
}
