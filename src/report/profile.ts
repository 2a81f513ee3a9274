// SPDX-License-Identifier: Apache-2.0
import { readFileSync, statSync } from 'node:fs';
import { TinyforgeError } from '../errors.ts';
import type { ProfileReport } from '../run/profile.ts';
import { formatBytes, formatTable } from './table.ts';
import { formatCycleEstimate } from './run.ts';

const shape = (shapes: number[][]) => shapes.map((s) => `[${s.join('x')}]`).join(' ');

/** The human table of `tinyforge profile`: one row per layer, then totals and memory. */
export function formatProfileReport(r: ProfileReport, modelPath: string): string {
  const unit = r.counter.kind;
  const estimated = r.cycleEstimate?.perLayer ?? null;
  const rows = r.layers.map((l) => [
    l.index,
    l.op,
    `${shape(l.inputs)} -> ${shape(l.outputs)}`,
    l.macs,
    l.alias ? '-' : l.count,
    l.alias ? '-' : `${(l.share * 100).toFixed(1)}%`,
    l.macsPerCount === null ? '-' : l.macsPerCount.toFixed(2),
    ...(estimated ? [l.alias ? '-' : (estimated[l.index] ?? '-')] : []),
  ]);
  const headers = ['#', 'op', 'shapes', 'MACs', unit, 'share', `MACs per ${unit.replace(/s$/, '')}`, ...(estimated ? ['est. cycles'] : [])];
  const table = formatTable(headers, rows);
  const m = r.memory;
  const facts: [string, string][] = [
    ['model', `${modelPath} (${r.macs.toLocaleString('en-US')} MACs)`],
    ['target', `${r.target}${r.board ? ` on ${r.board}` : ''} via ${r.port}`],
    ['per inference', `${r.perInference.toLocaleString('en-US')} ${unit} (${r.counter.source}${r.runs > 1 ? `, mean of ${r.runs}` : ''})`],
    ...(r.cycleEstimate ? [['estimated cycles', formatCycleEstimate(r.cycleEstimate)] as [string, string]] : []),
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
  ];
  if (r.macs > 0 && r.perInference > 0) facts.splice(3, 0, [`MACs per ${unit.replace(/s$/, '')}`, (r.macs / r.perInference).toFixed(3)]);
  const width = Math.max(...facts.map(([k]) => k.length));
  const verdict = r.matchesReference
    ? 'outputs bit-exact with the host reference'
    : 'MISMATCH: the board and the host reference disagree (run `tinyforge validate`)';
  return `${table}\n\n${facts.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n${verdict}`;
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

/** `profile --json`: the DESIGN.md §6 fields first, then the rest of the report (what `report` reads back). */
export function profileJson(r: ProfileReport, made?: Provenance) {
  return {
    model: r.model,
    target: r.target,
    board: r.board,
    counter: r.counter,
    outputs: r.outputs,
    perInference: r.perInference,
    layers: r.layers.map((l) => ({
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
    })),
    memory: r.memory,
    capacity: r.capacity,
    plan: r.plan,
    layersTotal: r.layersTotal,
    hookOverhead: r.hookOverhead,
    runs: r.runs,
    macs: r.macs,
    matchesReference: r.matchesReference,
    port: r.port,
    buildId: r.buildId,
    cycleEstimate: r.cycleEstimate,
    ...(made ? { provenance: made } : {}),
  };
}

export type ProfileJson = ReturnType<typeof profileJson>;

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
