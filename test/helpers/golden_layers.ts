// SPDX-License-Identifier: Apache-2.0
/**
 * One op checked on every layer of its kind in the real models: the recorded input activations of a
 * golden case (TFLite Micro's own run) go through the op's reference kernel, or through its emitted
 * C, and must give the recorded output activation byte for byte.
 */
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { type Graph, type Op, elementCount } from '../../src/core/ir/graph.ts';
import { type TensorBuffer, allocBuffer, fromBytes, toBytes } from '../../src/core/ir/buffers.ts';
import type { OpDef } from '../../src/core/ops/op.ts';
import { type GoldenCase, goldenActivation, goldenCases, sharedModelPath } from './shared.ts';
import { type CCase, firstDifference, runCasesInC } from './op_harness.ts';

const graphs = new Map<string, Graph>();

export function sharedGraph(model: string): Graph {
  let g = graphs.get(model);
  if (!g) {
    g = readTflite(sharedModelPath(model));
    graphs.set(model, g);
  }
  return g;
}

/** The layers of `kind` in `model`, in execution order. */
export function layersOfKind(model: string, kind: string): Op[] {
  return sharedGraph(model).ops.filter((op) => op.kind === kind);
}

/** The recorded values of an op's non-constant inputs in one golden case (input order). */
export function recordedInputs(graph: Graph, op: Op, c: GoldenCase): TensorBuffer[] {
  return op.inputs
    .filter((i) => i >= 0 && !graph.tensors[i]!.data)
    .map((i) => {
      const bytes = goldenActivation(c, i);
      if (!bytes) throw new Error(`golden case ${c.name}: tensor ${i} was not recorded`);
      return fromBytes(graph.tensors[i]!.dtype, bytes);
    });
}

export function recordedOutput(op: Op, c: GoldenCase): Uint8Array {
  const bytes = goldenActivation(c, op.outputs[0]!);
  if (!bytes) throw new Error(`golden case ${c.name}: tensor ${op.outputs[0]} was not recorded`);
  return bytes;
}

function label(model: string, op: Op, c: GoldenCase): string {
  return `${model} op ${op.index} (${op.kind}) case ${c.name}`;
}

/**
 * Runs the reference kernel on every layer of `def.kind` in `model` for every golden case; returns
 * the number of layer runs and a description of each mismatch (empty when all are bit-exact).
 */
export function goldenReferenceMismatches(def: OpDef, model: string): { runs: number; mismatches: string[] } {
  const graph = sharedGraph(model);
  const cases = goldenCases(model);
  const mismatches: string[] = [];
  let runs = 0;
  for (const op of layersOfKind(model, def.kind)) {
    def.check(graph, op);
    const params = def.prepare(graph, op);
    for (const c of cases) {
      const recorded = recordedInputs(graph, op, c);
      let next = 0;
      const inputs = op.inputs.map((i) =>
        i < 0 ? undefined : graph.tensors[i]!.data ? fromBytes(graph.tensors[i]!.dtype, graph.tensors[i]!.data!) : recorded[next++],
      );
      const out = graph.tensors[op.outputs[0]!]!;
      const result = allocBuffer(out.dtype, elementCount(out.shape));
      def.evaluate(params, inputs, [result]);
      const diff = firstDifference(recordedOutput(op, c), toBytes(result));
      if (diff) mismatches.push(`${label(model, op, c)}: ${diff}`);
      runs++;
    }
  }
  return { runs, mismatches };
}

/**
 * Compiles the emitted C of the given layers for the given golden cases into one program and
 * compares each output with the recording.
 */
export function goldenCMismatches(def: OpDef, model: string, ops: Op[], caseIndices: number[]): { runs: number; mismatches: string[] } {
  const graph = sharedGraph(model);
  const all = goldenCases(model);
  const runs: { op: Op; c: GoldenCase }[] = [];
  const cCases: CCase[] = [];
  for (const op of ops) {
    for (const k of caseIndices) {
      const c = all[k]!;
      runs.push({ op, c });
      cCases.push({ def, graph, op, inputs: recordedInputs(graph, op, c) });
    }
  }
  const results = runCasesInC(cCases);
  const mismatches: string[] = [];
  runs.forEach(({ op, c }, k) => {
    const diff = firstDifference(recordedOutput(op, c), results[k]![0]!);
    if (diff) mismatches.push(`${label(model, op, c)} (C): ${diff}`);
  });
  return { runs: runs.length, mismatches };
}
