// SPDX-License-Identifier: Apache-2.0
/**
 * Calibration: the range of real values every activation tensor is quantized over, from the values
 * it takes when the float graph runs on representative inputs. Three estimators:
 * - `minmax` (TFLite's converter default): the observed minimum and maximum;
 * - `percentile`: clips the tails, keeping the central p% of the values (e.g. 99.99);
 * - `mse`: the clipping range that minimizes the expected squared error of int8 quantization
 *   (clipping error beyond the range plus the rounding error s²/12 inside it), over a histogram.
 * The last two need a second pass over the data (a histogram over the min/max range).
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import type { Graph } from '../core/ir/graph.ts';
import { runFloatGraph } from './float_executor.ts';
import type { ValueRange } from './quant_params.ts';

export type RangeMethod = 'minmax' | 'percentile' | 'mse';
export const RANGE_METHODS: readonly RangeMethod[] = ['minmax', 'percentile', 'mse'];

export interface CalibrationOptions {
  /** samples per forward pass (bounds memory; the ranges do not depend on it). Default 64. */
  batchSize?: number;
  /** default minmax */
  method?: RangeMethod;
  /** for `percentile`: the share of values kept, in percent. Default 99.99. */
  percentile?: number;
  /**
   * The inputs are int8 values dequantized with this scale and zero point (a front-end's features):
   * the graph input's range is the one that quantizes them back to the same bytes, so the int8 model
   * takes the features as the firmware copies them in.
   */
  inputQuant?: { scale: number; zeroPoint: number };
}

const HISTOGRAM_BINS = 2048;

/**
 * The range of every activation tensor (graph inputs included), by tensor index; constant tensors
 * have no entry. `inputs` holds one tensor per graph input, samples along axis 0.
 */
export function calibrateRanges(graph: Graph, inputs: tf.Tensor[], options: CalibrationOptions = {}): Map<number, ValueRange> {
  const ranges = observedRanges(graph, inputs, options);
  const q = options.inputQuant;
  if (q) ranges.set(graph.inputs[0]!, { min: (-128 - q.zeroPoint) * q.scale, max: (127 - q.zeroPoint) * q.scale });
  return ranges;
}

function observedRanges(graph: Graph, inputs: tf.Tensor[], options: CalibrationOptions): Map<number, ValueRange> {
  const method = options.method ?? 'minmax';
  if (!RANGE_METHODS.includes(method)) throw new TinyforgeError(`unknown range method "${method}" (expected ${RANGE_METHODS.join(', ')})`);
  const samples = inputs[0]?.shape[0] ?? 0;
  if (samples === 0) throw new TinyforgeError(`${graph.name}: calibration needs at least one input sample (the calibration set is empty)`);
  if (inputs.some((x) => x.shape[0] !== samples)) {
    throw new TinyforgeError(`${graph.name}: calibration inputs differ in sample count (${inputs.map((x) => x.shape[0]).join(', ')})`);
  }
  const ranges = new Map<number, ValueRange>();
  forEachActivation(graph, inputs, options.batchSize, (index, value) => {
    const lo = tf.min(value).dataSync()[0]!;
    const hi = tf.max(value).dataSync()[0]!;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw new TinyforgeError(`${graph.name}: tensor ${index} "${graph.tensors[index]!.name}" takes non-finite values during calibration`);
    }
    const r = ranges.get(index);
    ranges.set(index, r ? { min: Math.min(r.min, lo), max: Math.max(r.max, hi) } : { min: lo, max: hi });
  });
  if (method === 'minmax') return ranges;

  const histograms = new Map<number, Histogram>();
  for (const [index, r] of ranges) histograms.set(index, new Histogram(Math.min(r.min, 0), Math.max(r.max, 0)));
  forEachActivation(graph, inputs, options.batchSize, (index, value) => histograms.get(index)!.add(value.dataSync()));
  const refined = new Map<number, ValueRange>();
  for (const [index, h] of histograms) {
    refined.set(index, method === 'percentile' ? h.percentileRange(options.percentile ?? 99.99) : h.mseRange());
  }
  return refined;
}

function forEachActivation(graph: Graph, inputs: tf.Tensor[], batchSize = 64, visit: (index: number, value: tf.Tensor) => void): void {
  const samples = inputs[0]!.shape[0]!;
  for (let start = 0; start < samples; start += batchSize) {
    const size = Math.min(batchSize, samples - start);
    tf.tidy(() => {
      const batch = inputs.map((x) => tf.slice(x, start, size));
      // read at once: runFloatGraph disposes every intermediate when it returns
      tf.dispose(runFloatGraph(graph, batch, visit));
    });
  }
}

/** Counts of values in equal bins over [lo, hi] (a range that contains 0). */
export class Histogram {
  readonly counts = new Float64Array(HISTOGRAM_BINS);
  private readonly width: number;
  total = 0;

  constructor(
    readonly lo: number,
    readonly hi: number,
  ) {
    this.width = (hi - lo) / HISTOGRAM_BINS;
  }

  add(values: ArrayLike<number>): void {
    if (this.width <= 0) {
      this.total += values.length;
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const bin = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((values[i]! - this.lo) / this.width)));
      this.counts[bin]!++;
    }
    this.total += values.length;
  }

  private center(bin: number): number {
    return this.lo + (bin + 0.5) * this.width;
  }

  /** The range between the (100 − p)/2 and (100 + p)/2 percentiles of the values. */
  percentileRange(p: number): ValueRange {
    if (!(p > 0 && p <= 100)) throw new TinyforgeError(`percentile ${p} is out of range (0, 100]`);
    if (this.width <= 0 || this.total === 0) return { min: this.lo, max: this.hi };
    const tail = (this.total * (100 - p)) / 200;
    let below = 0;
    let first = 0;
    while (first < HISTOGRAM_BINS - 1 && below + this.counts[first]! <= tail) below += this.counts[first++]!;
    let above = 0;
    let last = HISTOGRAM_BINS - 1;
    while (last > first && above + this.counts[last]! <= tail) above += this.counts[last--]!;
    return { min: first === 0 ? this.lo : this.lo + first * this.width, max: last === HISTOGRAM_BINS - 1 ? this.hi : this.lo + (last + 1) * this.width };
  }

  /**
   * The range [α·lo, α·hi] (α in (0, 1]) with the least expected squared error of 256-level
   * quantization: values outside are clipped to the nearest end, values inside are off by the
   * uniform rounding error s²/12 with s = (α·hi − α·lo)/255.
   */
  mseRange(): ValueRange {
    if (this.width <= 0 || this.total === 0) return { min: this.lo, max: this.hi };
    let best = { alpha: 1, error: Infinity };
    for (let step = 100; step >= 5; step--) {
      const alpha = step / 100;
      const lo = alpha * this.lo;
      const hi = alpha * this.hi;
      const s = (hi - lo) / 255;
      let error = 0;
      for (let bin = 0; bin < HISTOGRAM_BINS; bin++) {
        const n = this.counts[bin]!;
        if (n === 0) continue;
        const v = this.center(bin);
        const clipped = v < lo ? lo - v : v > hi ? v - hi : 0;
        error += n * (clipped > 0 ? clipped * clipped : (s * s) / 12);
      }
      if (error < best.error) best = { alpha, error };
    }
    return { min: best.alpha * this.lo, max: best.alpha * this.hi };
  }
}
