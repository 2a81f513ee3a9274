// SPDX-License-Identifier: Apache-2.0
/**
 * What the compression commands do (`tinyforge quantize|prune|qat|distill|lowrank|compress`), loaded
 * only when one of them runs: each opens a session (model, data, held-out split), prints the held-out
 * figures before and after its step on stderr, and writes the resulting model.
 */
import { wrapLines } from '../report/layout.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { targetNameFor } from '../../core/targets/targets.ts';
import type { Graph } from '../../core/ir/graph.ts';
import {
  type CalibrationCliOptions,
  type DataCliOptions,
  type TrainCliOptions,
  defaultOutput,
  fraction,
  positiveNumber,
  trainOptions,
} from './compress_options.ts';
import type { Prefer } from '../../core/ops/op.ts';
import { distill } from '../../compress/distill.ts';
import { type FineTuneChoice, describeChoice, keepBetter, mcNemar } from '../../compress/keep_better.ts';
import { factorizeGraph } from '../../compress/lowrank.ts';
import { floatMacs, loadFloatModel, writeModel } from '../../compress/model_io.ts';
import { compressModel } from '../../compress/pipeline.ts';
import { pruneOneShot, pruneUnstructured, weightCount, weightSparsity } from '../../compress/prune.ts';
import { quantizationAwareTraining } from '../../compress/qat.ts';
import { formatCompressReport, formatSearch, formatSensitivity } from '../report/compress.ts';
import {
  type Session,
  datasetLoader,
  describeMetric,
  evaluateFloat,
  evaluateInt8,
  heldOutPart,
  openSession,
  quantizeWithData,
  requireTask,
} from './compress_session.ts';
import type { Metric } from '../../compress/task.ts';
import { pruneChannels } from '../../compress/structured.ts';
import { fineTune } from '../../compress/train.ts';
import { TrainableGraph } from '../../compress/trainable.ts';
import { type WeightClip, compressLayers, int8WeightedLayers } from '../../compress/weight_bits.ts';
import { Int8Evaluator, type SearchGoal, type SearchResult, analyzeSensitivity, searchMixedPrecision } from '../../compress/sensitivity.ts';
import { terminalProgress } from '../../compress/progress.ts';
import { type Dataset, selectPart } from '../../lab/data/dataset.ts';
import { readTflite } from '../../core/model/tflite/reader.ts';
import { extname } from 'node:path';
import { jsonLine } from '../report/json_document.ts';

export interface PruneCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  sparsity?: string;
  maxLoss?: string;
  structured?: boolean;
  minWeights: string;
  output?: string;
  int8?: boolean;
  json?: boolean;
}

export interface DistillCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  teacher?: string;
  student?: string;
  temperature: string;
  alpha: string;
  output?: string;
  json?: boolean;
}

export interface LowRankCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  rank?: string;
  energy?: string;
  minWeights: string;
  output?: string;
  int8?: boolean;
  json?: boolean;
}

export interface QatCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  output?: string;
  json?: boolean;
}

export interface CompressCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  target?: string;
  board?: string;
  sparsity?: string;
  maxLoss?: string;
  weightBits?: string;
  weightClip?: string;
  sensitivitySamples: string;
  structured?: boolean;
  minWeights: string;
  maxFlash?: string;
  maxRam?: string;
  prefer?: Prefer;
  deviceSamples: string;
  baseline?: boolean;
  output?: string;
  keep?: string;
  json?: boolean;
}

export async function quantizeAction(
  modelPath: string,
  opts: DataCliOptions & CalibrationCliOptions & { output?: string; weightBits?: string; weightClip?: string; json?: boolean },
): Promise<void> {
  const bits = opts.weightBits === undefined ? undefined : weightBits(opts.weightBits);
  const clip = weightClip(opts.weightClip);
  const session = await openSession(modelPath, opts.data, opts, true, 'calibration data');
  const before = await evaluateFloat(session, session.graph);
  session.log(`float: ${describeMetric(before, session.test.count)}`);
  let int8 = quantizeWithData(session.graph, session.train, opts);
  const after = await evaluateInt8(session, int8);
  session.log(`int8:  ${describeMetric(after, session.test.count)} (ranges: ${opts.ranges})`);
  let lowBits: Metric | undefined;
  if (bits !== undefined && bits < 8) {
    int8 = compressLayers(int8, new Map(int8WeightedLayers(int8).map((l) => [l.op.index, { bits, sparsity: 0, clip }])), { float: session.graph });
    lowBits = await evaluateInt8(session, int8);
    session.log(`${bits}-bit weights: ${describeMetric(lowBits, session.test.count)}`);
  }
  const output = opts.output ?? defaultOutput(modelPath, 'int8');
  await writeModel(int8, output);
  finish(opts.json, output, { float: before ?? null, int8: after ?? null, ...(lowBits ? { weightBits: bits, lowBits } : {}), ranges: opts.ranges });
}

export async function pruneAction(modelPath: string, opts: PruneCliOptions): Promise<void> {
  if (opts.maxLoss !== undefined && (opts.sparsity !== undefined || opts.structured))
    throw new TinyforgeError('--max-loss chooses per-layer rates: not with --sparsity or --structured');
  const maxLoss = opts.maxLoss === undefined ? undefined : Number(opts.maxLoss);
  if (maxLoss !== undefined && !(maxLoss >= 0)) throw new TinyforgeError(`--max-loss ${opts.maxLoss}: expected a number >= 0`);
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  const sparsity = maxLoss === undefined ? fraction(opts.sparsity ?? '0.7', '--sparsity') : 0;
  const before = await evaluateFloat(session, session.graph);
  session.log(
    `before: ${describeMetric(before, session.test.count)}; ${weightCount(session.graph)} weights, sparsity ${pct(weightSparsity(session.graph))}, ${floatMacs(session.graph)} MACs`,
  );
  let untuned: Graph;
  let pruned: Graph;
  if (opts.structured) {
    const result = pruneChannels(session.graph, sparsity);
    for (const [layer, [from, to]] of result.layers) session.log(`  ${layer}: ${from} -> ${to} channels`);
    untuned = result.graph;
    const model = new TrainableGraph(result.graph);
    await fineTune(model, session.train, task, { ...trainOptions(opts, session.progress), label: 'fine-tuning the smaller model' });
    pruned = model.toGraph();
    model.dispose();
  } else {
    const layerSparsity = maxLoss === undefined ? undefined : await sensitivityRates(session, opts, maxLoss);
    const minWeights = positiveNumber(opts.minWeights, '--min-weights', true);
    untuned = pruneOneShot(session.graph, sparsity, minWeights, layerSparsity);
    const model = new TrainableGraph(session.graph);
    pruned = await pruneUnstructured(model, session.train, task, { ...trainOptions(opts, session.progress), sparsity, layerSparsity, minWeights });
    model.dispose();
  }
  const choice = await chooseFloat(session, untuned, pruned);
  if (choice?.kept === 'before') pruned = untuned;
  session.log(
    `after:  ${describeMetric(choice ? kept(choice) : undefined, session.test.count)}; ${weightCount(pruned)} weights, sparsity ${pct(weightSparsity(pruned))}, ${floatMacs(pruned)} MACs`,
  );
  let result = pruned;
  let int8Metric: Metric | undefined;
  if (opts.int8) {
    result = quantizeWithData(pruned, session.train, opts);
    int8Metric = await evaluateInt8(session, result);
    session.log(`int8:   ${describeMetric(int8Metric, session.test.count)}`);
  }
  const output = opts.output ?? defaultOutput(modelPath, opts.int8 ? 'pruned_int8' : 'pruned');
  await writeModel(result, output);
  finish(opts.json, output, {
    before: before ?? null,
    fineTuning: choiceJson(choice),
    sparsity: weightSparsity(pruned),
    weights: weightCount(pruned),
    ...(opts.int8 ? { int8: int8Metric ?? null } : {}),
  });
}

/** Per-layer sparsities (op index -> rate) for `prune --max-loss`: the sensitivity search over sparsities alone. */
async function sensitivityRates(session: Session, opts: CalibrationCliOptions, maxLoss: number): Promise<Map<number, number>> {
  const int8 = quantizeWithData(session.graph, session.train, opts);
  const evaluator = new Int8Evaluator(int8, session.test, 200);
  const report = await analyzeSensitivity(int8, evaluator, { bits: [], float: session.graph, progress: session.progress });
  const { result } = searchMixedPrecision(int8, report, evaluator, { maxLoss }, { float: session.graph });
  session.log(formatSensitivity(report));
  session.log(formatSearch(result));
  return new Map(result.layers.filter((l) => l.config.sparsity > 0).map((l) => [l.opIndex, l.config.sparsity]));
}

/** The held-out figures of a step's model before and after fine-tuning, and the better one (undefined without labels). */
async function chooseFloat(session: Session, before: Graph, after: Graph): Promise<FineTuneChoice | undefined> {
  const b = await evaluateFloat(session, before);
  const a = await evaluateFloat(session, after);
  if (!b || !a) return undefined;
  const choice = keepBetter(b, a);
  session.log(describeChoice(choice));
  return choice;
}

const kept = (c: FineTuneChoice): Metric => (c.kept === 'before' ? c.before : c.after);

function choiceJson(c: FineTuneChoice | undefined) {
  return c ? { kept: c.kept, before: plain(c.before), after: plain(c.after) } : null;
}

/** A metric without its per-sample detail. */
function plain(m: Metric): Metric {
  return { name: m.name, value: m.value };
}

/** The command's last stdout line: `wrote <file>`, or with --json one object with the figures. */
function finish(json: boolean | undefined, output: string, figures: Record<string, unknown>): void {
  const clean = JSON.parse(JSON.stringify(figures, (key, v: unknown) => (key === 'correct' ? undefined : v))) as Record<string, unknown>;
  process.stdout.write(json ? jsonLine('compression-step', { output, ...clean }) : `wrote ${output}\n`);
}

export async function qatAction(modelPath: string, opts: QatCliOptions): Promise<void> {
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  const float = await evaluateFloat(session, session.graph);
  session.log(`float:              ${describeMetric(float, session.test.count)}`);
  const ptq = quantizeWithData(session.graph, session.train, opts);
  const ptqMetric = await evaluateInt8(session, ptq);
  session.log(`int8, PTQ:          ${describeMetric(ptqMetric, session.test.count)}`);
  const model = new TrainableGraph(session.graph);
  const qat = await quantizationAwareTraining(model, session.train, task, {
    ...trainOptions(opts, session.progress),
    calibrationSamples: positiveNumber(opts.calibSamples, '--calib-samples', true),
    method: opts.ranges,
    percentile: Number(opts.percentile),
    perChannelDense: opts.perChannelDense,
  });
  model.dispose();
  const qatMetric = await evaluateInt8(session, qat);
  session.log(`int8, QAT:          ${describeMetric(qatMetric, session.test.count)}`);
  // PTQ is QAT's "before fine-tuning": the same int8 export of the untrained weights
  const choice = ptqMetric && qatMetric ? keepBetter(ptqMetric, qatMetric) : undefined;
  if (choice) session.log(describeChoice(choice).replace('the fine-tuned model', 'the QAT model').replace('before fine-tuning', 'with PTQ'));
  const output = opts.output ?? defaultOutput(modelPath, 'qat_int8');
  await writeModel(choice?.kept === 'before' ? ptq : qat, output);
  finish(opts.json, output, { float: float ?? null, fineTuning: choiceJson(choice) });
}

export async function distillAction(opts: DistillCliOptions): Promise<void> {
  const session = await openSession(opts.student!, opts.data, opts);
  const task = requireTask(session);
  const teacherGraph = await loadFloatModel(opts.teacher!);
  const alpha = Number(opts.alpha);
  if (!(alpha >= 0 && alpha <= 1)) throw new TinyforgeError(`--alpha ${opts.alpha}: expected a number in [0, 1]`);
  session.log(`teacher: ${describeMetric(await evaluateFloat(session, teacherGraph), session.test.count)}`);
  session.log(`student before: ${describeMetric(await evaluateFloat(session, session.graph), session.test.count)}`);
  const teacherMetric = await evaluateFloat(session, teacherGraph);
  const training = { ...trainOptions(opts, session.progress), temperature: positiveNumber(opts.temperature, '--temperature'), alpha };
  const teacher = new TrainableGraph(teacherGraph);
  const student = new TrainableGraph(session.graph);
  await distill(teacher, student, session.train, task, training);
  let trained = student.toGraph();
  teacher.dispose();
  student.dispose();
  // the same student, seed and epochs on the labels alone: what the teacher adds is the difference
  const alone = new TrainableGraph(session.graph);
  await fineTune(alone, session.train, task, { ...trainOptions(opts, session.progress), label: 'the same student without the teacher' });
  const aloneGraph = alone.toGraph();
  alone.dispose();
  const choice = await chooseFloat(session, session.graph, trained);
  if (choice?.kept === 'before') trained = session.graph;
  const distilled = choice ? kept(choice) : undefined;
  const withoutTeacher = await evaluateFloat(session, aloneGraph);
  session.log(`student after:  ${describeMetric(distilled, session.test.count)}`);
  session.log(`without the teacher (same student, seed and epochs): ${describeMetric(withoutTeacher, session.test.count)}`);
  const gain = compareDistilled(distilled, withoutTeacher);
  if (gain) session.log(gain.text);
  const int8 = quantizeWithData(trained, session.train, opts);
  const int8Figure = await evaluateInt8(session, int8);
  session.log(`student int8:   ${describeMetric(int8Figure, session.test.count)}`);
  const output = opts.output ?? defaultOutput(opts.student!, 'distilled_int8');
  await writeModel(int8, output);
  finish(opts.json, output, {
    teacher: teacherMetric ?? null,
    fineTuning: choiceJson(choice),
    withoutTeacher: withoutTeacher ?? null,
    teacherGain: gain?.json ?? null,
    int8: int8Figure ?? null,
  });
}

/**
 * Whether the distilled student beats the one trained on the labels alone by more than noise:
 * McNemar's test on the held-out samples the two classify differently (classification only).
 */
function compareDistilled(distilled: (Metric & { correct?: boolean[] }) | undefined, alone: (Metric & { correct?: boolean[] }) | undefined) {
  if (!distilled || !alone) return undefined;
  if (!distilled.correct || !alone.correct) {
    const text = `teacher's effect on the held-out loss: ${formatMetricDelta(alone, distilled)} (no significance test for losses)`;
    return { text, json: { difference: distilled.value - alone.value, significant: null } };
  }
  const t = mcNemar(distilled.correct, alone.correct);
  const points = (distilled.value - alone.value) * 100;
  const text =
    `the teacher's gain: ${points >= 0 ? '+' : ''}${points.toFixed(2)} points, ` +
    `${t.significant ? 'beyond noise' : 'within noise'} (McNemar on ${distilled.correct.length} held-out samples: ` +
    `${t.onlyFirst} right only when distilled, ${t.onlySecond} only without the teacher, chi-square ${t.chiSquare.toFixed(2)}, 5% level 3.84)`;
  return {
    text,
    json: {
      difference: distilled.value - alone.value,
      onlyDistilled: t.onlyFirst,
      onlyWithoutTeacher: t.onlySecond,
      chiSquare: t.chiSquare,
      significant: t.significant,
    },
  };
}

function formatMetricDelta(from: Metric, to: Metric): string {
  return `${from.value.toPrecision(4)} -> ${to.value.toPrecision(4)}`;
}

export async function lowrankAction(modelPath: string, opts: LowRankCliOptions): Promise<void> {
  if ((opts.rank === undefined) === (opts.energy === undefined)) throw new TinyforgeError('give exactly one of --rank R and --energy E');
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  const before = await evaluateFloat(session, session.graph);
  session.log(`before: ${describeMetric(before, session.test.count)}; ${weightCount(session.graph)} weights, ${floatMacs(session.graph)} MACs`);
  const factorized = factorizeGraph(session.graph, {
    rank: opts.rank === undefined ? undefined : positiveNumber(opts.rank, '--rank', true),
    energy: opts.energy === undefined ? undefined : Number(opts.energy),
    minWeights: positiveNumber(opts.minWeights, '--min-weights', true),
  });
  for (const l of factorized.layers) {
    session.log(`  ${l.name}: [${l.shape}] -> rank ${l.rank} (${(l.energy * 100).toFixed(1)}% of the energy), ${l.weightsBefore} -> ${l.weightsAfter} weights`);
  }
  const model = new TrainableGraph(factorized.graph);
  await fineTune(model, session.train, task, { ...trainOptions(opts, session.progress), label: 'fine-tuning the factorized model' });
  let tuned = model.toGraph();
  model.dispose();
  // the truncated model is the step's "before": fine-tuning that loses on held-out data is dropped
  const choice = await chooseFloat(session, factorized.graph, tuned);
  if (choice?.kept === 'before') tuned = factorized.graph;
  session.log(`after:  ${describeMetric(choice ? kept(choice) : undefined, session.test.count)}; ${weightCount(tuned)} weights, ${floatMacs(tuned)} MACs`);
  let result = tuned;
  let int8Figure: Metric | undefined;
  if (opts.int8) {
    result = quantizeWithData(tuned, session.train, opts);
    int8Figure = await evaluateInt8(session, result);
    session.log(`int8:   ${describeMetric(int8Figure, session.test.count)}`);
  }
  const output = opts.output ?? defaultOutput(modelPath, opts.int8 ? 'lowrank_int8' : 'lowrank');
  await writeModel(result, output);
  finish(opts.json, output, {
    before: before ?? null,
    layers: factorized.layers,
    fineTuning: choiceJson(choice),
    weights: weightCount(tuned),
    ...(opts.int8 ? { int8: int8Figure ?? null } : {}),
  });
}

export interface SensitivityCliOptions extends DataCliOptions, CalibrationCliOptions {
  sensitivitySamples: string;
  bits: string;
  sparsities: string;
  maxLoss?: string;
  maxFlash?: string;
  output?: string;
  json?: boolean;
}

export async function sensitivityAction(modelPath: string, opts: SensitivityCliOptions): Promise<void> {
  if (opts.maxLoss !== undefined && opts.maxFlash !== undefined) throw new TinyforgeError('give one of --max-loss and --max-flash');
  const list = (value: string, flag: string, check: (n: number) => boolean) => {
    const values = value.split(',').map(Number);
    if (values.length === 0 || values.some((v) => !check(v))) throw new TinyforgeError(`${flag} ${value}: a comma-separated list of valid values expected`);
    return values;
  };
  const bits = list(opts.bits, '--bits', (b) => Number.isInteger(b) && b >= 2 && b <= 7);
  const sparsities = list(opts.sparsities, '--sparsities', (v) => v > 0 && v < 1);
  const samples = positiveNumber(opts.sensitivitySamples, '--sensitivity-samples', true);
  let int8: Graph;
  let float: Graph | undefined;
  let data: Dataset;
  const file = readTfliteIfInt8(modelPath);
  if (file) {
    int8 = file;
    if (!opts.data && !opts.eval) throw new TinyforgeError('no data given (--data or --eval)');
    // the figures' data: a data set with its own lists gives its --split list
    const all = datasetLoader(int8, opts, terminalProgress())((opts.eval ?? opts.data)!, [heldOutPart(opts)]);
    data = all.parts ? selectPart(all, heldOutPart(opts)) : all;
  } else {
    const session = await openSession(modelPath, opts.data, opts, true);
    float = session.graph;
    int8 = quantizeWithData(float, session.train, opts);
    data = session.test;
  }
  const progress = terminalProgress();
  const evaluator = new Int8Evaluator(int8, data, samples);
  const report = await analyzeSensitivity(int8, evaluator, { bits, sparsities, float, progress });
  let search: SearchResult | undefined;
  if (opts.maxLoss !== undefined || opts.maxFlash !== undefined) {
    const goal: SearchGoal =
      opts.maxLoss !== undefined
        ? { maxLoss: Number(opts.maxLoss) >= 0 ? Number(opts.maxLoss) : NaN }
        : { maxFlash: positiveNumber(opts.maxFlash, '--max-flash', true) };
    if ('maxLoss' in goal && Number.isNaN(goal.maxLoss)) throw new TinyforgeError(`--max-loss ${opts.maxLoss}: expected a number >= 0`);
    const found = searchMixedPrecision(int8, report, evaluator, goal, { float });
    search = found.result;
    if (opts.output) {
      await writeModel(found.graph, opts.output);
      progress.log(`wrote ${opts.output}`);
    }
  }
  if (opts.json) {
    process.stdout.write(jsonLine('sensitivity', { sensitivity: report, ...(search ? { search } : {}) }));
  } else {
    process.stdout.write(`${wrapLines(formatSensitivity(report))}\n${search ? `\n${wrapLines(formatSearch(search))}\n` : ''}`);
  }
  if (search && !search.met) process.exitCode = 4;
}

/** The int8 Graph of an int8 .tflite, or undefined for anything else (a float model). */
function readTfliteIfInt8(path: string): Graph | undefined {
  if (extname(path).toLowerCase() !== '.tflite') return undefined;
  const graph = readTflite(path);
  return int8WeightedLayers(graph).length > 0 ? graph : undefined;
}

/** --weight-clip: how the b-bit scales are chosen (weight_bits.ts's `clip`). */
export function weightClip(value: string | undefined): WeightClip {
  if (value === undefined || value === 'max' || value === 'mse') return value ?? 'max';
  throw new TinyforgeError(`--weight-clip ${value}: expected max or mse`);
}

/** --weight-bits: an integer in 2..8. */
export function weightBits(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2 || n > 8) throw new TinyforgeError(`--weight-bits ${value}: expected an integer in 2..8`);
  return n;
}

export async function compressAction(modelPath: string, opts: CompressCliOptions): Promise<void> {
  // per-layer search unless one rate is asked for: --max-loss, or --max-flash without --sparsity
  const mixed = opts.sparsity === undefined && (opts.maxLoss !== undefined || opts.maxFlash !== undefined);
  if (opts.maxLoss !== undefined && opts.sparsity !== undefined)
    throw new TinyforgeError('--max-loss searches per-layer sparsities; it does not go with --sparsity');
  if (mixed && opts.structured) throw new TinyforgeError('--structured prunes one share of channels: give --sparsity');
  if (mixed && opts.weightBits !== undefined) throw new TinyforgeError('--weight-bits sets every layer; --max-loss / --max-flash search per-layer bits');
  const maxLoss = opts.maxLoss === undefined ? undefined : Number(opts.maxLoss);
  if (maxLoss !== undefined && !(maxLoss >= 0)) throw new TinyforgeError(`--max-loss ${opts.maxLoss}: expected a number >= 0`);
  const bits = opts.weightBits === undefined ? undefined : weightBits(opts.weightBits);
  const clip = weightClip(opts.weightClip);
  const sparsityText = opts.sparsity ?? '0.7';
  // the target and board are checked before any data is read or any training runs
  const target = targetNameFor(opts.target, opts.board);
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  const { report } = await compressModel(session.graph, session.train, session.test, task, {
    ...trainOptions(opts, session.progress),
    target,
    board: opts.board,
    sparsity: mixed || Number(sparsityText) === 0 ? 0 : fraction(sparsityText, '--sparsity'),
    mixed,
    maxLoss,
    weightBits: bits,
    weightClip: clip,
    sensitivitySamples: positiveNumber(opts.sensitivitySamples, '--sensitivity-samples', true),
    structured: opts.structured,
    baseline: opts.baseline,
    minWeights: positiveNumber(opts.minWeights, '--min-weights', true),
    calibrationSamples: positiveNumber(opts.calibSamples, '--calib-samples', true),
    rangeMethod: opts.ranges,
    percentile: Number(opts.percentile),
    perChannelDense: opts.perChannelDense,
    maxFlash: opts.maxFlash === undefined ? undefined : positiveNumber(opts.maxFlash, '--max-flash', true),
    maxRam: opts.maxRam === undefined ? undefined : positiveNumber(opts.maxRam, '--max-ram', true),
    prefer: opts.prefer,
    deviceSamples: positiveNumber(opts.deviceSamples, '--device-samples', true),
    output: opts.output ?? defaultOutput(modelPath, 'compressed_int8'),
    workDir: opts.keep,
  });
  process.stdout.write(opts.json ? jsonLine('compress', report) : `${wrapLines(formatCompressReport(report))}\n`);
  if (!report.deviceMatchesHost) process.exitCode = 3;
  else if (!report.fits.ok) process.exitCode = 4;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
