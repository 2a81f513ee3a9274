// SPDX-License-Identifier: Apache-2.0
/**
 * The report of `run` on a pipeline: per window the model's outputs (the terminal: the top class of
 * output 0 and its score), the features per frame, the costs. docs/json-output.md has the JSON.
 */
import type { Graph } from '../../core/ir/graph.ts';
import type { StreamResult, StreamShape } from '../../core/pipeline/stream.ts';
import type { StreamCosts } from '../../lab/estimate/stream.ts';
import { formatStreamCosts } from '../../lab/estimate/stream.ts';
import { outputValues } from '../../lab/data/bytes.ts';

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

export function pipelineJson(report: PipelineReport, model: Graph): object {
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
  if (report.result.windows.length === 0) lines.push(`no window: the stream is shorter than one window (${shape.frames} frames)`);
  for (const w of report.result.windows) {
    const t = top(model, w.outputs, report.labels);
    lines.push(`window ${w.index} at ${unit} ${w.startSample}: ${t.label ?? `class ${t.index}`} ${t.score}`);
  }
  lines.push(...formatStreamCosts(report.costs, shape.kind));
  return lines.join('\n');
}
