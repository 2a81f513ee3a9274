// SPDX-License-Identifier: Apache-2.0
/**
 * Dead-op removal and RESHAPE's shape input. TFLite Micro's RESHAPE takes the target shape from its
 * (static) output tensor and never reads the optional shape input, so the input is dropped; ops
 * left with no reader (the SHAPE arithmetic that fed it, folded ops' leftovers) are then removed.
 * Builtin ops are pure except through variable tensors, so an op that writes a variable tensor, or
 * a model output, always stays.
 */
import type { Graph, Op } from '../ir/graph.ts';

export function dropReshapeShapeInputs(graph: Graph): Graph {
  let changed = false;
  const ops = graph.ops.map((op) => {
    if (op.kind !== 'RESHAPE' || op.inputs.length < 2) return op;
    changed = true;
    return { ...op, inputs: op.inputs.slice(0, 1) };
  });
  return changed ? { ...graph, ops } : graph;
}

export function removeDeadOps(graph: Graph): Graph {
  let ops = graph.ops;
  for (;;) {
    const read = new Set<number>(graph.outputs);
    for (const op of ops) for (const i of op.inputs) if (i >= 0) read.add(i);
    const live = ops.filter((op) => op.outputs.length === 0 || op.outputs.some((o) => read.has(o) || graph.tensors[o]?.isVariable) || writesState(graph, op));
    if (live.length === ops.length) break;
    ops = live;
  }
  return ops === graph.ops ? graph : { ...graph, ops };
}

/** Stateful ops update variable tensors they read (LSTM cell state, ASSIGN_VARIABLE): never dead. */
function writesState(graph: Graph, op: Op): boolean {
  return op.inputs.some((i) => i >= 0 && graph.tensors[i]?.isVariable === true) || op.kind === 'ASSIGN_VARIABLE' || op.kind === 'CALL_ONCE';
}
