// SPDX-License-Identifier: Apache-2.0
import type { RunReport } from '../../lab/run/run.ts';
import { type Estimation, formatEstimate } from '../../lab/estimate/estimates.ts';
import { formatHz } from '../../lab/estimate/clock.ts';
import { formatBytes, formatTable } from './table.ts';
import type { CycleEstimate } from '../../lab/estimate/types.ts';
import { type TopClass, formatTopClass } from '../../lab/data/labels.ts';

/** The top class of each case's first output (`run --labels`, or a softmax classifier's). */
export interface RunClasses {
  /** one per case, in case order */
  tops: TopClass[];
  /** the scores are a softmax's probabilities */
  probability: boolean;
}

/** `1,234,567 per inference on cortex-m4 (basis)`: the estimate's line next to the exact count. */
export function formatCycleEstimate(e: CycleEstimate): string {
  return `${e.perInference.toLocaleString('en-US')} per inference, estimated (${e.core}: ${e.basis})`;
}

const preview = (values: number[]) => (values.length > 12 ? `[${values.slice(0, 12).join(' ')} …] (${values.length})` : `[${values.join(' ')}]`);

/** How an arena compares with the classic live-set floor: `17,664 B (32%) under it`, `144 B (10%) over it`. */
export function underFloor(arena: number, floor: number): string {
  if (floor <= 0) return 'no floor';
  const percent = Math.round((Math.abs(floor - arena) / floor) * 100);
  return `${Math.abs(floor - arena).toLocaleString('en-US')} B (${percent}%) ${arena <= floor ? 'under' : 'over'} it`;
}

/** `run --json`: the report, its exact counter labelled (`counter.exact`), and the estimates beside it. */
export function runJson(r: RunReport, e: Estimation, classes?: RunClasses) {
  const json = { ...r, counter: r.counter ? { ...r.counter, exact: e.exact } : null, estimates: e.estimates, estimatedFor: e.estimatedFor };
  if (!classes) return json;
  // `top` beside `outputs`: the first inference's, and each case's
  return { ...json, top: classes.tops[0] ?? null, cases: r.cases.map((c, i) => ({ ...c, top: classes.tops[i] ?? null })) };
}

/**
 * The estimate lines of the terminal report: for which board and clock, then cycles, time, energy
 * and battery, each marked estimated, and what could not be estimated with why.
 */
export function estimateLines(e: Estimation): [string, string][] {
  const f = e.estimatedFor;
  if (!f) return [];
  const lines: [string, string][] = [
    [
      'estimated for',
      `${f.board} (${f.chip}) at ${formatHz(f.clockHz)}${f.powerRange ? `, ${f.powerRange}` : ''}, ` +
        `${f.flashWaitStates === null ? 'flash wait states unknown' : `${f.flashWaitStates} flash wait states`}: estimates, not measurements`,
    ],
  ];
  const names: Record<string, string> = {
    'cycles-estimated': 'est. cycles',
    'ms-estimated': 'est. time',
    'uJ-estimated': 'est. energy',
    'battery-inferences-estimated': 'est. battery',
  };
  for (const x of e.estimates) {
    const value = x.kind === 'battery-inferences-estimated' ? `${formatEstimate(x)} on ${f.batteryMah} mAh` : formatEstimate(x);
    lines.push([names[x.kind]!, `${value} (${x.basis})`]);
  }
  for (const u of f.unavailable) lines.push([names[u.kind]!, `unknown: ${u.why}`]);
  return lines;
}

/** The human table of `tinyforge run`. */
export function formatRunReport(r: RunReport, modelPath: string, e?: Estimation, classes?: RunClasses): string {
  const unit = r.counter?.kind ?? '';
  const top = (i: number): string[] => (classes ? [classes.tops[i] ? formatTopClass(classes.tops[i], classes.probability) : '-'] : []);
  const caseRows = r.cases.map((c, i) => [c.index, ...top(i), c.outputs.map(preview).join(' '), c.count ?? '-', c.matchesReference ? 'yes' : 'NO']);
  const cases = formatTable(['case', ...(classes ? ['top class'] : []), 'outputs', r.counter ? unit : 'counter', 'bit-exact vs reference'], caseRows);
  const m = r.memory;
  const cost: [string, string][] = [
    ['model', `${modelPath} (${r.macs.toLocaleString('en-US')} MACs)`],
    ['target', `${r.target}${r.board ? ` on ${r.board}` : ' (native build, no counter)'}${r.realBoard ? ' (emulated)' : ''}`],
  ];
  if (r.realBoard) {
    const b = r.realBoard;
    const n = (v: number) => v.toLocaleString('en-US');
    cost.push([
      'real board',
      `${b.name} (${b.chip}): fits, flash >= ${n(b.flash.needed)} of ${n(b.flash.available)} B, RAM >= ${n(b.ram.needed)} of ${n(b.ram.available)} B; ` +
        `the counts are ${r.board}'s, not this board's`,
    ]);
  }
  if (r.counter && r.perInference !== null) {
    cost.push(['per inference', `${r.perInference.toLocaleString('en-US')} ${unit} (${r.counter.source})`]);
    if (r.macs > 0) cost.push([`${unit} per MAC`, (r.perInference / r.macs).toFixed(2)]);
  }
  // a real board's estimates (time, energy) carry the cycles; else the timing model's cycles alone
  if (e?.estimatedFor) cost.push(...estimateLines(e));
  else if (r.cycleEstimate) cost.push(['estimated cycles', formatCycleEstimate(r.cycleEstimate)]);
  cost.push(
    [
      'arena',
      `${formatBytes(m.arena)} (scratch ${m.scratch}; lower bound ${m.lowerBound}; classic live-set floor ${m.classicFloor}, ${underFloor(m.arena, m.classicFloor)})`,
    ],
    ['row bands', r.patch ?? 'none: whole tensors'],
    ['stack', m.stack === null ? 'not measured on the host' : `${formatBytes(m.stack)} (high-water of one inference, by painting)`],
    ['flash', `${formatBytes(m.flash)} (weights ${formatBytes(m.flashWeights)}, code and constants ${formatBytes(m.flash - m.flashWeights)})`],
  );
  if (m.ram !== null) cost.push(['ram', `${formatBytes(m.ram)} (static data incl. arena + stack)`]);
  const width = Math.max(...cost.map(([k]) => k.length));
  const verdict = r.matchesReference ? 'all outputs bit-exact with the host reference' : 'MISMATCH: the board and the host reference disagree';
  return `${cases}\n\n${cost.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n${verdict}`;
}
