// SPDX-License-Identifier: Apache-2.0
/**
 * What `tinyforge tune` does when it runs: opens the model and the data as the compression commands
 * do, runs the search (src/compress/tune.ts) with a progress bar and Ctrl-C kept for a clean stop,
 * prints the front, and with --pick compiles the chosen point as `compile` does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import type { Prefer } from '../../core/ops/op.ts';
import { findBoard } from '../../core/targets/targets.ts';
import { type Measurer, type TuneReport, farmMeasurements, tune, writeProjectFile } from '../../compress/tune.ts';
import { type Constraints, type Point, type TuneGrid, formatMHz, numberList } from '../../compress/tune_front.ts';
import { takeInterrupt } from '../../lab/lifecycle.ts';
import { makeJob } from '../../lab/farm/job.ts';
import { type CalibrationCliOptions, type DataCliOptions, type TrainCliOptions, positiveNumber } from './compress_options.ts';
import { type Session, dataParts, datasetLoader, heldOutSplit, openSession, requireTask } from './compress_session.ts';
import { readTflite } from '../../core/model/tflite/reader.ts';
import { terminalProgress } from '../../compress/progress.ts';
import { taskFor } from '../../compress/task.ts';
import { FARM_OPTIONS, runFarmJobs } from './farm.ts';
import { compileCommand } from './compile.ts';
import { applyProjectConfig } from './project_config.ts';
import { formatTuneReport, tuneHtml, tuneJson } from '../report/tune.ts';
import { jsonLine } from '../report/json_document.ts';
import { wrapLines } from '../report/layout.ts';

export interface TuneCliOptions extends DataCliOptions, TrainCliOptions, CalibrationCliOptions {
  boards: string;
  maxRam?: string;
  maxFlash?: string;
  maxMs?: string;
  minAccuracy?: string;
  channels: string;
  channelMultiple?: string;
  losses: string;
  weightBits: string;
  paletteBits: string;
  prefer: string;
  allClocks?: boolean;
  qatAbove: string;
  channelEpochs: string;
  channelLr: string;
  sensitivitySamples: string;
  deviceSamples: string;
  searchDir?: string;
  resume?: boolean;
  pick?: string;
  project?: string;
  output?: string;
  farm?: string;
  farmTls?: boolean;
  farmCa?: string;
  farmCert?: string;
  farmKey?: string;
  html?: string;
  json?: boolean;
}

/** The grid the options span. */
export function gridOf(opts: Pick<TuneCliOptions, 'channels' | 'channelMultiple' | 'losses' | 'weightBits' | 'paletteBits' | 'prefer' | 'qatAbove'>): TuneGrid {
  const prefer = opts.prefer.split(',').map((p) => p.trim());
  for (const p of prefer) if (p !== 'speed' && p !== 'size') throw new TinyforgeError(`--prefer ${opts.prefer}: expected speed, size or both`);
  const qatAbove = opts.qatAbove === 'never' ? Infinity : Number(opts.qatAbove);
  if (!(qatAbove >= 0)) throw new TinyforgeError(`--qat-above ${opts.qatAbove}: expected points >= 0, or never`);
  return {
    channels: numberList(opts.channels, '--channels', 0, 0.9),
    channelMultiple: numberList(opts.channelMultiple ?? '4', '--channel-multiple', 1, 64, true)[0] ?? 1,
    sensitivityLosses: numberList(opts.losses, '--losses', 0, 100),
    weightBits: numberList(opts.weightBits, '--weight-bits', 2, 7, true),
    paletteBits: numberList(opts.paletteBits, '--palette-bits', 2, 6, true),
    prefer: [...new Set(prefer)] as Prefer[],
    qatAbove,
  };
}

export function constraintsOf(opts: Pick<TuneCliOptions, 'maxRam' | 'maxFlash' | 'maxMs' | 'minAccuracy'>): Constraints {
  const c: Constraints = {};
  if (opts.maxRam !== undefined) c.maxRam = positiveNumber(opts.maxRam, '--max-ram', true);
  if (opts.maxFlash !== undefined) c.maxFlash = positiveNumber(opts.maxFlash, '--max-flash', true);
  if (opts.maxMs !== undefined) c.maxMs = positiveNumber(opts.maxMs, '--max-ms');
  if (opts.minAccuracy !== undefined) {
    const a = Number(opts.minAccuracy);
    if (!(a >= 0 && a <= 100)) throw new TinyforgeError(`--min-accuracy ${opts.minAccuracy}: expected a percentage in [0, 100]`);
    c.minAccuracy = a / 100;
  }
  return c;
}

export async function tuneAction(modelPath: string, opts: TuneCliOptions): Promise<void> {
  const boards = opts.boards.split(',').map((b) => b.trim());
  // boards, grid and limits are checked before any data is read or any training runs
  for (const b of boards) findBoard(b);
  const grid = gridOf(opts);
  const constraints = constraintsOf(opts);
  if (opts.project !== undefined && opts.pick === undefined) throw new TinyforgeError('--project goes with --pick');
  // absolute: the paths the report prints (models, project files, state) work from any directory
  const out = resolve(opts.searchDir ?? join('.tinyforge-cache', 'tune', basename(modelPath, extname(modelPath)) || 'model'));
  const session = int8Tflite(modelPath) ? int8Session(modelPath, opts) : await openSession(modelPath, opts.data, opts);
  const task = requireTask(session);
  let stop = false;
  const untake = takeInterrupt(() => {
    stop = true;
    session.log('stopping after the current step; the front so far is kept (Ctrl-C again ends at once)');
  });
  let report: TuneReport;
  try {
    report = await tune(session.graph, session.train, session.test, task, {
      boards,
      grid,
      clocks: opts.allClocks === true,
      constraints,
      epochs: positiveNumber(opts.epochs, '--epochs', true),
      channelEpochs: positiveNumber(opts.channelEpochs, '--channel-epochs', true),
      channelLearningRate: positiveNumber(opts.channelLr, '--channel-lr'),
      batchSize: positiveNumber(opts.batchSize, '--batch-size', true),
      learningRate: opts.lr === undefined ? undefined : positiveNumber(opts.lr, '--lr'),
      seed: Number(opts.seed),
      calibrationSamples: positiveNumber(opts.calibSamples, '--calib-samples', true),
      sensitivitySamples: positiveNumber(opts.sensitivitySamples, '--sensitivity-samples', true),
      deviceSamples: positiveNumber(opts.deviceSamples, '--device-samples', true),
      outDir: out,
      resume: opts.resume,
      modelHash: modelHash(modelPath),
      modelFile: resolve(modelPath),
      measure: opts.farm !== undefined ? farmMeasurer(opts) : undefined,
      progress: session.progress,
      stopRequested: () => stop,
    });
  } finally {
    untake();
  }
  if (opts.html !== undefined) writeFileSync(opts.html, tuneHtml(report));
  if (opts.pick !== undefined) await pick(report, opts, out);
  process.stdout.write(opts.json ? jsonLine('tune', tuneJson(report)) : `${wrapLines(formatTuneReport(report))}\n`);
  if (report.boards.some((b) => b.measured.some((p) => p.bitExact.matched !== p.bitExact.total))) process.exitCode = 3;
}

/** An int8 .tflite: tune takes it as it is, without the recipes that need float weights. */
function int8Tflite(path: string): boolean {
  if (extname(path).toLowerCase() !== '.tflite' || !existsSync(path) || statSync(path).isDirectory()) return false;
  return readTflite(path).tensors.some((t) => t.dtype === 'int8' && !t.data);
}

/** The session of an int8 model: its data, split as the compression commands split it; no float model, no training. */
function int8Session(modelPath: string, opts: TuneCliOptions): Session {
  if (!opts.data) throw new TinyforgeError('no data given (--data PATH)');
  const graph = readTflite(modelPath);
  const progress = terminalProgress();
  const load = datasetLoader(graph, opts, progress);
  const all = load(opts.data, dataParts(opts));
  const task = taskFor(graph, all);
  const { train, test, rule } = heldOutSplit(all, opts, load);
  progress.log(rule);
  progress.log(
    `${basename(modelPath)}: int8 model, ${graph.ops.length} ops, ${task.kind}; ${test.count} held-out samples (the recipes that train or prune channels need the float model)`,
  );
  return { graph, train, test, task, progress, log: (m) => progress.log(m) };
}

/** The model file's hash (a folder's files, for a TensorFlow.js model): the state's key. */
function modelHash(path: string): string {
  const h = createHash('sha256');
  if (statSync(path).isDirectory()) for (const f of readdirSync(path).sort()) h.update(readFileSync(join(path, f)));
  else {
    h.update(readFileSync(path));
    if (extname(path) === '.json')
      for (const f of readdirSync(join(path, '..'))
        .filter((x) => x.endsWith('.bin'))
        .sort())
        h.update(readFileSync(join(path, '..', f)));
  }
  return h.digest('hex');
}

/** Each candidate as a `run` job on its board's farm queue; the jobs of one step go out together. */
function farmMeasurer(opts: TuneCliOptions): Measurer {
  return async (jobs, note) => {
    note?.(`${jobs.length} build${jobs.length === 1 ? '' : 's'} queued on the farm (${[...new Set(jobs.map((j) => j.candidate.board))].join(', ')})`);
    const farmJobs = jobs.map((j) =>
      makeJob(
        'run',
        j.candidate.board,
        { name: basename(j.model), bytes: readFileSync(j.model) },
        { prefer: j.candidate.build.prefer, clock: String(j.candidate.build.clockHz) },
        FARM_OPTIONS,
        { name: 'inputs.bin', bytes: Buffer.concat(j.cases.map((c) => Buffer.concat(c))) },
      ),
    );
    const outcomes = await runFarmJobs(
      { farm: opts.farm, farmTls: opts.farmTls, farmCa: opts.farmCa, farmCert: opts.farmCert, farmKey: opts.farmKey },
      'tinyforge tune --farm',
      farmJobs,
    );
    return farmMeasurements(jobs, outcomes);
  };
}

/** --pick BOARD:N: the n-th point of the board's front compiled as `compile` does, to --output. */
async function pick(report: TuneReport, opts: TuneCliOptions, out: string): Promise<void> {
  const m = /^([^:]+):(\d+)$/.exec(opts.pick!);
  if (!m) throw new TinyforgeError(`--pick ${opts.pick}: expected BOARD:N (a board and a point's number in its front)`);
  const board = report.boards.find((b) => b.board === m[1]);
  if (!board) throw new TinyforgeError(`--pick ${opts.pick}: ${m[1]} is not one of the boards tuned (${report.boards.map((b) => b.board).join(', ')})`);
  const point = board.front[Number(m[2]) - 1];
  if (!point) throw new TinyforgeError(`--pick ${opts.pick}: the front on ${board.board} has ${board.front.length} points`);
  const dir = opts.output ?? join(out, `firmware-${board.board}-${m[2]}`);
  const args = pickArgs(point, out, dir, opts.project);
  process.stderr.write(`picked ${point.id} on ${board.board} at ${formatMHz(point.build.clockHz)}: tinyforge compile ${args.join(' ')}\n`);
  const compile = compileCommand().exitOverride();
  // --config is the program's option: the point's project file fills the command in as the program does
  const [, config] = args;
  compile.hook('preAction', (_, command) => applyProjectConfig(command, config));
  await compile.parseAsync(args.slice(2), { from: 'user' });
}

/**
 * The compile command line of a picked point: always from its project file (written into the search
 * directory `searchDir` where the point has none yet), which holds every option that priced the
 * point, its model, target, board, storage choice and clock (`run --config` and `profile --config`
 * estimate at that clock), so that the firmware is the point's and its command line says at which
 * clock it was measured. A line of flags would lose the clock: compile takes no --clock.
 */
export function pickArgs(point: Point, searchDir: string, dir: string, project?: string): string[] {
  const config = point.config ?? writeProjectFile(point, searchDir);
  return ['--config', config, '-o', dir, ...(project ? ['--project', project] : [])];
}
