// SPDX-License-Identifier: Apache-2.0
/**
 * What every compression command does around its own step: start the training backend, load the
 * float model and the data, split off held-out data, decide the task, evaluate before and after,
 * and write the result (the commands' options are in cli_options.ts).
 */
import { basename } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import type { Graph } from '../../core/ir/graph.ts';
import { type Dataset, fitToInput, inputTensor, loadDataset, selectPart, shuffledIndices, splitDataset, subset } from '../../lab/data/dataset.ts';
import { LIST_FILES, type SamplePart, requireFrontEnd } from '../../lab/data/audio_folder.ts';
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
  for (const path of [data, opts.eval]) if (path !== undefined) requireFrontEnd(path, opts.frontEnd);
  const progress = terminalProgress();
  const log = (m: string) => progress.log(m);
  await useTrainingBackend();
  const graph = await loadFloatModel(modelPath);
  const load = datasetLoader(graph, opts, progress);
  const all = load(data, dataParts(opts));
  let task: Task | undefined;
  try {
    task = taskFor(graph, all);
  } catch (e) {
    if (!(labelsOptional && e instanceof TinyforgeError && !all.labels)) throw e;
  }
  let train = all;
  let test = all;
  if (opts.eval || task) {
    let rule: string;
    ({ train, test, rule } = heldOutSplit(all, opts, load));
    if (task && opts.eval) taskFor(graph, test);
    log(rule);
  }
  log(
    `${basename(modelPath)}: ${graph.ops.length} ops, ${task ? task.kind : 'no labels: figures not measured'}` +
      `${task?.kind === 'classification' ? ` (${task.classes} classes)` : ''}; ${train.count} training/calibration` +
      `${task ? ` and ${test.count} held-out` : ''} samples`,
  );
  return { graph, train, test, task, progress, log };
}

/**
 * Reads a data set for `graph`'s input as `opts` say, stating how its samples were made (a folder of
 * WAV clips: the front-end, the window, the class order) and showing the front-end's progress.
 */
export function datasetLoader(graph: Graph, opts: DataCliOptions, progress: Progress): (path: string, parts?: SamplePart[]) => Dataset {
  const input = graph.tensors[graph.inputs[0]!]!;
  return (path, parts) => {
    const onClip = (done: number, total: number) => {
      if (done === 1) progress.start(`front-end on ${total} clips`, total);
      progress.update(done);
      if (done === total) progress.stop();
    };
    const model = { graph, label: graph.name };
    const dataset = fitToInput(loadDataset(path, { ...dataOptions(opts, input.shape), onClip, model, ...(parts ? { parts } : {}) }), input.shape, input.name);
    for (const note of dataset.notes ?? []) progress.log(note);
    return dataset;
  };
}

/**
 * The training and held-out parts, and a line stating the rule: `--eval`'s data (its --split list
 * where it has lists); else --data's own --split list, training on the clips in neither list; else a
 * seeded split of --data (by speaker where the clips' names carry one).
 */
export function heldOutSplit(
  all: Dataset,
  opts: DataCliOptions,
  load: (path: string, parts?: SamplePart[]) => Dataset,
): { train: Dataset; test: Dataset; rule: string } {
  const part = heldOutPart(opts);
  // shuffled (seeded), as a split by sample is: the first training samples (calibration's) span the classes
  const listed = all.parts ? selectPart(all, 'train') : null;
  const train = listed ? subset(listed, shuffledIndices(listed.count, Number(opts.seed)), listed.source) : all;
  const trainRule = all.parts ? `training on ${train.count} clips of ${all.source} in neither list` : `training on ${all.source}`;
  if (opts.eval) {
    const evalData = load(opts.eval, [part]);
    const test = evalData.parts ? selectPart(evalData, part) : evalData;
    return { train, test, rule: `split: ${trainRule}; held out: ${evalData.parts ? `${LIST_FILES[part]} of ${opts.eval} (--split)` : opts.eval} (--eval)` };
  }
  if (all.parts) {
    const test = selectPart(all, part);
    return { train, test, rule: `split: ${all.source}'s own lists: ${trainRule}; held out: its ${LIST_FILES[part]} (--split ${part}; --holdout not used)` };
  }
  const split = splitDataset(all, fraction(opts.holdout, '--holdout'), Number(opts.seed));
  return { ...split, rule: `split: ${split.rule}` };
}

/** The list the held-out figures come from (--split). */
export function heldOutPart(opts: DataCliOptions): 'validation' | 'test' {
  return opts.split === 'test' ? 'test' : 'validation';
}

/** The parts of --data's own lists a command reads: training, and the held-out list unless --eval gives the held-out data. */
export function dataParts(opts: DataCliOptions): SamplePart[] {
  return opts.eval ? ['train'] : ['train', heldOutPart(opts)];
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
    const ranges = calibrateRanges(graph, [x], { method: opts.ranges, percentile: Number(opts.percentile), inputQuant: data.inputQuant });
    return quantizeGraph(graph, ranges, { perChannelDense: opts.perChannelDense, name: graph.name });
  } finally {
    x.dispose();
  }
}
