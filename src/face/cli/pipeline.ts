// SPDX-License-Identifier: Apache-2.0
/**
 * `run` and `compile` on a pipeline (docs/pipeline.md): `run FRONTEND MODEL --input clip.wav`, or
 * `run MODEL --input imu.csv` for a sensor stream; `compile FRONTEND MODEL -o DIR` writes both models
 * and tf_pipeline.h/.c.
 */
import { wrapLines } from '../report/layout.ts';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import type { Graph } from '../../core/ir/graph.ts';
import { type TargetDescriptor, loadTarget, placeOnBoards, targetNameFor } from '../../core/targets/targets.ts';
import { type StreamOptions, featureQuantizationNote } from '../../core/pipeline/stream.ts';
import {
  type LoadedPipeline,
  compilePipeline,
  loadPipeline,
  loadPipelineModels,
  pipelineReference,
  preparedModel,
  runPipelineOnHost,
  staticInvokeCost,
} from '../../lab/run/pipeline.ts';
import { pipelineProjectFiles } from '../../lab/run/pipeline_project.ts';
import { type BoardPipelineRun, runPipelineOnBoard } from '../../lab/run/pipeline_device.ts';
import { claimKeepDirectory } from '../../lab/run/device-build.ts';
import { writeDirectoryAtomically, writeFileAtomically } from '../../lab/output.ts';
import { planEstimation } from '../../lab/estimate/estimates.ts';
import { type StreamCostInput, type StreamCosts, type StreamCounts, streamCosts } from '../../lab/estimate/stream.ts';
import { readLabelsFile } from '../client/client.ts';
import { type PipelineReport, formatPipelineReport, pipelineHtml, pipelineJson } from '../report/pipeline.ts';
import { isTinyforgeReport } from '../report/html.ts';
import { equalBytes } from '../../lab/data/bytes.ts';
import { jsonLine } from '../report/json_document.ts';

export const STRIDE_HELP =
  "a pipeline's stream: samples between frames (default: the front-end's own hop where its file names one, else half its window); a sensor recording (a model and a .csv): rows between runs of the model (default: the window's rows)";
export const WINDOW_STRIDE_HELP = 'a pipeline: new frames between runs of the model (default: the frames its input holds, so each window is new frames)';
export const RATE_HELP = "a pipeline: the stream's samples (sensor: rows) per second, for the costs per second (default: the WAV's sample rate)";
export const CHANNELS_HELP = 'a sensor stream: values a row (the channels); tf_pipeline.c slides the model over rows of them';
export const HTML_HELP = 'a pipeline: also write its report (stream, windows, costs) as one self-contained HTML file';
export const LABELS_HELP = "a pipeline: the model's classes, comma-separated (a,b,c) or a file with one a line";

export function positiveIntegerOption(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
      throw new TinyforgeError(`${flag}: expected a whole number of at least 1, got "${value}"`);
    return n;
  };
}

export function rateOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new TinyforgeError(`--rate: expected a positive number per second, got "${value}"`);
  return n;
}

/** `--labels a,b,c` or `--labels FILE`: a file when one exists at that path. */
export function pipelineLabels(value: string | readonly string[] | undefined, scores: number): string[] | null {
  if (value === undefined) return null;
  const labels = typeof value !== 'string' ? [...value] : existsSync(value) ? readLabelsFile(value) : value.split(',').map((l) => l.trim());
  if (labels.length !== scores) throw new TinyforgeError(`--labels: ${labels.length} labels for the model's ${scores} scores`);
  return labels;
}

export interface PipelineRunFlags {
  target?: string;
  board?: string;
  port?: string;
  input?: string;
  json?: boolean;
  clock?: number;
  battery?: number;
  stride?: number;
  windowStride?: number;
  rate?: number;
  /** comma-separated, a file of them one a line, or (the Node API) a list */
  labels?: string | readonly string[];
  html?: string;
  keep?: string;
  timeout: number;
  /** false (`--no-estimate`): no instruction trace, the measured counts alone */
  estimate?: boolean;
}

/**
 * Flags that shape one model's build: a pipeline compiles its models with the defaults (static
 * arenas, which tf_pipeline.c's init needs; names from the files; the plan unconstrained; state
 * always carried), so each is refused rather than silently dropped.
 */
export function refusePipelineFlags(flags: Record<string, unknown>): void {
  const given = Object.entries(flags).find(([, v]) => v !== undefined && v !== false);
  if (given)
    throw new TinyforgeError(
      `${given[0]} is for one model; a pipeline compiles its models with the defaults (static arenas, names from the files) and carries their state (docs/pipeline.md)`,
    );
}

/** Whether `run MODEL` (one model) is a sensor stream: its input a .csv. */
export const isSensorInput = (input: string | undefined) => input !== undefined && /\.csv$/i.test(input);
/** Whether a stream file is audio samples (a pipeline with a front-end). */
export const isAudioInput = (input: string | undefined) => input !== undefined && /\.(wav|raw|pcm)$/i.test(input);

/** `run` on a pipeline: the reference, or with --target the generated C on it; the costs. */
export async function runPipeline(frontEndPath: string | null, modelPath: string, opts: PipelineRunFlags, progress: (m: string) => void): Promise<void> {
  const { report, model } = await pipelineReport(frontEndPath, modelPath, opts, progress);
  if (opts.html !== undefined) writeFileAtomically(opts.html, pipelineHtml(report, model), isTinyforgeReport);
  process.stdout.write(opts.json ? jsonLine('run', pipelineJson(report, model)) : `${wrapLines(formatPipelineReport(report, model))}\n`);
  if (opts.html !== undefined) progress(`wrote ${opts.html}`);
  if (report.matchesReference === false) throw new TinyforgeError(`the pipeline on ${report.ranOn} differs from the reference; the report above shows where`);
}

/**
 * The run of a pipeline as a report, nothing printed or written (`--html` aside, which the caller
 * writes): what `run` prints and the Node API's `runPipeline` returns.
 */
export async function pipelineReport(
  frontEndPath: string | null,
  modelPath: string,
  opts: Omit<PipelineRunFlags, 'json' | 'html'>,
  progress: (m: string) => void,
): Promise<{ report: PipelineReport; model: Graph }> {
  if (opts.input === undefined)
    throw new TinyforgeError(frontEndPath ? 'a pipeline runs over a stream: give --input clip.wav (or .raw/.pcm int16 samples)' : 'give --input');
  if (opts.port !== undefined) throw new TinyforgeError('a pipeline runs as the reference, on the host or on an emulated board; not yet on a board on --port');
  const plan = planEstimation({ board: opts.board, clockHz: opts.clock, batteryMah: opts.battery });
  if (opts.keep !== undefined) claimKeepDirectory(opts.keep);
  const stream: StreamOptions = { stride: opts.stride, windowStride: opts.windowStride };
  const loaded = loadPipeline(frontEndPath, modelPath, opts.input, stream);
  const note = loaded.frontEnd ? featureQuantizationNote(loaded.frontEnd.graph, basename(loaded.frontEnd.path), loaded.model.graph, basename(modelPath)) : null;
  if (note) progress(note);
  const scores = loaded.model.graph.tensors[loaded.model.graph.outputs[0]!]!.shape.reduce((a, b) => a * b, 1);
  const labels = pipelineLabels(opts.labels, scores);
  // --target / --board: the generated C runs there (an MCU target on its emulated board, a real board
  // on its core's emulator); none: the reference only, the costs estimated for run's default cortex-m4
  const runsOn = opts.target !== undefined || opts.board !== undefined ? loadTarget(targetNameFor(opts.target, opts.board)) : null;
  progress('running the reference');
  const reference = pipelineReference(loaded, {
    frontEnd: loaded.frontEnd ? preparedModel(loaded.frontEnd.graph, loaded.frontEnd.path) : null,
    model: preparedModel(loaded.model.graph, loaded.model.path),
  });
  let result = reference;
  let matches: boolean | null = null;
  let ranOn = 'reference';
  let costs: StreamCosts;
  let memory: PipelineReport['memory'] = null;
  if (runsOn) {
    const compiled = compilePipeline(loaded, runsOn, runsOn.firmware === 'host' ? {} : { board: placeOnBoards(runsOn, opts.board, false).runOn });
    if (runsOn.firmware === 'host') {
      progress('building the pipeline for the host');
      result = await runPipelineOnHost(compiled, loaded, runsOn, { workDir: opts.keep, timeoutMs: opts.timeout });
      ranOn = 'host';
      costs = pipelineCosts(loaded, 'cortex-m4', opts.rate, plan);
    } else {
      const run = await runPipelineOnBoard(compiled, loaded, runsOn, {
        board: opts.board,
        workDir: opts.keep,
        timeoutMs: opts.timeout,
        progress,
        estimate: opts.estimate,
        estimateClock: plan ? { clockHz: plan.clock.clockHz, flashWaitStates: plan.clock.flashWaitStates } : undefined,
      });
      result = run.result;
      ranOn = `${runsOn.name} (${run.board})`;
      memory = { flash: run.flash, stack: run.stack };
      costs = streamCosts(loaded.shape, boardRunCounts(run, runsOn.name), streamRate(loaded, opts.rate), plan);
    }
    matches =
      result.windows.length === reference.windows.length &&
      result.windows.every((w, i) => w.outputs.every((o, k) => equalBytes(o, reference.windows[i]!.outputs[k]!))) &&
      result.features.every((f, i) => equalBytes(new Uint8Array(f.buffer, f.byteOffset, f.length), new Uint8Array(reference.features[i]!.buffer)));
  } else costs = pipelineCosts(loaded, 'cortex-m4', opts.rate, plan);
  const report: PipelineReport = {
    frontEnd: frontEndPath ? basename(frontEndPath) : null,
    model: basename(modelPath),
    input: basename(opts.input),
    ranOn,
    shape: loaded.shape,
    samples: loaded.stream.kind === 'audio' ? loaded.stream.samples.length : loaded.stream.rows.length,
    result,
    matchesReference: matches,
    costs,
    labels,
    memory,
  };
  return { report, model: loaded.model.graph };
}

/**
 * The counts of a run on an emulated board: the timing model's estimated cycles where it has them
 * (the figures per second come from them, as a single model's `run --board` takes its estimate),
 * the emulator's measured counts beside them; else the measured counts alone.
 */
export function boardRunCounts(run: BoardPipelineRun, target: string): StreamCostInput {
  const kind = run.counter.kind === 'instructions' ? 'instructions-measured' : 'cycles-emulated';
  const measured: StreamCounts = {
    perFrame: run.perFrame,
    perWindow: run.perWindow ?? 0,
    unit: run.counter.kind,
    kind,
    basis: `${run.counter.kind} measured on ${run.board} (${run.counter.source}), the mean of each invoke over the whole stream`,
  };
  if (!run.estimated) return { ...measured, target };
  return {
    perFrame: run.estimated.perFrame,
    perWindow: run.estimated.perWindow ?? 0,
    unit: 'cycles',
    kind: 'cycles-estimated',
    basis: `the timing model over ${run.board}'s instruction trace, the mean of each invoke over the whole stream: ${run.estimated.basis}`,
    target,
    measured,
  };
}

/** Static cost estimates per frame and per window for a target, at the stream's rate, on the plan's board. */
export function pipelineCosts(loaded: LoadedPipeline, targetName: string, rate: number | undefined, plan: ReturnType<typeof planEstimation>): StreamCosts {
  const target = loadTarget(targetName);
  const perFrame = loaded.frontEnd ? staticInvokeCost(preparedModel(loaded.frontEnd.graph, loaded.frontEnd.path, target.isa), target) : 0;
  const perWindow = staticInvokeCost(preparedModel(loaded.model.graph, loaded.model.path, target.isa), target);
  return streamCosts(
    loaded.shape,
    {
      perFrame,
      perWindow,
      unit: 'instructions',
      kind: 'instructions-estimated',
      target: target.name,
      basis: `instructions estimated from each layer's MACs and its kernel's instructions per MAC on ${target.name} (no emulator run; 1 cycle each)`,
    },
    streamRate(loaded, rate),
    plan,
  );
}

/** `--rate`, else the WAV's sample rate. */
function streamRate(loaded: LoadedPipeline, rate: number | undefined): StreamCosts['rate'] {
  if (rate !== undefined) return { perSecond: rate, source: '--rate' };
  if (loaded.stream.kind === 'audio' && loaded.stream.sampleRate !== null) return { perSecond: loaded.stream.sampleRate, source: "the WAV's sample rate" };
  return null;
}

export interface PipelineCompileFlags {
  output: string;
  force?: boolean;
  json?: boolean;
  project?: string;
  input?: string;
  labels?: string;
  stride?: number;
  windowStride?: number;
  channels?: number;
}

/** `compile` on a pipeline: both models' C side by side and tf_pipeline.h/.c, or a starter project. */
export function compilePipelineAction(
  frontEndPath: string | null,
  modelPath: string,
  target: TargetDescriptor,
  opts: PipelineCompileFlags,
  command: string,
): void {
  if (opts.input !== undefined && opts.project === undefined) throw new TinyforgeError("--input is the starter app's stream: it goes with --project");
  const stream: StreamOptions = { stride: opts.stride, windowStride: opts.windowStride };
  const models =
    opts.input !== undefined
      ? loadPipeline(frontEndPath, modelPath, opts.input, stream)
      : loadPipelineModels(frontEndPath, modelPath, { ...stream, channels: opts.channels });
  if (opts.channels !== undefined && models.shape.features !== opts.channels)
    throw new TinyforgeError(`--channels ${opts.channels}: ${opts.input} has ${models.shape.features} columns a row`);
  const scores = models.model.graph.tensors[models.model.graph.outputs[0]!]!.shape.reduce((a, b) => a * b, 1);
  const labels = pipelineLabels(opts.labels, scores);
  if (labels && opts.project === undefined)
    throw new TinyforgeError("--labels names the starter app's classes: give --project too (or --client for one model)");
  const note = models.frontEnd ? featureQuantizationNote(models.frontEnd.graph, basename(models.frontEnd.path), models.model.graph, basename(modelPath)) : null;
  if (note) process.stderr.write(`${note}\n`);
  const compiled = compilePipeline(models, target, { command });
  const files =
    opts.project !== undefined
      ? pipelineProjectFiles(opts.project, compiled, models, target, 'stream' in models ? (models as LoadedPipeline).stream : null, labels)
      : compiled.files;
  const outDir = writeDirectoryAtomically(opts.output, files, { force: opts.force });
  const { shape } = models;
  if (opts.json) {
    process.stdout.write(
      jsonLine('compile', {
        outDir,
        target: target.name,
        project: opts.project ?? null,
        files: files.map((f) => f.name),
        pipeline: {
          frontEnd: compiled.frontEnd?.graph.name ?? null,
          model: compiled.model.graph.name,
          stream: {
            kind: shape.kind,
            frameSamples: shape.frameSamples,
            hop: shape.hop,
            hopSource: shape.hopSource,
            features: shape.features,
            frames: shape.frames,
            windowStride: shape.windowStride,
          },
          arenaBytes: { frontEnd: compiled.frontEnd?.plan.arenaBytes ?? null, model: compiled.model.plan.arenaBytes },
        },
      }),
    );
    return;
  }
  const what =
    shape.kind === 'audio'
      ? `frames of ${shape.frameSamples} samples every ${shape.hop} (${shape.hopSource}) into ${shape.features} features; the model sees ${shape.frames} frames, runs every ${shape.windowStride}`
      : `rows of ${shape.features} values; the model sees ${shape.frames} rows, runs every ${shape.windowStride}`;
  process.stdout.write(
    `${wrapLines(`pipeline: ${what}\nwrote ${outDir}${opts.project ? `: ${opts.project} project` : ''} for ${target.name}: ${files.map((f) => f.name).join(', ')}`)}\n`,
  );
}
