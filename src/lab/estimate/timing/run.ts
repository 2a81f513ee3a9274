// SPDX-License-Identifier: Apache-2.0
/**
 * The timing model around one emulated run: what the session must trace (the QEMU plugin, or a
 * tracer inside rp2040js), and the CycleEstimate made of the trace once the session has closed.
 */
import { rmSync } from 'node:fs';
import { TinyforgeError } from '../../../core/errors.ts';
import { dirname, join } from 'node:path';
import type { BoardDescriptor, TargetDescriptor } from '../../../core/targets/targets.ts';
import type { SessionOptions } from '../../device/session.ts';
import type { CycleEstimate } from '../types.ts';
import { findEmulator } from '../../toolchain/compilers.ts';
import { coreTiming } from './cores.ts';
import {
  type EstimateBoard,
  type EstimateClock,
  type TraceMarks,
  type TracedCounts,
  allMarks,
  cycleEstimate,
  estimateBoard,
  findMarks,
  referenceCycles,
  tracedCounts,
  tracedInstructions,
} from './index.ts';
import { CacheReplayer } from './caches.ts';
import { fastArenaFits } from '../../toolchain/firmware.ts';
import {
  type ArtReplay,
  type CacheReplay,
  Rp2040Tracer,
  type Trace,
  buildTimingPlugin,
  checkPluginLoads,
  pluginApiOf,
  pluginArgument,
  readPluginTrace,
} from './trace.ts';

export interface TimingRun {
  /** what the session options take */
  session: NonNullable<SessionOptions['timing']>;
  /** after the session closed: the estimate, and the emulator's own cycles where it has them (rp2040js) */
  finish(options: { layerCount: number | null; layerPositions: number[] | null; which: 'first' | 'mean' }): {
    estimate: CycleEstimate | null;
    reference: number | null;
    /** instructions the trace saw in the same window */
    instructions: number | null;
    /** every inference's instructions and its layers' (boards that count with the plugin: their counts) */
    counts: TracedCounts;
  };
}

/** The trace of one emulated session: what the session takes, and the trace once it has closed. */
interface TraceSession {
  session: NonNullable<SessionOptions['timing']>;
  trace(): Trace;
}

/** What the trace replays: the ART, or a board's caches. */
interface Replay {
  art?: ArtReplay;
  caches?: CacheReplay;
}

/** Traces `elf` on `runOn` cut at `marks`: a tracer inside rp2040js, else the QEMU plugin. */
function traceSession(runOn: BoardDescriptor, elf: string, marks: number[], replay: Replay): TraceSession {
  if (runOn.emulator!.inProcess) {
    const caches = replay.caches ? new CacheReplayer(replay.caches.caches, replay.caches.regions) : null;
    const tracer = new Rp2040Tracer(marks, caches);
    return { session: { rp2040Tracer: tracer }, trace: () => tracer.trace() };
  }
  const out = join(dirname(elf), 'timing-trace.txt');
  rmSync(out, { force: true });
  const qemu = findEmulator(runOn.emulator!);
  const plugin = buildTimingPlugin(pluginApiOf(qemu));
  // boards that count with the plugin must know before the run whether their QEMU loads it (else the firmware's counter counts)
  if (runOn.counter?.plugin) checkPluginLoads(qemu, runOn.emulator!.args, plugin);
  return { session: { qemuPlugin: pluginArgument(plugin, marks, out, replay.art, replay.caches) }, trace: () => readPluginTrace(out) };
}

/**
 * The ART replay the trace needs when the estimate is for a board with an ART accelerator: its
 * fetches and flash reads are those of the emulated board's code memory, where the firmware keeps
 * code and constants as the real board keeps them in flash.
 */
function replayFor(
  target: TargetDescriptor,
  runOn: BoardDescriptor,
  fitFor: BoardDescriptor | undefined,
  board: EstimateBoard,
  estimate: boolean,
  marks: TraceMarks[],
): Replay {
  if (!estimate || !target.memory) return {};
  if (board.art && !runOn.emulator!.inProcess) return { art: { geometry: board.art, flash: target.memory.flash } };
  if (!board.caches) return {};
  // the emulated code memory stands for the board's flash; where the board caches its RAM, the
  // emulated data memory above the stack stands for it (the stack sits in uncached memory: the H7A3's
  // DTCM), less the arenas where the board's build puts them in that uncached RAM too
  const regions = [target.memory.flash];
  const ram = target.memory.ram;
  const stackTop = marks[0]?.stackTop ?? null;
  if (board.caches.ramLineFill && stackTop !== null && stackTop >= ram.origin && stackTop < ram.origin + ram.bytes) {
    const arenas = marks[0]!.arenas;
    const fast = fastArenaFits(
      fitFor,
      arenas.reduce((n, a) => n + a.bytes, 0),
    )
      ? arenas
      : [];
    regions.push(...rangesWithout({ origin: stackTop, bytes: ram.origin + ram.bytes - stackTop }, fast));
  }
  return { caches: { caches: board.caches, regions } };
}

/** `whole` less the ranges `holes`, in address order. */
export function rangesWithout(whole: { origin: number; bytes: number }, holes: { origin: number; bytes: number }[]): { origin: number; bytes: number }[] {
  const out: { origin: number; bytes: number }[] = [];
  let at = whole.origin;
  const end = whole.origin + whole.bytes;
  for (const h of [...holes].sort((a, b) => a.origin - b.origin)) {
    if (h.origin > at) out.push({ origin: at, bytes: Math.min(h.origin, end) - at });
    at = Math.max(at, h.origin + h.bytes);
  }
  if (at < end) out.push({ origin: at, bytes: end - at });
  return out.filter((r) => r.bytes > 0);
}

/** Whether the emulated board counts its instructions with the QEMU plugin (a trace is needed whether or not cycles are estimated). */
export const countsWithPlugin = (runOn: BoardDescriptor | undefined): boolean => !!runOn?.emulated && !!runOn.emulator && !!runOn.counter?.plugin;

/** Whether `runOn` is an emulated board to trace on, and the trace serves: the core has a timing model, or the board counts with it. */
const traceable = (target: TargetDescriptor, runOn: BoardDescriptor | undefined): runOn is BoardDescriptor =>
  !!runOn && runOn.emulated && !!runOn.emulator && (!!coreTiming(target.cpu) || countsWithPlugin(runOn));

/**
 * What a trace is of: `elf` built for `target` and run on the emulated board `runOn`, priced for
 * `fitFor` (the real board named, if any; else `runOn`) with its caches replayed or not and at its
 * clock or `clock`.
 */
export interface TraceRequest {
  target: TargetDescriptor;
  runOn: BoardDescriptor | undefined;
  fitFor: BoardDescriptor | undefined;
  elf: string;
  caches?: 'on' | 'off';
  clock?: EstimateClock;
}

/**
 * Prepares the trace of one model's run (its invoke function `prefix`); null where the target's core
 * has no timing model or the board is not emulated. `estimate` false: the trace only for a board that
 * counts with the plugin, and no cycles priced.
 */
export function prepareTiming(request: TraceRequest & { prefix: string; estimate?: boolean }): TimingRun | null {
  const { target, runOn, fitFor, elf, prefix, caches = 'on', clock, estimate = true } = request;
  if (!estimate && !countsWithPlugin(runOn)) return null;
  if (!traceable(target, runOn)) return null;
  const board = estimateBoard(target, runOn, fitFor, caches, clock);
  const marks = findMarks(elf, target, prefix);
  const traced = traceSession(runOn, elf, allMarks(marks), replayFor(target, runOn, fitFor, board, estimate, [marks]));
  return {
    session: traced.session,
    finish: (options) => {
      const trace = traced.trace();
      return {
        estimate: estimate ? cycleEstimate(trace, marks, target, board, options) : null,
        reference: referenceCycles(trace, marks, options.which),
        instructions: tracedInstructions(trace, marks, options.which),
        counts: tracedCounts(trace, marks),
      };
    },
  };
}

/** One stage of a run with several invoke functions (a pipeline's front-end, its model): the mean of its invokes. */
export interface StageTiming {
  estimate: CycleEstimate | null;
  /** the emulator's own cycles (rp2040js), else null */
  reference: number | null;
  /** instructions the trace saw, per invoke */
  instructions: number | null;
}

/**
 * Prepares one trace of a run that calls several models' invoke functions (`prefixes`), each priced
 * on its own as a single model's run is: the mean cycles of one invoke of each, in the same order.
 */
export function prepareStageTiming(
  request: TraceRequest & { prefixes: string[] },
): { session: NonNullable<SessionOptions['timing']>; finish(): StageTiming[] } | null {
  const { target, runOn, fitFor, elf, prefixes, caches = 'on', clock } = request;
  if (!traceable(target, runOn)) return null;
  const board = estimateBoard(target, runOn, fitFor, caches, clock);
  // a stage's segments open at its own invoke mark and close at its own return: the others' marks only cut between them
  const stages = prefixes.map((prefix) => findMarks(elf, target, prefix));
  const traced = traceSession(runOn, elf, [...new Set(stages.flatMap(allMarks))], replayFor(target, runOn, fitFor, board, true, stages));
  return {
    session: traced.session,
    finish: () => {
      const trace = traced.trace();
      return stages.map((marks) => ({
        estimate: cycleEstimate(trace, marks, target, board, { layerCount: null, layerPositions: null, which: 'mean' }),
        reference: referenceCycles(trace, marks, 'mean'),
        instructions: tracedInstructions(trace, marks, 'mean'),
      }));
    },
  };
}

/** A run's or a profile's estimate options as a TraceRequest's: the caches replayed, the clock, whether cycles are priced. */
export const estimateRequest = (options: { estimate?: boolean; estimateCaches?: 'on' | 'off'; estimateClock?: EstimateClock }) => ({
  caches: options.estimateCaches,
  clock: options.estimateClock,
  estimate: options.estimate !== false,
});

/**
 * prepareTiming, or null with a progress note where the trace cannot be set up (no host C compiler,
 * no symbols, a QEMU that does not load plugins).
 */
export function timingFor(request: Parameters<typeof prepareTiming>[0], progress: (message: string) => void): TimingRun | null {
  try {
    return prepareTiming(request);
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
    const { runOn } = request;
    const fallback = countsWithPlugin(runOn) ? `; counted by the firmware's counter instead (${runOn!.counter!.source})` : '';
    progress(`${request.estimate !== false ? 'no estimated cycles' : 'no instruction trace'}: ${e.message}${fallback}`);
    return null;
  }
}

/**
 * A run's counter as reported: on a board that counts with the plugin, the plugin when its counts
 * (one per inference run) are there, else the firmware's counter labelled as the fallback.
 */
export function reportedCounter(
  runOn: BoardDescriptor | undefined,
  counter: { kind: 'instructions' | 'cycles'; source: string },
  counts: TracedCounts | null,
  inferences: number,
): { kind: 'instructions' | 'cycles'; source: string; plugin: boolean } {
  if (!countsWithPlugin(runOn)) return { ...counter, plugin: false };
  if (counts && counts.inferences.length === inferences) return { kind: 'instructions', source: runOn!.counter!.plugin!, plugin: true };
  return { ...counter, source: `fallback, the counting plugin not loaded: ${counter.source}`, plugin: false };
}

/** prepareStageTiming, or null with a progress note where the trace cannot be set up. */
export function stageTimingFor(request: Parameters<typeof prepareStageTiming>[0], progress: (message: string) => void): ReturnType<typeof prepareStageTiming> {
  try {
    return prepareStageTiming(request);
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
    progress(`no estimated cycles: ${e.message}`);
    return null;
  }
}
