// SPDX-License-Identifier: Apache-2.0
/** The compression reports as tables for people (the JSON forms are the report objects themselves). */
import { formatTable } from './table.ts';
import type { CompressReport } from '../../compress/pipeline.ts';
import { type SearchResult, type SensitivityReport, configLabel, formatLoss } from '../../compress/sensitivity.ts';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export function formatCompressReport(r: CompressReport): string {
  const counter = r.counter?.kind ?? 'count';
  const rows = r.steps.map((s) => [
    s.name,
    s.accuracy !== null ? pct(s.accuracy) : `loss ${s.loss!.toPrecision(4)}`,
    `${(s.sparsity * 100).toFixed(1)}%`,
    s.weights,
    s.macs,
    s.measured ? s.flash.toLocaleString('en-US') : `${s.flash.toLocaleString('en-US')}*`,
    s.measured ? s.arena.toLocaleString('en-US') : `${s.arena.toLocaleString('en-US')}*`,
    s.perInference === null ? '-' : s.perInference.toLocaleString('en-US'),
  ]);
  const lines = [
    formatTable(
      ['step', r.task === 'classification' ? 'accuracy' : 'held-out', 'sparsity', 'weights', 'MACs', 'flash (B)', 'arena (B)', `${counter}/inference`],
      rows,
      `${r.model} on ${r.target}${r.board ? ` (${r.board})` : ''}`,
    ),
    '* float model: its constants as stored (float32) and the peak of its float activations, not a build',
    'MACs: what the kernels execute per inference (a sparse layer counts its nonzero weights); float rows: the dense count',
  ];
  const figure = (v: number) => (r.task === 'classification' ? pct(v) : `loss ${v.toPrecision(4)}`);
  for (const s of r.steps) {
    if (!s.fineTuning) continue;
    const { kept, before, after } = s.fineTuning;
    lines.push(
      kept === 'after'
        ? `${s.name}: kept the fine-tuned model (held-out ${figure(after)}; ${figure(before)} before fine-tuning)`
        : `${s.name}: kept the model from BEFORE fine-tuning (held-out ${figure(before)}; fine-tuning made it ${figure(after)})`,
    );
  }
  if (r.deviceAccuracy !== null && r.hostInt8Accuracy !== null) {
    lines.push(`int8 on ${r.deviceCases} held-out samples: host reference ${pct(r.hostInt8Accuracy)}, board ${pct(r.deviceAccuracy)}`);
  }
  lines.push(`board outputs equal the host reference (all ${r.deviceCases}): ${r.deviceMatchesHost ? 'yes' : 'NO'}`);
  const limit = (v: number | null) => (v === null ? 'no limit' : v.toLocaleString('en-US'));
  lines.push(
    `fits ${r.target}: ${r.fits.ok ? 'yes' : 'NO'} (flash ${r.fits.flash.used.toLocaleString('en-US')} of ${limit(r.fits.flash.limit)} bytes` +
      `${r.fits.ram.used === null ? '' : `, RAM ${r.fits.ram.used.toLocaleString('en-US')} of ${limit(r.fits.ram.limit)} bytes`})`,
  );
  if (r.mixed) {
    const m = r.mixed;
    lines.push('', formatSensitivity(m.sensitivity), '', formatSearch(m.search));
    if (m.weightBudget !== null) lines.push(`weight budget from --max-flash: ${m.weightBudget.toLocaleString('en-US')} bytes (estimated storage)`);
    lines.push(
      `after fine-tuning (${m.rounds} round(s)): ${formatLoss(m.sensitivity.lossKind, m.finalLoss)} ${m.sensitivity.lossKind} against the dense int8 model on the same ` +
        `${m.sensitivity.samples} samples; goal ${m.met ? 'met' : 'NOT met'}`,
    );
  }
  lines.push(`int8 model: ${r.output}`);
  return lines.join('\n');
}

/** The sensitivity table: rows layers, columns configurations, cells the loss. */
export function formatSensitivity(r: SensitivityReport): string {
  const base = r.baseline.accuracy === null ? '' : `; int8 accuracy ${(r.baseline.accuracy * 100).toFixed(2)}%, cells: accuracy points lost (output error)`;
  const rows = r.layers.map((l) => [
    `${l.opIndex} ${l.kind}`,
    l.name,
    l.weights,
    ...l.results.map((m) => (m.accuracy === null ? m.outputError.toPrecision(3) : `${formatLoss(r.lossKind, m.loss)} (${m.outputError.toPrecision(2)})`)),
  ]);
  return formatTable(
    ['layer', 'weights tensor', 'weights', ...r.configs.map(configLabel)],
    rows,
    `${r.model}: sensitivity of each layer alone on ${r.samples} samples${base || '; cells: relative RMS output error'}`,
    { shrink: [{ column: 1, from: 'start', min: 16 }] },
  );
}

/** The chosen configuration, one row per layer. */
export function formatSearch(s: SearchResult): string {
  const goal = 'maxLoss' in s.goal ? `loss <= ${s.goal.maxLoss} (${s.lossKind})` : `weights <= ${s.goal.maxFlash} bytes`;
  const rows = s.layers.map((l) => [`${l.opIndex}`, l.name, configLabel(l.config), l.denseBytes, l.bytes, formatLoss(s.lossKind, l.estimatedLoss)]);
  const measured =
    s.measured.accuracy === null
      ? `output error ${s.measured.outputError.toPrecision(3)}`
      : `accuracy ${(s.measured.accuracy * 100).toFixed(2)}% (${formatLoss(s.lossKind, s.measured.loss)} points, output error ${s.measured.outputError.toPrecision(3)})`;
  return [
    formatTable(['op', 'weights tensor', 'choice', 'int8 bytes', 'bytes', 'est. loss'], rows, `search for ${goal}`, {
      shrink: [{ column: 1, from: 'start', min: 16 }],
    }),
    `weights: ${s.denseBytes} -> ${s.bytes} bytes (estimate, ${(s.denseBytes / Math.max(1, s.bytes)).toFixed(2)}x); ` +
      `estimated loss ${formatLoss(s.lossKind, s.estimatedLoss)}, measured ${measured}; goal ${s.met ? 'met' : 'NOT met'} after ${s.rounds} round(s)`,
  ].join('\n');
}
