// SPDX-License-Identifier: Apache-2.0
/**
 * Dead-op removal and the shape inputs TFLite Micro never reads. Its RESHAPE takes the target shape
 * from its (static) output tensor and never reads the optional shape input, so the input is dropped;
 * its TRANSPOSE_CONV likewise sizes everything from the output tensor and never reads input 0 (the
 * output shape), so a computed output shape is dropped too (a constant one stays: the op checks it
 * against the output tensor). Ops left with no reader (the SHAPE arithmetic that fed them, folded
 * ops' leftovers) are then removed; a model input that only gave a shape stays an input, unread.
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

/** TRANSPOSE_CONV's output-shape input (0) when it is computed in the graph: marked absent (-1). */
export function dropTransposeConvShapeInputs(graph: Graph): Graph {
  let changed = false;
  const ops = graph.ops.map((op) => {
    const shape = op.inputs[0];
    if (op.kind !== 'TRANSPOSE_CONV' || shape === undefined || shape < 0 || graph.tensors[shape]?.data) return op;
    changed = true;
    return { ...op, inputs: [-1, ...op.inputs.slice(1)] };
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
