// SPDX-License-Identifier: Apache-2.0
/**
 * The cycle estimate used while no per-core timing model produces one (the report's `cycleEstimate`
 * is absent or null): the exact counts taken as cycles, with a basis that says so. One function, to be
 * replaced when the timing model lands.
 */
import type { CycleEstimate } from './types.ts';
import type { ResolvedClock } from './clock.ts';

/** What the exact counter measured, and on what. */
export interface ExactCounts {
  /** the counter's kind as the report gives it */
  kind: 'instructions' | 'cycles';
  /** what produced it (`SysTick x 40 under QEMU -icount shift=0`) */
  source: string;
  /** counted on an emulator (true) or on the silicon through a port (false) */
  emulated: boolean;
  /** the core the target names (`cortex-m4`, `cortex-m0plus`, `rv32imc`) */
  core: string;
  perInference: number;
  /** per layer, net of the profiling hooks; null outside `profile` */
  perLayer: number[] | null;
}

/**
 * Cycles from the exact counts, labelled for what they are: QEMU's instructions as 1 cycle each (a
 * lower bound: loads, multiplies, taken branches and flash wait states cost more), an emulator's own
 * cycle model as it stands, cycles measured on the silicon as they are.
 */
export function provisionalCycleEstimate(exact: ExactCounts, clock: ResolvedClock): CycleEstimate {
  const basis =
    exact.kind === 'instructions'
      ? `1 cycle per instruction: no timing model for ${exact.core} yet, so these are the emulator's instruction counts (${exact.source}), a lower bound (loads, multiplies, taken branches and flash wait states cost more cycles)`
      : exact.emulated
        ? `the emulator's own cycle count (${exact.source}); no further timing model applied (its memory timing, not ${clock.board}'s flash wait states)`
        : `cycles measured on the board (${exact.source})`;
  return {
    core: exact.core,
    board: clock.board,
    clockHz: clock.clockHz,
    flashWaitStates: clock.flashWaitStates ?? 0,
    perInference: exact.perInference,
    perLayer: exact.perLayer,
    basis,
  };
}
