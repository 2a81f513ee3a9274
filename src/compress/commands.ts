// SPDX-License-Identifier: Apache-2.0
/**
 * What the compression commands do (`tinyforge quantize|prune|qat|distill|lowrank|compress`), loaded
 * only when one of them runs: each opens a session (model, data, held-out split), prints the held-out
 * figures before and after its step on stderr, and writes the resulting model.
 */
import { TinyforgeError } from '../errors.ts';
import type { Graph } from '../ir/graph.ts';
import type { Prefer } from '../ops/op.ts';
import { type CalibrationCliOptions, type DataCliOptions, type TrainCliOptions, defaultOutput, fraction, positiveNumber, trainOptions } from './cli_options.ts';
import { distill } from './distill.ts';
import { factorizeGraph } from './lowrank.ts';
import { floatMacs, loadFloatModel } from './model_io.ts';
import { compressModel } from './pipeline.ts';
import { pruneUnstructured, weightCount, weightSparsity } from './prune.ts';
import { quantizationAwareTraining } from './qat.ts';
import { formatCompressReport } from './report.ts';
import { describeMetric, evaluateFloat, evaluateInt8, openSession, quantizeWithData, requireTask, writeModel } from './session.ts';
import { pruneChannels } from './structured.ts';
import { fineTune } from './train.ts';
import { TrainableGraph } from './trainable.ts';

export interface PruneCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  sparsity: string;
  structured?: boolean;
  minWeights: string;
  output?: string;
  int8?: boolean;
}

export interface DistillCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  teacher?: string;
  student?: string;
  temperature: string;
  alpha: string;
  output?: string;
}

export interface LowRankCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  rank?: string;
  energy?: string;
  minWeights: string;
  output?: string;
  int8?: boolean;
}

export interface CompressCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  target: string;
  board?: string;
  sparsity: string;
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

export async function quantizeAction(modelPath: string, opts: DataCliOptions & CalibrationCliOptions & { calib?: string; output?: string }): Promise<void> {
  const session = await openSession(modelPath, opts.calib, opts, true);
  const before = await evaluateFloat(session, session.graph);
  session.log(`float: ${describeMetric(before, session.test.count)}`);
  const int8 = quantizeWithData(session.graph, session.train, opts);
  const after = await evaluateInt8(session, int8);
  session.log(`int8:  ${describeMetric(after, session.test.count)} (ranges: ${opts.ranges})`);
  const output = opts.output ?? defaultOutput(modelPath, 'int8');
  writeModel(int8, output);
  process.stdout.write(`wrote ${output}\n`);
}

export async function pruneAction(modelPath: string, opts: PruneCliOptions): Promise<void> {
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  const sparsity = fraction(opts.sparsity, '--sparsity');
  const before = await evaluateFloat(session, session.graph);
  session.log(
    `before: ${describeMetric(before, session.test.count)}; ${weightCount(session.graph)} weights, sparsity ${pct(weightSparsity(session.graph))}, ${floatMacs(session.graph)} MACs`,
  );
  let pruned: Graph;
  if (opts.structured) {
    const result = pruneChannels(session.graph, sparsity);
    for (const [layer, [from, to]] of result.layers) session.log(`  ${layer}: ${from} -> ${to} channels`);
    const model = new TrainableGraph(result.graph);
    await fineTune(model, session.train, task, { ...trainOptions(opts, session.progress), label: 'fine-tuning the smaller model' });
    pruned = model.toGraph();
    model.dispose();
  } else {
    const model = new TrainableGraph(session.graph);
    pruned = await pruneUnstructured(model, session.train, task, {
      ...trainOptions(opts, session.progress),
      sparsity,
      minWeights: positiveNumber(opts.minWeights, '--min-weights', true),
    });
    model.dispose();
  }
  const after = await evaluateFloat(session, pruned);
  session.log(
    `after:  ${describeMetric(after, session.test.count)}; ${weightCount(pruned)} weights, sparsity ${pct(weightSparsity(pruned))}, ${floatMacs(pruned)} MACs`,
  );
  let result = pruned;
  if (opts.int8) {
    result = quantizeWithData(pruned, session.train, opts);
    session.log(`int8:   ${describeMetric(await evaluateInt8(session, result), session.test.count)}`);
  }
  const output = opts.output ?? defaultOutput(modelPath, opts.int8 ? 'pruned_int8' : 'pruned');
  writeModel(result, output);
  process.stdout.write(`wrote ${output}\n`);
}

export async function qatAction(modelPath: string, opts: DataCliOptions & TrainCliOptions & CalibrationCliOptions & { output?: string }): Promise<void> {
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  const float = await evaluateFloat(session, session.graph);
  session.log(`float:              ${describeMetric(float, session.test.count)}`);
  const ptq = quantizeWithData(session.graph, session.train, opts);
  session.log(`int8, PTQ:          ${describeMetric(await evaluateInt8(session, ptq), session.test.count)}`);
  const model = new TrainableGraph(session.graph);
  const int8 = await quantizationAwareTraining(model, session.train, task, {
    ...trainOptions(opts, session.progress),
    calibrationSamples: positiveNumber(opts.calibSamples, '--calib-samples', true),
    method: opts.ranges,
    percentile: Number(opts.percentile),
    perChannelDense: opts.perChannelDense,
  });
  model.dispose();
  session.log(`int8, QAT:          ${describeMetric(await evaluateInt8(session, int8), session.test.count)}`);
  const output = opts.output ?? defaultOutput(modelPath, 'qat_int8');
  writeModel(int8, output);
  process.stdout.write(`wrote ${output}\n`);
}

export async function distillAction(opts: DistillCliOptions): Promise<void> {
  const session = await openSession(opts.student!, opts.data, opts);
  const task = requireTask(session);
  const teacherGraph = await loadFloatModel(opts.teacher!);
  const alpha = Number(opts.alpha);
  if (!(alpha >= 0 && alpha <= 1)) throw new TinyforgeError(`--alpha ${opts.alpha}: expected a number in [0, 1]`);
  session.log(`teacher: ${describeMetric(await evaluateFloat(session, teacherGraph), session.test.count)}`);
  session.log(`student before: ${describeMetric(await evaluateFloat(session, session.graph), session.test.count)}`);
  const teacher = new TrainableGraph(teacherGraph);
  const student = new TrainableGraph(session.graph);
  await distill(teacher, student, session.train, task, {
    ...trainOptions(opts, session.progress),
    temperature: positiveNumber(opts.temperature, '--temperature'),
    alpha,
  });
  const trained = student.toGraph();
  teacher.dispose();
  student.dispose();
  session.log(`student after:  ${describeMetric(await evaluateFloat(session, trained), session.test.count)}`);
  const int8 = quantizeWithData(trained, session.train, opts);
  session.log(`student int8:   ${describeMetric(await evaluateInt8(session, int8), session.test.count)}`);
  const output = opts.output ?? defaultOutput(opts.student!, 'distilled_int8');
  writeModel(int8, output);
  process.stdout.write(`wrote ${output}\n`);
}

export async function lowrankAction(modelPath: string, opts: LowRankCliOptions): Promise<void> {
  if ((opts.rank === undefined) === (opts.energy === undefined)) throw new TinyforgeError('give exactly one of --rank R and --energy E');
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  session.log(
    `before: ${describeMetric(await evaluateFloat(session, session.graph), session.test.count)}; ${weightCount(session.graph)} weights, ${floatMacs(session.graph)} MACs`,
  );
  const factorized = factorizeGraph(session.graph, {
    rank: opts.rank === undefined ? undefined : positiveNumber(opts.rank, '--rank', true),
    energy: opts.energy === undefined ? undefined : Number(opts.energy),
    minWeights: positiveNumber(opts.minWeights, '--min-weights', true),
  });
  for (const l of factorized.layers) {
    session.log(`  ${l.name}: [${l.shape}] -> rank ${l.rank} (${(l.energy * 100).toFixed(1)}% of the energy), ${l.weightsBefore} -> ${l.weightsAfter} weights`);
  }
  session.log(`truncated: ${describeMetric(await evaluateFloat(session, factorized.graph), session.test.count)}`);
  const model = new TrainableGraph(factorized.graph);
  await fineTune(model, session.train, task, { ...trainOptions(opts, session.progress), label: 'fine-tuning the factorized model' });
  const tuned = model.toGraph();
  model.dispose();
  session.log(`after:  ${describeMetric(await evaluateFloat(session, tuned), session.test.count)}; ${weightCount(tuned)} weights, ${floatMacs(tuned)} MACs`);
  let result = tuned;
  if (opts.int8) {
    result = quantizeWithData(tuned, session.train, opts);
    session.log(`int8:   ${describeMetric(await evaluateInt8(session, result), session.test.count)}`);
  }
  const output = opts.output ?? defaultOutput(modelPath, opts.int8 ? 'lowrank_int8' : 'lowrank');
  writeModel(result, output);
  process.stdout.write(`wrote ${output}\n`);
}

export async function compressAction(modelPath: string, opts: CompressCliOptions): Promise<void> {
  const session = await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  const { report } = await compressModel(session.graph, session.train, session.test, task, {
    ...trainOptions(opts, session.progress),
    target: opts.target,
    board: opts.board,
    sparsity: Number(opts.sparsity) === 0 ? 0 : fraction(opts.sparsity, '--sparsity'),
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
  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatCompressReport(report)}\n`);
  if (!report.deviceMatchesHost) process.exitCode = 3;
  else if (!report.fits.ok) process.exitCode = 4;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
