// SPDX-License-Identifier: Apache-2.0
/**
 * The LeNet compression bars (≥ 80x at ≤ 0.5 points, ≥ 120x at ≤ 1.5): LeNet-300-100 and LeNet-5 (models.ts), trained by
 * train.ts (or loaded from the committed float/<name>/model.json), compressed step by step, each
 * step compiled for cortex-m4, built, and run on the emulated board (QEMU mps2-an386) with every
 * board output compared byte for byte with the host reference interpreter.
 *
 *   npm run example:lenet [-- --json] [--models lenet300,lenet5] [--steps int8,pruned,...]
 *                         [--eval-digits N] [--device-digits N] [--epochs N] [--no-cache]
 *
 * Each step: its accuracy on the held-out digits (the int8 model under tinyforge's reference
 * interpreter, which the board matches bit for bit), the whole firmware's flash, the ratio
 * float32 parameter bytes / firmware flash, instructions per inference on the board, and whether
 * the board's outputs equal the host's. With --json stdout is ONE JSON object:
 *   {"models": [{"name", "floatAccuracy", "float32Bytes", "steps": [{"name", "accuracy", "flashBytes",
 *     "ratio", "instructions", "deviceMatchesHost", ...}]}]}
 * Progress goes to stderr. Fine-tuned float models are cached in .tinyforge-cache/lenet/ by recipe.
 *
 * A step is one line of STEPS below: a name and how its int8 model is made from the float one with
 * the stages of `Stages` (prune, structured, ptq, ...); a new compression (int4, palette, a mixed
 * search) is a new stage method and a new line.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Graph } from '../../src/core/ir/graph.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import type { Dataset } from '../../src/lab/data/dataset.ts';
import { inputTensor, subset } from '../../src/lab/data/dataset.ts';
import { type RangeMethod, calibrateRanges } from '../../src/compress/calibrate.ts';
import { type FineTuneChoice, keepBetter } from '../../src/compress/keep_better.ts';
import { distillationLoss } from '../../src/compress/distill.ts';
import type { Progress } from '../../src/compress/progress.ts';
import { loadFloatModel, writeModel } from '../../src/compress/model_io.ts';
import { pruneOneShot, pruneUnstructured, weightSparsity } from '../../src/compress/prune.ts';
import { quantizeGraph, quantizeInput } from '../../src/compress/ptq.ts';
import { compressLayers, int8WeightedLayers, roundFloatWeights } from '../../src/compress/weight_bits.ts';
import type { Prefer } from '../../src/core/ops/op.ts';
import { pruneChannels } from '../../src/compress/structured.ts';
import { orderNeuronsForGroups } from '../../src/compress/neuron_order.ts';
import { type Task, floatMetric, int8Metric, taskFor } from '../../src/compress/task.ts';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { fineTune } from '../../src/compress/train.ts';
import { TrainableGraph, weightedLayers } from '../../src/compress/trainable.ts';
import { formatTable } from '../../src/face/report/table.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { type Digit, PIXELS, seededRandom, shiftImages } from '../mnist/dataset.ts';
import { LENET_NAMES, type LenetName } from './models.ts';
import { RECIPES, SEED, floatModelPath, lenetDigits, readFloatRecords, trainLenet } from './train.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CACHE = join(ROOT, '.tinyforge-cache', 'lenet');
const TARGET = 'cortex-m4';
/**
 * Fine-tuning of every training stage: Adam at this rate (LeNet-300-100: decaying to 2% of it along a
 * cosine), batch 32, the same seed, and the float model's training augmentation (train.ts's
 * `shiftPixels`: each batch's digits moved by up to that many pixels). `teacher`: the float model
 * teaching its pruned copy (distillation, distill.ts: its outputs softened at temperature T weigh
 * alpha in the loss beside the labels); none here: on the float models trained without shifts it
 * loses accuracy against the labels alone. LeNet-5's convolutions train about ten times slower than LeNet-300-100 on tfjs wasm, so
 * it fine-tunes for fewer epochs. `--epochs N` overrides the epochs per stage (a new cache key).
 * Longer fine-tuning buys accuracy at the highest sparsities (each epoch is 55,000 digits for
 * LeNet-300-100); `git log examples/lenet` has the runs that chose these epochs.
 */
interface FineTuneRecipe {
  epochs: number;
  learningRate: number;
  batchSize: number;
  seed: number;
  learningRateSchedule: 'constant' | 'cosine';
  shiftPixels: number;
  /** distillation from the float model during pruning (null: the labels alone) */
  teacher: { temperature: number; alpha: number } | null;
}
const FINE_TUNE: Record<LenetName, FineTuneRecipe> = {
  lenet300: {
    epochs: 15,
    learningRate: 0.001,
    batchSize: 32,
    seed: SEED,
    learningRateSchedule: 'cosine',
    shiftPixels: RECIPES.lenet300.shiftPixels,
    teacher: null,
  },
  lenet5: {
    epochs: 8,
    learningRate: 0.0005,
    batchSize: 32,
    seed: SEED,
    learningRateSchedule: 'constant',
    shiftPixels: RECIPES.lenet5.shiftPixels,
    teacher: null,
  },
};
const CALIBRATION_SAMPLES = 500;

/** The int8 model of one step, made from the float model with the stages. */
interface StepRecipe {
  name: string;
  make(s: Stages): Promise<Graph>;
  /**
   * How the compiler stores the weights (`--prefer`): `size` lets the compressed storages win (sparse,
   * int4, palette, Huffman-coded values and gaps) at some instructions; `speed` (default) keeps the
   * fastest kernels that are no bigger than dense int8.
   */
  prefer?: Prefer;
}

/**
 * The steps of each model, in order. The bars: ≥ 80x at ≤ 0.5 points below float, ≥ 120x at ≤ 1.5.
 * A uniform rate for reference, then the per-layer schedules below, then 3 to 5 bits per channel or,
 * for the dense layers, per tensor (no requantization tables), all under --prefer size (Huffman-coded
 * values and gaps where they are the smallest); a run prints the figures.
 */
const STEPS: Record<LenetName, StepRecipe[]> = {
  lenet300: [
    { name: 'int8', make: (s) => s.ptq(s.float) },
    { name: 'pruned 95%', make: async (s) => s.ptq(await s.prune(s.float, 0.95)) },
    { name: 'layers 95/90/70%, 4-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(1), 4, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 95/90/70%, 5-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(1), 5, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 95/90/70%, 4/5/5-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(1), [4, 5, 5], 'dense per tensor'), prefer: 'size' },
    { name: 'layers 98/95/80%, 4-bit, size', make: async (s) => s.bits(await s.scheduled(2), 4), prefer: 'size' },
    { name: 'layers 99/96/80%, 4-bit, size', make: async (s) => s.bits(await s.scheduled(3), 4), prefer: 'size' },
    { name: 'layers 99/96/80%, 3-bit, size', make: async (s) => s.bits(await s.scheduled(3), 3), prefer: 'size' },
    { name: 'layers 98/95/80%, 4-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(2), 4, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 98/95/80%, 5-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(2), 5, 'dense per tensor'), prefer: 'size' },
    // fc1 (250 live rows) per tensor, the small fc2 and fc3 per channel (their tables: about 500 B)
    {
      name: 'layers 98/95/80%, 4-bit, fc1 per-tensor, size',
      make: async (s) => s.bits(await s.scheduled(2), 4, [true, false, false]),
      prefer: 'size',
    },
    { name: 'layers 99/96/80%, 4-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(3), 4, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 99/96/80%, 3-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(3), 3, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 99/96/80%, 5-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(3), 5, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 99/96/80%, int8 per-tensor, size', make: async (s) => s.ptq(await s.scheduled(3)), prefer: 'size' },
    // the 98/95/80% stage run once more from its model (the ramp restarts below its zeros, so pruned weights may grow back)
    { name: 'layers 98/95/80% twice, 4-bit per-tensor, size', make: async (s) => s.bits(await s.again(2), 4, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 98/95/80% twice, 5-bit per-tensor, size', make: async (s) => s.bits(await s.again(2), 5, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 98/95/80% twice, int8 per-tensor, size', make: async (s) => s.ptq(await s.again(2)), prefer: 'size' },
    { name: 'layers 98/95/80% 3 times, 4-bit per-tensor, size', make: async (s) => s.bits(await s.again(2, 2), 4, 'dense per tensor'), prefer: 'size' },
    { name: 'layers 98/95/80% 3 times, 5-bit per-tensor, size', make: async (s) => s.bits(await s.again(2, 2), 5, 'dense per tensor'), prefer: 'size' },
    // fc1 (three quarters of the stored weights) at 4 bits, the smaller fc2 and fc3 at 5
    {
      name: 'layers 98/95/80% 3 times, 4/5/5-bit per-tensor, size',
      make: async (s) => s.bits(await s.again(2, 2), [4, 5, 5], 'dense per tensor'),
      prefer: 'size',
    },
    { name: 'layers 98/95/80% twice, 4/5/5-bit per-tensor, size', make: async (s) => s.bits(await s.again(2), [4, 5, 5], 'dense per tensor'), prefer: 'size' },
    { name: 'layers 99/96/80%, 4/5/5-bit per-tensor, size', make: async (s) => s.bits(await s.scheduled(3), [4, 5, 5], 'dense per tensor'), prefer: 'size' },
    // between the schedule's second and third stages: fc1 at 98.5% from the 98/95/80% model (one 30-epoch stage)
    {
      name: 'layers 98.5/96/80%, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.after(2, [0.985, 0.96, 0.8]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80%, 3-bit per-tensor, size',
      make: async (s) => s.bits(await s.after(2, [0.985, 0.96, 0.8]), 3, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80%, 5-bit per-tensor, size',
      make: async (s) => s.bits(await s.after(2, [0.985, 0.96, 0.8]), 5, 'dense per tensor'),
      prefer: 'size',
    },
    // 99/96/80% reached in three steps (98, 98.5, then 99% on fc1) instead of two
    {
      name: 'layers 98.5 then 99/96/80%, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.99, 0.96, 0.8]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    // a fourth stage, past 99% on fc1: 120x needs the weights in about 4 KB
    {
      name: 'layers 98.5 then 99.3/97/85%, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.993, 0.97, 0.85]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5 then 99.3/97/85% twice, 4-bit per-tensor, size',
      make: async (s) => {
        const once = await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.993, 0.97, 0.85]);
        return s.bits(await s.pruneLayers(once, [0.993, 0.97, 0.85]), 4, 'dense per tensor');
      },
      prefer: 'size',
    },
    // row groups: fc1's and fc2's output rows pruned 4 or 2 at a time keep one set of input
    // columns, whose gaps the compiler stores once per group; one stage from the 98/95/80% model
    {
      name: 'layers 98.5/96/80% in groups of 4/2/1, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2), [0.985, 0.96, 0.8], [4, 2, 1]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80% in groups of 2/2/1, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2), [0.985, 0.96, 0.8], [2, 2, 1]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    // the schedule's stages in row groups from the float model (the blocks form gradually), then 98.5%
    {
      name: 'layers 98.5/96/80% gradually in groups of 4/2/1, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2, [4, 2, 1]), [0.985, 0.96, 0.8], [4, 2, 1]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    // 4-bit scales clipped for the least squared error (weight_bits.ts's `clip: 'mse'`) instead of the largest weight
    {
      name: 'layers 98.5/96/80%, 4-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.after(2, [0.985, 0.96, 0.8]), 4, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80%, 3-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.after(2, [0.985, 0.96, 0.8]), 3, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5 then 99/96/80%, 4-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.99, 0.96, 0.8]), 4, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5 then 99.3/97/85%, 4-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.993, 0.97, 0.85]), 4, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5 then 99/96/80%, 3-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.99, 0.96, 0.8]), 3, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5 then 99.3/97/85%, 3-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.993, 0.97, 0.85]), 3, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80% gradually in groups of 4/2/1, 4-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2, [4, 2, 1]), [0.985, 0.96, 0.8], [4, 2, 1]), 4, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80% in groups of 2/2/1, 4-bit per-tensor mse, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2), [0.985, 0.96, 0.8], [2, 2, 1]), 4, 'dense per tensor', 'mse'),
      prefer: 'size',
    },
    // the same with similar neurons put side by side first (neuron_order.ts), then the 98.5% stage once,
    // twice or 3 times (more fine-tuning), at uniform or per-layer bits, max-abs or clipped scales
    ...(
      [
        [1, 4, 'max'],
        [1, 4, 'mse'],
        [1, 3, 'mse'],
        [1, 5, 'mse'],
        [2, 4, 'max'],
        [2, 3, 'max'],
        [2, 4, 'mse'],
        [2, 3, 'mse'],
        [2, [4, 4, 3], 'max'],
        [2, [4, 3, 3], 'max'],
        [2, [4, 4, 3], 'mse'],
        [2, [4, 3, 3], 'mse'],
        [3, 4, 'max'],
        [3, [4, 4, 3], 'max'],
      ] as const
    ).map(([times, bits, clip]) => ({
      name:
        `layers 98.5/96/80% gradually in similar groups of 4/2/1${['', ' twice', ' 3 times'][times - 1]}, ` +
        `${typeof bits === 'number' ? bits : bits.join('/')}-bit per-tensor${clip === 'mse' ? ' mse' : ''}, size`,
      make: async (s: Stages) => s.bits(await s.similarGroups(times), typeof bits === 'number' ? bits : [...bits], 'dense per tensor', clip),
      prefer: 'size' as const,
    })),
    // the first similar-groups stage alone (95/90/70%): the 80x bar's bytes (13,330 B) hold about
    // three times the weights of 98.5/96/80%
    ...(
      [
        [4, 'max'],
        [4, 'mse'],
        [5, 'mse'],
      ] as const
    ).map(([bits, clip]) => ({
      name: `layers 95/90/70% in similar groups of 4/2/1, ${bits}-bit per-tensor${clip === 'mse' ? ' mse' : ''}, size`,
      make: async (s: Stages) => s.bits(await s.similarScheduled(1), bits, 'dense per tensor', clip),
      prefer: 'size' as const,
    })),
    // quantization-aware: one more stage at the same rates whose fine-tuning sees the 4-bit weights
    {
      name: 'layers 95/90/70% in similar groups of 4/2/1, then 4-bit aware, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.aware(await s.similarScheduled(1), [0.95, 0.9, 0.7], [4, 2, 1], 4), 4, 'dense per tensor'),
      prefer: 'size',
    },
    // the 80x bar (13,330 B): from the 95/90/70% model, one aware stage a little sparser
    ...(
      [
        [0.955, 0.91, 0.72],
        [0.96, 0.92, 0.75],
      ] as const
    ).map((rates) => ({
      name: `layers 95/90/70% in similar groups of 4/2/1, then ${rates.map((r) => r * 100).join('/')}% 4-bit aware, 4-bit per-tensor, size`,
      make: async (s: Stages) => s.bits(await s.aware(await s.similarScheduled(1), [...rates], [4, 2, 1], 4), 4, 'dense per tensor'),
      prefer: 'size' as const,
    })),
    // the same from the 95/90/70% model's aware stage (two aware stages), the last one 15 (FINE_TUNE's) or 30 epochs
    ...([undefined, 30] as const).map((epochs) => ({
      name: `layers 95/90/70% in similar groups of 4/2/1, then 4-bit aware, then 96/92/75% 4-bit aware${epochs ? ` for ${epochs} epochs` : ''}, 4-bit per-tensor, size`,
      make: async (s: Stages) => {
        const firstAware = await s.aware(await s.similarScheduled(1), [0.95, 0.9, 0.7], [4, 2, 1], 4);
        return s.bits(await s.aware(firstAware, [0.96, 0.92, 0.75], [4, 2, 1], 4, epochs), 4, 'dense per tensor');
      },
      prefer: 'size' as const,
    })),
    // the 120x bar's aware stage at 30 epochs instead of 15 (the stages before it unchanged)
    {
      name: 'layers 98.5/96/80% gradually in similar groups of 4/2/1, then 4-bit aware for 30 epochs, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.aware(await s.similarGroups(1), [0.985, 0.96, 0.8], [4, 2, 1], 4, 30), 4, 'dense per tensor'),
      prefer: 'size',
    },
    // the 120x bar (8,887 B): the 98.5/96/80% similar-groups model (its stage once or twice), then one aware stage
    ...([1, 2] as const).map((times) => ({
      name: `layers 98.5/96/80% gradually in similar groups of 4/2/1${times === 2 ? ' twice' : ''}, then 4-bit aware, 4-bit per-tensor, size`,
      make: async (s: Stages) => s.bits(await s.aware(await s.similarGroups(times), [0.985, 0.96, 0.8], [4, 2, 1], 4), 4, 'dense per tensor'),
      prefer: 'size' as const,
    })),
    {
      name: 'layers 98.5/96/80% gradually in groups of 2/2/1, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2, [2, 2, 1]), [0.985, 0.96, 0.8], [2, 2, 1]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80% gradually in groups of 4/2/1 twice, 4-bit per-tensor, size',
      make: async (s) => {
        const once = await s.pruneLayers(await s.scheduled(2, [4, 2, 1]), [0.985, 0.96, 0.8], [4, 2, 1]);
        return s.bits(await s.pruneLayers(once, [0.985, 0.96, 0.8], [4, 2, 1]), 4, 'dense per tensor');
      },
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80% in groups of 4/1/1, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2), [0.985, 0.96, 0.8], [4, 1, 1]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80% in groups of 2/2/1, 5-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2), [0.985, 0.96, 0.8], [2, 2, 1]), 5, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5/96/80% in groups of 4/2/1, 5-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2), [0.985, 0.96, 0.8], [4, 2, 1]), 5, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 99/97/85% in groups of 4/2/1, 4-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.scheduled(2), [0.99, 0.97, 0.85], [4, 2, 1]), 4, 'dense per tensor'),
      prefer: 'size',
    },
    {
      name: 'layers 98.5 then 99/96/80%, 5-bit per-tensor, size',
      make: async (s) => s.bits(await s.pruneLayers(await s.after(2, [0.985, 0.96, 0.8]), [0.99, 0.96, 0.8]), 5, 'dense per tensor'),
      prefer: 'size',
    },
  ],
  lenet5: [
    { name: 'int8', make: (s) => s.ptq(s.float) },
    { name: 'layers 50/90/99/85%, size', make: async (s) => s.ptq(await s.scheduled(1)), prefer: 'size' },
    { name: 'layers 50/90/99/85%, 4-bit, size', make: async (s) => s.bits(await s.scheduled(1), 4), prefer: 'size' },
    { name: 'layers 50/90/99/85%, 3-bit, size', make: async (s) => s.bits(await s.scheduled(1), 3), prefer: 'size' },
    { name: 'layers 50/90/99/85% twice, size', make: async (s) => s.ptq(await s.scheduled(2)), prefer: 'size' },
    {
      name: 'layers 50/90/99/85% twice, 4-bit per-tensor dense, size',
      make: async (s) => s.bits(await s.scheduled(2), 4, 'dense per tensor'),
      prefer: 'size',
    },
    { name: 'layers 50/90/99/85% twice, 4-bit, size', make: async (s) => s.bits(await s.scheduled(2), 4), prefer: 'size' },
    // a third stage off the schedule, from the "twice" model: conv2, fc1 and fc2 sparser (8-epoch stages)
    ...(['4-bit', '3-bit', '4-bit per-tensor dense'] as const).map((b) => ({
      name: `layers 50/95/99.5/90% after twice, ${b}, size`,
      make: async (s: Stages) =>
        s.bits(await s.after(2, [0.5, 0.95, 0.995, 0.9]), b.startsWith('4') ? 4 : 3, b.endsWith('dense') ? 'dense per tensor' : 'per channel'),
      prefer: 'size' as const,
    })),
  ],
};

/**
 * The steps a run without `--steps` makes: the int8 model and, per bar, every candidate tried for it
 * (the one chosen is the best on the validation digits among those within the bar's bytes), with the
 * steps they improve on beside them. The others of STEPS are alternatives kept
 * runnable (README.md); `--steps all` runs every one (hours: each new training stage is minutes).
 */
const DEFAULT_STEPS: Record<LenetName, string[]> = {
  lenet300: [
    'int8',
    'layers 95/90/70% in similar groups of 4/2/1, 4-bit per-tensor, size',
    'layers 95/90/70% in similar groups of 4/2/1, then 96/92/75% 4-bit aware, 4-bit per-tensor, size',
    'layers 95/90/70% in similar groups of 4/2/1, then 4-bit aware, then 96/92/75% 4-bit aware, 4-bit per-tensor, size',
    'layers 95/90/70% in similar groups of 4/2/1, then 4-bit aware, then 96/92/75% 4-bit aware for 30 epochs, 4-bit per-tensor, size',
    'layers 98.5/96/80% gradually in similar groups of 4/2/1, 4-bit per-tensor, size',
    'layers 98.5/96/80% gradually in similar groups of 4/2/1, then 4-bit aware, 4-bit per-tensor, size',
    'layers 98.5/96/80% gradually in similar groups of 4/2/1, then 4-bit aware for 30 epochs, 4-bit per-tensor, size',
    'layers 98.5/96/80% gradually in similar groups of 4/2/1 twice, 4-bit per-tensor, size',
    'layers 98.5/96/80% gradually in similar groups of 4/2/1 twice, then 4-bit aware, 4-bit per-tensor, size',
  ],
  lenet5: ['int8', 'layers 50/90/99/85% twice, 4-bit per-tensor dense, size', 'layers 50/95/99.5/90% after twice, 4-bit per-tensor dense, size'],
};

/**
 * Per-layer pruning rates (weighted layers in order), reached gradually: each schedule's stages run
 * one after the other, each fine-tuning from the previous one's model with its cubic ramp
 * (prune.ts). The rates follow the sensitivity of each layer: the first dense
 * layers (784 or 800 inputs, many of them always-zero border pixels) lose nothing at 95% and little
 * at 99%; the small output layers and LeNet-5's convolutions are pruned least.
 */
const SCHEDULES: Record<LenetName, number[][]> = {
  // fc1 784x300, fc2 300x100, fc3 100x10
  lenet300: [
    [0.95, 0.9, 0.7],
    [0.98, 0.95, 0.8],
    [0.99, 0.96, 0.8],
  ],
  // conv1 5x5x1x20, conv2 5x5x20x50, fc1 800x500, fc2 500x10
  // (one stage: an epoch of this model takes 2-6 minutes on the shared cores here)
  // the second stage starts its ramp below the first's zeros, so pruned weights may grow back
  lenet5: [
    [0.5, 0.9, 0.99, 0.85],
    [0.5, 0.9, 0.99, 0.85],
  ],
};

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !(n > 0)) throw new InvalidArgumentError('It takes a whole number above 0.');
  return n;
}
function teacherOption(value: string): { temperature: number; alpha: number } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*,\s*(0?\.\d+|1(?:\.0+)?|0)\s*$/.exec(value);
  if (!m || !(Number(m[1]) > 0)) throw new InvalidArgumentError('It takes a temperature above 0 and an alpha in [0, 1], as "4,0.7".');
  return { temperature: Number(m[1]), alpha: Number(m[2]) };
}
const program = new Command('example:lenet')
  .description('trains (or loads) LeNet-300-100 and LeNet-5, compresses them step by step, runs each step on the emulated cortex-m4')
  .option('--json', 'ONE JSON object on stdout instead of the tables')
  .option('--models <names>', `comma-separated (${LENET_NAMES.join(', ')})`, LENET_NAMES.join(','))
  .option('--steps <names>', "these steps (comma-separated step names; a name may hold commas), or 'all' (default: each model's bar steps)")
  .option('--eval-digits <n>', "held-out test digits each step is scored on (default: all of the model's: 10,000 for lenet300, 2,000 for lenet5)", wholeNumber)
  .option('--device-digits <n>', 'digits each step runs on the board', wholeNumber, 20)
  .option('--epochs <n>', 'epochs of every training stage (its own cache key)', wholeNumber)
  .option(
    '--teacher <temperature,alpha>',
    "every training stage learns from the float model's outputs softened at this temperature, weighing alpha beside the labels (distillation; its own cache key)",
    teacherOption,
  )
  .option('--no-cache', 'train every stage again')
  .showHelpAfterError(false)
  .showSuggestionAfterError(false)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
program.parse();
const cli = program.opts<{
  json?: boolean;
  models: string;
  steps?: string;
  evalDigits?: number;
  deviceDigits: number;
  epochs?: number;
  teacher?: { temperature: number; alpha: number };
  cache: boolean;
}>();
const json = cli.json === true;
const useCache = cli.cache;
if (cli.epochs !== undefined) for (const name of LENET_NAMES) FINE_TUNE[name].epochs = cli.epochs;
if (cli.teacher !== undefined) for (const name of LENET_NAMES) FINE_TUNE[name].teacher = cli.teacher;
const log = (m: string) => process.stderr.write(`${m}\n`);

export interface StepResult {
  name: string;
  /** the compiler's --prefer for the step's build (null for the float model) */
  prefer: Prefer | null;
  /** held-out accuracy (fraction) of the step's model: float under tfjs, int8 under the reference interpreter */
  accuracy: number;
  /** the same on the validation digits (train.ts's lenetDigits: 5,000 for lenet300, 500 for lenet5) */
  validationAccuracy: number;
  /** whole firmware flash on cortex-m4 (null for the float model: it is not built) */
  flashBytes: number | null;
  /** float32 parameter bytes / flashBytes */
  ratio: number | null;
  /** instructions per inference on the emulated board */
  instructions: number | null;
  /** every board output equals the host reference's, byte for byte */
  deviceMatchesHost: boolean | null;
  /** share of zero weights */
  sparsity: number;
  /** the training stages' choices between their model before and after fine-tuning (keep_better.ts) */
  fineTuning: { stage: string; kept: 'before' | 'after'; before: number; after: number }[];
}

/**
 * What steps are made of. Every training stage is memoised (and cached on disk) by its recipe, so
 * steps that share a prefix train it once.
 */
class Stages {
  readonly recipes = new WeakMap<Graph, string>();
  readonly choices = new WeakMap<Graph, StepResult['fineTuning']>();
  private readonly memo = new Map<string, Promise<Graph>>();
  private teacherModel: TrainableGraph | undefined;

  constructor(
    readonly model: LenetName,
    readonly float: Graph,
    readonly train: Dataset,
    /** the stages' choices are made on these (never on `test`) */
    readonly validation: Dataset,
    readonly task: Task,
    private readonly floatKey: string,
  ) {
    this.recipes.set(float, 'float');
    this.choices.set(float, []);
  }

  /**
   * the training options of a pruning stage: the recipe's, with the shifts of the float model's
   * training and, with a teacher, the float model's distillation loss
   */
  private pruneTraining(epochs?: number) {
    const { teacher, shiftPixels, ...base } = FINE_TUNE[this.model];
    const recipe = { ...base, epochs: epochs ?? base.epochs };
    const random = seededRandom(recipe.seed);
    const augment = shiftPixels ? (x: tf.Tensor) => tf.tensor(shiftImages(x.dataSync() as Float32Array, x.shape[0]!, shiftPixels, random), x.shape) : undefined;
    const options = { ...recipe, progress: epochLog(), augment };
    if (!teacher) return options;
    this.teacherModel ??= new TrainableGraph(this.float);
    return { ...options, loss: distillationLoss(this.teacherModel, this.task, teacher) };
  }

  /** magnitude pruning to `sparsity` with fine-tuning (prune.ts), kept only if it beats one-shot pruning */
  prune(graph: Graph, sparsity: number): Promise<Graph> {
    return this.stage(graph, `prune(${sparsity})`, async () => {
      const model = new TrainableGraph(graph);
      const tuned = await pruneUnstructured(model, this.train, this.task, {
        ...this.pruneTraining(),
        sparsity,
        minWeights: 256,
        label: `${this.model}: pruning to ${sparsity * 100}%`,
      });
      model.dispose();
      return [pruneOneShot(graph, sparsity, 256), tuned];
    });
  }

  /**
   * magnitude pruning of each weighted layer to its own rate (`rates`, layers in order), with
   * fine-tuning (prune.ts), kept only if it beats one-shot pruning to the same rates. `groups`: each
   * layer's output rows pruned together (prune.ts's `groupRows`, 1 for none; dense layers only), so
   * that the compiler stores a group's column gaps once; named in the recipe only when given (the
   * cache keys of the stages without it stay as they were). `weightBits`: quantization-aware, the
   * fine-tuning sees the weights at that many bits, one max-abs scale per dense layer (prune.ts's
   * `weightBits`: what `bits(graph, b, 'dense per tensor')` makes after). `epochs`: this stage's own
   * (default FINE_TUNE's; named in the recipe only when given)
   */
  pruneLayers(graph: Graph, rates: number[], groups?: number[], weightBits?: number, epochs?: number): Promise<Graph> {
    const layers = weightedLayers(graph);
    if (layers.length !== rates.length) throw new Error(`${this.model}: ${rates.length} rates for ${layers.length} weighted layers`);
    if (groups && layers.length !== groups.length) throw new Error(`${this.model}: ${groups.length} row groups for ${layers.length} weighted layers`);
    const layerSparsity = new Map(layers.map((l, i) => [l.op.index, rates[i]!]));
    const groupRows = groups && new Map(layers.map((l, i) => [l.op.index, groups[i]!]));
    const what = `prune([${rates.join(', ')}]${groups ? `, groups [${groups.join(', ')}]` : ''}${weightBits ? `, ${weightBits}-bit aware` : ''}${epochs ? `, ${epochs} epochs` : ''})`;
    return this.stage(
      graph,
      what,
      async () => {
        const model = new TrainableGraph(graph);
        const tuned = await pruneUnstructured(model, this.train, this.task, {
          ...this.pruneTraining(epochs),
          sparsity: 0,
          layerSparsity,
          groupRows,
          ...(weightBits ? { weightBits: { bits: weightBits, perTensor: true } } : {}),
          label:
            `${this.model}: pruning layers to ${rates.map((r) => `${r * 100}%`).join('/')}${groups ? ` in row groups of ${groups.join('/')}` : ''}` +
            (weightBits ? `, seeing ${weightBits}-bit weights` : ''),
        });
        model.dispose();
        return [pruneOneShot(graph, 0, 256, layerSparsity, groupRows), tuned];
      },
      weightBits,
    );
  }

  /**
   * the first `count` stages of the model's gradual per-layer schedule (SCHEDULES), each in row `groups`
   * when given, from `start` (the float model unless given)
   */
  async scheduled(count: number, groups?: number[], start: Graph = this.float): Promise<Graph> {
    let graph = start;
    for (const rates of SCHEDULES[this.model].slice(0, count)) graph = await this.pruneLayers(graph, rates, groups);
    return graph;
  }

  /** the first `count` stages of the schedule, then its last stage's rates `times` more (more fine-tuning) */
  async again(count: number, times = 1): Promise<Graph> {
    let graph = await this.scheduled(count);
    for (let i = 0; i < times; i++) graph = await this.pruneLayers(graph, SCHEDULES[this.model][count - 1]!);
    return graph;
  }

  /**
   * `graph` with each layer's neurons ordered so that similar ones share a group of `groups` rows
   * (neuron_order.ts; the model computes the same), before pruning in those groups
   */
  ordered(graph: Graph, groups: number[]): Graph {
    const layers = weightedLayers(graph);
    const ordered = orderNeuronsForGroups(graph, new Map(layers.map((l, i) => [l.op.index, groups[i]!])));
    this.recipes.set(ordered, `${this.recipes.get(graph) ?? '?'} > order neurons([${groups.join(', ')}])`);
    this.choices.set(ordered, this.choices.get(graph) ?? []);
    return ordered;
  }

  /** LeNet-300-100's neurons ordered into similar groups of 4/2/1, then the first `count` stages of the schedule in those groups */
  similarScheduled(count: number): Promise<Graph> {
    return this.scheduled(count, [4, 2, 1], this.ordered(this.float, [4, 2, 1]));
  }

  /** the first two stages of the schedule in similar groups of 4/2/1 (similarScheduled), then `times` stages to 98.5/96/80% in them */
  async similarGroups(times: number): Promise<Graph> {
    let graph = await this.similarScheduled(2);
    for (let i = 0; i < times; i++) graph = await this.pruneLayers(graph, [0.985, 0.96, 0.8], [4, 2, 1]);
    return graph;
  }

  /** one more stage from `graph` to `rates` in row `groups` whose fine-tuning sees the weights at `bits` bits per tensor */
  aware(graph: Graph, rates: number[], groups: number[], bits: number, epochs?: number): Promise<Graph> {
    return this.pruneLayers(graph, rates, groups, bits, epochs);
  }

  /** the first `count` stages of the schedule, then `times` stages to `rates` (rates off the schedule) */
  async after(count: number, rates: number[], times = 1): Promise<Graph> {
    let graph = await this.scheduled(count);
    for (let i = 0; i < times; i++) graph = await this.pruneLayers(graph, rates);
    return graph;
  }

  /** removes `ratio` of the channels / hidden neurons (structured.ts), then fine-tunes */
  structured(graph: Graph, ratio: number): Promise<Graph> {
    return this.stage(graph, `structured(${ratio})`, async () => {
      const shrunk = pruneChannels(graph, ratio).graph;
      const model = new TrainableGraph(shrunk);
      await fineTune(model, this.train, this.task, { ...FINE_TUNE[this.model], label: `${this.model}: fine-tuning, ${ratio * 100}% of channels removed` });
      const tuned = model.toGraph();
      model.dispose();
      return [shrunk, tuned];
    });
  }

  /** int8 post-training quantization calibrated on training digits */
  async ptq(graph: Graph, ranges: RangeMethod = 'minmax'): Promise<Graph> {
    const calibration = subset(
      this.train,
      Array.from({ length: Math.min(this.train.count, CALIBRATION_SAMPLES) }, (_, i) => i),
    );
    const x = inputTensor(calibration);
    try {
      const int8 = quantizeGraph(graph, calibrateRanges(graph, [x], { method: ranges }), { name: this.model });
      this.choices.set(int8, this.choices.get(graph) ?? []);
      return int8;
    } finally {
      x.dispose();
    }
  }

  /**
   * int8 PTQ of the (pruned) float model, then every weighted layer at `bits` bits per channel,
   * re-quantized from the float weights (weight_bits.ts): the zeros stay zero. With `dense per tensor`
   * the FULLY_CONNECTED layers get one scale each instead (no multiplier and shift tables in flash).
   * `bits` as a list: each weighted layer's own width, layers in order; `granularity` as a list: whether
   * each weighted layer (a FULLY_CONNECTED one) is per tensor, layers in order.
   */
  async bits(
    floatGraph: Graph,
    bits: number | number[],
    granularity: 'per channel' | 'dense per tensor' | boolean[] = 'per channel',
    clip: 'max' | 'mse' = 'max',
  ): Promise<Graph> {
    const int8 = await this.ptq(floatGraph);
    const weighted = int8WeightedLayers(int8);
    if (Array.isArray(bits) && bits.length !== weighted.length)
      throw new Error(`${this.model}: ${bits.length} bit widths for ${weighted.length} weighted layers`);
    if (Array.isArray(granularity) && granularity.length !== weighted.length)
      throw new Error(`${this.model}: ${granularity.length} granularities for ${weighted.length} weighted layers`);
    const perTensor = (i: number, kind: string) =>
      kind === 'FULLY_CONNECTED' && (Array.isArray(granularity) ? granularity[i]! : granularity === 'dense per tensor');
    const layers = new Map(
      weighted.map((l, i) => [l.op.index, { bits: Array.isArray(bits) ? bits[i]! : bits, sparsity: 0, perTensor: perTensor(i, l.op.kind), clip }]),
    );
    const reduced = compressLayers(int8, layers, { float: floatGraph });
    this.choices.set(reduced, this.choices.get(int8) ?? []);
    return reduced;
  }

  /**
   * One training stage: `run` returns the model before and after fine-tuning; the better on the
   * held-out digits is kept. Cached as a float .tflite under a hash of the float model and the recipe.
   */
  private stage(graph: Graph, what: string, run: () => Promise<[Graph, Graph]>, judgeBits?: number): Promise<Graph> {
    const recipe = `${this.recipes.get(graph) ?? '?'} > ${what}`;
    let pending = this.memo.get(recipe);
    if (!pending) {
      pending = (async () => {
        const key = createHash('sha256')
          .update(`${this.floatKey}|${JSON.stringify(FINE_TUNE[this.model])}|validation ${this.validation.count}|${recipe}`)
          .digest('hex')
          .slice(0, 16);
        const file = join(CACHE, `${this.model}_${key}.tflite`);
        const choiceFile = `${file}.json`;
        let result: Graph;
        let choice: FineTuneChoice;
        if (useCache && existsSync(file) && existsSync(choiceFile)) {
          log(`${this.model}: ${recipe}: cached (${relative(ROOT, file)})`);
          result = await loadFloatModel(file);
          choice = JSON.parse(readFileSync(choiceFile, 'utf8')) as FineTuneChoice;
        } else {
          const [before, after] = await run();
          // a quantization-aware stage is judged on its models with the weights it saw (rounded to judgeBits)
          const judged = (g: Graph) => this.floatAccuracy(judgeBits ? roundFloatWeights(g, judgeBits, true) : g, this.validation);
          choice = keepBetter(await judged(before), await judged(after));
          result = choice.kept === 'before' ? before : after;
          mkdirSync(CACHE, { recursive: true });
          await writeModel(result, file);
          writeFileSync(
            choiceFile,
            JSON.stringify({
              kept: choice.kept,
              before: { name: 'accuracy', value: choice.before.value },
              after: { name: 'accuracy', value: choice.after.value },
            }),
          );
        }
        log(
          `${this.model}: ${recipe}: kept ${choice.kept === 'after' ? 'the fine-tuned model' : 'the model from BEFORE fine-tuning'} ` +
            `(validation ${pct(choice.after.value)} after, ${pct(choice.before.value)} before)`,
        );
        this.recipes.set(result, recipe);
        this.choices.set(result, [
          ...(this.choices.get(graph) ?? []),
          { stage: what, kept: choice.kept, before: choice.before.value, after: choice.after.value },
        ]);
        return result;
      })();
      this.memo.set(recipe, pending);
    }
    return pending;
  }

  /** float accuracy of `graph` on `digits` */
  async floatAccuracy(graph: Graph, digits: Dataset) {
    const model = new TrainableGraph(graph);
    try {
      const { name, value } = await floatMetric(model, digits, this.task);
      return { name, value };
    } finally {
      model.dispose();
    }
  }
}

/** A line on stderr at the end of each training epoch (its loss and how long it took). */
function epochLog(): Progress {
  let label = '';
  let started = 0;
  let epoch = '';
  return {
    start(l) {
      label = l;
      started = Date.now();
      epoch = '';
    },
    update(_done, note) {
      const current = note?.match(/^epoch (\d+)/)?.[1] ?? '';
      if (epoch !== '' && current !== epoch) log(`  ${label}: epoch ${epoch} done, ${Math.round((Date.now() - started) / 1000)} s so far`);
      epoch = current;
    },
    stop() {
      log(`  ${label}: ${Math.round((Date.now() - started) / 1000)} s`);
    },
    log,
  };
}

function dataset(digits: Digit[], source: string): Dataset {
  const x = new Float32Array(digits.length * PIXELS);
  digits.forEach((d, i) => x.set(d.pixels, i * PIXELS));
  return { source, count: digits.length, sampleShape: [28, 28, 1], x, labels: { kind: 'classes', values: Int32Array.from(digits, (d) => d.label) } };
}

/** Bytes of the float model's parameters (weights and biases of every layer) as float32. */
function float32ParameterBytes(graph: Graph): number {
  return weightedLayers(graph).reduce(
    (n, l) => n + 4 * (elementCount(graph.tensors[l.weights]!.shape) + (l.bias === undefined ? 0 : elementCount(graph.tensors[l.bias]!.shape))),
    0,
  );
}

async function compressOne(name: LenetName, stepFilter: ((step: string) => boolean) | undefined, evalDigits: number | undefined, deviceDigits: number) {
  const path = floatModelPath(name);
  if (!existsSync(path)) await trainLenet(name, log);
  else log(`${name}: using ${relative(ROOT, path)} (delete it to train again: npx tsx examples/lenet/train.ts ${name})`);
  const float = await loadFloatModel(path);
  const digits = lenetDigits(name);
  const train = dataset(digits.train, `${digits.source}: train`);
  const validation = dataset(digits.validation, `${digits.source}: validation`);
  const test = dataset(evalDigits === undefined ? digits.test : digits.test.slice(0, evalDigits), `${digits.source}: held-out test`);
  const task = taskFor(float, test);
  const floatKey = createHash('sha256')
    .update(Buffer.concat(float.tensors.filter((t) => t.data).map((t) => Buffer.from(t.data!))))
    .digest('hex');
  const stages = new Stages(name, float, train, validation, task, floatKey);
  const float32Bytes = float32ParameterBytes(float);
  const floatAccuracy = (await stages.floatAccuracy(float, test)).value;
  const recorded = readFloatRecords()[name];
  log(
    `${name}: float accuracy ${pct(floatAccuracy)} on ${test.count} held-out digits${recorded ? ` (recorded at training: ${pct(recorded.floatAccuracy)} on ${recorded.testDigits})` : ''}`,
  );
  const steps: StepResult[] = [
    {
      name: 'float',
      prefer: null,
      accuracy: floatAccuracy,
      validationAccuracy: (await stages.floatAccuracy(float, validation)).value,
      flashBytes: null,
      ratio: null,
      instructions: null,
      deviceMatchesHost: null,
      sparsity: weightSparsity(float),
      fineTuning: [],
    },
  ];
  for (const recipe of STEPS[name]) {
    if (stepFilter && !stepFilter(recipe.name)) continue;
    const int8 = await recipe.make(stages);
    const accuracy = (await int8Metric(int8, test, task)).value;
    // the same model on the validation digits: what a choice between steps is made on (never the test digits)
    const validationAccuracy = (await int8Metric(int8, validation, task)).value;
    // named after the model (the firmware holds the model's name, as the user's build of it would), in
    // a folder per step
    const file = join(CACHE, 'steps', recipe.name.replace(/[^a-z0-9]+/gi, '_'), `${name}.tflite`);
    mkdirSync(dirname(file), { recursive: true });
    await writeModel(int8, file);
    const size = PIXELS;
    const cases = Array.from({ length: Math.min(deviceDigits, test.count) }, (_, n) => [quantizeInput(int8, test.x.subarray(n * size, (n + 1) * size))]);
    log(
      `${name}: ${recipe.name}: int8 ${pct(accuracy)} (validation ${pct(validationAccuracy)}); building for ${TARGET} and running ${cases.length} digits on the emulated board ...`,
    );
    const prefer = recipe.prefer ?? 'speed';
    const run = await runModel(file, { target: TARGET, cases, timeoutMs: 600_000, prefer });
    const step: StepResult = {
      name: recipe.name,
      prefer,
      accuracy,
      validationAccuracy,
      flashBytes: run.memory.flash,
      ratio: Number((float32Bytes / run.memory.flash).toFixed(2)),
      instructions: run.perInference,
      deviceMatchesHost: run.matchesReference,
      sparsity: Number(weightSparsity(int8).toFixed(4)),
      fineTuning: stages.choices.get(int8) ?? [],
    };
    log(`${name}: ${recipe.name}: flash ${run.memory.flash} B (${step.ratio}x), ${run.perInference} instructions, board = host: ${run.matchesReference}`);
    steps.push(step);
  }
  return { name, floatAccuracy, float32Bytes, evalDigits: test.count, deviceDigits: Math.min(deviceDigits, test.count), steps };
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function table(m: Awaited<ReturnType<typeof compressOne>>): string {
  const rows = m.steps.map((s) => [
    s.name,
    pct(s.accuracy),
    pct(s.validationAccuracy),
    s.name === 'float' ? '-' : `${((m.floatAccuracy - s.accuracy) * 100).toFixed(2)}`,
    `${(s.sparsity * 100).toFixed(1)}%`,
    s.flashBytes === null ? `${m.float32Bytes.toLocaleString('en-US')}*` : s.flashBytes.toLocaleString('en-US'),
    s.ratio === null ? '1*' : `${s.ratio.toFixed(1)}x`,
    s.instructions === null ? '-' : s.instructions.toLocaleString('en-US'),
    s.deviceMatchesHost === null ? '-' : s.deviceMatchesHost ? 'yes' : 'NO',
  ]);
  return formatTable(
    ['step', 'accuracy', 'validation', 'points lost', 'zeros', 'flash (B)', 'ratio', 'instructions', 'board = host'],
    rows,
    `${m.name} on ${TARGET}: ${m.evalDigits} held-out digits, ${m.deviceDigits} run on the board`,
  );
}

async function main(): Promise<void> {
  const models = cli.models.split(',') as LenetName[];
  for (const m of models) if (!LENET_NAMES.includes(m)) throw new Error(`--models: unknown model ${m} (${LENET_NAMES.join(', ')})`);
  // step names may hold commas ("layers 98/95/80%, 4-bit, size"): a step is chosen when its name is one
  // or more of the comma-separated items in a row
  const steps = cli.steps;
  const named = (list: string) => (step: string) => `,${list},`.includes(`,${step},`);
  const stepFilter = (model: LenetName) => (steps === 'all' ? undefined : named(steps ?? DEFAULT_STEPS[model].join(',')));
  for (const m of LENET_NAMES) {
    const missing = DEFAULT_STEPS[m].filter((d) => !STEPS[m].some((step) => step.name === d));
    if (missing.length) throw new Error(`${m}: DEFAULT_STEPS names no step of STEPS: ${missing.join('; ')}`);
  }
  for (const m of models) {
    const chosen = stepFilter(m);
    if (chosen && !STEPS[m].some((step) => chosen(step.name)))
      throw new Error(`--steps: no step of ${m} is named so (its steps: ${STEPS[m].map((x) => x.name).join('; ')})`);
  }
  const evalDigits = cli.evalDigits;
  const deviceDigits = cli.deviceDigits;
  await useTrainingBackend();
  const results = [];
  for (const m of models) results.push(await compressOne(m, stepFilter(m), evalDigits, deviceDigits));
  if (json) {
    process.stdout.write(`${JSON.stringify({ target: TARGET, models: results })}\n`);
  } else {
    for (const r of results) process.stdout.write(`${table(r)}\n\n`);
    process.stdout.write(
      '* float: its parameters as float32 bytes (not built); ratio = float32 parameter bytes / whole firmware flash on cortex-m4\n' +
        'bars: >= 80x at <= 0.5 points below float, >= 120x at <= 1.5 points\n',
    );
  }
  if (results.some((r) => r.steps.some((s) => s.deviceMatchesHost === false))) process.exitCode = 3;
}

try {
  await main();
} catch (e) {
  // one line; the stack only when asked for (TINYFORGE_DEBUG=1)
  process.stderr.write(`error: ${(process.env.TINYFORGE_DEBUG ? (e as Error).stack : undefined) ?? (e as Error).message}\n`);
  process.exit(1);
}
