// SPDX-License-Identifier: Apache-2.0
/**
 * Quantization-aware fine-tuning: the forward pass sees the model as its int8 form will compute it,
 * and training adapts the weights to that.
 * - Weights are fake-quantized exactly as PTQ will quantize them: symmetric int8, scale
 *   max|w|/127 per output channel (conv, depthwise) or per tensor (dense, TFLite's default).
 * - Activations that get their own int8 range (inputs, conv/dense/add outputs) are fake-quantized
 *   over a range that starts from calibration and follows an exponential moving average of each
 *   batch's min/max, as TFLite's QAT does; pools and reshapes keep their input's grid.
 * - Gradients pass straight through the rounding (STE), and are zero where an activation was
 *   clipped to its range.
 * The export is the same int8 quantization as PTQ (`quantizeGraph`) with the ranges training ended
 * with, so the exported model computes what training saw.
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../core/ir/graph.ts';
import { type Dataset, inputTensor, subset } from '../lab/data/dataset.ts';
import { calibrateRanges } from './calibrate.ts';
import { floatOpDef } from './float_ops/index.ts';
import { type PtqOptions, quantizeGraph } from './ptq.ts';
import { type ValueRange, activationQuant } from './quant_params.ts';
import { type Task, taskLoss } from './task.ts';
import { type FineTuneOptions, fineTune } from './train.ts';
import { TrainableGraph } from './trainable.ts';

export interface QatOptions extends FineTuneOptions, PtqOptions {
  /** samples for the initial activation ranges (default 256) */
  calibrationSamples?: number;
  /** weight of the old range in the moving average (default 0.9) */
  rangeMomentum?: number;
}

/**
 * Symmetric fake-quant of weights along `axis` (per tensor if undefined) to the levels -qmax..qmax
 * (int8: 127; b bits: 2^(b-1)-1, weight_bits.ts's max-abs scales); identity gradient.
 */
export function fakeQuantWeights(w: tf.Tensor, axis: number | undefined, qmax = 127): tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor) => {
    const value = tf.tidy(() => {
      const rank = x.rank;
      const reduceAxes = axis === undefined ? undefined : Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis);
      const maxAbs = tf.max(tf.abs(x), reduceAxes, true);
      // an all-zero channel keeps scale 1, as PTQ does
      const scale = tf.where(tf.greater(maxAbs, 0), tf.div(maxAbs, qmax), tf.onesLike(maxAbs));
      return tf.mul(tf.clipByValue(tf.round(tf.div(x, scale)), -qmax, qmax), scale);
    });
    return { value, gradFunc: (dy: tf.Tensor) => dy };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(w);
}

/** Asymmetric int8 fake-quant over `range` (as PTQ derives scale and zero point from it); clipped STE. */
export function fakeQuantActivation(x: tf.Tensor, range: ValueRange): tf.Tensor {
  const q = activationQuant(range);
  const s = q.scale[0]!;
  const z = q.zeroPoint[0]!;
  const lo = s * (-128 - z);
  const hi = s * (127 - z);
  const f = tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
    save([v]);
    const value = tf.tidy(() => tf.mul(tf.sub(tf.clipByValue(tf.add(tf.round(tf.div(v, s)), z), -128, 127), z), s));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.logicalAnd(tf.greaterEqual(saved[0]!, lo), tf.lessEqual(saved[0]!, hi)).toFloat()),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/** The tensors whose int8 parameters come from a range: the inputs and 'range'-rule op outputs. */
function rangedTensors(graph: Graph): Set<number> {
  const ranged = new Set(graph.inputs);
  for (const op of graph.ops) if (floatOpDef(op.kind)!.outputQuant.kind === 'range') op.outputs.forEach((o) => ranged.add(o));
  return ranged;
}

/**
 * Fine-tunes `model` with fake quantization and returns its int8 Graph. `model` keeps the trained
 * float weights.
 */
export async function quantizationAwareTraining(model: TrainableGraph, data: Dataset, task: Task, options: QatOptions): Promise<Graph> {
  const graph = model.graph;
  const calibration = subset(
    data,
    Array.from({ length: Math.min(data.count, options.calibrationSamples ?? 256) }, (_, i) => i),
  );
  const x0 = inputTensor(calibration);
  const ranges = calibrateRanges(model.toGraph(), [x0], { ...options, inputQuant: data.inputQuant });
  x0.dispose();
  const ranged = rangedTensors(graph);
  // dequantized features sit on the int8 grid already: their range stays the one they came with
  if (data.inputQuant) ranged.delete(graph.inputs[0]!);
  const momentum = options.rangeMomentum ?? 0.9;
  const weightAxis = new Map(
    model.layers.flatMap((l) => {
      const axis = floatOpDef(l.op.kind)!.weights!(l.op, options).axis;
      return [[l.weights, axis] as const];
    }),
  );
  let training = true;
  const track = (index: number, value: tf.Tensor): tf.Tensor => {
    if (!ranged.has(index)) return value;
    if (training) {
      const lo = tf.min(value).dataSync()[0]!;
      const hi = tf.max(value).dataSync()[0]!;
      const r = ranges.get(index)!;
      ranges.set(index, { min: momentum * r.min + (1 - momentum) * lo, max: momentum * r.max + (1 - momentum) * hi });
    }
    return fakeQuantActivation(value, ranges.get(index)!);
  };
  const forward = (x: tf.Tensor) =>
    model.forward([track(graph.inputs[0]!, x)], {
      weight: (index, w) => (weightAxis.has(index) ? fakeQuantWeights(w, weightAxis.get(index)) : w),
      transformActivation: track,
    });
  await fineTune(
    model,
    data,
    task,
    { ...options, label: options.label ?? 'quantization-aware training' },
    {
      forward,
      loss: (result, y) => taskLoss(task, result, y),
    },
  );
  training = false;
  return quantizeGraph(model.toGraph(), ranges, options);
}
