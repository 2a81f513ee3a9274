// SPDX-License-Identifier: Apache-2.0
/**
 * A model output that is a constant (the file lists a constant tensor as an output, or every op
 * before it folded) has no op to write it into the arena. Each gets one: a RESHAPE of the constant,
 * which the planner cannot alias to flash, so its C copies the bytes from flash into the output
 * tensor (what TFLite Micro gives: the constant's data). The output keeps its name and index; the
 * data moves to a new constant tensor named `<name>_data`.
 */
import { elementCount, type Graph, type Op, type Tensor } from '../ir/graph.ts';
import { isFixedConstant } from './graph_edit.ts';

export function copyConstantOutputs(graph: Graph): Graph {
  const constants = [...new Set(graph.outputs)].filter((o) => isFixedConstant(graph.tensors[o]!) && elementCount(graph.tensors[o]!.shape) > 0);
  if (constants.length === 0) return graph;
  const tensors: Tensor[] = [...graph.tensors];
  const ops: Op[] = [...graph.ops];
  let nextOp = Math.max(-1, ...graph.ops.map((op) => op.index)) + 1;
  for (const o of constants) {
    const { data, ...output } = tensors[o]!;
    const source: Tensor = { ...output, index: tensors.length, name: `${output.name}_data`, data: data! };
    // the ONNX value (inspect, validate) is the output's
    delete source.onnx;
    tensors.push(source);
    tensors[o] = output;
    // the readers of the constant keep reading it from flash
    for (const [k, op] of ops.entries()) {
      if (op.inputs.includes(o)) ops[k] = { ...op, inputs: op.inputs.map((i) => (i === o ? source.index : i)) };
    }
    ops.push({ index: nextOp++, kind: 'RESHAPE', inputs: [source.index], outputs: [o], attrs: { newShape: [...output.shape] } });
  }
  return { ...graph, tensors, ops };
}
