// SPDX-License-Identifier: Apache-2.0
/**
 * What an always-on pipeline costs (docs/pipeline.md): cycles per frame and per window, and at a real
 * board's clock the share of real time the pipeline needs (its duty cycle), the energy per second
 * of stream and the hours a battery lasts. Only the running core is counted: sleep current between
 * frames, the microphone or sensor and the regulator are not in any figure.
 */
import type { StreamShape } from '../../core/pipeline/stream.ts';
import type { EstimationPlan } from './estimates.ts';
import { formatHz } from './clock.ts';
import { MICROCOULOMBS_PER_MAH, chargeMicrocoulombs, energyMicrojoules } from './energy.ts';

/**
 * What a stream's counts are: the timing model's cycles for the board (`cycles-estimated`, as a single
 * model's `run --board` estimates them), an emulator's measured instructions or cycles
 * (`instructions-measured`, taken as 1 cycle each; `cycles-emulated`, rp2040js's cycle model), or
 * instructions estimated without a run from each layer's MACs (`instructions-estimated`).
 */
export type StreamCountKind = 'cycles-estimated' | 'instructions-measured' | 'cycles-emulated' | 'instructions-estimated';

export interface StreamCounts {
  /** counts of one frame: the front-end's invoke; 0 for a sensor row (quantized only) */
  perFrame: number;
  /** counts of one window: the model's invoke */
  perWindow: number;
  /** what the counts count: instructions (taken as cycles) or cycles */
  unit: 'instructions' | 'cycles';
  kind: StreamCountKind;
  /** what the two counts are and where they come from */
  basis: string;
}

export interface StreamCostInput extends StreamCounts {
  /** the target they are for */
  target: string;
  /** the emulator's own counts of the same run, where the figures above are the timing model's estimate of it */
  measured?: StreamCounts | null;
}

export interface StreamCosts extends StreamCostInput {
  measured: StreamCounts | null;
  /** samples (sensor: rows) per second of the stream, and where that came from; null when unknown */
  rate: { perSecond: number; source: string } | null;
  framesPerSecond: number | null;
  windowsPerSecond: number | null;
  cyclesPerSecond: number | null;
  /** the real board the time and energy figures are for (`--board`) */
  board: { name: string; chip: string; clockHz: number } | null;
  /** share of real time the core runs the pipeline, 0..1 (above 1: it cannot keep up) */
  dutyCycle: number | null;
  /** energy per second of stream, µJ */
  microjoulesPerSecond: number | null;
  /** hours on `--battery`, the core running only the pipeline and drawing nothing asleep */
  batteryHours: number | null;
  /** the figures that could not be given, and why */
  unavailable: string[];
}

const round = (v: number, digits = 4) => Number(v.toPrecision(digits));

/** The costs of a stream of this shape at `rate` on the plan's board (no plan: cycles only). */
export function streamCosts(shape: StreamShape, input: StreamCostInput, rate: StreamCosts['rate'], plan: EstimationPlan | null): StreamCosts {
  const unavailable: string[] = [];
  const framesPerSecond = rate ? rate.perSecond / shape.hop : null;
  const windowsPerSecond = framesPerSecond !== null ? framesPerSecond / shape.windowStride : null;
  const cyclesPerSecond = framesPerSecond !== null && windowsPerSecond !== null ? framesPerSecond * input.perFrame + windowsPerSecond * input.perWindow : null;
  if (!rate)
    unavailable.push(`per second: the stream's rate is unknown (${shape.kind === 'audio' ? 'raw samples' : 'a CSV recording'} do not say it): give --rate`);
  let dutyCycle: number | null = null;
  let microjoulesPerSecond: number | null = null;
  let batteryHours: number | null = null;
  const board = plan ? { name: plan.clock.board, chip: plan.clock.chip, clockHz: plan.clock.clockHz } : null;
  if (!plan) unavailable.push('duty cycle, energy and battery: give --board with a real board (and --battery for hours)');
  if (plan && cyclesPerSecond !== null) {
    dutyCycle = round(cyclesPerSecond / plan.clock.clockHz);
    const current = plan.clock.runCurrent;
    if ('unknown' in current) unavailable.push(`energy: the run current of ${plan.clock.board} is unknown: ${current.unknown}`);
    else {
      if (current.volts === null) unavailable.push(`energy: the supply voltage of ${plan.clock.board}'s run current is not in its source`);
      else microjoulesPerSecond = round(energyMicrojoules(cyclesPerSecond, current.microampsPerMHz, current.volts));
      if (plan.batteryMah !== null) {
        const perSecond = chargeMicrocoulombs(cyclesPerSecond, current.microampsPerMHz);
        batteryHours = perSecond > 0 ? round((plan.batteryMah * MICROCOULOMBS_PER_MAH) / perSecond / 3600) : null;
      }
    }
    if (plan.batteryMah === null) unavailable.push('battery: give --battery');
  }
  return {
    ...input,
    measured: input.measured ?? null,
    rate,
    framesPerSecond: framesPerSecond === null ? null : round(framesPerSecond, 6),
    windowsPerSecond: windowsPerSecond === null ? null : round(windowsPerSecond, 6),
    cyclesPerSecond: cyclesPerSecond === null ? null : Math.round(cyclesPerSecond),
    board,
    dutyCycle,
    microjoulesPerSecond,
    batteryHours,
    unavailable,
  };
}

/** How the terminal and the HTML report name each kind of count. */
export const COUNT_KIND_WORDS: Record<StreamCountKind, string> = {
  'cycles-estimated': 'estimated cycles',
  'instructions-measured': 'measured instructions, taken as 1 cycle each (a lower bound)',
  'cycles-emulated': "the emulator's cycles",
  'instructions-estimated': 'instructions estimated without a run, taken as 1 cycle each',
};

/** The terminal's lines of the costs. */
export function formatStreamCosts(c: StreamCosts, kind: StreamShape['kind']): string[] {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const counts = (k: StreamCounts) =>
    kind === 'audio'
      ? `${n(k.perFrame)} ${k.unit} per frame (front-end), ${n(k.perWindow)} per window (model)`
      : `${n(k.perWindow)} ${k.unit} per window (model)`;
  const lines = [`costs (${c.target}): ${counts(c)}, ${COUNT_KIND_WORDS[c.kind]}; ${c.basis}`];
  if (c.measured) lines.push(`  measured: ${counts(c.measured)}, ${COUNT_KIND_WORDS[c.measured.kind]}; ${c.measured.basis}`);
  if (c.rate && c.cyclesPerSecond !== null)
    lines.push(
      `  at ${n(c.rate.perSecond)} ${kind === 'audio' ? 'samples' : 'rows'}/s (${c.rate.source}): ${round(c.framesPerSecond!, 4)} frames/s, ${round(c.windowsPerSecond!, 4)} windows/s, ${n(c.cyclesPerSecond)} ${c.unit} per second of stream`,
    );
  if (c.board && c.dutyCycle !== null) {
    const parts = [`duty cycle ${(c.dutyCycle * 100).toPrecision(3)}%${c.dutyCycle > 1 ? ' (cannot keep up in real time)' : ''}`];
    if (c.microjoulesPerSecond !== null) parts.push(`${c.microjoulesPerSecond} uJ per second of stream`);
    if (c.batteryHours !== null) parts.push(`${c.batteryHours} h on the battery`);
    lines.push(
      `  on ${c.board.name} (${c.board.chip}) at ${formatHz(c.board.clockHz)}: ${parts.join(', ')}; from the ${COUNT_KIND_WORDS[c.kind]}, the core running only, nothing counted asleep`,
    );
  }
  for (const u of c.unavailable) lines.push(`  not given: ${u}`);
  return lines;
}
