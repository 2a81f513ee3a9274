// SPDX-License-Identifier: Apache-2.0
/**
 * The usual compression recipe in one call: float model -> magnitude pruning with fine-tuning ->
 * int8 post-training quantization -> compile, build and run on the target's board. Every step is
 * measured on held-out data and in memory (weights, MACs, arena, flash) and the int8 model's cost on
 * the board (instructions or cycles per inference); the report says whether it fits the target.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Graph } from '../ir/graph.ts';
import { boardOf, loadTarget } from '../build/index.ts';
import { runModel } from '../run/run.ts';
import type { Prefer } from '../ops/op.ts';
import { type Dataset, inputTensor, subset } from '../data/dataset.ts';
import { type RangeMethod, calibrateRanges } from './calibrate.ts';
import { activationPeakBytes, constantBytes, floatMacs } from './model_io.ts';
import { type Progress, silentProgress } from './progress.ts';
import { pruneUnstructured, weightCount, weightSparsity } from './prune.ts';
import { quantizeGraph, quantizeInput } from './ptq.ts';
import { pruneChannels } from './structured.ts';
import { type Metric, type Task, argmax, floatMetric, int8Metric } from './task.ts';
import { fineTune } from './train.ts';
import { TrainableGraph, checkFiniteWeights } from './trainable.ts';
import { writeModel } from './session.ts';

export interface CompressOptions {
  target: string;
  board?: string;
  /** share of weights to zero (0: no pruning); with `structured`, share of channels removed */
  sparsity: number;
  structured?: boolean;
  minWeights?: number;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  calibrationSamples?: number;
  rangeMethod?: RangeMethod;
  percentile?: number;
  perChannelDense?: boolean;
  /** limits the result must fit (default: the target's memory) */
  maxFlash?: number;
  maxRam?: number;
  /** weight storage per layer on the board (compile --prefer): fastest no bigger than dense, or smallest */
  prefer?: Prefer;
  /** held-out samples run on the board (at least one: the cost per inference comes from it) */
  deviceSamples?: number;
  /** also quantize, build and run the unpruned model: the dense int8 baseline row */
  baseline?: boolean;
  /** where the int8 .tflite goes */
  output: string;
  /** keep the generated sources and build here */
  workDir?: string;
  timeoutMs?: number;
  progress?: Progress;
}

export interface StepReport {
  name: string;
  /** held-out accuracy (classification) or null */
  accuracy: number | null;
  /** held-out mean squared error (regression, reconstruction) or null */
  loss: number | null;
  /** share of zero weights in conv / depthwise / dense layers */
  sparsity: number;
  weights: number;
  macs: number;
  /** bytes: the built firmware's flash for the compiled step; the constants as stored (float32) before */
  flash: number;
  /** bytes: the planned int8 arena for the compiled step; the float activations' peak before */
  arena: number;
  /** counter per inference on the board (instructions under QEMU), compiled step only */
  perInference: number | null;
  /** flash, arena and perInference come from a real build and run (else estimates of the float model) */
  measured: boolean;
}

export interface CompressReport {
  model: string;
  target: string;
  board: string | null;
  task: Task['kind'];
  steps: StepReport[];
  /** the int8 model on the samples run on the board, under the host reference interpreter */
  hostInt8Accuracy: number | null;
  deviceAccuracy: number | null;
  /** every board output (the baseline's too) equals the host reference byte for byte */
  deviceMatchesHost: boolean;
  deviceCases: number;
  counter: { kind: string; source: string } | null;
  memory: { flash: number; flashWeights: number; arena: number; ram: number | null };
  fits: { ok: boolean; flash: { used: number; limit: number | null }; ram: { used: number | null; limit: number | null } };
  output: string;
}

function metricFields(m: Metric): Pick<StepReport, 'accuracy' | 'loss'> {
  return m.name === 'accuracy' ? { accuracy: m.value, loss: null } : { accuracy: null, loss: m.value };
}

function floatStep(name: string, graph: Graph, metric: Metric): StepReport {
  return {
    name,
    ...metricFields(metric),
    sparsity: weightSparsity(graph),
    weights: weightCount(graph),
    macs: floatMacs(graph),
    flash: constantBytes(graph),
    arena: activationPeakBytes(graph),
    perInference: null,
    measured: false,
  };
}

export async function compressModel(
  graph: Graph,
  train: Dataset,
  test: Dataset,
  task: Task,
  options: CompressOptions,
): Promise<{ report: CompressReport; int8: Graph }> {
  const progress = options.progress ?? silentProgress;
  const target = loadTarget(options.target);
  checkFiniteWeights(graph);
  const training = { epochs: options.epochs, batchSize: options.batchSize, learningRate: options.learningRate, seed: options.seed, progress };
  const steps: StepReport[] = [];

  let model = new TrainableGraph(graph);
  steps.push(floatStep('float', graph, await floatMetric(model, test, task, progress)));
  progress.log(`float: ${describe(steps.at(-1)!)}`);

  let current = graph;
  if (options.sparsity > 0) {
    if (options.structured) {
      const shrunk = pruneChannels(graph, options.sparsity);
      model.dispose();
      model = new TrainableGraph(shrunk.graph);
      await fineTune(model, train, task, { ...training, label: 'fine-tuning (channels pruned)' });
      current = model.toGraph();
    } else {
      current = await pruneUnstructured(model, train, task, { ...training, sparsity: options.sparsity, minWeights: options.minWeights });
    }
    steps.push(floatStep(options.structured ? 'prune (structured)' : 'prune', current, await floatMetric(model, test, task, progress)));
    progress.log(`prune: ${describe(steps.at(-1)!)}`);
  }
  model.dispose();

  const deviceCount = Math.max(1, Math.min(test.count, options.deviceSamples ?? 20));
  let baselineMatches = true;
  if (options.baseline && options.sparsity > 0) {
    const dense = await quantizeAndRun(
      graph,
      train,
      test,
      task,
      options,
      join(dirname(options.output), `${basename(options.output, '.tflite')}_dense.tflite`),
      1,
    );
    steps.splice(1, 0, { ...dense.step, name: 'quantize, not pruned (baseline)' });
    baselineMatches = dense.run.matchesReference;
    progress.log(`baseline: ${describe(steps[1]!)}`);
  }
  const { int8, step, int8Result, run } = await quantizeAndRun(current, train, test, task, options, options.output, deviceCount);
  steps.push(step);
  progress.log(`int8: ${describe(step)}`);

  let deviceAccuracy: number | null = null;
  let hostInt8Accuracy: number | null = null;
  if (task.kind === 'classification' && test.labels?.kind === 'classes') {
    const labels = test.labels.values;
    const devicePredictions = run.cases.map((c) => argmax(c.outputs[0]!));
    deviceAccuracy = devicePredictions.filter((p, n) => p === labels[n]).length / deviceCount;
    hostInt8Accuracy = int8Result.predictions.slice(0, deviceCount).filter((p, n) => p === labels[n]).length / deviceCount;
  }
  const flashLimit = options.maxFlash ?? target.memory?.flash.bytes ?? null;
  const ramLimit = options.maxRam ?? target.memory?.ram.bytes ?? null;
  const ramUsed = run.memory.ram;
  const fitsOk = (flashLimit === null || run.memory.flash <= flashLimit) && (ramLimit === null || ramUsed === null || ramUsed <= ramLimit);
  const report: CompressReport = {
    model: graph.name,
    target: target.name,
    board: run.board,
    task: task.kind,
    steps,
    hostInt8Accuracy,
    deviceAccuracy,
    deviceMatchesHost: run.matchesReference && baselineMatches,
    deviceCases: deviceCount,
    counter: run.counter,
    memory: { flash: run.memory.flash, flashWeights: run.memory.flashWeights, arena: run.memory.arena, ram: ramUsed },
    fits: { ok: fitsOk, flash: { used: run.memory.flash, limit: flashLimit }, ram: { used: ramUsed, limit: ramLimit } },
    output: options.output,
  };
  return { report, int8 };
}

/** PTQ of a float graph, its held-out figure, and a build and run of `cases` held-out samples on the board. */
async function quantizeAndRun(float: Graph, train: Dataset, test: Dataset, task: Task, options: CompressOptions, output: string, cases: number) {
  const progress = options.progress ?? silentProgress;
  const target = loadTarget(options.target);
  const board = target.firmware === 'host' ? undefined : boardOf(target, options.board);
  const calibration = subset(
    train,
    Array.from({ length: Math.min(train.count, options.calibrationSamples ?? 300) }, (_, i) => i),
  );
  const x = inputTensor(calibration);
  progress.start('calibrating', 1);
  let int8: Graph;
  try {
    const ranges = calibrateRanges(float, [x], { method: options.rangeMethod, percentile: options.percentile });
    int8 = quantizeGraph(float, ranges, { name: float.name, perChannelDense: options.perChannelDense });
  } finally {
    x.dispose();
    progress.stop();
  }
  const int8Result = await int8Metric(int8, test, task, progress);
  mkdirSync(dirname(output), { recursive: true });
  writeModel(int8, output);
  // the board runs the first held-out samples; the host reference runs the same ones
  const size = test.x.length / test.count;
  const inputs = Array.from({ length: cases }, (_, n) => [quantizeInput(int8, test.x.subarray(n * size, (n + 1) * size))]);
  progress.start(`compiling and running on ${board?.name ?? target.name}`, 1);
  let run;
  try {
    run = await runModel(output, {
      target: target.name,
      board: board?.name,
      cases: inputs,
      workDir: options.workDir,
      timeoutMs: options.timeoutMs ?? 600_000,
      prefer: options.prefer,
    });
  } finally {
    progress.stop();
  }
  const step: StepReport = {
    name: 'quantize (int8)',
    ...metricFields(int8Result),
    sparsity: weightSparsity(int8),
    weights: weightCount(int8),
    macs: floatMacs(int8),
    flash: run.memory.flash,
    arena: run.memory.arena,
    perInference: run.perInference,
    measured: true,
  };
  return { int8, step, int8Result, run };
}

function describe(s: StepReport): string {
  const figure = s.accuracy !== null ? `accuracy ${(s.accuracy * 100).toFixed(2)}%` : `loss ${s.loss!.toPrecision(4)}`;
  return (
    `${figure}, sparsity ${(s.sparsity * 100).toFixed(1)}%, ${s.weights} weights, ${s.macs} MACs, flash ${s.flash} B, arena ${s.arena} B` +
    (s.perInference === null ? '' : `, ${s.perInference} per inference`)
  );
}
