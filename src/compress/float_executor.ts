// SPDX-License-Identifier: Apache-2.0
/**
 * Runs a float32 Graph (TFLite layouts, as `layersModelToFloatGraph` makes it or a float `.tflite`
 * holds it) with tfjs ops, a whole batch at once: what calibration observes, the float reference a
 * quantized model is compared with, and (with variables for the weights) the forward pass that
 * pruning, QAT, distillation and low-rank fine-tuning differentiate. Each op's float semantics live
 * in `float_ops/`.
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import type { Graph, Tensor } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';
import { FLOAT_OP_DEFS, type FloatEvalContext, floatOpDef } from './float_ops/index.ts';

export const FLOAT_OPS: readonly string[] = [...FLOAT_OP_DEFS.keys()];

export interface FloatRunOptions {
  /** a constant's value; default: the tensor's data. Training passes its variables here. */
  constant?: (tensorIndex: number) => tf.Tensor | undefined;
  /** replaces an op's output before later ops read it (QAT's activation fake-quant) */
  transformActivation?: (tensorIndex: number, value: tf.Tensor) => tf.Tensor;
  /** sees every activation's value, the inputs included, in execution order */
  visit?: (tensorIndex: number, value: tf.Tensor) => void;
  /** tensors to return besides the graph outputs (e.g. logits before a softmax) */
  extra?: number[];
}

/**
 * Evaluates the graph on `inputs` (one tensor per graph input, batch on axis 0) without disposing
 * anything: callers run it inside `tf.tidy` or a gradient function. Returns the values of the graph
 * outputs and of `options.extra`, by tensor index.
 */
export function evaluateFloatGraph(graph: Graph, inputs: tf.Tensor[], options: FloatRunOptions = {}): Map<number, tf.Tensor> {
  checkFloatGraph(graph);
  if (inputs.length !== graph.inputs.length) {
    throw new TinyforgeError(`${graph.name}: expected ${graph.inputs.length} input tensor(s), got ${inputs.length}`);
  }
  const values = new Map<number, tf.Tensor>();
  graph.inputs.forEach((index, i) => {
    const t = graph.tensors[index]!;
    const x = inputs[i]!;
    if (x.shape.slice(1).join(',') !== t.shape.slice(1).join(',')) {
      throw new TinyforgeError(`${graph.name}: input ${i} ("${t.name}") has shape [${x.shape}]; expected [N,${t.shape.slice(1)}]`);
    }
    values.set(index, x);
    options.visit?.(index, x);
  });
  const get = (index: number): tf.Tensor => {
    const v = values.get(index);
    if (v) return v;
    const t = graph.tensors[index]!;
    const c = options.constant?.(index) ?? (t.data ? constant(t) : undefined);
    if (!c) throw new TinyforgeError(`${graph.name}: tensor ${index} "${t.name}" is read before it is computed`);
    values.set(index, c);
    return c;
  };
  for (const op of graph.ops) {
    const ctx: FloatEvalContext = {
      graph,
      op,
      input: (i) => get(op.inputs[i]!),
      has: (i) => op.inputs[i] !== undefined && op.inputs[i]! >= 0,
      outputShape: (o = 0) => [-1, ...graph.tensors[op.outputs[o]!]!.shape.slice(1)],
    };
    const out = op.outputs[0]!;
    let value = floatOpDef(op.kind)!.evaluate(ctx);
    if (options.transformActivation) value = options.transformActivation(out, value);
    values.set(out, value);
    options.visit?.(out, value);
  }
  const result = new Map<number, tf.Tensor>();
  for (const index of [...graph.outputs, ...(options.extra ?? [])]) result.set(index, get(index));
  return result;
}

/**
 * Evaluates the graph on `inputs` (one tensor per graph input, batch on axis 0) and calls `visit`
 * with every activation tensor's value, the inputs included, in execution order. Returns the
 * outputs; intermediate values are disposed (keep what `visit` needs by reducing it there).
 */
export function runFloatGraph(graph: Graph, inputs: tf.Tensor[], visit?: (tensorIndex: number, value: tf.Tensor) => void): tf.Tensor[] {
  return tf.tidy(() => {
    const values = evaluateFloatGraph(graph, inputs, { visit });
    return graph.outputs.map((o) => values.get(o)!);
  });
}

/** Throws unless the graph is float32 throughout and uses only ops the float executor knows. */
export function checkFloatGraph(graph: Graph): void {
  for (const op of graph.ops) {
    if (!floatOpDef(op.kind)) {
      throw new TinyforgeError(`${graph.name}: op ${op.index} (${op.kind}) is not supported for float evaluation (supported: ${FLOAT_OPS.join(', ')})`);
    }
    for (const i of [op.inputs[0]!, ...op.outputs]) {
      const t = graph.tensors[i]!;
      if (t.dtype !== 'float32')
        throw new TinyforgeError(`${graph.name}: op ${op.index} (${op.kind}): tensor ${i} "${t.name}" is ${t.dtype}; expected a float model`);
    }
  }
}

function constant(t: Tensor): tf.Tensor {
  const values = fromBytes(t.dtype, t.data!);
  if (values instanceof Float32Array || values instanceof Int32Array) return tf.tensor(values, t.shape, t.dtype === 'int32' ? 'int32' : 'float32');
  throw new TinyforgeError(`constant tensor ${t.index} "${t.name}" of dtype ${t.dtype} has no float evaluation`);
}
