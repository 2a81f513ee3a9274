// SPDX-License-Identifier: Apache-2.0
import type { Graph } from '../../core/ir/graph.ts';
import { fromBytes } from '../../core/ir/buffers.ts';
import { bytesToOnnxLayout } from '../../core/ir/onnx_layout.ts';

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts all outputs of one inference (concatenated) into one array per output tensor. */
export function splitOutputs(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  let at = 0;
  return sizes.map((n) => bytes.slice(at, (at += n)));
}

/** A value of an output in a `--json` document: a number, or "NaN", "Infinity", "-Infinity" (JSON has no number for them). */
export type JsonOutputValue = number | 'NaN' | 'Infinity' | '-Infinity';

/** An output's values for `--json`: NaN and the infinities of a float32 output as the strings "NaN", "Infinity", "-Infinity". */
export function jsonOutputValues(values: readonly number[]): JsonOutputValue[] {
  return values.map((v) => (Number.isFinite(v) ? v : (String(v) as JsonOutputValue)));
}

/** An output tensor's bytes as numbers (integers, or floats for a float output), in ONNX's layout for an ONNX model. */
export function outputValues(graph: Graph, output: number, bytes: Uint8Array): number[] {
  const t = graph.tensors[graph.outputs[output]!]!;
  // an ONNX model's output compiled channels last reads back in ONNX's own layout (NCHW)
  return Array.from(fromBytes(t.dtype, bytesToOnnxLayout(t, bytes)) as ArrayLike<number | bigint>, Number);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
