// SPDX-License-Identifier: Apache-2.0
import type { RunReport } from '../../lab/run/run.ts';
import { toleranceLine } from '../../lab/run/float_tolerance.ts';
import { type Estimate, type Estimation, formatEstimate } from '../../lab/estimate/estimates.ts';
import { formatHz } from '../../lab/estimate/clock.ts';
import { formatBytes, formatTable } from './table.ts';
import type { CycleEstimate } from '../../lab/estimate/types.ts';
import { type TopClass, formatTopClass } from '../../lab/data/labels.ts';
import { jsonOutputValues } from '../../lab/data/bytes.ts';

/** The top class of each case's first output (`run --labels`, or a softmax classifier's). */
export interface RunClasses {
  /** one per case, in case order */
  tops: TopClass[];
  /** the scores are a softmax's probabilities */
  probability: boolean;
}
import { factLines } from './layout.ts';
import { PLAIN, type Style } from './style.ts';

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
  // a float32 output's NaN and infinities as strings (jsonOutputValues): JSON has no number for them
  const cases = r.cases.map((c) => ({ ...c, outputs: c.outputs.map(jsonOutputValues) }));
  const json = {
    ...r,
    outputs: r.outputs.map(jsonOutputValues),
    cases,
    counter: r.counter ? { ...r.counter, exact: e.exact } : null,
    estimates: e.estimates,
    estimatedFor: e.estimatedFor,
  };
  if (!classes) return json;
  // `top` beside `outputs`: the first inference's, and each case's
  return { ...json, top: classes.tops[0] ?? null, cases: cases.map((c, i) => ({ ...c, top: classes.tops[i] ?? null })) };
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

/** Bytes in a few columns: `796 B`, `4.5 KiB`, `2.05 MiB`. */
export function shortBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}

/** The memory a model is checked against (the fit's board: a named real chip, else the board that ran it). */
export interface Capacity {
  flash: number;
  ram: number;
  board?: string;
}

/** What the short summary of `run` and `profile` shows: one row, a model's cost at a glance. */
export interface Summary {
  /** the exact count (`840 instructions`); null when nothing counted */
  perInference: string | null;
  estimation?: Estimation;
  cycleEstimate: CycleEstimate | null;
  arena: number;
  stack: number | null;
  flash: number;
  /** bytes of weight tables kept in RAM beside the arena (--weights-in-ram auto): a column of their own when any */
  weightsInRam?: number;
  /** whether it fits, and where; null: nothing to fit (a native build) */
  fits: { fits: boolean; board: string } | null;
}

/** An estimate's figure without its unit (the column header has it). */
const figure = (x: Estimate | undefined) => (x ? formatEstimate(x).replace(/ \S+$/, '') : '-');

/**
 * The short table of `run` and `profile`: per inference, est. ms and uJ at the board's clock
 * (a real board's estimates; an emulated board's ms from the timing model at its nominal clock),
 * arena, stack, flash, and whether it fits.
 */
export function formatSummary(s: Summary, style: Style = PLAIN): string {
  const estimate = (kind: Estimate['kind']) => s.estimation?.estimates.find((x) => x.kind === kind);
  const ms = s.estimation?.estimatedFor
    ? figure(estimate('ms-estimated'))
    : s.cycleEstimate
      ? Number(((s.cycleEstimate.perInference / s.cycleEstimate.clockHz) * 1000).toPrecision(4)).toLocaleString('en-US', { maximumSignificantDigits: 4 })
      : '-';
  const ramWeights = (s.weightsInRam ?? 0) > 0;
  const row = [
    s.perInference ?? '-',
    ms,
    figure(estimate('uJ-estimated')),
    shortBytes(s.arena),
    ...(ramWeights ? [shortBytes(s.weightsInRam!)] : []),
    s.stack === null ? '-' : shortBytes(s.stack),
    shortBytes(s.flash),
    s.fits ? (s.fits.fits ? `yes (${s.fits.board})` : `NO (${s.fits.board})`) : '-',
  ];
  const headers = ['per inference', 'est. ms', 'est. uJ', 'arena', ...(ramWeights ? ['in RAM'] : []), 'stack', 'flash', 'fits'];
  const table = formatTable(headers, [row], undefined, {
    shrink: [{ column: headers.length - 1 }, { column: 0 }],
  }).split('\n');
  table[0] = style.bold(table[0]!);
  // the verdict in color: the last column's cell
  if (s.fits) table[2] = table[2]!.replace(/(yes|NO) \([^)]*\)$/, (cell) => (s.fits!.fits ? style.good(cell) : style.bad(cell)));
  return table.join('\n');
}

/** The `weights` line of a summary where the tables are not simply read from flash: `staged in the arena per layer`, `in RAM (176.1 KiB)`. */
export function weightsFact(m: { weights?: string; weightsInRam?: number }): [string, string][] {
  const inRam = shortBytes(m.weightsInRam ?? 0);
  const text: Record<string, string> = {
    staged: 'in flash; each re-read layer copies its tables into the arena at its start (staged)',
    ram: `in RAM, ${inRam} copied there at boot (--weights-in-ram auto)`,
    'ram+flash': `${inRam} in RAM, copied there at boot (--weights-in-ram auto); the rest in flash`,
  };
  const line = m.weights ? text[m.weights] : undefined;
  return line ? [['weights', line]] : [];
}

/** Where the estimates are for, in a few words: `nucleo-l4r5zi at 120 MHz`, or the timing model's board and clock. */
export function estimatedAt(e: Estimation | undefined, cycleEstimate: CycleEstimate | null): string | null {
  if (e?.estimatedFor) return `est. for ${e.estimatedFor.board} at ${formatHz(e.estimatedFor.clockHz)}`;
  if (cycleEstimate) return `est. for ${cycleEstimate.board} at ${formatHz(cycleEstimate.clockHz)}`;
  return null;
}

export interface RunFormat {
  /** the long form: every figure's basis and provenance (the default is the short table) */
  verbose?: boolean;
  style?: Style;
  /** the memory the fit is checked against when no real board is named */
  capacity?: Capacity | null;
  /** each case's top class (`--labels`, or a softmax classifier's) */
  classes?: RunClasses;
}

/** The human report of `tinyforge run`: the cases, then the short summary; `verbose` adds every figure's basis. */
export function formatRunReport(r: RunReport, modelPath: string, e?: Estimation, format: RunFormat = {}): string {
  const style = format.style ?? PLAIN;
  const unit = r.counter?.kind ?? '';
  const classes = format.classes;
  const top = (i: number): string[] => (classes ? [classes.tops[i] ? formatTopClass(classes.tops[i], classes.probability) : '-'] : []);
  const caseRows = r.cases.map((c, i) => [c.index, ...top(i), c.outputs.map(preview).join(' '), c.count ?? '-', c.matchesReference ? 'yes' : 'NO']);
  const cases = formatTable(
    ['case', ...(classes ? ['top class'] : []), 'outputs', r.counter ? unit : 'counter', r.floatTolerance ? 'matches reference' : 'bit-exact vs reference'],
    caseRows,
    undefined,
    {
      shrink: [{ column: classes ? 2 : 1, min: 20 }],
    },
  ).replace(/^.*/, (header) => style.bold(header));
  const m = r.memory;
  const target = `${r.target}${r.board ? ` on ${r.board}` : ' (native build, no counter)'}${r.realBoard ? ' (emulated)' : ''}`;
  const tol = r.floatTolerance;
  const verdict =
    (r.matchesReference
      ? style.good(tol ? 'all outputs match the host reference within the tolerance' : 'all outputs bit-exact with the host reference')
      : style.bad('MISMATCH: the board and the host reference disagree')) + (tol ? `\n${toleranceLine(tol)}` : '');
  if (!format.verbose) {
    const capacity = format.capacity;
    const fits = r.realBoard
      ? { fits: r.realBoard.flash.needed <= r.realBoard.flash.available && r.realBoard.ram.needed <= r.realBoard.ram.available, board: r.realBoard.name }
      : capacity && m.ram !== null
        ? { fits: m.flash <= capacity.flash && m.ram <= capacity.ram, board: capacity.board ?? r.board ?? r.target }
        : null;
    const summary = formatSummary(
      {
        perInference: r.counter && r.perInference !== null ? `${r.perInference.toLocaleString('en-US')} ${unit}` : null,
        estimation: e,
        cycleEstimate: r.cycleEstimate,
        arena: m.arena,
        weightsInRam: m.weightsInRam,
        stack: m.stack,
        flash: m.flash,
        fits,
      },
      style,
    );
    const at = estimatedAt(e, r.cycleEstimate);
    const facts: [string, string][] = [
      ['model', `${modelPath} (${r.macs.toLocaleString('en-US')} MACs)`],
      ['target', `${target}${at ? `; ${at}` : ''}`],
      ...weightsFact(m),
    ];
    return `${cases}\n\n${factLines(facts)}\n\n${summary}\n${verdict}`;
  }
  const cost: [string, string][] = [
    ['model', `${modelPath} (${r.macs.toLocaleString('en-US')} MACs)`],
    ['target', target],
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
  return `${cases}\n\n${factLines(cost)}\n${verdict}`;
}
