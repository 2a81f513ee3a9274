// SPDX-License-Identifier: Apache-2.0
/**
 * Gives every op that keeps state of its own (`OpDef.state`: TFLite Micro's signal ops allocate
 * circular buffers and running estimates in Prepare) that state as variable tensors appended to its
 * inputs. From then on the state is an ordinary variable tensor: the planner keeps it alive for the
 * whole run, the generated init and reset zero it, and the reference interpreter carries it from one
 * inference to the next, exactly as the state of SVDF and LSTM layers.
 */
import type { Graph, Tensor } from '../ir/graph.ts';
import { opDef } from '../ops/index.ts';

export function materializeOpState(graph: Graph): Graph {
  const specs = graph.ops.map((op) => opDef(op.kind)?.state?.(graph, op) ?? []);
  if (specs.every((s) => s.length === 0)) return graph;
  const tensors: Tensor[] = [...graph.tensors];
  const ops = graph.ops.map((op, k) => {
    if (specs[k]!.length === 0) return op;
    const owner = graph.tensors[op.outputs[0]!]?.name ?? `op${op.index}`;
    const added = specs[k]!.map((s) => {
      const index = tensors.length;
      tensors.push({ index, name: `${owner}/${s.name}`, shape: [...s.shape], dtype: s.dtype, isVariable: true });
      return index;
    });
    return { ...op, inputs: [...op.inputs, ...added] };
  });
  return { ...graph, tensors, ops };
}
