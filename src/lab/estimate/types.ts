// SPDX-License-Identifier: Apache-2.0
/**
 * The contract between the per-core timing model (src/lab/estimate/timing/) and what is made of its
 * figures (milliseconds, microjoules, inferences per battery, `--json` "estimates", the HTML report).
 * An estimate is never a measurement: every figure carries the basis it was computed on.
 */

/** Estimated core clock cycles for one inference, from the emulator's exact instruction stream. */
export interface CycleEstimate {
  /** the core whose published timing was applied: 'cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'rv32imc' */
  core: string;
  /** the board the memory timing (flash wait states, accelerator) was taken from; its descriptor name */
  board: string;
  /** the core clock the wait states were chosen for (Hz) */
  clockHz: number;
  /** flash wait states applied at that clock (0 where the code runs from zero-wait memory) */
  flashWaitStates: number;
  /** estimated cycles of the whole inference (the same window as the exact `perInference`) */
  perInference: number;
  /** estimated cycles per layer (index = op index, net of the profiling hooks); null outside `profile` */
  perLayer: number[] | null;
  /** one line saying what was applied: the timing tables' source and the memory assumptions */
  basis: string;
}
