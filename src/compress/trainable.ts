// SPDX-License-Identifier: Apache-2.0
/**
 * A float Graph whose weights and biases are tfjs variables: the model that pruning, QAT,
 * distillation and low-rank fine-tuning train. The forward pass is the float executor's (TFLite
 * layouts, the same ops PTQ calibrates), so whatever the model came from (a float `.tflite` or a
 * tfjs layers model) trains the same way, and `toGraph()` hands the trained weights back to the IR.
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import type { Graph, Op } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';
import { type FloatRunOptions, checkFloatGraph, evaluateFloatGraph } from './float_executor.ts';
import { type WeightsRole, floatOpDef } from './float_ops/index.ts';

/** One weighted op's weights and bias tensors, with the per-channel axis its int8 form uses. */
export interface WeightedLayer {
  op: Op;
  weights: number;
  bias?: number;
  /** per-channel axis of the int8 weights (undefined: per tensor) */
  axis: number | undefined;
  /** the axis of output channels in the weights (0 for OHWI and [out, in], 3 for depthwise) */
  outputAxis: number;
}

/** Every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED with its constant weights, in graph order. */
export function weightedLayers(graph: Graph, options: { perChannelDense?: boolean } = {}): WeightedLayer[] {
  const layers: WeightedLayer[] = [];
  for (const op of graph.ops) {
    const role: WeightsRole | undefined = floatOpDef(op.kind)?.weights?.(op, options);
    if (!role) continue;
    const weights = op.inputs[role.input]!;
    if (weights < 0 || !graph.tensors[weights]!.data) continue;
    const bias = role.bias === undefined ? undefined : op.inputs[role.bias];
    layers.push({
      op,
      weights,
      axis: role.axis,
      outputAxis: op.kind === 'DEPTHWISE_CONV_2D' ? 3 : 0,
      ...(bias !== undefined && bias >= 0 && graph.tensors[bias]!.data ? { bias } : {}),
    });
  }
  return layers;
}

export interface ForwardResult {
  /** the graph outputs, in order */
  outputs: tf.Tensor[];
  /** the pre-softmax values of output 0 when a SOFTMAX produces it, else output 0 itself */
  logits: tf.Tensor;
  /** whether output 0 is a softmax of `logits` */
  softmaxOutput: boolean;
}

export class TrainableGraph {
  readonly graph: Graph;
  readonly layers: WeightedLayer[];
  /** tensor index -> variable, for every weights and bias tensor */
  readonly variables = new Map<number, tf.Variable>();
  private readonly softmaxInput: number | undefined;

  constructor(graph: Graph) {
    checkFloatGraph(graph);
    this.graph = graph;
    this.layers = weightedLayers(graph);
    for (const layer of this.layers) {
      for (const index of [layer.weights, layer.bias]) {
        if (index === undefined || this.variables.has(index)) continue;
        const t = graph.tensors[index]!;
        if (t.dtype !== 'float32') throw new TinyforgeError(`${graph.name}: tensor ${index} "${t.name}" is ${t.dtype}; training needs float32 weights`);
        this.variables.set(index, tf.variable(tf.tensor(fromBytes('float32', t.data!) as Float32Array, t.shape), true));
      }
    }
    const out = graph.outputs[0]!;
    const producer = graph.ops.find((op) => op.outputs.includes(out));
    this.softmaxInput = producer?.kind === 'SOFTMAX' ? producer.inputs[0] : undefined;
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.variables.values()];
  }

  /** Runs the model; call inside `tf.tidy` or a gradient function. */
  forward(
    inputs: tf.Tensor[],
    options: Omit<FloatRunOptions, 'constant' | 'extra'> & { weight?: (index: number, value: tf.Tensor) => tf.Tensor } = {},
  ): ForwardResult {
    const weight = options.weight;
    const values = evaluateFloatGraph(this.graph, inputs, {
      ...options,
      constant: (index) => {
        const v = this.variables.get(index);
        return v && weight ? weight(index, v) : v;
      },
      extra: this.softmaxInput === undefined ? [] : [this.softmaxInput],
    });
    const outputs = this.graph.outputs.map((o) => values.get(o)!);
    return {
      outputs,
      logits: this.softmaxInput === undefined ? outputs[0]! : values.get(this.softmaxInput)!,
      softmaxOutput: this.softmaxInput !== undefined,
    };
  }

  /** Predictions of output 0 for a batch of inputs (no gradient), as one tensor. */
  predict(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forward([x]).outputs[0]!);
  }

  /** The float Graph with the variables' current values as its constants (other tensors shared). */
  toGraph(name = this.graph.name): Graph {
    const tensors = this.graph.tensors.map((t) => {
      const v = this.variables.get(t.index);
      if (!v) return t;
      const values = v.dataSync() as Float32Array;
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i]!))
          throw new TinyforgeError(`${name}: training made tensor ${t.index} "${t.name}" non-finite (NaN or infinite weights); lower the learning rate`);
      }
      return { ...t, data: new Uint8Array(Float32Array.from(values).buffer) };
    });
    return { ...this.graph, name, tensors };
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

/** Throws when a float graph carries NaN or infinite constants (a broken export or training). */
export function checkFiniteWeights(graph: Graph, source = graph.name): void {
  for (const t of graph.tensors) {
    if (!t.data || t.dtype !== 'float32') continue;
    const values = fromBytes('float32', t.data) as Float32Array;
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new TinyforgeError(`${source}: tensor ${t.index} "${t.name}" has a non-finite value (${values[bad]}) at element ${bad}`);
  }
}
