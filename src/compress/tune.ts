// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune` (docs/tune.md): the front of (held-out accuracy, estimated ms, peak RAM, flash)
 * per board over the compression and compile options, measured.
 *
 * 1. Each recipe of the grid (tune_front.ts) is applied without fine-tuning: the int8 model it makes
 *    has the shapes, sparsity and weight widths of the final one, so its compile on each board gives
 *    the exact planned RAM and weight bytes and the kernels' cost model's instructions (cheap).
 * 2. Recipes are taken in grid order (dense int8 first). A recipe none of whose candidates can
 *    reach the front (tune_front.ts's `canReachFront`) is pruned before anything is trained.
 * 3. Otherwise its model is fine-tuned where it prunes (channels, per-layer sparsities), trained
 *    quantization-aware where post-training quantization loses more than `qatAbove`, and its
 *    accuracy measured on the held-out data under the reference interpreter (bit-exact with the
 *    boards), once for all boards.
 * 4. Each candidate still not dominated is built for its board and run on it (emulated, or a real
 *    board through the farm): the linker's flash, the RAM, the timing model's cycles at the
 *    candidate's clock, and every output compared with the host reference byte for byte.
 * Every result goes to the state file as it comes, so that an interrupted search continues.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Graph } from '../core/ir/graph.ts';
import { TinyforgeError } from '../core/errors.ts';
import { type BoardDescriptor, type TargetDescriptor, findBoard } from '../core/targets/targets.ts';
import { type Dataset, inputTensor, subset } from '../lab/data/dataset.ts';
import { resolveClock } from '../lab/estimate/clock.ts';
import { CODE_FLASH_BYTES, estimateFit, flashCyclesOfWeights, weightsInRamDefault } from '../lab/toolchain/fit.ts';
import { layerWeightBytes } from '../core/ops/prepare.ts';
import type { Prefer } from '../core/ops/op.ts';
import { graphInstructions } from '../core/ops/layer_cost.ts';
import { compileForTarget } from '../lab/run/device-build.ts';
import type { RunReport } from '../lab/run/run.ts';
import type { Outcome } from '../lab/farm/client.ts';
import { runModel } from '../lab/run/run.ts';
import { calibrateRanges } from './calibrate.ts';
import { writeModel } from './model_io.ts';
import { palettize } from './palettize.ts';
import { type Progress, silentProgress, yieldToEventLoop } from './progress.ts';
import { pruneUnstructured } from './prune.ts';
import { quantizeGraph, quantizeInput } from './ptq.ts';
import { quantizationAwareTraining } from './qat.ts';
import { Int8Evaluator, type SensitivityReport, analyzeSensitivity, greedyChoice } from './sensitivity.ts';
import { pruneChannels } from './structured.ts';
import { type Task, floatMetric, int8Metric } from './task.ts';
import { fineTune } from './train.ts';
import { TrainableGraph } from './trainable.ts';
import {
  type Candidate,
  type CheapFigures,
  type Constraints,
  type Point,
  type Recipe,
  type TuneGrid,
  type TuneState,
  belowAccuracy,
  boardClocks,
  candidatesOf,
  canReachFront,
  dominates,
  keptChannels,
  emptyState,
  formatMHz,
  paretoFront,
  parseState,
  recipesOf,
  stateKey,
} from './tune_front.ts';
import { type LayerCompression, compressLayers, int8WeightedLayers } from './weight_bits.ts';

/** One on-board measurement the search asks for: a model file on a board, at a clock, with a storage choice. */
export interface MeasureJob {
  candidate: Candidate;
  model: string;
  /** held-out inputs (quantized bytes), one tensor each */
  cases: Uint8Array[][];
}

/** What a measurement returns: the `run --json` report, and where it ran. */
export interface Measured {
  report: RunReport;
  ranOn: string;
}

/**
 * Runs jobs: locally one after the other by default; the farm spreads them over its workers.
 * `report` takes a line on how far the jobs are (which job, and its compile, build or run step).
 */
export type Measurer = (jobs: MeasureJob[], report?: (note: string) => void) => Promise<(Measured | Error)[]>;

export interface TuneOptions {
  boards: string[];
  grid: TuneGrid;
  /** every clock the board's descriptor offers, not only its default clock */
  clocks: boolean;
  constraints: Constraints;
  epochs: number;
  /** fine-tuning epochs after channel pruning, which removes more than the other recipes change (default `epochs`) */
  channelEpochs?: number;
  /** the fine-tuning step size after channel pruning (default `learningRate`) */
  channelLearningRate?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  calibrationSamples?: number;
  /** held-out samples for the sensitivity analysis */
  sensitivitySamples?: number;
  /** held-out samples each candidate runs on its board (bit-exact check; the cost comes from the first) */
  deviceSamples: number;
  /** where the candidates' int8 models and the state file go */
  outDir: string;
  /** continue the search of the state file in outDir */
  resume?: boolean;
  /** the hash of the model file, folded into the state's key */
  modelHash: string;
  /** the model file as the report names it (default: the graph's name) */
  modelFile?: string;
  measure?: Measurer;
  progress?: Progress;
  /** asked between steps: true stops the search, keeping what is measured */
  stopRequested?: () => boolean;
  timeoutMs?: number;
}

export interface BoardFront {
  board: string;
  target: string;
  /** the front: non-dominated measured points meeting the constraints, by ascending ms */
  front: Point[];
  /** the dense int8 model and the float model's accuracy, for reference marks */
  denseInt8: Point | null;
  /** every point measured on the board */
  measured: Point[];
  /** the candidates built for the board but not measured, and why (one line each): none on the front */
  failed: { id: string; reason: string }[];
}

export interface TuneReport {
  /** the model file tuned (absolute from the CLI), or the graph's name */
  model: string;
  /** null when the model given is already int8 */
  float: { accuracy: number } | null;
  /** the dense int8 model's held-out accuracy */
  int8: { accuracy: number };
  heldOut: number;
  boards: BoardFront[];
  candidates: { total: number; estimated: number; accuracyMeasured: number; built: number; pruned: number; failed: number };
  /** the search stopped before it went through every candidate */
  stopped: boolean;
  stateFile: string;
  seconds: number;
}

const STATE_FILE = 'tune-state.json';

/** A board the search measures on: its descriptors and the clocks tried. */
interface SearchBoard {
  name: string;
  target: TargetDescriptor;
  board: BoardDescriptor;
  clocks: number[];
}

/** What the search's steps share: its inputs, its state file, and the models and figures found so far. */
interface Search {
  train: Dataset;
  test: Dataset;
  task: Task;
  options: TuneOptions;
  /** the float model; none when the model given is already int8 */
  float: Graph | undefined;
  progress: Progress;
  stop: () => boolean;
  state: TuneState;
  stateFile: string;
  boards: SearchBoard[];
  recipes: Recipe[];
  candidates: Candidate[];
  training: Training;
  floatAccuracy: number | null;
  /** the dense int8 model and its held-out accuracy */
  dense: Graph;
  denseAccuracy: number;
  /** the best accuracy any candidate can reach: the float model's, or dense int8's */
  ceiling: number;
  sensitivity?: SensitivityReport;
  /** per recipe, its model applied without training */
  untuned: Map<string, Made>;
}

/** The training settings every fine-tuning of the search shares. */
type Training = { epochs: number; batchSize?: number; learningRate?: number; seed?: number; progress?: Progress };

/**
 * The search: every board's front over the grid. `model` is a float model, or an int8 one: then the
 * recipes that need the float weights (channel pruning, fine-tuning, QAT) are left out, and the
 * others apply to its int8 weights as they are.
 */
export async function tune(model: Graph, train: Dataset, test: Dataset, task: Task, options: TuneOptions): Promise<TuneReport> {
  const started = Date.now();
  if (task.kind !== 'classification') throw new TinyforgeError('tune measures accuracy: the data need class labels');
  const search = await openSearch(model, train, test, task, options);
  await estimateCandidates(search);
  const stopped = await searchRecipes(search);
  return reportOf(search, options.modelFile ?? model.name, stopped, (Date.now() - started) / 1000);
}

/** The state (fresh, or the one to resume), the boards and candidates, and the float, dense int8 and sensitivity figures. */
async function openSearch(model: Graph, train: Dataset, test: Dataset, task: Task, options: TuneOptions): Promise<Search> {
  const givenInt8 = model.tensors.some((t) => t.dtype === 'int8' && !t.data);
  const float = givenInt8 ? undefined : model;
  const progress = options.progress ?? silentProgress;
  mkdirSync(join(options.outDir, 'models'), { recursive: true });
  const stateFile = join(options.outDir, STATE_FILE);
  const key = searchKey(options, train, test);
  const state: TuneState = options.resume && existsSync(stateFile) ? parseState(readFileSync(stateFile, 'utf8'), key, stateFile) : emptyState(key);
  if (options.resume && !existsSync(stateFile)) progress.log(`${stateFile}: no state to resume; starting afresh`);

  const boards = options.boards.map((name) => {
    const { target, board } = findBoard(name);
    return { name, target, board, clocks: boardClocks(board, options.clocks) };
  });
  const recipes = recipesOf(options.grid).filter((r) => float || r.channels === 0);
  const candidates = candidatesOf(recipes, boards, options.grid.prefer);
  const training = { epochs: options.epochs, batchSize: options.batchSize, learningRate: options.learningRate, seed: options.seed };

  let floatAccuracy: number | null = null;
  if (float) {
    const floatModel = new TrainableGraph(float);
    floatAccuracy = (await floatMetric(floatModel, test, task)).value;
    floatModel.dispose();
  }
  const dense = float ? quantize(float, train, options.calibrationSamples) : model;
  const denseAccuracy = (await int8Metric(dense, test, task)).value;
  progress.log(
    `${floatAccuracy === null ? '' : `float ${pct(floatAccuracy)}, `}dense int8 ${pct(denseAccuracy)} on ${test.count} held-out samples; ${candidates.length} candidates`,
  );

  let sensitivity: SensitivityReport | undefined;
  if (recipes.some((r) => r.sensitivityLoss !== undefined)) {
    const evaluator = new Int8Evaluator(dense, test, options.sensitivitySamples ?? 200);
    sensitivity = await analyzeSensitivity(dense, evaluator, { float, progress });
    progress.stop();
  }
  return {
    train,
    test,
    task,
    options,
    float,
    progress,
    stop: options.stopRequested ?? (() => false),
    state,
    stateFile,
    boards,
    recipes,
    candidates,
    training,
    floatAccuracy,
    dense,
    denseAccuracy,
    ceiling: Math.max(floatAccuracy ?? 0, denseAccuracy),
    sensitivity,
    untuned: new Map(),
  };
}

function saveState(s: Search): void {
  writeFileSync(s.stateFile, `${JSON.stringify(s.state)}\n`);
}

/** A candidate's cheap figures (estimateCandidates made them). */
function cheapOf(s: Search, c: Candidate): CheapFigures {
  return s.state.cheap[stateKey(c.board, c.id)]!;
}

function measuredPoints(s: Search): Point[] {
  return Object.values(s.state.points);
}

/** Points on the fronts of all boards so far. */
function frontSize(s: Search): number {
  return s.boards.reduce(
    (n, b) =>
      n +
      paretoFront(
        measuredPoints(s).filter((p) => p.board === b.name),
        s.options.constraints,
      ).length,
    0,
  );
}

/** 1. The untuned models and their cheap figures on every board. */
async function estimateCandidates(s: Search): Promise<void> {
  s.progress.start('estimating', s.candidates.length);
  let done = 0;
  for (const recipe of s.recipes) {
    const made = untunedModel(recipe, s.float, s.dense, s.train, s.options, s.sensitivity);
    s.untuned.set(recipe.id, made);
    for (const c of s.candidates.filter((c) => c.recipe.id === recipe.id)) {
      const k = stateKey(c.board, c.id);
      const b = s.boards.find((x) => x.name === c.board)!;
      s.state.cheap[k] ??= cheapFigures(made.int8, b.target, b.board, c.build.prefer, c.build.clockHz);
      s.progress.update(++done, `${recipe.id} on ${c.board}`);
      await yieldToEventLoop();
    }
  }
  s.progress.stop();
  saveState(s);
}

/** 2-4, recipe by recipe in grid order; true when asked to stop before the end. */
async function searchRecipes(s: Search): Promise<boolean> {
  const measure = s.options.measure ?? localMeasurer(s.options.timeoutMs);
  const cases = Array.from({ length: Math.max(1, Math.min(s.options.deviceSamples, s.test.count)) }, (_, n) => n);
  let stopped = false;
  s.progress.start('searching', s.recipes.length);
  for (const [r, recipe] of s.recipes.entries()) {
    if (s.stop()) {
      stopped = true;
      break;
    }
    s.progress.update(r, `${recipe.id}; ${frontSize(s)} points on the front`);
    await searchRecipe(s, recipe, r, measure, cases);
  }
  s.progress.update(s.recipes.length, `${frontSize(s)} points on the front`);
  s.progress.stop();
  return stopped;
}

/** One recipe: pruned before training where it cannot reach the front, else tuned and measured on the boards. */
async function searchRecipe(s: Search, recipe: Recipe, r: number, measure: Measurer, cases: number[]): Promise<void> {
  const open = s.candidates.filter((c) => c.recipe.id === recipe.id && !s.state.points[stateKey(c.board, c.id)] && !s.state.pruned[stateKey(c.board, c.id)]);
  if (open.length === 0) return;
  // 2. before training: can any of its candidates reach the front?
  const reachable = open.filter((c) => {
    const ok = canReachFront({ board: c.board, cheap: cheapOf(s, c) }, measuredPoints(s), s.ceiling, s.options.constraints);
    if (!ok) s.state.pruned[stateKey(c.board, c.id)] = 'dominated or over a limit before training';
    return ok;
  });
  if (reachable.length === 0) return saveState(s);
  // 3. the recipe's model, tuned, and its accuracy (once for every board)
  const { modelFile, accuracy } = await recipeAccuracy(s, recipe, r);
  if (belowAccuracy(accuracy, s.options.constraints)) {
    for (const c of reachable) s.state.pruned[stateKey(c.board, c.id)] = 'below --min-accuracy';
    return saveState(s);
  }
  // 4. on the boards: those no measured point dominates with the accuracy now known
  const jobs = boardJobs(s, recipe, reachable, accuracy, modelFile, cases);
  if (jobs.length === 0) return saveState(s);
  s.progress.update(r, `${recipe.id}: ${jobs.length} build${jobs.length === 1 ? '' : 's'} on the boards; ${frontSize(s)} points on the front`);
  const front = frontSize(s);
  const results = await measure(jobs, (note) => s.progress.update(r, `${recipe.id}: ${note}; ${front} points on the front`));
  recordMeasurements(s, jobs, results, accuracy);
  saveState(s);
}

/** 3. The recipe's tuned model in the search directory and its held-out accuracy: from the state, or trained and measured now. */
async function recipeAccuracy(s: Search, recipe: Recipe, r: number): Promise<{ modelFile: string; accuracy: number }> {
  const modelFile = recipeModelFile(s.options.outDir, recipe.id);
  const known = s.state.accuracy[recipe.id];
  if (known !== undefined && existsSync(modelFile)) return { modelFile, accuracy: known };
  s.progress.update(r, `${recipe.id}: training and measuring accuracy; ${frontSize(s)} points on the front`);
  const inner = within(s.progress, r, recipe.id, `${frontSize(s)} points on the front`);
  const tuned = await tunedModel({
    recipe,
    float: s.float,
    made: s.untuned.get(recipe.id)!,
    train: s.train,
    test: s.test,
    task: s.task,
    options: s.options,
    floatAccuracy: s.floatAccuracy,
    training: { ...s.training, progress: inner },
  });
  await writeModel(tuned.int8, modelFile);
  s.state.accuracy[recipe.id] = tuned.accuracy;
  saveState(s);
  return { modelFile, accuracy: tuned.accuracy };
}

/** 4. The builds to run: one per distinct build of the reachable candidates that no measured point dominates. */
function boardJobs(s: Search, recipe: Recipe, reachable: Candidate[], accuracy: number, modelFile: string, cases: number[]): MeasureJob[] {
  const seen = new Map<string, string>();
  const jobs: MeasureJob[] = [];
  for (const c of reachable) {
    const k = stateKey(c.board, c.id);
    const f = cheapOf(s, c);
    const twin = `${c.board} ${c.build.clockHz} ${f.flash} ${f.ram} ${f.msEstimate}`;
    if (seen.has(twin)) {
      s.state.pruned[k] = `the same build as ${seen.get(twin)}`;
      continue;
    }
    seen.set(twin, c.id);
    const beaten = measuredPoints(s).some(
      (p) =>
        p.board === c.board &&
        dominates(
          { accuracy: p.accuracy, ms: p.cheap.msEstimate, ram: p.cheap.ram, flash: p.cheap.flash },
          { accuracy, ms: f.msEstimate, ram: f.ram, flash: f.flash },
        ),
    );
    if (beaten) {
      s.state.pruned[k] = 'dominated once its accuracy is known';
      continue;
    }
    const int8 = s.untuned.get(recipe.id)!.int8;
    jobs.push({ candidate: c, model: modelFile, cases: cases.map((n) => [quantizeInput(int8, sample(s.test, n))]) });
  }
  return jobs;
}

/**
 * Each job's result into the state: a point, or why the candidate failed, one line naming it and
 * its board. A run that gave no cycle count (no counter on the board, no timing model) is no point
 * at 0 ms; a build or run that failed, or a farm result that is no run report, is no point either.
 */
function recordMeasurements(s: Search, jobs: MeasureJob[], results: (Measured | Error)[], accuracy: number): void {
  jobs.forEach((job, i) => {
    const res = results[i] ?? new Error('the board gave no result');
    const c = job.candidate;
    const k = stateKey(c.board, c.id);
    // a run cut short by Ctrl-C is tried again by --resume
    if (res instanceof Error && s.stop()) return;
    const point = res instanceof Error ? `failed: ${res.message.split('\n')[0]}` : pointOf(c, res, accuracy, cheapOf(s, c), job.model);
    if (typeof point === 'string') {
      s.state.failed[k] = point;
      s.progress.log(`${c.id} on ${c.board}: ${point}`);
      return;
    }
    delete s.state.failed[k];
    s.state.points[k] = point;
  });
}

/** The report: every board's front of the points measured, and the counts. */
function reportOf(s: Search, model: string, stopped: boolean, seconds: number): TuneReport {
  // each point names the search directory's model file (the state keeps it as the search that measured it named it)
  const all = measuredPoints(s).map((p) => ({ ...p, model: recipeModelFile(s.options.outDir, p.recipe.id), config: writeProjectFile(p, s.options.outDir) }));
  return {
    model,
    float: s.floatAccuracy === null ? null : { accuracy: s.floatAccuracy },
    int8: { accuracy: s.denseAccuracy },
    heldOut: s.test.count,
    boards: s.boards.map((b) => {
      const measured = all.filter((p) => p.board === b.name);
      const denseInt8 = measured.filter((p) => p.recipe.id === 'int8').sort((a, b) => a.ms - b.ms)[0] ?? null;
      const failed = s.candidates.flatMap((c) => {
        const reason = c.board === b.name ? s.state.failed[stateKey(c.board, c.id)] : undefined;
        return reason === undefined ? [] : [{ id: c.id, reason }];
      });
      return { board: b.name, target: b.target.name, front: paretoFront(measured, s.options.constraints), denseInt8, measured, failed };
    }),
    candidates: {
      total: s.candidates.length,
      estimated: Object.keys(s.state.cheap).length,
      accuracyMeasured: Object.keys(s.state.accuracy).length,
      built: all.length,
      pruned: Object.keys(s.state.pruned).length,
      failed: Object.keys(s.state.failed).length,
    },
    stopped,
    stateFile: s.stateFile,
    seconds,
  };
}

/** A recipe's int8 model in the search directory. */
function recipeModelFile(outDir: string, recipe: string): string {
  return join(outDir, 'models', `${recipe}.tflite`);
}

/** The state's key: the model file, the data and the grid (not the boards: a resumed search may add some). */
function searchKey(options: TuneOptions, train: Dataset, test: Dataset): string {
  const h = createHash('sha256');
  h.update(options.modelHash);
  h.update(new Uint8Array(train.x.buffer, train.x.byteOffset, train.x.byteLength));
  h.update(new Uint8Array(test.x.buffer, test.x.byteOffset, test.x.byteLength));
  h.update(
    JSON.stringify({
      grid: options.grid,
      epochs: options.epochs,
      channelEpochs: options.channelEpochs,
      channelLr: options.channelLearningRate,
      batch: options.batchSize,
      lr: options.learningRate,
      seed: options.seed,
      calib: options.calibrationSamples,
      sens: options.sensitivitySamples,
    }),
  );
  return h.digest('hex').slice(0, 16);
}

/** int8 PTQ calibrated on the first training samples. */
export function quantize(float: Graph, train: Dataset, samples = 300): Graph {
  const calibration = subset(
    train,
    Array.from({ length: Math.min(train.count, samples) }, (_, i) => i),
  );
  const x = inputTensor(calibration);
  try {
    return quantizeGraph(float, calibrateRanges(float, [x], { inputQuant: train.inputQuant }), { name: float.name });
  } finally {
    x.dispose();
  }
}

/** Every weighted layer at `bits` bits (8: unchanged). */
function uniformBits(int8: Graph, float: Graph | undefined, bits: number): Graph {
  return compressLayers(int8, new Map(int8WeightedLayers(int8).map((l) => [l.op.index, { bits, sparsity: 0 }])), { float });
}

/** A recipe's model: the float model it starts from (none for an int8 model given), its int8 model, its per-layer choice. */
type Made = { float: Graph | undefined; int8: Graph; configs?: LayerCompression[] };

/** The recipe applied without any training: the shapes, sparsity and widths of the final model. */
function untunedModel(
  recipe: Recipe,
  float: Graph | undefined,
  dense: Graph,
  train: Dataset,
  options: TuneOptions,
  sensitivity: SensitivityReport | undefined,
): Made {
  const base =
    float && recipe.channels > 0
      ? pruneChannels(float, recipe.channels, (_, channels) => keptChannels(channels, recipe.channels, recipe.channelMultiple)).graph
      : float;
  let int8 = !base || base === float ? dense : quantize(base, train, options.calibrationSamples);
  if (recipe.weightBits !== undefined && recipe.weightBits < 8) int8 = uniformBits(int8, base, recipe.weightBits);
  if (recipe.paletteBits !== undefined) int8 = palettize(int8, { bits: recipe.paletteBits }).graph;
  if (recipe.sensitivityLoss !== undefined) {
    const configs = greedyChoice(sensitivity!, { maxLoss: recipe.sensitivityLoss });
    const map = new Map(sensitivity!.layers.map((l, i) => [l.opIndex, configs[i]!]));
    return { float: base, int8: compressLayers(dense, map, { float }), configs };
  }
  return { float: base, int8 };
}

/**
 * The recipe's final int8 model and its held-out accuracy: fine-tuned after channel pruning and
 * per-layer sparsities (quantization-aware of the layers' bits), and trained quantization-aware
 * when post-training quantization loses more than the grid's `qatAbove`; the better of the
 * trained and untrained models is kept.
 */
async function tunedModel(a: {
  recipe: Recipe;
  /** the float model given; none for an int8 one */
  float: Graph | undefined;
  /** the recipe applied without training (untunedModel) */
  made: Made;
  train: Dataset;
  test: Dataset;
  task: Task;
  options: TuneOptions;
  floatAccuracy: number | null;
  training: Training;
}): Promise<{ int8: Graph; accuracy: number }> {
  const { recipe, float, made, train, test, task, options, floatAccuracy, training } = a;
  const measure = async (g: Graph) => (await int8Metric(g, test, task)).value;
  let best = { int8: made.int8, accuracy: await measure(made.int8) };
  const consider = async (g: Graph) => {
    const a = await measure(g);
    if (a > best.accuracy) best = { int8: g, accuracy: a };
  };
  const narrow = recipe.weightBits !== undefined && recipe.weightBits < 8 ? recipe.weightBits : undefined;
  // an int8 model given: nothing to train from
  if (!float || !made.float || floatAccuracy === null) return best;
  if (recipe.channels > 0) {
    const model = new TrainableGraph(made.float);
    const epochs = options.channelEpochs ?? training.epochs;
    const learningRate = options.channelLearningRate ?? training.learningRate;
    try {
      if (narrow !== undefined)
        await pruneUnstructured(model, train, task, { ...training, epochs, learningRate, sparsity: 0, weightBits: { bits: narrow, perTensor: false } });
      else await fineTune(model, train, task, { ...training, epochs, learningRate, label: 'fine-tuning' });
      const tuned = model.toGraph();
      const int8 = quantize(tuned, train, options.calibrationSamples);
      await consider(narrow !== undefined ? uniformBits(int8, tuned, narrow) : int8);
    } finally {
      model.dispose();
    }
  } else if (made.configs?.some((c) => c.sparsity > 0 || c.bits < 8)) {
    const sens = made.configs;
    const layers = int8WeightedLayers(made.int8).map((l) => l.op.index);
    const ops = layers.filter((_, i) => sens[i] !== undefined);
    const sparsity = new Map(ops.map((op, i) => [op, sens[i]!.sparsity] as const).filter(([, s]) => s > 0));
    const bits = new Map(ops.map((op, i) => [op, sens[i]!.bits] as const).filter(([, b]) => b < 8));
    const model = new TrainableGraph(float);
    try {
      const tuned = await pruneUnstructured(model, train, task, {
        ...training,
        sparsity: 0,
        layerSparsity: sparsity,
        ...(bits.size > 0 ? { weightBits: { bits, perTensor: false } } : {}),
      });
      const map = new Map(ops.map((op, i) => [op, { bits: sens[i]!.bits, sparsity: 0 }]));
      await consider(compressLayers(quantize(tuned, train, options.calibrationSamples), map, { float: tuned }));
    } finally {
      model.dispose();
    }
  } else if (narrow !== undefined && 100 * (floatAccuracy - best.accuracy) > options.grid.qatAbove) {
    const model = new TrainableGraph(float);
    try {
      const tuned = await pruneUnstructured(model, train, task, { ...training, sparsity: 0, weightBits: { bits: narrow, perTensor: false } });
      await consider(uniformBits(quantize(tuned, train, options.calibrationSamples), tuned, narrow));
    } finally {
      model.dispose();
    }
  } else if (recipe.id === 'int8' && recipe.qat !== false && 100 * (floatAccuracy - best.accuracy) > options.grid.qatAbove) {
    const model = new TrainableGraph(float);
    try {
      await consider(await quantizationAwareTraining(model, train, task, { ...training, calibrationSamples: options.calibrationSamples }));
    } finally {
      model.dispose();
    }
  }
  return best;
}

/**
 * Flash and RAM as the compile plans them (the weights as their chosen storages keep them and the
 * arena, exact; code, stack and harness the fit's lower bounds), and the kernels' one cost model's
 * instructions (core/ops/layer_cost.ts `graphInstructions`, what the compiler's own choices read:
 * no price of tune's own) over the clock, in ms.
 */
export function cheapFigures(int8: Graph, target: TargetDescriptor, board: BoardDescriptor, prefer: Prefer, clockHz: number): CheapFigures {
  const compiled = compileForTarget(int8, `${int8.name}.tflite`, target, board, { prefer });
  const fit = estimateFit(compiled, target, board);
  const instructions = graphInstructions(compiled.prepared);
  let weights = 0;
  for (const layer of compiled.prepared.layers) if (!layer.isAlias) weights += layerWeightBytes(layer, compiled.prepared);
  return {
    // the weights as the chosen storages keep them (Huffman, int4, palettes, sparse), and the code's lower bound
    flash: weights + CODE_FLASH_BYTES,
    ram: fit?.ram.total ?? compiled.plan.arenaBytes,
    // and the weights' pass through the flash's cache per inference, where flash is slower (the Pico's XIP: 48 cycles a byte)
    msEstimate: ((instructions + flashCyclesOfWeights(target, board, weights)) / clockHz) * 1000,
  };
}

/**
 * The point as a project file (`tinyforge.json`, the format `compile`, `run` and `profile` read):
 * its model, board, storage choice, weights' placement and clock, in `<outDir>/points/<board>/<recipe>-<prefer>-<MHz>/`.
 * `tinyforge compile --config FILE` rebuilds its firmware; `tinyforge run --config FILE` its figures.
 */
export function writeProjectFile(p: Point, outDir: string): string {
  const dir = join(outDir, 'points', p.board, `${p.recipe.id}-${p.build.prefer}-${formatMHz(p.build.clockHz)}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'tinyforge.json');
  const { target, board } = findBoard(p.board);
  const config = {
    // the search directory's model (the state's path is as the search that measured it named it)
    model: relative(dirname(file), recipeModelFile(outDir, p.recipe.id)),
    target: target.name,
    board: p.board,
    prefer: p.build.prefer,
    // the weights' placement the board's builds default to, which the search priced and ran, spelled out
    weightsInRam: weightsInRamDefault(target, board),
    // Hz, as the point's estimates were made
    clock: p.build.clockHz,
    out: 'firmware',
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/**
 * The candidate's point from its run, or, where the run gave no cycle count (a board without a
 * counter, a core without a timing model) or one no run takes (zero, negative, under one cycle, not
 * a finite number), why it has none: such a run measures flash and RAM, not the time, and a point at
 * 0 ms would top every front.
 */
export function pointOf(c: Candidate, m: Measured, accuracy: number, cheap: CheapFigures, model: string): Point | string {
  const r = m.report;
  const cycles: unknown = r.cycleEstimate?.perInference ?? r.perInference;
  if (cycles === null || cycles === undefined)
    return `failed: the run on ${m.ranOn} gave no cycle count (no counter on the board, no timing model of its core), so no time`;
  if (typeof cycles !== 'number' || !Number.isFinite(cycles) || cycles < 1)
    return `failed: the run on ${m.ranOn} gave ${JSON.stringify(cycles) ?? String(cycles)} cycles per inference, which no run takes, so no time`;
  const ram = r.memory.ram ?? r.memory.arena + (r.memory.stack ?? 0);
  return {
    id: c.id,
    board: c.board,
    recipe: c.recipe,
    build: c.build,
    accuracy,
    ms: (cycles / c.build.clockHz) * 1000,
    ram: r.realBoard?.ram.needed ?? ram,
    flash: r.memory.flash,
    flashWeights: r.memory.flashWeights,
    cheap,
    bitExact: { matched: r.cases.filter((x) => x.matchesReference).length, total: r.cases.length },
    ranOn: m.ranOn,
    model,
  };
}

/**
 * A `run --json` output another process printed (a farm worker's), checked as the report a point is
 * made of: the memory figures, the cases' comparison with the reference, the cycle counts where
 * given. Anything else is refused in one line naming `job`, not read as a report.
 */
export function checkedRunReport(output: unknown, job: string): RunReport {
  const fail = (what: string): never => {
    throw new TinyforgeError(`${job}: its result is not a run report: ${what}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isCount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!isObject(output)) return fail(output === null ? 'null' : Array.isArray(output) ? 'a list' : typeof output);
  const memory = output.memory;
  if (!isObject(memory)) return fail('no memory figures');
  for (const key of ['flash', 'flashWeights', 'arena']) if (!isCount(memory[key])) fail(`memory.${key} is ${JSON.stringify(memory[key]) ?? 'missing'}`);
  for (const key of ['ram', 'stack'])
    if (memory[key] !== null && memory[key] !== undefined && !isCount(memory[key])) fail(`memory.${key} is ${JSON.stringify(memory[key])}`);
  const cases = output.cases;
  if (!Array.isArray(cases) || cases.some((c) => !isObject(c) || typeof c.matchesReference !== 'boolean'))
    fail('cases is not a list of outputs compared with the reference');
  const perInference = output.perInference;
  if (perInference !== null && perInference !== undefined && !isCount(perInference)) fail(`perInference is ${JSON.stringify(perInference)}`);
  const estimate = output.cycleEstimate;
  if (estimate !== null && estimate !== undefined && (!isObject(estimate) || !isCount(estimate.perInference)))
    fail('cycleEstimate has no count of cycles per inference');
  const real = output.realBoard;
  if (real !== null && real !== undefined && (!isObject(real) || !isObject(real.ram) || !isCount(real.ram.needed))) fail('realBoard has no RAM needed');
  return output as unknown as RunReport;
}

/**
 * The farm's outcomes of `jobs` (in order) as measurements: each result checked as the job's run
 * report (checkedRunReport); a job without one, or with one that is not a run report, is an Error
 * naming the farm job and the candidate, which the search records as a failed candidate.
 */
export function farmMeasurements(jobs: readonly MeasureJob[], outcomes: readonly (Outcome | undefined)[]): (Measured | Error)[] {
  return jobs.map((job, i) => {
    const o = outcomes[i];
    const c = job.candidate;
    const which = `farm job ${o?.id ?? i + 1} (${c.id} on ${c.board})`;
    if (!o || o.board !== c.board) return new Error(`${which}: the farm gave no outcome for it`);
    if (!o.result) {
      // the farm's own line names the job already (checkResult's): said once
      const why = o.error ?? 'no result';
      const own = `farm job ${o.id}: `;
      return new Error(`${which}: ${why.startsWith(own) ? why.slice(own.length) : why}`);
    }
    try {
      return { report: checkedRunReport(o.result.output, which), ranOn: `${o.result.worker}/${o.result.instance}` };
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  });
}

/** Each job built and run here, one after the other, on the board's emulator. */
export function localMeasurer(timeoutMs = 600_000): Measurer {
  return async (jobs, note) => {
    const out: (Measured | Error)[] = [];
    for (const [n, job] of jobs.entries()) {
      const { target, board } = findBoard(job.candidate.board);
      const which = `build ${n + 1}/${jobs.length}, ${job.candidate.build.prefer}@${formatMHz(job.candidate.build.clockHz)} on ${board.name}`;
      note?.(which);
      try {
        const clock = board.hardware ? resolveClock(board, job.candidate.build.clockHz) : undefined;
        const report = await runModel(job.model, {
          target: target.name,
          board: board.name,
          cases: job.cases,
          timeoutMs,
          progress: (step) => note?.(`${which}: ${step}`),
          prefer: job.candidate.build.prefer,
          estimateClock: clock ? { clockHz: clock.clockHz, flashWaitStates: clock.flashWaitStates } : undefined,
        });
        out.push({ report, ranOn: 'emulated' });
      } catch (e) {
        out.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return out;
  };
}

/**
 * A recipe's own steps (fine-tuning batches, QAT, evaluation) as the note of the search's bar, which
 * stays at recipe `at`: `ch30: fine-tuning 120/1128 (loss 0.21); 2 points on the front`.
 */
export function within(outer: Progress, at: number, recipe: string, tail: string): Progress {
  let label = '';
  let total = 0;
  const show = (done: number, note?: string) => outer.update(at, `${recipe}: ${label} ${done}/${total}${note ? ` (${note})` : ''}; ${tail}`);
  return {
    start(l, t) {
      label = l;
      total = t;
      show(0);
    },
    update: show,
    stop() {},
    log: (m) => outer.log(m),
  };
}

function sample(data: Dataset, n: number): Float32Array {
  const size = data.x.length / data.count;
  return data.x.subarray(n * size, (n + 1) * size);
}

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}
