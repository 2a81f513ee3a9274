// SPDX-License-Identifier: Apache-2.0
/**
 * Fine-tuning loop shared by pruning, QAT, distillation and low-rank: Adam over the model's
 * variables, seeded shuffles, mini-batches, and hooks for what each method adds (its own loss, masks
 * re-applied after each step, fake-quant in the forward pass).
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import { type Dataset, shuffledIndices } from '../lab/data/dataset.ts';
import { type Task, batchTensors, taskLoss } from './task.ts';
import type { ForwardResult, TrainableGraph } from './trainable.ts';
import { type Progress, silentProgress, yieldToEventLoop } from './progress.ts';

export interface FineTuneOptions {
  epochs: number;
  batchSize?: number;
  /** Adam's step size; default 1e-3 */
  learningRate?: number;
  seed?: number;
  progress?: Progress;
  /** the bar's label */
  label?: string;
  /**
   * how the step size changes over the fine-tuning: `constant` (default), or `cosine`: from
   * `learningRate` down to `minLearningRate` along half a cosine (Loshchilov & Hutter, 2017), so that
   * the last epochs settle instead of hopping around the minimum
   */
  learningRateSchedule?: 'constant' | 'cosine';
  /** the cosine schedule's last step size as a fraction of `learningRate` (default 0.02) */
  minLearningRate?: number;
}

/** The step size at `step` of `total` (FineTuneOptions' schedule). */
export function learningRateAt(options: FineTuneOptions, step: number, total: number): number {
  const rate = options.learningRate ?? 1e-3;
  if ((options.learningRateSchedule ?? 'constant') === 'constant' || total <= 1) return rate;
  const low = rate * (options.minLearningRate ?? 0.02);
  return low + ((rate - low) * (1 + Math.cos((Math.PI * step) / (total - 1)))) / 2;
}

export interface TrainingHooks {
  /**
   * the inputs of a batch as the step trains on them (data augmentation: `x` is [B, ...input],
   * `step` the step number); default: as they are. The held-out figures never see it.
   */
  augment?: (x: tf.Tensor, step: number) => tf.Tensor;
  /** the forward pass (default: the model's plain forward) */
  forward?: (x: tf.Tensor) => ForwardResult;
  /** the loss of one batch (default: the task's loss) */
  loss?: (result: ForwardResult, y: tf.Tensor, x: tf.Tensor) => tf.Scalar;
  /** before each step, with the step number (0-based) and the total */
  beforeStep?: (step: number, totalSteps: number) => void;
  /** after each optimizer step (pruning re-applies its masks here) */
  afterStep?: (step: number, totalSteps: number) => void;
}

export function stepsOf(dataset: Dataset, options: Pick<FineTuneOptions, 'epochs' | 'batchSize'>): number {
  return options.epochs * Math.ceil(dataset.count / (options.batchSize ?? 32));
}

/** Trains `model` in place; returns the mean loss of the last epoch. */
export async function fineTune(model: TrainableGraph, data: Dataset, task: Task, options: FineTuneOptions, hooks: TrainingHooks = {}): Promise<number> {
  const batchSize = options.batchSize ?? 32;
  const progress = options.progress ?? silentProgress;
  const inputShape = model.graph.tensors[model.graph.inputs[0]!]!.shape;
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const variables = model.trainableVariables;
  const forward = hooks.forward ?? ((x: tf.Tensor) => model.forward([x]));
  const loss = hooks.loss ?? ((result: ForwardResult, y: tf.Tensor) => taskLoss(task, result, y));
  const perEpoch = Math.ceil(data.count / batchSize);
  const total = options.epochs * perEpoch;
  let step = 0;
  let lastEpochLoss = NaN;
  progress.start(options.label ?? 'fine-tuning', total);
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = shuffledIndices(data.count, (options.seed ?? 1) * 1000 + epoch);
      let sum = 0;
      for (let b = 0; b < perEpoch; b++, step++) {
        hooks.beforeStep?.(step, total);
        // Adam reads its (protected) step size at every update
        (optimizer as unknown as { learningRate: number }).learningRate = learningRateAt(options, step, total);
        const { x, y } = batchTensors(data, order.slice(b * batchSize, (b + 1) * batchSize), task, inputShape);
        const input = hooks.augment ? hooks.augment(x, step) : x;
        const cost = optimizer.minimize(() => loss(forward(input), y, input), true, variables);
        const value = cost!.dataSync()[0]!;
        tf.dispose([x, input, y, cost!]);
        if (!Number.isFinite(value)) throw new TinyforgeError(`training diverged at step ${step + 1} (loss ${value}); lower the learning rate`);
        sum += value;
        hooks.afterStep?.(step, total);
        if (b % 4 === 3 || b === perEpoch - 1) {
          progress.update(step + 1, `epoch ${epoch + 1}/${options.epochs} loss ${(sum / (b + 1)).toFixed(4)}`);
          await yieldToEventLoop();
        }
      }
      lastEpochLoss = sum / perEpoch;
    }
  } finally {
    progress.stop();
    optimizer.dispose();
  }
  return lastEpochLoss;
}
