// SPDX-License-Identifier: Apache-2.0
import type { ProfileReport } from '../run/profile.ts';
import { formatBytes, formatTable } from './table.ts';

const shape = (shapes: number[][]) => shapes.map((s) => `[${s.join('x')}]`).join(' ');

/** The human table of `tinyforge profile`: one row per layer, then totals and memory. */
export function formatProfileReport(r: ProfileReport, modelPath: string): string {
  const unit = r.counter.kind;
  const rows = r.layers.map((l) => [
    l.index,
    l.op,
    `${shape(l.inputs)} -> ${shape(l.outputs)}`,
    l.macs,
    l.alias ? '-' : l.count,
    l.alias ? '-' : `${(l.share * 100).toFixed(1)}%`,
    l.macsPerCount === null ? '-' : l.macsPerCount.toFixed(2),
  ]);
  const table = formatTable(['#', 'op', 'shapes', 'MACs', unit, 'share', `MACs per ${unit.replace(/s$/, '')}`], rows);
  const m = r.memory;
  const facts: [string, string][] = [
    ['model', `${modelPath} (${r.macs.toLocaleString('en-US')} MACs)`],
    ['target', `${r.target}${r.board ? ` on ${r.board}` : ''} via ${r.port}`],
    ['per inference', `${r.perInference.toLocaleString('en-US')} ${unit} (${r.counter.source}${r.runs > 1 ? `, mean of ${r.runs}` : ''})`],
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

/** `profile --json`: the DESIGN.md §6 fields first, then the rest of the report. */
export function profileJson(r: ProfileReport) {
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
    })),
    memory: r.memory,
    layersTotal: r.layersTotal,
    hookOverhead: r.hookOverhead,
    runs: r.runs,
    macs: r.macs,
    matchesReference: r.matchesReference,
    port: r.port,
    buildId: r.buildId,
  };
}
