// SPDX-License-Identifier: Apache-2.0
import { readFileSync, statSync } from 'node:fs';
import { TinyforgeError } from '../../core/errors.ts';
import type { ProfileReport } from '../../lab/run/profile.ts';
import { type FloatTolerance, toleranceLine } from '../../lab/run/float_tolerance.ts';
import { formatBytes, formatTable } from './table.ts';
import { type Estimate, type EstimatedFor, type Estimation, type ExactCounterKind, formatEstimate } from '../../lab/estimate/estimates.ts';
import { type RunFormat, estimateLines, estimatedAt, formatCycleEstimate, formatSummary, weightsFact } from './run.ts';
import { factLines } from './layout.ts';
import { PLAIN } from './style.ts';
import { formatKernelList } from './inspect.ts';
import type { CycleEstimate } from '../../lab/estimate/types.ts';
import { type JsonOutputValue, jsonOutputValues } from '../../lab/data/bytes.ts';

const shape = (shapes: number[][]) => shapes.map((s) => `[${s.join('x')}]`).join(' ');

/**
 * The human report of `tinyforge profile`: one row per layer, then the short summary (run.ts
 * formatSummary); `verbose` adds each layer's estimated cycles, time and energy, and every
 * figure's basis (each layer's MACs per count is in --json and the HTML).
 */
export function formatProfileReport(r: ProfileReport, modelPath: string, e?: Estimation, format: RunFormat = {}): string {
  const style = format.style ?? PLAIN;
  const verbose = Boolean(format.verbose);
  const unit = r.counter.kind;
  const perLayer = e?.perLayer ?? null;
  // time and energy need a real board's clock (estimatedFor); an emulated board's estimate is cycles only
  const withTime = Boolean(e?.estimatedFor);
  const estimated = (i: number, kind: Estimate['kind']) => {
    const x = perLayer?.[i]?.find((v) => v.kind === kind);
    // the unit is the column's (est. ms): a layer's row stays narrow
    return x && !r.layers[i]!.alias ? formatEstimate(x).replace(/ \S+$/, '') : '-';
  };
  // the short form keeps one estimate per layer: its time on a real board, else its cycles
  const estimateColumns: [string, Estimate['kind']][] = perLayer
    ? verbose
      ? [
          ['est. cycles', 'cycles-estimated'],
          ...(withTime
            ? ([
                ['est. ms', 'ms-estimated'],
                ['est. uJ', 'uJ-estimated'],
              ] as [string, Estimate['kind']][])
            : []),
        ]
      : [withTime ? ['est. ms', 'ms-estimated'] : ['est. cycles', 'cycles-estimated']]
    : [];
  const rows = r.layers.map((l, i) => [
    l.index,
    l.op,
    `${shape(l.inputs)} -> ${shape(l.outputs)}`,
    l.macs,
    l.alias ? '-' : l.count,
    l.alias ? '-' : `${(l.share * 100).toFixed(1)}%`,
    ...estimateColumns.map(([, kind]) => estimated(i, kind)),
  ]);
  const table = formatTable(['#', 'op', 'shapes', 'MACs', unit, 'share', ...estimateColumns.map(([name]) => name)], rows, undefined, {
    shrink: [
      { column: 2, min: 12 },
      { column: 1, min: 12 },
    ],
  }).replace(/^.*/, (header) => style.bold(header));
  const kernels = formatKernelList(r.layers.filter((l) => !l.alias).map((l) => ({ op: l.index, kind: l.op, kernel: l.kernel })));
  const m = r.memory;
  const target = `${r.target}${r.board ? ` on ${r.board}` : ''} via ${r.port}`;
  const tol = r.floatTolerance;
  const verdict =
    (r.matchesReference
      ? style.good(tol ? 'outputs match the host reference within the tolerance' : 'outputs bit-exact with the host reference')
      : style.bad('MISMATCH: the board and the host reference disagree (run `tinyforge validate`)')) + (tol ? `\n${toleranceLine(tol)}` : '');
  if (!verbose) {
    const capacity = r.capacity;
    const summary = formatSummary(
      {
        perInference: `${r.perInference.toLocaleString('en-US')} ${unit}${r.runs > 1 ? ' (mean)' : ''}`,
        estimation: e,
        cycleEstimate: r.cycleEstimate,
        arena: m.arena,
        weightsInRam: m.weightsInRam,
        stack: m.stackInvoke,
        flash: m.flash,
        fits: capacity ? { fits: m.flash <= capacity.flash && m.ram <= capacity.ram, board: capacity.board ?? r.board ?? r.target } : null,
      },
      style,
    );
    const at = estimatedAt(e, r.cycleEstimate);
    const facts: [string, string][] = [
      ['model', `${modelPath} (${r.macs.toLocaleString('en-US')} MACs)`],
      ['target', `${target}${at ? `; ${at}` : ''}`],
      ...weightsFact(m),
    ];
    return `${table}\n\n${kernels}\n\n${factLines(facts)}\n\n${summary}\n${verdict}`;
  }
  const facts: [string, string][] = [
    ['model', `${modelPath} (${r.macs.toLocaleString('en-US')} MACs)`],
    ['target', target],
    ['per inference', `${r.perInference.toLocaleString('en-US')} ${unit} (${r.counter.source}${r.runs > 1 ? `, mean of ${r.runs}` : ''})`],
    ...(r.cycleEstimate && !e?.estimatedFor ? [['estimated cycles', formatCycleEstimate(r.cycleEstimate)] as [string, string]] : []),
    [
      'layers total',
      `${r.layersTotal.toLocaleString('en-US')} ${unit} (net of the profiling hooks: ${r.hookOverhead.insideLayer} inside each layer figure, ${r.hookOverhead.perLayer} per layer in the total)`,
    ],
    [
      'arena',
      `${formatBytes(m.arena)} planned, ${m.arenaUsed === null ? 'use not measured' : `${formatBytes(m.arenaUsed)} written (by painting)`}; scratch ${m.scratch}`,
    ],
    ['stack', `${formatBytes(m.stackInvoke)} per inference, ${formatBytes(m.stack)} deepest since reset (by painting)`],
    ['flash', `${formatBytes(m.flash)} (weights ${formatBytes(m.flashWeights)})`],
    ['ram', `${formatBytes(m.ram)} (static data incl. arena + stack of one inference)`],
    ...(e ? estimateLines(e) : []),
  ];
  if (r.macs > 0 && r.perInference > 0) facts.splice(3, 0, [`MACs per ${unit.replace(/s$/, '')}`, (r.macs / r.perInference).toFixed(3)]);
  return `${table}\n\n${kernels}\n\n${factLines(facts)}\n${verdict}`;
}

/** Who made a report, when and how: the tool's version, the date and the command line. */
export interface Provenance {
  tool: 'tinyforge';
  version: string;
  /** ISO 8601 */
  generatedAt: string;
  /** the command as typed, argument by argument */
  commandLine: string[];
}

export function provenance(version: string, argv: string[] = process.argv.slice(2)): Provenance {
  return { tool: 'tinyforge', version, generatedAt: new Date().toISOString(), commandLine: ['tinyforge', ...argv] };
}

/**
 * `profile --json`: the DESIGN.md §6 fields first, then the rest of the report (what `report` reads
 * back); with an estimation, `counter.exact`, `estimates`, `estimatedFor` and each layer's `estimates`.
 */
export function profileJson(r: ProfileReport, made?: Provenance, e?: Estimation): ProfileJson {
  return {
    model: r.model,
    target: r.target,
    board: r.board,
    ...(r.isa ? { emulator: r.emulator ?? null, isa: r.isa } : {}),
    counter: e ? { ...r.counter, exact: e.exact } : r.counter,
    outputs: r.outputs.map(jsonOutputValues),
    perInference: r.perInference,
    layers: r.layers.map((l, i) => ({
      index: l.index,
      op: l.op,
      macs: l.macs,
      count: l.count,
      rawCount: l.rawCount,
      share: l.share,
      macsPerCount: l.macsPerCount,
      inputs: l.inputs,
      outputs: l.outputs,
      alias: l.alias,
      kernel: l.kernel,
      weightBytes: l.weightBytes,
      liveBytes: l.liveBytes,
      ...(e ? { estimates: e.perLayer?.[i] ?? [] } : {}),
    })),
    memory: r.memory,
    capacity: r.capacity,
    plan: r.plan,
    layersTotal: r.layersTotal,
    hookOverhead: r.hookOverhead,
    runs: r.runs,
    macs: r.macs,
    matchesReference: r.matchesReference,
    ...(r.floatTolerance ? { floatTolerance: r.floatTolerance } : {}),
    port: r.port,
    buildId: r.buildId,
    ...(e ? { estimates: e.estimates, estimatedFor: e.estimatedFor } : {}),
    cycleEstimate: r.cycleEstimate,
    ...(made ? { provenance: made } : {}),
  };
}

/** What `profile --json` prints and `report` reads back; the estimate fields are absent in files written before them. */
export interface ProfileJson {
  model: string;
  target: string;
  board: string | null;
  /** the emulator and machine that ran it (null on a real board), and the ISA its kernels were chosen for */
  emulator?: ProfileReport['emulator'];
  isa?: ProfileReport['isa'];
  counter: ProfileReport['counter'] & { exact?: ExactCounterKind | null };
  /** NaN and the infinities of a float32 output as strings (jsonOutputValues) */
  outputs: JsonOutputValue[][];
  perInference: number;
  layers: (Omit<ProfileReport['layers'][number], never> & { estimates?: Estimate[] })[];
  memory: ProfileReport['memory'];
  capacity: ProfileReport['capacity'];
  plan: ProfileReport['plan'];
  layersTotal: number;
  hookOverhead: ProfileReport['hookOverhead'];
  runs: number;
  macs: number;
  matchesReference: boolean;
  /** where the model has float32 outputs: the ULPs each may differ from the reference by, and the worst seen */
  floatTolerance?: FloatTolerance;
  port: string;
  buildId: string;
  estimates?: Estimate[];
  estimatedFor?: EstimatedFor | null;
  /** the timing model's figure as it made it (absent in files written before it) */
  cycleEstimate?: CycleEstimate | null;
  provenance?: Provenance;
}

/**
 * Reads back a `profile --json` file for `report` and `profile --compare`: one line naming the file
 * when it is not one (or was written by a tinyforge before the report's fields existed).
 */
export function readProfileJson(path: string): ProfileJson {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new TinyforgeError(`${path}: not a regular file`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof TinyforgeError) throw e;
    throw new TinyforgeError(`${path}: cannot read the profile JSON (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TinyforgeError(`${path}: not JSON (write it with \`tinyforge profile MODEL --json > FILE\`)`);
  }
  const missing = (field: string) =>
    new TinyforgeError(`${path}: not a tinyforge profile JSON: '${field}' is missing or wrong (write it with \`tinyforge profile MODEL --json > FILE\`)`);
  const r = parsed as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw missing('the top-level object');
  for (const k of ['model', 'target']) if (typeof r[k] !== 'string') throw missing(k);
  if (typeof r.perInference !== 'number' || typeof r.macs !== 'number') throw missing('perInference');
  const counter = r.counter as Record<string, unknown> | undefined;
  if (!counter || (counter.kind !== 'instructions' && counter.kind !== 'cycles')) throw missing('counter.kind');
  const memory = r.memory as Record<string, unknown> | undefined;
  for (const k of ['arena', 'flash', 'flashWeights', 'ram', 'stackInvoke']) if (typeof memory?.[k] !== 'number') throw missing(`memory.${k}`);
  if (!Array.isArray(r.layers)) throw missing('layers');
  for (const [i, l] of (r.layers as Record<string, unknown>[]).entries()) {
    for (const k of ['index', 'macs', 'count', 'weightBytes', 'liveBytes']) if (typeof l?.[k] !== 'number') throw missing(`layers[${i}].${k}`);
    for (const k of ['op', 'kernel']) if (typeof l?.[k] !== 'string') throw missing(`layers[${i}].${k}`);
  }
  const plan = r.plan as Record<string, unknown> | undefined;
  if (typeof plan?.arena !== 'number' || !Array.isArray(plan.buffers)) throw missing('plan');
  return parsed as ProfileJson;
}
