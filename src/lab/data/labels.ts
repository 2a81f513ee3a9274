// SPDX-License-Identifier: Apache-2.0
/**
 * Class labels (`--labels FILE`, "labels" of tinyforge.json): the name of each element of a
 * classifier's output, and the top class of an output as a person reads it (index, label, score).
 * A labels file is one label a line, or JSON: an array of strings, or {"labels": [...]}.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { TinyforgeError } from '../../core/errors.ts';
import { type Graph, elementCount } from '../../core/ir/graph.ts';
import { fromBytes } from '../../core/ir/buffers.ts';

export interface TopClass {
  /** the element of the output with the largest value (the first of equal ones) */
  index: number;
  /** its label; null without labels */
  label: string | null;
  /** its real value (dequantized): a probability when the output is a softmax's */
  score: number;
}

/** Reads a labels file: one label a line (blank lines skipped), a JSON array, or {"labels": [...]}. */
export function readClassLabels(path: string): string[] {
  if (!existsSync(path) || statSync(path).isDirectory()) throw new TinyforgeError(`${path}: no such labels file`);
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trim();
  const labels = trimmed.startsWith('[') || trimmed.startsWith('{') || path.toLowerCase().endsWith('.json') ? jsonLabels(trimmed, path) : labelLines(text);
  if (labels.length === 0) throw new TinyforgeError(`${path}: no labels in the file (one label a line, or a JSON array)`);
  return labels;
}

/** One label a line, each trimmed, blank lines skipped. */
export function labelLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function jsonLabels(text: string, path: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TinyforgeError(`${path}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const list = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).labels : undefined;
  if (!Array.isArray(list)) throw new TinyforgeError(`${path}: expected a JSON array of labels or {"labels": [...]}`);
  // numbers name classes as well as strings do (["0", "1"] and [0, 1] read the same)
  const bad = list.findIndex((l) => typeof l !== 'string' && typeof l !== 'number');
  if (bad >= 0) throw new TinyforgeError(`${path}: label ${bad} is ${JSON.stringify(list[bad])}; expected a string`);
  return list.map((l) => String(l));
}

/** Elements of graph output `output` (0: the first), which labels name one each. */
export function outputElements(graph: Graph, output = 0): number {
  return elementCount(graph.tensors[graph.outputs[output]!]!.shape);
}

/**
 * Checks that `labels` (read from `source`) name every element of the model's first output: a count
 * that differs is one line naming the file and the tensor.
 */
export function checkLabelCount(graph: Graph, labels: readonly string[], source: string): void {
  const tensor = graph.tensors[graph.outputs[0]!]!;
  const n = outputElements(graph);
  if (labels.length !== n)
    throw new TinyforgeError(
      `${source}: ${labels.length} label${labels.length === 1 ? '' : 's'} for output tensor ${tensor.index} "${tensor.name}" of ${n} elements`,
    );
}

/** Whether graph output `output` is produced by a softmax (its values are probabilities). */
export function isSoftmaxOutput(graph: Graph, output = 0): boolean {
  const index = graph.outputs[output]!;
  return graph.ops.some((op) => op.outputs.includes(index) && op.kind === 'SOFTMAX');
}

/** The real values of output `output` from its raw values (integers, or floats for a float output). */
export function dequantizedOutput(graph: Graph, output: number, values: ArrayLike<number>): Float64Array {
  const q = graph.tensors[graph.outputs[output]!]!.quant;
  if (!q || q.scale.length !== 1) return Float64Array.from(values);
  const scale = q.scale[0]!;
  const zeroPoint = q.zeroPoint[0] ?? 0;
  return Float64Array.from(values, (v) => scale * (v - zeroPoint));
}

/** The same from the output's bytes. */
export function dequantizedOutputBytes(graph: Graph, output: number, bytes: Uint8Array): Float64Array {
  const t = graph.tensors[graph.outputs[output]!]!;
  return dequantizedOutput(graph, output, Array.from(fromBytes(t.dtype, bytes) as ArrayLike<number | bigint>, Number));
}

/** Index of the largest value (the first of equal ones); -1 for none. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (best < 0 || values[i]! > values[best]!) best = i;
  return best;
}

/** The top class of the first output's raw values: its index, label and dequantized score. */
export function topClass(graph: Graph, rawValues: ArrayLike<number>, labels: readonly string[] | null): TopClass {
  const scores = dequantizedOutput(graph, 0, rawValues);
  const index = argmax(scores);
  return { index, label: labels ? (labels[index] ?? null) : null, score: scores[index]! };
}

/**
 * Whether a model reads as a classifier, whose top class is worth showing without labels: one output
 * of two or more elements that a softmax makes.
 */
export function looksLikeClassifier(graph: Graph): boolean {
  return graph.outputs.length === 1 && outputElements(graph) >= 2 && isSoftmaxOutput(graph);
}

/** Longest label a terminal line shows whole (`--json` carries every label whole). */
const SHOWN_LABEL = 24;

/** `7 "seven" 0.962` (a softmax's score as a probability: `96.2%`). */
export function formatTopClass(top: TopClass, probability: boolean): string {
  const score = probability ? `${(top.score * 100).toFixed(1)}%` : formatScore(top.score);
  const label = top.label !== null && top.label.length > SHOWN_LABEL ? `${top.label.slice(0, SHOWN_LABEL - 1)}…` : top.label;
  return `${top.index}${label !== null ? ` ${JSON.stringify(label)}` : ''} ${score}`;
}

function formatScore(v: number): string {
  return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(3) : Number(v.toFixed(4)).toString();
}
