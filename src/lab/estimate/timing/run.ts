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
import { Rp2040Tracer, buildTimingPlugin, pluginArgument, readPluginTrace } from './trace.ts';

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
  if (!runOn || !runOn.emulated || !runOn.emulator || !coreTiming(target.cpu)) return null;
  const board = estimateBoard(target, runOn, fitFor, caches, clock);
  const marks = findMarks(elf, target, prefix);
  if (runOn.emulator.inProcess) {
    const tracer = new Rp2040Tracer(allMarks(marks));
    return {
      session: { rp2040Tracer: tracer },
      finish: (options) => {
        const trace = tracer.trace();
        return {
          estimate: cycleEstimate(trace, marks, target, board, options),
          reference: referenceCycles(trace, marks, options.which),
          instructions: tracedInstructions(trace, marks, options.which),
        };
      },
    };
  }
  const out = join(dirname(elf), 'timing-trace.txt');
  rmSync(out, { force: true });
  const plugin = pluginArgument(buildTimingPlugin(), allMarks(marks), out);
  return {
    session: { qemuPlugin: plugin },
    finish: (options) => {
      const trace = readPluginTrace(out);
      return { estimate: cycleEstimate(trace, marks, target, board, options), reference: null, instructions: tracedInstructions(trace, marks, options.which) };
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
