// SPDX-License-Identifier: Apache-2.0
import { TinyforgeError } from '../errors.ts';
import { byteSize } from '../ir/graph.ts';
import { type TensorBuffer, fromBytes, resetVariable, tensorBuffer, toBytes } from '../ir/buffers.ts';
import type { PreparedGraph } from './prepare.ts';

export interface InterpreterRun {
  /** raw bytes of each model output */
  outputs: Uint8Array[];
  /** every tensor's value after the run (activations and constants) */
  tensors: Map<number, TensorBuffer>;
}

/**
 * Runs the graph with the ops' TypeScript reference kernels: the host's ground truth that the
 * generated C, the device, and TFLite Micro's recordings are compared with. `state` carries variable
 * tensors from one inference to the next (pass the same map again for a stateful model).
 */
export function interpret(prepared: PreparedGraph, inputs: Uint8Array[], state = new Map<number, TensorBuffer>()): InterpreterRun {
  const { graph } = prepared;
  if (inputs.length !== graph.inputs.length) {
    throw new TinyforgeError(`${graph.name}: expected ${graph.inputs.length} input tensor(s), got ${inputs.length}`);
  }
  const values = new Map<number, TensorBuffer>();
  const value = (index: number): TensorBuffer => {
    let v = values.get(index) ?? state.get(index);
    if (!v) {
      const t = graph.tensors[index]!;
      v = t.isVariable && !t.data ? resetVariable(t) : tensorBuffer(t);
      if (t.isVariable) state.set(index, v);
      values.set(index, v);
    }
    return v;
  };
  graph.inputs.forEach((index, i) => {
    const t = graph.tensors[index]!;
    const bytes = inputs[i]!;
    if (bytes.length !== byteSize(t)) {
      throw new TinyforgeError(`input ${i} (tensor ${index} "${t.name}"): expected ${byteSize(t)} bytes, got ${bytes.length}`);
    }
    values.set(index, fromBytes(t.dtype, bytes));
  });
  for (const layer of prepared.layers) {
    const ins = layer.op.inputs.map((i) => (i >= 0 ? value(i) : undefined));
    const outs = layer.op.outputs.map((o) => value(o));
    layer.def.evaluate(layer.params, ins, outs);
  }
  const outputs = graph.outputs.map((o) => new Uint8Array(toBytes(value(o))));
  return { outputs, tensors: values };
}

/** Splits one concatenated input file into the model's input tensors. */
export function splitInputs(prepared: PreparedGraph, bytes: Uint8Array, source: string): Uint8Array[] {
  const sizes = prepared.graph.inputs.map((i) => byteSize(prepared.graph.tensors[i]!));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.length !== total) {
    throw new TinyforgeError(`${source}: expected ${total} bytes (all inputs concatenated: ${sizes.join(' + ')}), got ${bytes.length}`);
  }
  let at = 0;
  return sizes.map((n) => bytes.slice(at, (at += n)));
}
