// SPDX-License-Identifier: Apache-2.0
/**
 * What `run` and `profile` estimate for a real board from a CycleEstimate: the `estimates` of `--json`
 * (whole inference, and per layer in `profile`), the `estimatedFor` context, and the exact counter's
 * `counter.exact` label, so that no one mistakes an estimate for a measurement.
 */
import { TinyforgeError } from '../../core/errors.ts';
import { type BoardDescriptor, type TargetDescriptor, placeOnBoards, resolveTargetAndBoard } from '../../core/targets/targets.ts';
import type { CycleEstimate } from './types.ts';
import { type AppliedRunCurrent, type ResolvedClock, formatHz, resolveClock } from './clock.ts';
import { cyclesToMs, energyMicrojoules, inferencesPerBattery } from './energy.ts';
import { type ExactCounts, provisionalCycleEstimate } from './provisional.ts';

export type EstimateKind = 'cycles-estimated' | 'ms-estimated' | 'uJ-estimated' | 'battery-inferences-estimated';

/** One estimated figure: never a measurement, always with what it was computed on. */
export interface Estimate {
  kind: EstimateKind;
  value: number;
  unit: 'cycles' | 'ms' | 'uJ' | 'inferences';
  basis: string;
}

/** What the exact counter is: QEMU's instructions, an emulator's cycle model, or the silicon's cycles. */
export type ExactCounterKind = 'instructions' | 'cycles-emulated' | 'cycles-measured';

export function exactCounterKind(kind: 'instructions' | 'cycles', emulated: boolean): ExactCounterKind {
  return kind === 'instructions' ? 'instructions' : emulated ? 'cycles-emulated' : 'cycles-measured';
}

/** `estimatedFor` of `--json`: the board, clock and current the estimates were made for. */
export interface EstimatedFor {
  board: string;
  chip: string;
  clockHz: number;
  /** `--clock` chose the clock (false: the board descriptor's) */
  clockRequested: boolean;
  /** the clock option (power range) the clock runs in; null where the board lists none */
  powerRange: string | null;
  flashWaitStates: number | null;
  /** the wait states' source, or why they are unknown */
  flashWaitStatesBasis: string;
  runCurrent: AppliedRunCurrent | { unknown: string };
  /** `--battery` in mAh; null without it */
  batteryMah: number | null;
  /** estimates that could not be made, and why */
  unavailable: { kind: EstimateKind; why: string }[];
}

/** The real board an estimate is for, its clock, and the battery; decided before anything is built. */
export interface EstimationPlan {
  clock: ResolvedClock;
  batteryMah: number | null;
}

/**
 * The board the estimates are for: `--board` when it names a real board (an emulator runs its core
 * without `--port`), else on `--port` the real board the run reaches. No real board: no estimates,
 * and `--clock` or `--battery` are refused (one line) since there is nothing to apply them to.
 */
export function planEstimation(options: { target?: string; board?: string; port?: string; clockHz?: number; batteryMah?: number }): EstimationPlan | null {
  const { target, board } = resolveTargetAndBoard(options.target, options.board);
  let real: BoardDescriptor | undefined = board?.hardware ? board : undefined;
  if (!real && options.port !== undefined && options.board === undefined) {
    const runOn = placeOnBoards(target, undefined, true).runOn;
    if (runOn?.hardware) real = runOn;
  }
  if (!real) {
    const flag = options.clockHz !== undefined ? '--clock' : options.batteryMah !== undefined ? '--battery' : null;
    if (flag) {
      const reals = target.boards.filter((b) => b.hardware).map((b) => b.name);
      throw new TinyforgeError(
        `${flag} applies to an estimate for a real board: give --board with one (${reals.length ? `${target.name}: ${reals.join(', ')}` : `${target.name} has none; see \`tinyforge boards\``})`,
      );
    }
    return null;
  }
  return { clock: resolveClock(real, options.clockHz), batteryMah: options.batteryMah ?? null };
}

const isUnknown = (x: object): x is { unknown: string } => 'unknown' in x;
const round = (v: number, digits: number) => Number(v.toPrecision(digits));

/** The whole-inference and per-layer estimates of one CycleEstimate at the plan's clock. */
export function buildEstimates(
  cycles: CycleEstimate,
  plan: EstimationPlan,
): { estimates: Estimate[]; perLayer: Estimate[][] | null; estimatedFor: EstimatedFor } {
  const { clock, batteryMah } = plan;
  const current = clock.runCurrent;
  const unavailable: EstimatedFor['unavailable'] = [];
  const clockNote =
    `${formatHz(clock.clockHz)} (${clock.requested ? '--clock' : `${clock.board}'s descriptor clock`}` +
    `${clock.option ? `, ${clock.option.name}` : ''}${clock.flashWaitStates !== null ? `, ${clock.flashWaitStates} flash wait states` : ''})` +
    (cycles.clockHz !== clock.clockHz ? `; the cycles were estimated for ${formatHz(cycles.clockHz)}'s wait states` : '');
  let energyBasis: string | null = null;
  let perMHz: number | null = null;
  if (isUnknown(current)) {
    unavailable.push({ kind: 'uJ-estimated', why: `run-mode current of ${clock.board} unknown: ${current.unknown}` });
  } else {
    perMHz = current.microampsPerMHz;
    const derived = current.derivation ? `; ${current.derivation}` : '';
    const at = current.at ? ` (tabulated at ${formatHz(current.at.hz)}, ${current.at.range})` : '';
    energyBasis = `${current.microampsPerMHz} uA/MHz${at}${current.volts !== null ? ` at ${current.volts} V` : ''}: ${current.conditions} (${current.source}${derived}); the core alone running the inference: no sleep, peripherals or regulator losses`;
    if (current.volts === null) unavailable.push({ kind: 'uJ-estimated', why: `the supply voltage of ${clock.board}'s run current is not in its source` });
  }
  if (batteryMah !== null && perMHz === null) unavailable.push({ kind: 'battery-inferences-estimated', why: `run-mode current of ${clock.board} unknown` });

  const figures = (count: number, what: string): Estimate[] => {
    const out: Estimate[] = [
      { kind: 'cycles-estimated', value: Math.round(count), unit: 'cycles', basis: cycles.basis },
      { kind: 'ms-estimated', value: round(cyclesToMs(count, clock.clockHz), 6), unit: 'ms', basis: `estimated cycles of ${what} at ${clockNote}` },
    ];
    if (energyBasis !== null && perMHz !== null && !isUnknown(current) && current.volts !== null)
      out.push({
        kind: 'uJ-estimated',
        value: round(energyMicrojoules(count, perMHz, current.volts), 6),
        unit: 'uJ',
        basis: `estimated cycles of ${what} x ${energyBasis}`,
      });
    return out;
  };
  const estimates = figures(cycles.perInference, 'the inference');
  if (batteryMah !== null && perMHz !== null && energyBasis !== null)
    estimates.push({
      kind: 'battery-inferences-estimated',
      value: Math.floor(inferencesPerBattery(cycles.perInference, perMHz, batteryMah)),
      unit: 'inferences',
      basis: `a ${batteryMah} mAh battery (--battery) drained by the inference's charge only, ${energyBasis}`,
    });
  const perLayer = cycles.perLayer ? cycles.perLayer.map((count, i) => figures(count, `layer ${i}`)) : null;
  return {
    estimates,
    perLayer,
    estimatedFor: {
      board: clock.board,
      chip: clock.chip,
      clockHz: clock.clockHz,
      clockRequested: clock.requested,
      powerRange: clock.option?.name ?? null,
      flashWaitStates: clock.flashWaitStates,
      flashWaitStatesBasis: clock.waitStatesBasis,
      runCurrent: current,
      batteryMah,
      unavailable,
    },
  };
}

/** What `run`/`profile` add to their report: the exact counter's label and the estimates. */
export interface Estimation {
  exact: ExactCounterKind | null;
  estimates: Estimate[];
  perLayer: Estimate[][] | null;
  estimatedFor: EstimatedFor | null;
}

/**
 * The estimates of a finished run: from the report's `cycleEstimate` (the timing model's) when it has
 * one, else from the provisional estimate of the exact counts.
 */
export function estimateRun(plan: EstimationPlan | null, exact: ExactCounts | null, cycleEstimate: CycleEstimate | null | undefined): Estimation {
  const label = exact ? exactCounterKind(exact.kind, exact.emulated) : null;
  if (!plan || !exact) {
    // no real board: the timing model's cycles alone (for the emulated board, its basis says so)
    if (!cycleEstimate) return { exact: label, estimates: [], perLayer: null, estimatedFor: null };
    const cyclesOnly = (count: number): Estimate[] => [{ kind: 'cycles-estimated', value: Math.round(count), unit: 'cycles', basis: cycleEstimate.basis }];
    return { exact: label, estimates: cyclesOnly(cycleEstimate.perInference), perLayer: cycleEstimate.perLayer?.map(cyclesOnly) ?? null, estimatedFor: null };
  }
  const cycles = cycleEstimate ?? provisionalCycleEstimate(exact, plan.clock);
  return { exact: label, ...buildEstimates(cycles, plan) };
}

/** How an estimate reads in a terminal: `0.412 ms`, `12.3 uJ`, `1,234,567 inferences`. */
export function formatEstimate(e: Estimate): string {
  if (e.unit === 'cycles' || e.unit === 'inferences') return `${Math.round(e.value).toLocaleString('en-US')} ${e.unit}`;
  return `${Number(e.value.toPrecision(4)).toLocaleString('en-US', { maximumSignificantDigits: 4 })} ${e.unit}`;
}

/** The core a target's timing is for, as CycleEstimate names it (`cortex-m4`, `cortex-m0plus`, `rv32imc`). */
export function coreOf(target: TargetDescriptor): string {
  return target.isa.rv32 ? 'rv32imc' : target.cpu;
}

/** The timing model's estimate on a run or profile report, where the report carries one. */
export function cycleEstimateOf(report: object): CycleEstimate | null {
  return (report as { cycleEstimate?: CycleEstimate | null }).cycleEstimate ?? null;
}
