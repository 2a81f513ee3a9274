// SPDX-License-Identifier: Apache-2.0
/**
 * The usual compression recipe in one call: float model -> magnitude pruning with fine-tuning ->
 * int8 post-training quantization -> compile, build and run on the target's board. Every step is
 * measured on held-out data and in memory (weights, MACs, arena, flash) and the int8 model's cost on
 * the board (instructions or cycles per inference); the report says whether it fits the target.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Graph } from '../core/ir/graph.ts';
import { boardOf, loadTarget } from '../lab/toolchain/index.ts';
import { runModel } from '../lab/run/run.ts';
import type { Prefer } from '../core/ops/op.ts';
import { type Dataset, inputTensor, subset } from '../lab/data/dataset.ts';
import { type RangeMethod, calibrateRanges } from './calibrate.ts';
import { type FineTuneChoice, describeChoice, keepBetter } from './keep_better.ts';
import { activationPeakBytes, constantBytes, floatMacs, int8ExecutedMacs } from './model_io.ts';
import { type Progress, silentProgress } from './progress.ts';
import { pruneOneShot, pruneUnstructured, weightCount, weightSparsity } from './prune.ts';
import { quantizeGraph, quantizeInput } from './ptq.ts';
import { pruneChannels } from './structured.ts';
import { type Metric, type Task, argmax, floatMetric, int8Metric } from './task.ts';
import { fineTune } from './train.ts';
import { TrainableGraph, checkFiniteWeights } from './trainable.ts';
import { writeModel } from './model_io.ts';
import { TinyforgeError } from '../core/errors.ts';
import {
  Int8Evaluator,
  type SearchGoal,
  type SearchResult,
  type SensitivityReport,
  analyzeSensitivity,
  formatLoss,
  greedyChoice,
  layerWeightBytes,
  searchMixedPrecision,
} from './sensitivity.ts';
import { DENSE_INT8, type LayerCompression, type WeightClip, compressLayers, int8WeightedLayers, roundFloatWeights } from './weight_bits.ts';

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
  /** limits the result must fit (default: the target's memory); with `mixed`, the search's flash goal */
  maxFlash?: number;
  /**
   * mixed precision by sensitivity (sensitivity.ts) instead of one sparsity for all layers: per-layer
   * bits and sparsities that meet `maxLoss` (accuracy points, or output error without classes) with
   * the fewest weight bytes, or fit `maxFlash` with the least loss
   */
  mixed?: boolean;
  maxLoss?: number;
  /** held-out samples the sensitivity analysis and the verification run (default 200) */
  sensitivitySamples?: number;
  /** every layer's weights at this many bits (2..8) after quantization, without a search */
  weightBits?: number;
  /** how `weightBits` sets each scale (weight_bits.ts's `clip`; default max-abs) */
  weightClip?: WeightClip;
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
  /**
   * multiply-accumulates per inference: for a compiled step what its kernels execute (a sparse
   * kernel counts the nonzero weights it multiplies); for a float step the dense count
   */
  macs: number;
  /**
   * a step that fine-tunes: the held-out figure (accuracy or loss) before and after fine-tuning,
   * and which of the two models the step kept (the better one)
   */
  fineTuning?: { kept: 'before' | 'after'; before: number; after: number };
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
  /** the sensitivity table, the search's choice and its verification, in mixed mode */
  mixed?: MixedReport;
}

export interface MixedReport {
  sensitivity: SensitivityReport;
  /** the search on the post-training int8 model (before fine-tuning) */
  search: SearchResult;
  /** the weight bytes the maxFlash goal allowed: maxFlash minus the rest of the dense build's flash */
  weightBudget: number | null;
  /** the final model's loss against the dense int8 model on the same samples, after fine-tuning */
  finalLoss: number;
  met: boolean;
  /** fine-tuning rounds (more than one when the first missed maxLoss) */
  rounds: number;
}

function metricFields(m: Metric): Pick<StepReport, 'accuracy' | 'loss'> {
  return m.name === 'accuracy' ? { accuracy: m.value, loss: null } : { accuracy: null, loss: m.value };
}

function floatStep(name: string, graph: Graph, metric: Metric, choice?: FineTuneChoice): StepReport {
  return {
    name,
    ...metricFields(metric),
    ...(choice ? { fineTuning: { kept: choice.kept, before: choice.before.value, after: choice.after.value } } : {}),
    sparsity: weightSparsity(graph),
    weights: weightCount(graph),
    macs: floatMacs(graph),
    flash: constantBytes(graph),
    arena: activationPeakBytes(graph),
    perInference: null,
    measured: false,
  };
}

/** One compress run's fixed facts, which its steps share: the float model, the data, the options, the steps so far. */
interface CompressRun {
  graph: Graph;
  train: Dataset;
  test: Dataset;
  task: Task;
  options: CompressOptions;
  steps: StepReport[];
  /** held-out samples run on the board */
  deviceCount: number;
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
  const deviceCount = Math.max(1, Math.min(test.count, options.deviceSamples ?? 20));
  const compressRun: CompressRun = { graph, train, test, task, options, steps, deviceCount };
  if (options.mixed) {
    model.dispose();
    return compressMixed(compressRun);
  }
  if (options.sparsity > 0) {
    // the step's model before fine-tuning (same compression) is its fallback: fine-tuning is kept only if it helps
    let before: Graph;
    const aware = awareOf(options).weightBits;
    if (options.structured) {
      before = pruneChannels(graph, options.sparsity).graph;
      model.dispose();
      model = new TrainableGraph(before);
      await fineTune(model, train, task, { ...training, label: 'fine-tuning (channels pruned)' });
      current = model.toGraph();
    } else {
      const minWeights = options.minWeights ?? 256;
      before = pruneOneShot(graph, options.sparsity, minWeights);
      current = await pruneUnstructured(model, train, task, { ...training, sparsity: options.sparsity, minWeights, ...(aware ? { weightBits: aware } : {}) });
    }
    // judged as the int8 model will compute: with --weight-bits and max scales, on the weights rounded to
    // those bits (with --weight-clip mse the scales are only chosen after, on the float weights)
    const judged = async (g: Graph) => {
      const m = new TrainableGraph(aware ? roundFloatWeights(g, aware.bits, aware.perTensor) : g);
      try {
        return await floatMetric(m, test, task, progress);
      } finally {
        m.dispose();
      }
    };
    const after = await judged(current);
    const choice = keepBetter(await judged(before), after);
    if (choice.kept === 'before') current = before;
    const stepName = options.structured ? 'prune (structured)' : aware ? `prune (${aware.bits}-bit aware)` : 'prune';
    steps.push(floatStep(stepName, current, choice.kept === 'before' ? choice.before : after, choice));
    progress.log(`prune: ${describe(steps.at(-1)!)}; ${describeChoice(choice)}`);
  }
  model.dispose();

  let baselineMatches = true;
  if (options.baseline && options.sparsity > 0) {
    const dense = await quantizeAndRun(compressRun, graph, {
      output: join(dirname(options.output), `${basename(options.output, '.tflite')}_dense.tflite`),
      cases: 1,
    });
    steps.splice(1, 0, { ...dense.step, name: 'quantize, not pruned (baseline)' });
    baselineMatches = dense.run.matchesReference;
    progress.log(`baseline: ${describe(steps[1]!)}`);
  }
  const transform =
    options.weightBits === undefined ? undefined : (int8: Graph, float: Graph) => uniformBits(int8, float, options.weightBits!, options.weightClip);
  const result = await quantizeAndRun(compressRun, current, { output: options.output, cases: deviceCount, transform });
  return finish(compressRun, result, baselineMatches);
}

/**
 * Pruning under `--weight-bits b` (max-abs scales) is quantization-aware: its fine-tuning sees every
 * layer's weights at b bits per channel, as `uniformBits` will store them (prune.ts's `weightBits`).
 * With `--weight-clip mse` the scales are chosen after training, so the fine-tuning sees float weights.
 */
function awareOf(options: CompressOptions): { weightBits?: { bits: number; perTensor: boolean } } {
  return options.weightBits === undefined || options.weightBits >= 8 || (options.weightClip ?? 'max') !== 'max'
    ? {}
    : { weightBits: { bits: options.weightBits, perTensor: false } };
}

/** Every weighted layer of `int8` at `bits` bits, from the float weights. */
function uniformBits(int8: Graph, float: Graph, bits: number, clip: WeightClip = 'max'): Graph {
  return compressLayers(int8, new Map(int8WeightedLayers(int8).map((l) => [l.op.index, { bits, sparsity: 0, clip }])), { float });
}

type Built = Awaited<ReturnType<typeof quantizeAndRun>>;

/** The report once the final int8 model is built and run. */
function finish(compressRun: CompressRun, built: Built, baselineMatches: boolean, mixed?: MixedReport): { report: CompressReport; int8: Graph } {
  const { graph, test, task, options, steps, deviceCount } = compressRun;
  const progress = options.progress ?? silentProgress;
  const target = loadTarget(options.target);
  const { int8, step, int8Result, run } = built;
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
    ...(mixed ? { mixed } : {}),
  };
  return { report, int8 };
}

/**
 * Mixed precision by sensitivity: the dense int8 model's per-layer sensitivity on held-out samples,
 * the search for per-layer (bits, sparsity), then the float model pruned at the chosen per-layer
 * rates with fine-tuning, quantized, its layers reduced to the chosen bits from the fine-tuned float
 * weights, and the result verified on the same samples; a miss of maxLoss runs the search again with
 * the budget shrunk by the overshoot (one more round), and the better verified result is kept.
 */
async function compressMixed(compressRun: CompressRun): Promise<{ report: CompressReport; int8: Graph }> {
  const { graph, train, test, task, options, steps, deviceCount } = compressRun;
  const progress = options.progress ?? silentProgress;
  if ((options.maxLoss === undefined) === (options.maxFlash === undefined))
    throw new TinyforgeError('mixed precision needs exactly one of --max-loss and --max-flash');
  const dense = quantize(graph, train, options);
  const evaluator = new Int8Evaluator(dense, test, options.sensitivitySamples ?? 200);
  const sensitivity = await analyzeSensitivity(dense, evaluator, { float: graph, progress });
  let goal: SearchGoal;
  let weightBudget: number | null = null;
  let baselineMatches = true;
  // the dense int8 build: the baseline row, and for --max-flash what the firmware takes besides the weights
  const baseline =
    options.maxLoss === undefined || options.baseline
      ? await buildAndRun(dense, test, task, options, join(dirname(options.output), `${basename(options.output, '.tflite')}_dense.tflite`), 1)
      : undefined;
  if (baseline) {
    steps.push({ ...baseline.step, name: 'quantize, dense (baseline)' });
    baselineMatches = baseline.run.matchesReference;
  }
  if (options.maxLoss !== undefined) {
    goal = { maxLoss: options.maxLoss };
  } else {
    const denseWeights = sensitivity.layers.reduce((n, l) => n + layerWeightBytes(l.weights, l.rows, DENSE_INT8), 0);
    const rest = baseline!.run.memory.flash - denseWeights;
    weightBudget = options.maxFlash! - rest;
    if (weightBudget <= 0) throw new TinyforgeError(`--max-flash ${options.maxFlash}: the firmware without its weights already takes ${rest} bytes`);
    goal = { maxFlash: weightBudget };
  }
  const { result: search } = searchMixedPrecision(dense, sensitivity, evaluator, goal, { float: graph });
  progress.log(`search: ${search.layers.map((l) => `${l.name} ${l.config.bits}b/${Math.round(l.config.sparsity * 100)}%`).join(', ')}`);

  const training = { epochs: options.epochs, batchSize: options.batchSize, learningRate: options.learningRate, seed: options.seed, progress };
  let configs = search.layers.map((l) => l.config);
  let best: { float: Graph; int8: Graph; loss: number; configs: LayerCompression[] } | undefined;
  let rounds = 0;
  const maxLoss = 'maxLoss' in goal ? goal.maxLoss : undefined;
  let budget = maxLoss;
  while (rounds < 2) {
    rounds++;
    let float = graph;
    const sparsity = new Map(search.layers.map((l, i) => [l.opIndex, configs[i]!.sparsity] as const).filter(([, v]) => v > 0));
    if (sparsity.size > 0) {
      const model = new TrainableGraph(graph);
      // quantization-aware: the fine-tuning sees each layer below 8 bits at its chosen width, per channel, as compressLayers stores it below
      const layerBits = new Map(search.layers.map((l, i) => [l.opIndex, configs[i]!.bits] as const).filter(([, b]) => b < 8));
      try {
        float = await pruneUnstructured(model, train, task, {
          ...training,
          sparsity: 0,
          layerSparsity: sparsity,
          ...(layerBits.size > 0 ? { weightBits: { bits: layerBits, perTensor: false } } : {}),
        });
      } finally {
        model.dispose();
      }
    }
    const bits = new Map(search.layers.map((l, i) => [l.opIndex, { bits: configs[i]!.bits, sparsity: 0 }]));
    const int8 = compressLayers(quantize(float, train, options), bits, { float });
    const loss = evaluator.measure(int8).loss;
    progress.log(`round ${rounds}: measured loss ${formatLoss(sensitivity.lossKind, loss)} (${sensitivity.lossKind})`);
    const met = maxLoss === undefined || loss <= maxLoss + 1e-9;
    // a second round only runs after a miss: it wins if it meets the goal or misses by less
    if (!best || met || loss < best.loss) best = { float, int8, loss, configs };
    if (met || budget === undefined || maxLoss === undefined) break;
    budget *= Math.min(0.75, maxLoss / Math.max(loss, 1e-9));
    configs = greedyChoice(sensitivity, goal, budget);
  }
  const chosen = best!;
  if (chosen.configs.some((c) => c.sparsity > 0)) {
    const modelFloat = new TrainableGraph(chosen.float);
    try {
      const aware = chosen.configs.some((c) => c.bits < 8) ? ', aware of the chosen bits' : '';
      steps.push(floatStep(`prune (per-layer rates${aware})`, chosen.float, await floatMetric(modelFloat, test, task, progress)));
    } finally {
      modelFloat.dispose();
    }
  }
  const met = maxLoss !== undefined ? chosen.loss <= maxLoss + 1e-9 : search.met;
  const layers = search.layers.map((l, i) => {
    const layer = sensitivity.layers[i]!;
    return { ...l, config: chosen.configs[i]!, bytes: layerWeightBytes(layer.weights, layer.rows, chosen.configs[i]!) };
  });
  const finalSearch: SearchResult = { ...search, layers, bytes: layers.reduce((n, l) => n + l.bytes, 0) };
  const built = await buildAndRun(chosen.int8, test, task, options, options.output, deviceCount);
  built.step.name = 'quantize, mixed bits + per-layer sparsity';
  return finish(compressRun, built, baselineMatches, {
    sensitivity,
    search: finalSearch,
    weightBudget,
    finalLoss: chosen.loss,
    met,
    rounds,
  });
}

/**
 * PTQ of a float graph (then `transform`, e.g. fewer weight bits), its held-out figure, and a build
 * and run of `cases` held-out samples on the board.
 */
async function quantizeAndRun(
  { train, test, task, options }: CompressRun,
  float: Graph,
  build: { output: string; cases: number; transform?: (int8: Graph, float: Graph) => Graph },
) {
  const int8 = quantize(float, train, options);
  return buildAndRun(build.transform ? build.transform(int8, float) : int8, test, task, options, build.output, build.cases);
}

/** int8 PTQ of a float graph, calibrated on the first training samples. */
function quantize(float: Graph, train: Dataset, options: CompressOptions): Graph {
  const progress = options.progress ?? silentProgress;
  const calibration = subset(
    train,
    Array.from({ length: Math.min(train.count, options.calibrationSamples ?? 300) }, (_, i) => i),
  );
  const x = inputTensor(calibration);
  progress.start('calibrating', 1);
  let int8: Graph;
  try {
    const ranges = calibrateRanges(float, [x], { method: options.rangeMethod, percentile: options.percentile, inputQuant: train.inputQuant });
    int8 = quantizeGraph(float, ranges, { name: float.name, perChannelDense: options.perChannelDense });
  } finally {
    x.dispose();
    progress.stop();
  }
  return int8;
}

/** The held-out figure of an int8 graph, and a build and run of `cases` held-out samples on the board. */
async function buildAndRun(int8: Graph, test: Dataset, task: Task, options: CompressOptions, output: string, cases: number) {
  const progress = options.progress ?? silentProgress;
  const target = loadTarget(options.target);
  const board = target.firmware === 'host' ? undefined : boardOf(target, options.board);
  const int8Result = await int8Metric(int8, test, task, progress);
  mkdirSync(dirname(output), { recursive: true });
  await writeModel(int8, output);
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
    macs: int8ExecutedMacs(int8, target.isa),
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
