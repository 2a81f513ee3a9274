// SPDX-License-Identifier: Apache-2.0
/**
 * Mixed precision by sensitivity (docs/mixed-precision.md).
 *
 * 1. Sensitivity: for each weighted layer of an int8 model, the loss when only that layer's weights
 *    go to b bits (4, 3, 2) or to sparsity s (0.5 .. 0.95, magnitude pruning), measured under the TS
 *    reference interpreter (what the board computes, bit for bit) on calibration / held-out samples.
 *    The loss is the accuracy drop in points when the data have class labels, else the relative RMS
 *    error of output 0 against the unmodified int8 model (||y' − y|| / ||y||).
 * 2. Flash model: bytes of a layer's weights under each (bits, sparsity), in one function
 *    (`layerWeightBytes`) so that it can later ask the compiler's variant `cost`.
 * 3. Search: per-layer (bits, sparsity) minimising flash under `maxLoss`, or loss under `maxFlash`.
 *    Greedy by marginal cost: from every layer at int8 dense, repeatedly take the one layer change
 *    with the least estimated loss per byte saved (a change may jump several steps, e.g. 8 → 3 bits),
 *    until the next one would break the loss budget (maxLoss) or the bytes fit (maxFlash). A combined
 *    (b, s) is estimated as loss(b) + loss(s), and layers as the sum of their losses (the usual
 *    additivity assumption of sensitivity-based mixed precision). With labels, the accuracy drop is
 *    clamped at 0 and ties are broken by the output error (a few hundred samples leave many layers
 *    at a drop of exactly 0).
 * 4. Verification: the chosen configuration is applied and measured; when the measured loss misses
 *    `maxLoss` (the losses were not additive), the budget shrinks by the overshoot and the search
 *    runs again, a few times at most; if none verifies, the riskiest layer changes are undone one
 *    by one (each measured) until one does, and int8 dense is the last resort. The best
 *    configuration that verified is kept.
 */
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, elementCount } from '../core/ir/graph.ts';
import type { Dataset } from '../lab/data/dataset.ts';
import { prepareGraph } from '../core/ops/prepare.ts';
import { interpret } from '../core/ops/interpreter.ts';
import { type TensorBuffer, tensorBuffer, toBytes } from '../core/ir/buffers.ts';
import { dequantizeOutput, quantizeInput } from './ptq.ts';
import { argmax } from './task.ts';
import { type Progress, silentProgress, yieldToEventLoop } from './progress.ts';
import { DENSE_INT8, type LayerCompression, compressLayers, int8WeightedLayers } from './weight_bits.ts';

export const DEFAULT_SENSITIVITY_BITS = [4, 3, 2];
export const DEFAULT_SENSITIVITY_SPARSITIES = [0.5, 0.75, 0.9, 0.95];

/** What a configuration costs in accuracy or output error, measured on the evaluation samples. */
export interface Measurement {
  /** fraction correct, when the samples have class labels */
  accuracy: number | null;
  /** relative RMS error of output 0 against the unmodified int8 model */
  outputError: number;
  /** accuracy drop in points (labels) or outputError (no labels) */
  loss: number;
}

export type LossKind = 'accuracy points' | 'output error';

/** The samples a model is judged on, quantized once, with the unmodified model's outputs. */
export class Int8Evaluator {
  readonly lossKind: LossKind;
  readonly baseline: Measurement;
  private readonly inputs: Uint8Array[];
  /** the samples' float values, for a model whose input quantization differs */
  private readonly samples: Float32Array[];
  private readonly labels: Int32Array | undefined;
  private readonly reference: Float32Array[];
  private readonly referenceEnergy: number;
  /** every activation of the unmodified model, per sample: a changed layer reruns from there */
  private readonly activations: Map<number, TensorBuffer>[] | undefined;

  constructor(
    readonly graph: Graph,
    data: Dataset,
    samples = data.count,
  ) {
    const count = Math.min(samples, data.count);
    if (count < 1) throw new TinyforgeError(`${data.source}: no samples to measure sensitivity on`);
    const size = data.x.length / data.count;
    this.samples = Array.from({ length: count }, (_, n) => data.x.subarray(n * size, (n + 1) * size));
    this.inputs = this.samples.map((x) => quantizeInput(graph, x));
    this.labels = data.labels?.kind === 'classes' ? data.labels.values.subarray(0, count) : undefined;
    this.lossKind = this.labels ? 'accuracy points' : 'output error';
    const prepared = prepareGraph(graph);
    const stateful = graph.tensors.some((t) => t.isVariable);
    const runs = this.inputs.map((x) => interpret(prepared, [x]));
    this.activations = stateful ? undefined : runs.map((run) => run.tensors);
    this.reference = runs.map((run) => dequantizeOutput(graph, run.outputs[0]!));
    this.referenceEnergy = Math.max(
      1e-30,
      this.reference.reduce((s, o) => s + o.reduce((a, v) => a + v * v, 0), 0),
    );
    this.baseline = { accuracy: this.accuracyOf(this.reference), outputError: 0, loss: 0 };
  }

  get sampleCount(): number {
    return this.inputs.length;
  }

  /**
   * Output 0 (dequantized) of `graph` for every sample. `graph` is the evaluator's model with some
   * constants replaced (new tensor objects, as compressLayers makes them): the ops before the first
   * one reading a replaced constant are not run again, their activations come from the unmodified
   * model's run.
   */
  outputs(graph: Graph): Float32Array[] {
    const prepared = prepareGraph(graph);
    const changed = (i: number) => i >= 0 && graph.tensors[i] !== this.graph.tensors[i];
    const start = prepared.layers.findIndex((l) => l.op.inputs.some(changed));
    if (start < 0 && graph.tensors.length === this.graph.tensors.length && this.reference) return this.reference;
    const a = this.graph.tensors[this.graph.inputs[0]!]!.quant!;
    const b = graph.tensors[graph.inputs[0]!]!.quant!;
    if (a.scale[0] !== b.scale[0] || a.zeroPoint[0] !== b.zeroPoint[0]) {
      // another quantization of the model (e.g. after fine-tuning): the same samples, its own input bytes
      return this.samples.map((x) => dequantizeOutput(graph, interpret(prepared, [quantizeInput(graph, x)]).outputs[0]!));
    }
    if (!this.activations || start <= 0 || graph.tensors.length !== this.graph.tensors.length) {
      return this.inputs.map((x) => dequantizeOutput(graph, interpret(prepared, [x]).outputs[0]!));
    }
    // activations computed by the layers that rerun must be fresh buffers, not the cached ones
    const recomputed = new Set(prepared.layers.slice(start).flatMap((l) => l.op.outputs));
    return this.activations.map((cached) => {
      const values = new Map<number, TensorBuffer>();
      for (const [index, buffer] of cached) if (!recomputed.has(index) && !graph.tensors[index]!.data) values.set(index, buffer);
      const value = (index: number): TensorBuffer => {
        let v = values.get(index);
        if (!v) {
          v = tensorBuffer(graph.tensors[index]!);
          values.set(index, v);
        }
        return v;
      };
      for (const layer of prepared.layers.slice(start)) {
        const ins = layer.op.inputs.map((i) => (i >= 0 ? value(i) : undefined));
        layer.def.evaluate(layer.params, ins, layer.op.outputs.map(value));
      }
      return dequantizeOutput(graph, new Uint8Array(toBytes(value(graph.outputs[0]!))));
    });
  }

  measure(graph: Graph): Measurement {
    const outputs = this.outputs(graph);
    let error = 0;
    outputs.forEach((o, n) => {
      const r = this.reference[n]!;
      for (let k = 0; k < o.length; k++) error += (o[k]! - r[k]!) ** 2;
    });
    const outputError = Math.sqrt(error / this.referenceEnergy);
    const accuracy = this.accuracyOf(outputs);
    const loss = accuracy === null ? outputError : 100 * (this.baseline.accuracy! - accuracy);
    return { accuracy, outputError, loss };
  }

  private accuracyOf(outputs: Float32Array[]): number | null {
    if (!this.labels) return null;
    const labels = this.labels;
    return outputs.filter((o, n) => argmax(o) === labels[n]).length / outputs.length;
  }
}

export interface LayerSensitivity {
  opIndex: number;
  kind: string;
  /** the weights tensor's name */
  name: string;
  weights: number;
  /** output channels (rows of the sparse encoding) */
  rows: number;
  /** one per configuration, in the report's `configs` order */
  results: Measurement[];
}

export interface SensitivityReport {
  model: string;
  samples: number;
  lossKind: LossKind;
  baseline: Measurement;
  /** the columns: each changes one layer alone */
  configs: LayerCompression[];
  layers: LayerSensitivity[];
}

export function configLabel(c: LayerCompression): string {
  const parts = [];
  if (c.bits !== 8) parts.push(`${c.bits}b`);
  if (c.sparsity > 0) parts.push(`sp${Math.round(c.sparsity * 100)}`);
  return parts.length === 0 ? 'int8' : parts.join('+');
}

/**
 * Each weighted layer's loss when it alone goes to each of `bits` and each of `sparsities`. With
 * `float` (the float model `graph` was quantized from, same tensor indices), the reduced weights
 * come from the float values.
 */
export async function analyzeSensitivity(
  graph: Graph,
  evaluator: Int8Evaluator,
  options: { bits?: number[]; sparsities?: number[]; float?: Graph; progress?: Progress } = {},
): Promise<SensitivityReport> {
  const progress = options.progress ?? silentProgress;
  const configs: LayerCompression[] = [
    ...(options.bits ?? DEFAULT_SENSITIVITY_BITS).map((bits) => ({ bits, sparsity: 0 })),
    ...(options.sparsities ?? DEFAULT_SENSITIVITY_SPARSITIES).map((sparsity) => ({ bits: 8, sparsity })),
  ];
  const weighted = int8WeightedLayers(graph);
  if (weighted.length === 0) throw new TinyforgeError(`${graph.name}: no CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer with int8 weights`);
  const layers: LayerSensitivity[] = [];
  progress.start('sensitivity', weighted.length * configs.length);
  let done = 0;
  for (const layer of weighted) {
    const t = graph.tensors[layer.weights]!;
    const results: Measurement[] = [];
    for (const config of configs) {
      results.push(evaluator.measure(compressLayers(graph, new Map([[layer.op.index, config]]), { float: options.float })));
      progress.update(++done);
      await yieldToEventLoop();
    }
    layers.push({ opIndex: layer.op.index, kind: layer.op.kind, name: t.name, weights: elementCount(t.shape), rows: t.shape[layer.outputAxis]!, results });
  }
  progress.stop();
  return { model: graph.name, samples: evaluator.sampleCount, lossKind: evaluator.lossKind, baseline: evaluator.baseline, configs, layers };
}

export function formatLoss(kind: LossKind, v: number): string {
  return kind === 'accuracy points' ? (Math.abs(v) < 0.005 ? '0' : v.toFixed(2)) : v.toPrecision(3);
}

/** Bits of the column distance per nonzero in the sparse encodings (common/codecs/sparse_rows.ts: uint8). */
const SPARSE_GAP_BITS = 8;
/** Bytes of each row's entry count in the sparse encodings (int16). */
const SPARSE_ROW_COUNT_BYTES = 2;

/**
 * Bytes the compiler stores for `weights` values in `rows` output channels at `config`: dense
 * b-bit (n·b/8), or sparse (nnz·(b + gap bits)/8 + a count per row) when at least half the values
 * are zero and that is at most 0.9 of dense (common/codecs/sparse_rows.ts's rule). An analytic
 * estimate, apart from the compiler's variant `cost`.
 */
export function layerWeightBytes(weights: number, rows: number, config: LayerCompression): number {
  const dense = Math.ceil((weights * config.bits) / 8);
  if (config.sparsity < 0.5) return dense;
  const nonzero = weights - Math.ceil(weights * config.sparsity - 1e-9);
  const sparse = Math.ceil((nonzero * (config.bits + SPARSE_GAP_BITS)) / 8) + rows * SPARSE_ROW_COUNT_BYTES;
  return sparse <= 0.9 * dense ? sparse : dense;
}

export type SearchGoal = { maxLoss: number } | { maxFlash: number };

export interface LayerChoice {
  opIndex: number;
  name: string;
  config: LayerCompression;
  bytes: number;
  denseBytes: number;
  /** the sensitivity table's estimate for this layer's choice */
  estimatedLoss: number;
}

export interface SearchResult {
  goal: SearchGoal;
  lossKind: LossKind;
  layers: LayerChoice[];
  /** estimated weight bytes of all weighted layers, and at int8 dense */
  bytes: number;
  denseBytes: number;
  estimatedLoss: number;
  /** measured by applying the configuration */
  measured: Measurement;
  /** whether the goal is met: the measured loss for maxLoss, the estimated bytes for maxFlash */
  met: boolean;
  /** searches run (more than one when verification sent it back with a tighter budget) */
  rounds: number;
}

/** The (bits, sparsity) grid the search picks from: every measured bit width with every measured sparsity. */
function candidateConfigs(r: SensitivityReport): LayerCompression[] {
  const bits = [8, ...new Set(r.configs.filter((c) => c.bits !== 8).map((c) => c.bits))];
  const sparsities = [0, ...new Set(r.configs.filter((c) => c.sparsity > 0).map((c) => c.sparsity))];
  return bits.flatMap((b) => sparsities.map((s) => ({ bits: b, sparsity: s })));
}

/** A layer's estimated loss at `config`, from the single-change columns (additive); and its tie-breaker. */
function estimate(r: SensitivityReport, layer: LayerSensitivity, config: LayerCompression): { loss: number; tie: number } {
  let loss = 0;
  let tie = 0;
  const add = (c: LayerCompression) => {
    const i = r.configs.findIndex((k) => k.bits === c.bits && k.sparsity === c.sparsity);
    if (i < 0) throw new TinyforgeError(`no sensitivity measured for ${configLabel(c)}`);
    const m = layer.results[i]!;
    loss += r.lossKind === 'accuracy points' ? Math.max(0, m.loss) : m.loss;
    tie += m.outputError;
  };
  if (config.bits !== 8) add({ bits: config.bits, sparsity: 0 });
  if (config.sparsity > 0) add({ bits: 8, sparsity: config.sparsity });
  return { loss, tie };
}

/**
 * The greedy search alone (no verification): per-layer configurations for `goal` from the table,
 * with `lossBudget` for a maxLoss goal (the verification loop passes a tighter one).
 */
export function greedyChoice(r: SensitivityReport, goal: SearchGoal, lossBudget?: number): LayerCompression[] {
  const candidates = candidateConfigs(r);
  const table = r.layers.map((l) => candidates.map((c) => ({ config: c, bytes: layerWeightBytes(l.weights, l.rows, c), ...estimate(r, l, c) })));
  const current = r.layers.map(() => 0); // candidates[0] is int8 dense
  let bytes = table.reduce((s, row) => s + row[0]!.bytes, 0);
  let loss = 0;
  const budget = 'maxLoss' in goal ? (lossBudget ?? goal.maxLoss) : Infinity;
  for (;;) {
    if ('maxFlash' in goal && bytes <= goal.maxFlash) break;
    let best: { layer: number; choice: number; score: number; tie: number; saved: number } | undefined;
    table.forEach((row, l) => {
      const now = row[current[l]!]!;
      row.forEach((option, k) => {
        const saved = now.bytes - option.bytes;
        if (saved <= 0) return;
        const dLoss = option.loss - now.loss;
        if (loss + dLoss > budget + 1e-12) return;
        const score = dLoss / saved;
        const tie = (option.tie - now.tie) / saved;
        if (!best || score < best.score - 1e-12 || (Math.abs(score - best.score) <= 1e-12 && (tie < best.tie || (tie === best.tie && saved > best.saved)))) {
          best = { layer: l, choice: k, score, tie, saved };
        }
      });
    });
    if (!best) break;
    const chosen: { layer: number; choice: number; saved: number } = best;
    loss += table[chosen.layer]![chosen.choice]!.loss - table[chosen.layer]![current[chosen.layer]!]!.loss;
    bytes -= chosen.saved;
    current[chosen.layer] = chosen.choice;
  }
  if ('maxFlash' in goal && bytes <= goal.maxFlash) {
    // the last greedy step may overshoot the bytes: give back the largest loss reductions that still fit
    for (;;) {
      let best: { layer: number; choice: number; gain: number } | undefined;
      table.forEach((row, l) => {
        const now = row[current[l]!]!;
        row.forEach((option, k) => {
          const gain = now.loss - option.loss + 1e-6 * (now.tie - option.tie);
          if (gain > 1e-12 && bytes - now.bytes + option.bytes <= goal.maxFlash && (!best || gain > best.gain)) best = { layer: l, choice: k, gain };
        });
      });
      if (!best) break;
      const chosen: { layer: number; choice: number } = best;
      bytes += table[chosen.layer]![chosen.choice]!.bytes - table[chosen.layer]![current[chosen.layer]!]!.bytes;
      current[chosen.layer] = chosen.choice;
    }
  }
  return current.map((k) => candidates[k]!);
}

/** The search with its verification loop (see the file comment). */
export function searchMixedPrecision(
  graph: Graph,
  r: SensitivityReport,
  evaluator: Int8Evaluator,
  goal: SearchGoal,
  options: { float?: Graph; maxRounds?: number } = {},
): { result: SearchResult; graph: Graph } {
  const maxRounds = options.maxRounds ?? 4;
  const summarize = (configs: LayerCompression[], measured: Measurement, rounds: number): SearchResult => {
    const layers = r.layers.map((l, i) => ({
      opIndex: l.opIndex,
      name: l.name,
      config: configs[i]!,
      bytes: layerWeightBytes(l.weights, l.rows, configs[i]!),
      denseBytes: layerWeightBytes(l.weights, l.rows, DENSE_INT8),
      estimatedLoss: estimate(r, l, configs[i]!).loss,
    }));
    const bytes = layers.reduce((s, l) => s + l.bytes, 0);
    const met = 'maxLoss' in goal ? measured.loss <= goal.maxLoss + 1e-9 : bytes <= goal.maxFlash;
    return {
      goal,
      lossKind: r.lossKind,
      layers,
      bytes,
      denseBytes: layers.reduce((s, l) => s + l.denseBytes, 0),
      estimatedLoss: layers.reduce((s, l) => s + l.estimatedLoss, 0),
      measured,
      met,
      rounds,
    };
  };
  const apply = (configs: LayerCompression[]) => compressLayers(graph, new Map(r.layers.map((l, i) => [l.opIndex, configs[i]!])), { float: options.float });

  let budget = 'maxLoss' in goal ? goal.maxLoss : undefined;
  let best: { result: SearchResult; graph: Graph } | undefined;
  let configs: LayerCompression[] = [];
  let rounds = 0;
  for (let round = 1; round <= maxRounds; round++) {
    const next = greedyChoice(r, goal, budget);
    // a tighter budget that picks the same configuration measures the same: go on to the undoing
    if (round > 1 && JSON.stringify(next) === JSON.stringify(configs)) break;
    rounds = round;
    configs = next;
    const compressed = apply(configs);
    const result = summarize(configs, evaluator.measure(compressed), round);
    const better = !best || (result.met && (!best.result.met || result.bytes < best.result.bytes));
    if (better) best = { result, graph: compressed };
    if (!('maxLoss' in goal) || result.met) break;
    // the table under-estimated: shrink the budget by the overshoot (at least by a quarter)
    const overshoot = result.measured.loss / Math.max(goal.maxLoss, 1e-9);
    budget = budget! * Math.min(0.75, 1 / overshoot);
  }
  if (!best!.result.met && 'maxLoss' in goal) {
    // the budget alone did not get there: undo the riskiest layer change (most estimated loss per
    // byte saved) one at a time, measuring each, until the loss fits
    const risk = (i: number) => {
      const layer = r.layers[i]!;
      const e = estimate(r, layer, configs[i]!);
      const saved = layerWeightBytes(layer.weights, layer.rows, DENSE_INT8) - layerWeightBytes(layer.weights, layer.rows, configs[i]!);
      return (e.loss + e.tie) / Math.max(1, saved);
    };
    for (;;) {
      const changed = configs.map((_, i) => i).filter((i) => configs[i]!.bits !== 8 || configs[i]!.sparsity > 0);
      if (changed.length <= 1) break; // undoing the last one is the dense model
      changed.sort((a, b) => risk(b) - risk(a));
      configs = configs.map((c, i) => (i === changed[0] ? { ...DENSE_INT8 } : c));
      const compressed = apply(configs);
      const result = summarize(configs, evaluator.measure(compressed), ++rounds);
      if (result.met) {
        best = { result, graph: compressed };
        break;
      }
    }
  }
  if (!best!.result.met && 'maxLoss' in goal) {
    // nothing verified: int8 dense meets any maxLoss >= 0 by definition
    const dense = r.layers.map(() => ({ ...DENSE_INT8 }));
    best = { result: { ...summarize(dense, evaluator.baseline, rounds), met: goal.maxLoss >= 0 }, graph };
  }
  best!.result.rounds = Math.max(best!.result.rounds, 1);
  return best!;
}
