// SPDX-License-Identifier: Apache-2.0
/**
 * Magnitude pruning with fine-tuning.
 *
 * Unstructured: each weight tensor's smallest-magnitude weights are set to zero and kept there, the
 * sparsity rising gradually over the first part of fine-tuning along the cubic schedule of Zhu &
 * Gupta (2017), s(t) = s_final · (1 − (1 − t)³), the masks refreshed every few steps; the rest of
 * the fine-tuning recovers with the masks fixed. Layers with fewer than `minWeights` weights stay
 * dense (a 3x3 depthwise filter has nothing to spare), and the others are pruned harder so that the
 * model as a whole reaches the target. The compiler turns the zeros into a sparse encoding.
 *
 * Row groups (`groupRows`): a FULLY_CONNECTED layer's output rows may be pruned G at a time, every
 * row of a group keeping the same input columns, so that the compiler stores the group's column
 * gaps once instead of once per row (most of a very sparse layer's index bytes).
 *
 * Structured (`structured.ts`): whole output channels go, and the model shrinks.
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, elementCount } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';
import type { Dataset } from '../lab/data/dataset.ts';
import type { Task } from './task.ts';
import { type FineTuneOptions, type TrainingHooks, fineTune } from './train.ts';
import { TrainableGraph, type WeightedLayer, weightedLayers } from './trainable.ts';
import { fakeQuantWeights } from './qat.ts';

export interface PruneOptions extends FineTuneOptions {
  /** the fraction of all conv/depthwise/dense weights that end at zero, in [0, 1) */
  sparsity: number;
  /**
   * each layer's own final sparsity by op index (from the sensitivity search, sensitivity.ts), in
   * place of one rate for all layers; layers not listed stay dense and `sparsity` is ignored
   */
  layerSparsity?: ReadonlyMap<number, number>;
  /**
   * rows pruned together by op index (G >= 1, FULLY_CONNECTED layers only when above 1): each group
   * of G consecutive output rows keeps one set of input columns (`groupMagnitudeMask`); layers not
   * listed, and G = 1, get unstructured masks
   */
  groupRows?: ReadonlyMap<number, number>;
  /** layers with fewer weights stay dense (default 256) */
  minWeights?: number;
  /** the share of fine-tuning over which sparsity ramps up (default 0.6); the rest recovers */
  rampFraction?: number;
  /** steps between mask updates during the ramp (default: about 20 updates in all) */
  updateEvery?: number;
  /** the training loss in place of the task's (distill.ts's `distillationLoss`: the float model teaching) */
  loss?: TrainingHooks['loss'];
  /** data augmentation of each training batch (TrainingHooks' `augment`) */
  augment?: TrainingHooks['augment'];
  /**
   * quantization-aware pruning: the forward pass sees every weighted layer's weights at `bits` bits as
   * weight_bits.ts will make them (symmetric, max-abs scale: one per FULLY_CONNECTED layer when
   * `perTensor`, else one per output channel; qat.ts's `fakeQuantWeights`, straight-through
   * gradients), so that the fine-tuning adapts to the b-bit rounding the compiled model will have.
   * `bits` as a map: each layer's own width by op index (the mixed-precision search's); layers not
   * listed, or at 8 bits, train on their float weights
   */
  weightBits?: { bits: number | ReadonlyMap<number, number>; perTensor: boolean };
}

/**
 * The most a layer given its own rate (`layerSparsity`) may be pruned: LeNet's first dense layers
 * (784 or 800 inputs, many of them border pixels that are always zero) keep their accuracy at 99%.
 */
export const MAX_LAYER_SPARSITY = 0.995;

/** Fraction of zeros among the weights of every conv / depthwise / dense layer. */
export function weightSparsity(graph: Graph): number {
  let zeros = 0;
  let count = 0;
  for (const layer of weightedLayers(graph)) {
    const t = graph.tensors[layer.weights]!;
    const values = fromBytes(t.dtype, t.data!) as ArrayLike<number>;
    for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
    count += values.length;
  }
  return count === 0 ? 0 : zeros / count;
}

/** The number of weights in conv / depthwise / dense layers. */
export function weightCount(graph: Graph): number {
  return weightedLayers(graph).reduce((n, l) => n + elementCount(graph.tensors[l.weights]!.shape), 0);
}

/**
 * Each layer's final sparsity: 0 for small layers, the same value for the others, raised so that
 * the zeros over all layers make `target` (at most 0.98 per layer).
 */
export function layerSparsities(graph: Graph, layers: WeightedLayer[], target: number, minWeights: number): Map<WeightedLayer, number> {
  if (!(target >= 0 && target < 1)) throw new TinyforgeError(`sparsity ${target} is out of range [0, 1)`);
  const sizes = layers.map((l) => elementCount(graph.tensors[l.weights]!.shape));
  const total = sizes.reduce((a, b) => a + b, 0);
  const prunable = sizes.reduce((n, s) => n + (s >= minWeights ? s : 0), 0);
  if (prunable === 0 && target > 0) throw new TinyforgeError(`${graph.name}: no layer has ${minWeights} weights or more to prune`);
  const perLayer = prunable === 0 ? 0 : (target * total) / prunable;
  if (perLayer > 0.98) {
    throw new TinyforgeError(
      `${graph.name}: sparsity ${target} needs ${(perLayer * 100).toFixed(1)}% of the large layers' weights at zero; lower --sparsity or --min-weights`,
    );
  }
  return new Map(layers.map((l, i) => [l, sizes[i]! >= minWeights ? perLayer : 0]));
}

/** How many of `n` weights go at `sparsity`: rounded up (past float noise), so a layer never ends below its target. */
function zerosFor(n: number, sparsity: number): number {
  return Math.min(n, Math.ceil(n * sparsity - 1e-9));
}

/** A 0/1 mask keeping all but the `sparsity` fraction of smallest-magnitude values. */
export function magnitudeMask(values: ArrayLike<number>, sparsity: number): Float32Array {
  const n = values.length;
  const drop = zerosFor(n, sparsity);
  const mask = new Float32Array(n).fill(1);
  if (drop === 0) return mask;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b);
  for (let k = 0; k < drop; k++) mask[order[k]!] = 0;
  return mask;
}

/**
 * A 0/1 mask of [rows, columns] weights (FULLY_CONNECTED's [out, in]) with the same columns kept in
 * each group of `groupSize` consecutive rows, so that the compiler stores a group's column gaps once
 * instead of once per row. A (group, column) pair scores the sum of its weights' magnitudes, and the
 * lowest-scoring pairs go until at least the `sparsity` fraction of the weights is zero (a partial
 * last group counting its real rows). One row per group is `magnitudeMask`.
 */
export function groupMagnitudeMask(values: ArrayLike<number>, rows: number, columns: number, groupSize: number, sparsity: number): Float32Array {
  const n = rows * columns;
  if (values.length !== n) throw new TinyforgeError(`${values.length} weights are not ${rows} rows of ${columns}`);
  if (!(Number.isInteger(groupSize) && groupSize >= 1)) throw new TinyforgeError(`row groups of ${groupSize}: a group is a whole number of rows, 1 or more`);
  const drop = zerosFor(n, sparsity);
  const mask = new Float32Array(n).fill(1);
  if (drop === 0) return mask;
  const groups = Math.ceil(rows / groupSize);
  const groupRowCount = (g: number) => Math.min(rows, (g + 1) * groupSize) - g * groupSize;
  const scores = new Float64Array(groups * columns);
  for (let r = 0; r < rows; r++) {
    const g = Math.floor(r / groupSize);
    for (let c = 0; c < columns; c++) scores[g * columns + c]! += Math.abs(values[r * columns + c]!);
  }
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
  let dropped = 0;
  for (let k = 0; k < order.length && dropped < drop; k++) {
    const g = Math.floor(order[k]! / columns);
    const c = order[k]! % columns;
    for (let r = g * groupSize; r < g * groupSize + groupRowCount(g); r++) mask[r * columns + c] = 0;
    dropped += groupRowCount(g);
  }
  return mask;
}

/**
 * Each weighted layer's rows per group (1 when not listed); only FULLY_CONNECTED weights are rows of
 * output neurons over input columns, so only they may be grouped.
 */
function layerGroupRows(layers: WeightedLayer[], groupRows: ReadonlyMap<number, number> | undefined): Map<WeightedLayer, number> {
  const byOp = new Map(layers.map((l) => [l.op.index, l]));
  for (const [op, g] of groupRows ?? []) {
    if (!(Number.isInteger(g) && g >= 1)) throw new TinyforgeError(`op ${op}: row groups of ${g}: a group is a whole number of rows, 1 or more`);
    const layer = byOp.get(op);
    if (g > 1 && layer?.op.kind !== 'FULLY_CONNECTED')
      throw new TinyforgeError(`op ${op}${layer ? ` (${layer.op.kind})` : ''}: row groups of ${g} need a FULLY_CONNECTED layer with constant weights`);
  }
  return new Map(layers.map((l) => [l, groupRows?.get(l.op.index) ?? 1]));
}

/** A layer's mask at `sparsity`: by groups of `groupSize` output rows, or unstructured when 1. */
function layerMask(values: ArrayLike<number>, shape: readonly number[], groupSize: number, sparsity: number): Float32Array {
  if (groupSize === 1) return magnitudeMask(values, sparsity);
  const rows = shape[0]!;
  return groupMagnitudeMask(values, rows, values.length / rows, groupSize, sparsity);
}

/** Zhu & Gupta's cubic ramp from 0 to `final` over `t` in [0, 1]. */
export function cubicSchedule(final: number, t: number): number {
  const p = Math.min(1, Math.max(0, t));
  return final * (1 - (1 - p) ** 3);
}

/**
 * Prunes and fine-tunes the float model in place on `data`; returns the pruned float Graph (its
 * zeros exact).
 */
export async function pruneUnstructured(model: TrainableGraph, data: Dataset, task: Task, options: PruneOptions): Promise<Graph> {
  const perLayer = options.layerSparsity;
  if (perLayer) {
    for (const [op, s] of perLayer)
      if (!(s >= 0 && s <= MAX_LAYER_SPARSITY)) throw new TinyforgeError(`op ${op}: layer sparsity ${s} is out of range [0, ${MAX_LAYER_SPARSITY}]`);
  }
  const targets = perLayer
    ? new Map(model.layers.map((l) => [l, perLayer.get(l.op.index) ?? 0]))
    : layerSparsities(model.graph, model.layers, options.sparsity, options.minWeights ?? 256);
  const groups = layerGroupRows(model.layers, options.groupRows);
  const masks = new Map<number, tf.Tensor>();
  const ramp = options.rampFraction ?? 0.6;
  const setMasks = (fraction: number) => {
    for (const [layer, final] of targets) {
      if (final === 0) continue;
      const v = model.variables.get(layer.weights)!;
      const mask = layerMask(v.dataSync(), v.shape, groups.get(layer)!, cubicSchedule(final, fraction));
      masks.get(layer.weights)?.dispose();
      masks.set(layer.weights, tf.tensor(mask, v.shape));
    }
  };
  const applyMasks = () => {
    tf.tidy(() => {
      for (const [index, mask] of masks) {
        const v = model.variables.get(index)!;
        v.assign(tf.mul(v, mask));
      }
    });
  };
  // weights index -> how the forward pass rounds it (axis undefined: one scale for the tensor)
  const quantized = new Map<number, { axis: number | undefined; topLevel: number }>();
  if (options.weightBits) {
    const { bits, perTensor } = options.weightBits;
    for (const layer of targets.keys()) {
      // every weighted layer, pruned or not: the b-bit conversion after (weight_bits.ts) reduces them all;
      // with per-layer bits, the layers listed below 8 bits
      const b = typeof bits === 'number' ? bits : bits.get(layer.op.index);
      if (b === undefined) continue;
      if (!(Number.isInteger(b) && b >= 2 && b <= 8)) throw new TinyforgeError(`quantization-aware pruning to ${b} bits: expected an integer in 2..8`);
      if (typeof bits !== 'number' && b === 8) continue;
      // weight_bits.ts's weightMax (not imported: weight_bits.ts imports this module)
      const topLevel = 2 ** (b - 1) - 1;
      quantized.set(layer.weights, { axis: perTensor && layer.op.kind === 'FULLY_CONNECTED' ? undefined : layer.outputAxis, topLevel });
    }
  }
  const forward = options.weightBits
    ? (x: tf.Tensor) =>
        model.forward([x], {
          weight: (index, w) => {
            const q = quantized.get(index);
            return q ? fakeQuantWeights(w, q.axis, q.topLevel) : w;
          },
        })
    : undefined;
  let every = options.updateEvery ?? 0;
  try {
    await fineTune(
      model,
      data,
      task,
      { ...options, label: options.label ?? (perLayer ? 'pruning (per-layer rates)' : `pruning to ${(options.sparsity * 100).toFixed(0)}%`) },
      {
        loss: options.loss,
        augment: options.augment,
        forward,
        beforeStep: (step, total) => {
          const rampSteps = Math.max(1, Math.floor(total * ramp));
          if (every === 0) every = Math.max(1, Math.floor(rampSteps / 20));
          if (step <= rampSteps && (step % every === 0 || step === rampSteps)) setMasks(Math.min(1, (step + every) / rampSteps));
        },
        afterStep: applyMasks,
      },
    );
    // exactly the final sparsity, whatever the ramp's last update reached
    setMasks(1);
    applyMasks();
  } finally {
    for (const m of masks.values()) m.dispose();
  }
  return model.toGraph();
}

/**
 * The model `pruneUnstructured` starts its fine-tuning from, pruned at once: every layer's
 * smallest-magnitude weights zeroed to the same per-layer sparsities it ends with. It is what the
 * pruning step is compared with before fine-tuning (keep_better.ts). `groupRows` as in PruneOptions.
 */
export function pruneOneShot(
  graph: Graph,
  sparsity: number,
  minWeights = 256,
  layerSparsity?: ReadonlyMap<number, number>,
  groupRows?: ReadonlyMap<number, number>,
): Graph {
  const layers = weightedLayers(graph);
  const targets = layerSparsity ? new Map(layers.map((l) => [l, layerSparsity.get(l.op.index) ?? 0])) : layerSparsities(graph, layers, sparsity, minWeights);
  const groups = layerGroupRows(layers, groupRows);
  const tensors = [...graph.tensors];
  for (const [layer, final] of targets) {
    if (final === 0) continue;
    const t = graph.tensors[layer.weights]!;
    const values = Float32Array.from(fromBytes('float32', t.data!) as Float32Array);
    const mask = layerMask(values, t.shape, groups.get(layer)!, final);
    for (let i = 0; i < values.length; i++) values[i] = values[i]! * mask[i]!;
    tensors[layer.weights] = { ...t, data: new Uint8Array(values.buffer) };
  }
  return { ...graph, tensors };
}
