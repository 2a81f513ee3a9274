// SPDX-License-Identifier: Apache-2.0
/**
 * What a model is trained and judged on, decided from the model and the data: classification
 * (labels are classes: accuracy, cross-entropy), regression (labels are values: mean squared error)
 * or reconstruction (no labels and an output shaped like the input, as autoencoders for anomaly
 * detection: mean squared error against the input). Metrics are computed the same way for the
 * float model (tfjs) and the int8 model (tinyforge's reference interpreter, bit-exact with the board).
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, elementCount } from '../core/ir/graph.ts';
import { type Dataset, fitToInput } from '../lab/data/dataset.ts';
import { prepareGraph } from '../core/ops/prepare.ts';
import { interpret } from '../core/ops/interpreter.ts';
import { dequantizeOutput, quantizeInput } from './ptq.ts';
import type { TrainableGraph, ForwardResult } from './trainable.ts';
import { type Progress, silentProgress, yieldToEventLoop } from './progress.ts';

export type Task = { kind: 'classification'; classes: number } | { kind: 'regression' } | { kind: 'reconstruction' };

export interface Metric {
  /** accuracy (fraction correct, higher is better) or loss (mean squared error, lower is better) */
  name: 'accuracy' | 'loss';
  value: number;
}

export function formatMetric(m: Metric | undefined): string {
  if (!m) return '-';
  return m.name === 'accuracy' ? `${(m.value * 100).toFixed(2)}%` : `loss ${m.value.toPrecision(4)}`;
}

/** The task the data set poses to the model, checking that the two fit each other. */
export function taskFor(graph: Graph, dataset: Dataset): Task {
  const input = graph.tensors[graph.inputs[0]!]!;
  fitToInput(dataset, input.shape, input.name);
  const output = graph.tensors[graph.outputs[0]!]!;
  const outSize = elementCount(output.shape.slice(1));
  const labels = dataset.labels;
  if (!labels) {
    if (elementCount(input.shape.slice(1)) === outSize) return { kind: 'reconstruction' };
    throw new TinyforgeError(
      `${dataset.source}: the data have no labels, and the model's output [${output.shape}] is not shaped like its input (labels are needed to train or judge it)`,
    );
  }
  if (labels.kind === 'classes') {
    const max = labels.values.reduce((m, v) => Math.max(m, v), 0);
    if (max >= outSize) throw new TinyforgeError(`${dataset.source}: label ${max} is out of range for the model's ${outSize} outputs`);
    return { kind: 'classification', classes: outSize };
  }
  const targetSize = labels.values.length / dataset.count;
  if (targetSize !== outSize) throw new TinyforgeError(`${dataset.source}: labels have ${targetSize} values per sample, the model's output has ${outSize}`);
  return { kind: 'regression' };
}

/** A batch's inputs [B, ...input] and targets (one-hot [B, C], values, or the inputs again). */
export function batchTensors(dataset: Dataset, indices: readonly number[], task: Task, inputShape: readonly number[]): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const size = dataset.x.length / dataset.count;
    const xs = new Float32Array(indices.length * size);
    indices.forEach((i, n) => xs.set(dataset.x.subarray(i * size, (i + 1) * size), n * size));
    const x = tf.tensor(xs, [indices.length, ...inputShape.slice(1)]);
    const labels = dataset.labels;
    if (task.kind === 'classification' && labels?.kind === 'classes') {
      return {
        x,
        y: tf
          .oneHot(
            tf.tensor1d(
              indices.map((i) => labels.values[i]!),
              'int32',
            ),
            task.classes,
          )
          .toFloat(),
      };
    }
    if (task.kind === 'regression' && labels?.kind === 'targets') {
      const w = labels.values.length / dataset.count;
      const ys = new Float32Array(indices.length * w);
      indices.forEach((i, n) => ys.set(labels.values.subarray(i * w, (i + 1) * w), n * w));
      return { x, y: tf.tensor2d(ys, [indices.length, w]) };
    }
    return { x, y: tf.reshape(x, [indices.length, -1]) };
  });
}

/** The training loss of one forward pass against targets `y`. */
export function taskLoss(task: Task, result: ForwardResult, y: tf.Tensor): tf.Scalar {
  if (task.kind === 'classification') {
    return tf.losses.softmaxCrossEntropy(y, tf.reshape(result.logits, [y.shape[0]!, -1])) as tf.Scalar;
  }
  return tf.losses.meanSquaredError(y, tf.reshape(result.outputs[0]!, [y.shape[0]!, -1])) as tf.Scalar;
}

function metricOf(task: Task, correctOrSquaredError: number, count: number, values: number): Metric {
  return task.kind === 'classification' ? { name: 'accuracy', value: correctOrSquaredError / count } : { name: 'loss', value: correctOrSquaredError / values };
}

/** Accuracy or loss of the float model on a data set. */
export async function floatMetric(
  model: TrainableGraph,
  dataset: Dataset,
  task: Task,
  progress: Progress = silentProgress,
  batchSize = 128,
): Promise<Metric & { correct?: boolean[] }> {
  const inputShape = model.graph.tensors[model.graph.inputs[0]!]!.shape;
  // classification: which samples it gets right, for paired comparisons of two models (keep_better.ts)
  const correct: boolean[] = [];
  let total = 0;
  let values = 0;
  progress.start('evaluating (float)', dataset.count);
  for (let start = 0; start < dataset.count; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, dataset.count - start) }, (_, k) => start + k);
    const { x, y } = batchTensors(dataset, indices, task, inputShape);
    const out = tf.tidy(() => tf.reshape(model.forward([x]).outputs[0]!, [indices.length, -1]));
    if (task.kind === 'classification') {
      const predicted = tf.tidy(() => tf.argMax(out, 1).dataSync());
      const truth = tf.tidy(() => tf.argMax(y, 1).dataSync());
      predicted.forEach((p, k) => {
        correct.push(p === truth[k]);
        if (p === truth[k]) total++;
      });
    } else {
      total += tf.tidy(() => tf.sum(tf.squaredDifference(out, y)).dataSync()[0]!);
      values += out.size;
    }
    tf.dispose([x, y, out]);
    progress.update(start + indices.length);
    await yieldToEventLoop();
  }
  progress.stop();
  return task.kind === 'classification' ? { ...metricOf(task, total, dataset.count, values), correct } : metricOf(task, total, dataset.count, values);
}

/**
 * Accuracy or loss of an int8 graph under tinyforge's reference interpreter (what the board
 * computes, bit for bit), with inputs quantized as the device would receive them.
 */
export async function int8Metric(graph: Graph, dataset: Dataset, task: Task, progress: Progress = silentProgress): Promise<Metric & { predictions: number[] }> {
  const prepared = prepareGraph(graph);
  const size = dataset.x.length / dataset.count;
  let total = 0;
  let values = 0;
  const predictions: number[] = [];
  progress.start('evaluating (int8)', dataset.count);
  for (let n = 0; n < dataset.count; n++) {
    const out = dequantizeOutput(graph, interpret(prepared, [quantizeInput(graph, dataset.x.subarray(n * size, (n + 1) * size))]).outputs[0]!);
    if (task.kind === 'classification') {
      const p = argmax(out);
      predictions.push(p);
      if (dataset.labels?.kind === 'classes' && p === dataset.labels.values[n]) total++;
    } else {
      const target =
        task.kind === 'regression' && dataset.labels?.kind === 'targets'
          ? dataset.labels.values.subarray(n * out.length, (n + 1) * out.length)
          : dataset.x.subarray(n * size, (n + 1) * size);
      out.forEach((v, k) => {
        total += (v - target[k]!) ** 2;
      });
      values += out.length;
    }
    if (n % 25 === 24) {
      progress.update(n + 1);
      await yieldToEventLoop();
    }
  }
  progress.stop();
  return { ...metricOf(task, total, dataset.count, values), predictions };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** How much worse `after` is than `before`: accuracy points lost, or the relative loss increase. */
export function metricDrop(before: Metric, after: Metric): number {
  return before.name === 'accuracy' ? before.value - after.value : (after.value - before.value) / Math.max(before.value, 1e-12);
}
