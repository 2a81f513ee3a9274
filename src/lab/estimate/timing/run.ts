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
import { coreTiming } from './cores.ts';
import { type EstimateClock, allMarks, cycleEstimate, estimateBoard, findMarks, referenceCycles, tracedInstructions } from './index.ts';
import { Rp2040Tracer, type Trace, buildTimingPlugin, pluginArgument, readPluginTrace } from './trace.ts';

export interface TimingRun {
  /** what the session options take */
  session: NonNullable<SessionOptions['timing']>;
  /** after the session closed: the estimate, and the emulator's own cycles where it has them (rp2040js) */
  finish(options: { layerCount: number | null; layerPositions: number[] | null; which: 'first' | 'mean' }): {
    estimate: CycleEstimate | null;
    reference: number | null;
    /** instructions the trace saw in the same window */
    instructions: number | null;
  };
}

/** The trace of one emulated session: what the session takes, and the trace once it has closed. */
interface TraceSession {
  session: NonNullable<SessionOptions['timing']>;
  trace(): Trace;
}

/** Traces `elf` on `runOn` cut at `marks`: a tracer inside rp2040js, else the QEMU plugin. */
function traceSession(runOn: BoardDescriptor, elf: string, marks: number[]): TraceSession {
  if (runOn.emulator!.inProcess) {
    const tracer = new Rp2040Tracer(marks);
    return { session: { rp2040Tracer: tracer }, trace: () => tracer.trace() };
  }
  const out = join(dirname(elf), 'timing-trace.txt');
  rmSync(out, { force: true });
  return { session: { qemuPlugin: pluginArgument(buildTimingPlugin(), marks, out) }, trace: () => readPluginTrace(out) };
}

/** Whether the target's core has a timing model and `runOn` is an emulated board to trace it on. */
const traceable = (target: TargetDescriptor, runOn: BoardDescriptor | undefined): runOn is BoardDescriptor =>
  !!runOn && runOn.emulated && !!runOn.emulator && !!coreTiming(target.cpu);

/**
 * Prepares the trace for a run of `elf` on the emulated board `runOn`; null where the target's core
 * has no timing model or the board is not emulated. `fitFor` is the real board named, if any.
 */
export function prepareTiming(
  target: TargetDescriptor,
  runOn: BoardDescriptor | undefined,
  fitFor: BoardDescriptor | undefined,
  elf: string,
  prefix: string,
  caches: 'on' | 'off' = 'on',
  clock?: EstimateClock,
): TimingRun | null {
  if (!traceable(target, runOn)) return null;
  const board = estimateBoard(target, runOn, fitFor, caches, clock);
  const marks = findMarks(elf, target, prefix);
  const traced = traceSession(runOn, elf, allMarks(marks));
  return {
    session: traced.session,
    finish: (options) => {
      const trace = traced.trace();
      return {
        estimate: cycleEstimate(trace, marks, target, board, options),
        reference: referenceCycles(trace, marks, options.which),
        instructions: tracedInstructions(trace, marks, options.which),
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
  target: TargetDescriptor,
  runOn: BoardDescriptor | undefined,
  fitFor: BoardDescriptor | undefined,
  elf: string,
  prefixes: string[],
  caches: 'on' | 'off' = 'on',
  clock?: EstimateClock,
): { session: NonNullable<SessionOptions['timing']>; finish(): StageTiming[] } | null {
  if (!traceable(target, runOn)) return null;
  const board = estimateBoard(target, runOn, fitFor, caches, clock);
  // a stage's segments open at its own invoke mark and close at its own return: the others' marks only cut between them
  const stages = prefixes.map((prefix) => findMarks(elf, target, prefix));
  const traced = traceSession(runOn, elf, [...new Set(stages.flatMap(allMarks))]);
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

/** prepareTiming, or null with a progress note where the trace cannot be set up (no host C compiler, no symbols). */
export function timingFor(
  target: TargetDescriptor,
  runOn: BoardDescriptor | undefined,
  fitFor: BoardDescriptor | undefined,
  elf: string,
  prefix: string,
  progress: (message: string) => void,
  caches: 'on' | 'off' = 'on',
  clock?: EstimateClock,
): TimingRun | null {
  try {
    return prepareTiming(target, runOn, fitFor, elf, prefix, caches, clock);
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
    progress(`no estimated cycles: ${e.message}`);
    return null;
  }
}

/** prepareStageTiming, or null with a progress note where the trace cannot be set up. */
export function stageTimingFor(
  target: TargetDescriptor,
  runOn: BoardDescriptor | undefined,
  fitFor: BoardDescriptor | undefined,
  elf: string,
  prefixes: string[],
  progress: (message: string) => void,
  caches: 'on' | 'off' = 'on',
  clock?: EstimateClock,
): ReturnType<typeof prepareStageTiming> {
  try {
    return prepareStageTiming(target, runOn, fitFor, elf, prefixes, caches, clock);
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
    progress(`no estimated cycles: ${e.message}`);
    return null;
  }
}
