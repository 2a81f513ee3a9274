// SPDX-License-Identifier: Apache-2.0
/**
 * The report of `run` on a pipeline: per window the model's outputs (the terminal: the top class of
 * output 0 and its score), the features per frame, the costs. docs/json-output.md has the JSON.
 */
import type { Graph } from '../../core/ir/graph.ts';
import type { StreamResult, StreamShape } from '../../core/pipeline/stream.ts';
import type { StreamCosts } from '../../lab/estimate/stream.ts';
import { COUNT_KIND_WORDS, formatStreamCosts } from '../../lab/estimate/stream.ts';
import { outputValues } from '../../lab/data/bytes.ts';
import { REPORT_GENERATOR, escapeHtml } from './html.ts';

export interface PipelineReport {
  frontEnd: string | null;
  model: string;
  input: string;
  /** `reference` (the TypeScript interpreter) or the target the generated C ran on */
  ranOn: string;
  shape: StreamShape;
  samples: number;
  result: StreamResult;
  /** the run on a target equals the reference byte for byte; null when only the reference ran */
  matchesReference: boolean | null;
  costs: StreamCosts;
  labels: string[] | null;
  /** an emulated board's build: its flash bytes and the deepest stack of the run; null elsewhere */
  memory: { flash: number; stack: number } | null;
}

/** Output 0's top class: its index, score (dequantized) and label. */
function top(graph: Graph, outputs: Uint8Array[], labels: string[] | null): { index: number; score: number; label: string | null } {
  const values = outputValues(graph, 0, outputs[0]!);
  const q = graph.tensors[graph.outputs[0]!]!.quant;
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  const score = q ? q.scale[0]! * (values[best]! - q.zeroPoint[0]!) : values[best]!;
  return { index: best, score: Number(score.toPrecision(4)), label: labels?.[best] ?? null };
}

/** The `--json` object of a pipeline run (docs/json-output.md); the Node API's `runPipeline` returns it. */
export interface PipelineJson {
  frontEnd: string | null;
  model: string;
  input: string;
  ranOn: string;
  stream: StreamShape & { samples: number };
  windows: { index: number; startSample: number; outputs: number[][]; top: { class: number; score: number; label: string | null } }[];
  outputs: number[][] | null;
  features: number[][];
  matchesReference: boolean | null;
  labels: string[] | null;
  memory: PipelineReport['memory'];
  costs: StreamCosts;
}

export function pipelineJson(report: PipelineReport, model: Graph): PipelineJson {
  const windows = report.result.windows.map((w) => {
    const t = top(model, w.outputs, report.labels);
    return {
      index: w.index,
      startSample: w.startSample,
      outputs: w.outputs.map((bytes, o) => outputValues(model, o, bytes)),
      top: { class: t.index, score: t.score, label: t.label },
    };
  });
  return {
    frontEnd: report.frontEnd,
    model: report.model,
    input: report.input,
    ranOn: report.ranOn,
    stream: {
      kind: report.shape.kind,
      samples: report.samples,
      frameSamples: report.shape.frameSamples,
      hop: report.shape.hop,
      hopSource: report.shape.hopSource,
      features: report.shape.features,
      frames: report.shape.frames,
      windowStride: report.shape.windowStride,
    },
    windows,
    outputs: windows.length > 0 ? windows[windows.length - 1]!.outputs : null,
    features: report.result.features.map((f) => [...f]),
    matchesReference: report.matchesReference,
    labels: report.labels,
    memory: report.memory,
    costs: report.costs,
  };
}

export function formatPipelineReport(report: PipelineReport, model: Graph): string {
  const { shape } = report;
  const unit = shape.kind === 'audio' ? 'sample' : 'row';
  const lines = [
    shape.kind === 'audio'
      ? `${report.input}: ${report.samples} samples, frames of ${shape.frameSamples} every ${shape.hop} (${shape.hopSource}), ${report.result.features.length} frames of ${shape.features} features; the model sees ${shape.frames} frames, runs every ${shape.windowStride}`
      : `${report.input}: ${report.samples} rows of ${shape.features} values; the model sees ${shape.frames} rows, runs every ${shape.windowStride}`,
    `ran on ${report.ranOn}${report.matchesReference === null ? '' : report.matchesReference ? ': equals the reference byte for byte' : ': DIFFERS from the reference'}`,
  ];
  if (report.memory)
    lines.push(
      `firmware: ${report.memory.flash.toLocaleString('en-US')} bytes of flash, ${report.memory.stack.toLocaleString('en-US')} bytes of stack at most`,
    );
  if (report.result.windows.length === 0) lines.push(`no window: the stream is shorter than one window (${shape.frames} frames)`);
  for (const w of report.result.windows) {
    const t = top(model, w.outputs, report.labels);
    lines.push(`window ${w.index} at ${unit} ${w.startSample}: ${t.label ?? `class ${t.index}`} ${t.score}`);
  }
  lines.push(...formatStreamCosts(report.costs, shape.kind));
  return lines.join('\n');
}

const cell = (v: string | number | null) =>
  `<td${typeof v === 'number' ? ' class="n"' : ''}>${v === null ? '-' : escapeHtml(typeof v === 'number' ? v.toLocaleString('en-US') : v)}</td>`;
const row = (cells: (string | number | null)[]) => `<tr>${cells.map(cell).join('')}</tr>`;

/**
 * The HTML report of a pipeline run (`run FRONTEND MODEL --html FILE`): one self-contained page with
 * the stream's shape, each window's top class, and the costs; the `--json` object sits in a JSON
 * script block (id "tinyforge-data") for tools to read back.
 */
export function pipelineHtml(report: PipelineReport, model: Graph): string {
  const json = pipelineJson(report, model) as {
    windows: { index: number; startSample: number; top: { class: number; score: number; label: string | null } }[];
  };
  const { shape, costs } = report;
  const title = `${report.frontEnd ? `${report.frontEnd} + ` : ''}${report.model} over ${report.input}`;
  const data = JSON.stringify(json).replace(/[<\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const unit = shape.kind === 'audio' ? 'sample' : 'row';
  const streamRows = [
    ['stream', shape.kind === 'audio' ? `${report.samples} samples` : `${report.samples} rows of ${shape.features} values`],
    ...(shape.kind === 'audio'
      ? [
          ['frame', `${shape.frameSamples} samples every ${shape.hop} (${shape.hopSource})`],
          ['features', `${shape.features} a frame, ${report.result.features.length} frames`],
        ]
      : []),
    ['window', `${shape.frames} frames, the model every ${shape.windowStride} new frames`],
    ['ran on', report.ranOn],
    ['reference', report.matchesReference === null ? 'the reference ran' : report.matchesReference ? 'equal byte for byte' : 'DIFFERS'],
  ];
  const costRows: (string | number | null)[][] = [
    ['counts', COUNT_KIND_WORDS[costs.kind]],
    ['per frame (front-end)', `${costs.perFrame} ${costs.unit}`],
    ['per window (model)', `${costs.perWindow} ${costs.unit}`],
    ['basis', costs.basis],
    ...(costs.measured
      ? [
          ['measured', COUNT_KIND_WORDS[costs.measured.kind]],
          ['measured per frame (front-end)', `${costs.measured.perFrame} ${costs.measured.unit}`],
          ['measured per window (model)', `${costs.measured.perWindow} ${costs.measured.unit}`],
          ['measured basis', costs.measured.basis],
        ]
      : []),
    ['rate', costs.rate ? `${costs.rate.perSecond} /s (${costs.rate.source})` : null],
    ['frames per second', costs.framesPerSecond],
    ['windows per second', costs.windowsPerSecond],
    ['per second of stream', costs.cyclesPerSecond === null ? null : `${costs.cyclesPerSecond} ${costs.unit}`],
    ['board', costs.board ? `${costs.board.name} (${costs.board.chip}) at ${costs.board.clockHz / 1e6} MHz` : null],
    ['duty cycle', costs.dutyCycle === null ? null : `${(costs.dutyCycle * 100).toPrecision(3)}% (from the ${COUNT_KIND_WORDS[costs.kind]})`],
    ['energy per second of stream', costs.microjoulesPerSecond === null ? null : `${costs.microjoulesPerSecond} uJ`],
    ['battery', costs.batteryHours === null ? null : `${costs.batteryHours} h`],
    ...costs.unavailable.map((u) => ['not given', u]),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="${REPORT_GENERATOR}">
<title>tinyforge: ${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<table>
${streamRows.map(row).join('\n')}
</table>
<h2>Costs</h2>
<p>Only the running core is counted: nothing asleep between frames, no microphone or sensor.</p>
<table>
${costRows.map(row).join('\n')}
</table>
<h2>Windows</h2>
<table>
<tr><th>window</th><th>first ${unit}</th><th>top class</th><th>score</th></tr>
${json.windows.map((w) => row([w.index, w.startSample, w.top.label ?? `class ${w.top.class}`, w.top.score])).join('\n')}
</table>
<script type="application/json" id="tinyforge-data">${data}</script>
</body>
</html>
`;
}
