// SPDX-License-Identifier: Apache-2.0
/**
 * What every compression command does around its own step: start the training backend, load the
 * float model and the data, split off held-out data, decide the task, evaluate before and after,
 * and write the result (the commands' options are in cli_options.ts).
 */
import { basename } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import type { Graph } from '../../core/ir/graph.ts';
import { type Dataset, fitToInput, inputTensor, loadDataset, splitDataset, subset } from '../../lab/data/dataset.ts';
import { calibrateRanges } from '../../compress/calibrate.ts';
import { type CalibrationCliOptions, type DataCliOptions, dataOptions, fraction, positiveNumber } from './compress_options.ts';
import { loadFloatModel } from '../../compress/model_io.ts';
import { type Progress, terminalProgress } from '../../compress/progress.ts';
import { quantizeGraph } from '../../compress/ptq.ts';
import { type Metric, type Task, floatMetric, formatMetric, int8Metric, taskFor } from '../../compress/task.ts';
import { useTrainingBackend } from '../../compress/tfjs_kernels.ts';
import { TrainableGraph } from '../../compress/trainable.ts';

export interface Session {
  graph: Graph;
  /** training / calibration part of the data */
  train: Dataset;
  /** held-out part, for the figures */
  test: Dataset;
  /** undefined when the data cannot judge the model (no labels, and not an autoencoder) */
  task: Task | undefined;
  progress: Progress;
  log(message: string): void;
}

/**
 * Loads the model and the data for a command (`data`: the path given); messages go to stderr. With
 * `labelsOptional`, data without labels is accepted (calibration only) and `task` is undefined;
 * `what` names the data in the message when none is given.
 */
export async function openSession(modelPath: string, data: string | undefined, opts: DataCliOptions, labelsOptional = false, what = 'data'): Promise<Session> {
  // before TF.js loads
  if (!data) throw new TinyforgeError(`no ${what} given (--data PATH)`);
  const progress = terminalProgress();
  const log = (m: string) => progress.log(m);
  await useTrainingBackend();
  const graph = await loadFloatModel(modelPath);
  const input = graph.tensors[graph.inputs[0]!]!;
  const load = (path: string) => fitToInput(loadDataset(path, dataOptions(opts, input.shape)), input.shape, input.name);
  const all = load(data);
  let task: Task | undefined;
  try {
    task = taskFor(graph, all);
  } catch (e) {
    if (!(labelsOptional && e instanceof TinyforgeError && !all.labels)) throw e;
  }
  let train: Dataset;
  let test: Dataset;
  if (opts.eval) {
    train = all;
    test = load(opts.eval);
    if (task) taskFor(graph, test);
  } else if (task) {
    ({ train, test } = splitDataset(all, fraction(opts.holdout, '--holdout'), Number(opts.seed)));
  } else {
    train = all;
    test = all;
  }
  log(
    `${basename(modelPath)}: ${graph.ops.length} ops, ${task ? task.kind : 'no labels: figures not measured'}` +
      `${task?.kind === 'classification' ? ` (${task.classes} classes)` : ''}; ${train.count} training/calibration` +
      `${task ? ` and ${test.count} held-out` : ''} samples`,
  );
  return { graph, train, test, task, progress, log };
}

/** The session's task; commands that train need one. */
export function requireTask(session: Session): Task {
  if (!session.task)
    throw new TinyforgeError(`${session.train.source}: the data have no labels, and the model's output is not shaped like its input: training needs labels`);
  return session.task;
}

/** The float model's figure on the held-out data. */
export async function evaluateFloat(session: Session, graph: Graph): Promise<Metric | undefined> {
  if (!session.task) return undefined;
  const model = new TrainableGraph(graph);
  try {
    return await floatMetric(model, session.test, session.task, session.progress);
  } finally {
    model.dispose();
  }
}

export async function evaluateInt8(session: Session, graph: Graph): Promise<Metric | undefined> {
  if (!session.task) return undefined;
  const { predictions: _, ...metric } = await int8Metric(graph, session.test, session.task, session.progress);
  return metric;
}

export function describeMetric(m: Metric | undefined, count: number): string {
  return m ? `${formatMetric(m)} on ${count} held-out samples` : 'not measured (no labels)';
}

/** Post-training int8 quantization of `graph` on the first samples of the training data. */
export function quantizeWithData(graph: Graph, data: Dataset, opts: CalibrationCliOptions): Graph {
  const samples = Math.min(data.count, positiveNumber(opts.calibSamples, '--calib-samples', true));
  const calibration = subset(
    data,
    Array.from({ length: samples }, (_, i) => i),
  );
  const x = inputTensor(calibration);
  try {
    const ranges = calibrateRanges(graph, [x], { method: opts.ranges, percentile: Number(opts.percentile) });
    return quantizeGraph(graph, ranges, { perChannelDense: opts.perChannelDense, name: graph.name });
  } finally {
    x.dispose();
  }
}
