// SPDX-License-Identifier: Apache-2.0
/**
 * The clock an estimate is made for: a real board's descriptor clock, or the one `--clock` names,
 * checked against the board's clock options, with the power range that allows it and the flash wait
 * states the descriptor's steps give at that clock.
 */
import { TinyforgeError } from '../../core/errors.ts';
import type { BoardDescriptor, BoardHardware, ClockOption, RunCurrent, RunCurrentPoint, UnknownFact } from '../../core/targets/targets.ts';

export const CLOCK_HELP =
  "with a real --board: the core clock its estimates are made for, in Hz or with a unit (80MHz); one the board's clock options allow, its flash wait states recomputed (default: the board's clock)";
export const BATTERY_HELP =
  "with a real --board: a battery's capacity (220mAh, 2.2Ah); prints how many inferences it runs (estimated from the board's run-mode current)";

/** `--clock`: a frequency in Hz (`80000000`) or with a unit (`80MHz`, `80 MHz`, `32.768kHz`, `1GHz`). */
export function clockOption(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(hz|khz|mhz|ghz)?\s*$/i.exec(value);
  const scale = { hz: 1, khz: 1e3, mhz: 1e6, ghz: 1e9 }[(m?.[2] ?? 'hz').toLowerCase() as 'hz'] ?? 1;
  const hz = m ? Math.round(Number(m[1]) * scale) : NaN;
  if (!Number.isSafeInteger(hz) || hz <= 0) throw new TinyforgeError(`--clock must be a frequency in Hz or with a unit (80000000, 80MHz), got '${value}'`);
  return hz;
}

/** `80 MHz`, `32.768 kHz`, `64 MHz`: a clock as people read it. */
export function formatHz(hz: number): string {
  if (hz >= 1e6) return `${+(hz / 1e6).toFixed(3)} MHz`;
  if (hz >= 1e3) return `${+(hz / 1e3).toFixed(3)} kHz`;
  return `${hz} Hz`;
}

/** What the estimate for a real board runs at. */
export interface ResolvedClock {
  /** the real board's descriptor name */
  board: string;
  chip: string;
  clockHz: number;
  /** `--clock` named it; false: the descriptor's clock */
  requested: boolean;
  /** the clock option (power range) chosen: the one with the lowest maximum that allows the clock */
  option: ClockOption | null;
  /** the wait-state range of that option */
  range: string | null;
  /** flash wait states at that clock in that range; null where the descriptor has none (unknown, or not wait states) */
  flashWaitStates: number | null;
  /** why `flashWaitStates` is null, or the source of the figure */
  waitStatesBasis: string;
  /** the run current that applies at that clock and range, or why there is none */
  runCurrent: AppliedRunCurrent | UnknownFact;
}

/** The run-mode current an energy estimate uses, and where it came from. */
export interface AppliedRunCurrent {
  microampsPerMHz: number;
  volts: number | null;
  /** the conditions of the figure: the tabulated row's own, else the board's headline figure's */
  conditions: string;
  /** "DS12023 (STM32L4R5xx datasheet), Supply current characteristics" */
  source: string;
  /** the point used, where the source tabulates per clock: its range and clock */
  at: { range: string; hz: number } | null;
  given: string | null;
  derivation: string | null;
}

const isUnknown = (x: object): x is UnknownFact => 'unknown' in x;

/**
 * The clock an estimate for `board` is made at: `requestedHz` (`--clock`) or the descriptor's clock;
 * refused, in one line naming the options, when the board cannot run at it.
 */
export function resolveClock(board: BoardDescriptor, requestedHz?: number): ResolvedClock {
  const hw = board.hardware;
  if (!hw) throw new TinyforgeError(`${board.name} is an emulated board: estimates are made for a real board (--board, see \`tinyforge boards\`)`);
  const clockHz = requestedHz ?? board.clockHz;
  const option = optionFor(board.name, hw, clockHz);
  const range = option ? (option.range ?? option.name) : null;
  const ws = waitStatesAt(hw, range, clockHz);
  return {
    board: board.name,
    chip: hw.chip,
    clockHz,
    requested: requestedHz !== undefined,
    option,
    range,
    flashWaitStates: ws.waitStates,
    waitStatesBasis: ws.basis,
    runCurrent: runCurrentAt(hw.runCurrent, range, clockHz),
  };
}

function describeOptions(hw: BoardHardware): string {
  return hw.clock.options.map((o) => `${o.name} ${o.exact ? 'at' : 'up to'} ${formatHz(o.maxHz)}`).join('; ');
}

/** The option that allows `hz` with the lowest maximum (the lowest power range that runs it). */
function optionFor(boardName: string, hw: BoardHardware, hz: number): ClockOption | null {
  if (hz > hw.clock.maxHz)
    throw new TinyforgeError(`--clock ${formatHz(hz)} is above ${boardName}'s maximum, ${formatHz(hw.clock.maxHz)} (${describeOptions(hw)})`);
  if (hw.clock.options.length === 0) return null;
  const fits = hw.clock.options.filter((o) => (o.exact ? o.maxHz === hz : hz <= o.maxHz)).sort((a, b) => a.maxHz - b.maxHz);
  if (fits.length === 0) throw new TinyforgeError(`--clock ${formatHz(hz)} is not a clock ${boardName} runs at (${describeOptions(hw)})`);
  return fits[0]!;
}

/** The wait states of the first step of `range` whose maximum is at or above `hz`. */
function waitStatesAt(hw: BoardHardware, range: string | null, hz: number): { waitStates: number | null; basis: string } {
  const table = hw.flashWaitStates;
  if (isUnknown(table)) return { waitStates: null, basis: table.unknown };
  const steps = table.steps.filter((s) => range === null || s.range === range).sort((a, b) => a.maxHz - b.maxHz);
  const step = steps.find((s) => hz <= s.maxHz);
  if (!step) return { waitStates: null, basis: `no wait-state step of ${range ?? 'the board'} covers ${formatHz(hz)}` };
  return {
    waitStates: step.waitStates,
    basis: `${step.waitStates} wait states up to ${formatHz(step.maxHz)} in ${step.range} (${table.source.document}, ${table.source.section})`,
  };
}

/**
 * The run current at `hz` in `range`: the board's figure for that range at the nearest tabulated clock
 * at or above `hz` (else the highest below it), else the board's headline figure.
 */
export function runCurrentAt(current: RunCurrent | UnknownFact, range: string | null, hz: number): AppliedRunCurrent | UnknownFact {
  if (isUnknown(current)) return current;
  const source = `${current.source.document}, ${current.source.section}`;
  const points = (current.perClock ?? []).filter((p) => range === null || p.range === range).sort((a, b) => a.hz - b.hz);
  const point: RunCurrentPoint | undefined = points.find((p) => p.hz >= hz) ?? points.at(-1);
  if (point) {
    return {
      microampsPerMHz: point.microampsPerMHz,
      volts: point.volts ?? current.volts,
      // the row's own conditions; the board's (those of its headline figure) only where the row has none
      conditions: point.conditions ?? current.conditions,
      source,
      at: { range: point.range, hz: point.hz },
      given: point.given ?? null,
      derivation: point.derivation ?? null,
    };
  }
  return {
    microampsPerMHz: current.microampsPerMHz,
    volts: current.volts,
    conditions: current.conditions,
    source,
    at: null,
    given: current.given ?? null,
    derivation: current.derivation ?? null,
  };
}
