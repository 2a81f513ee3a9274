/**
 * Calibration: the range of real values every activation tensor takes on representative inputs,
 * observed by running the float graph. Min/max is what TFLite's converter uses by default; other
 * estimators (percentile, MSE-optimal) can be added as further `RangeEstimator`s that see the same
 * values.
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../errors.ts';
import type { Graph } from '../ir/graph.ts';
import { runFloatGraph } from './float_executor.ts';
import type { ValueRange } from './quant_params.ts';

export interface CalibrationOptions {
  /** samples per forward pass (bounds memory; the ranges do not depend on it). Default 64. */
  batchSize?: number;
}

/**
 * Observed min/max of every activation tensor (graph inputs included), by tensor index; constant
 * tensors have no entry. `inputs` holds one tensor per graph input, samples along axis 0.
 */
export function calibrateRanges(graph: Graph, inputs: tf.Tensor[], options: CalibrationOptions = {}): Map<number, ValueRange> {
  const batchSize = options.batchSize ?? 64;
  const samples = inputs[0]?.shape[0] ?? 0;
  if (samples === 0) throw new TinyforgeError(`${graph.name}: calibration needs at least one input sample`);
  if (inputs.some((x) => x.shape[0] !== samples)) {
    throw new TinyforgeError(`${graph.name}: calibration inputs differ in sample count (${inputs.map((x) => x.shape[0]).join(', ')})`);
  }
  const ranges = new Map<number, ValueRange>();
  for (let start = 0; start < samples; start += batchSize) {
    const size = Math.min(batchSize, samples - start);
    tf.tidy(() => {
      const batch = inputs.map((x) => tf.slice(x, start, size));
      // read at once: runFloatGraph disposes every intermediate when it returns
      const outputs = runFloatGraph(graph, batch, (index, value) => {
        const lo = tf.min(value).dataSync()[0]!;
        const hi = tf.max(value).dataSync()[0]!;
        if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
          throw new TinyforgeError(`${graph.name}: tensor ${index} "${graph.tensors[index]!.name}" takes non-finite values during calibration`);
        }
        const r = ranges.get(index);
        ranges.set(index, r ? { min: Math.min(r.min, lo), max: Math.max(r.max, hi) } : { min: lo, max: hi });
      });
      tf.dispose(outputs);
    });
  }
  return ranges;
}
