// SPDX-License-Identifier: Apache-2.0
/**
 * The differential fuzzer for ONNX models: each generated model (generate.ts) runs in ONNX Runtime
 * (the reference, at a named optimization level) and through tinyforge (`loadGraph` of the `.onnx`,
 * compiled for the host, C under ASan+UBSan, and for each emulated kernel family asked for), and
 * every output element is compared: the difference in output LSBs, (ours - our zero point) - (ORT's -
 * its zero point), so that a uint8 ONNX tensor held int8 compares at its own scale. Per model: the
 * exact share and the largest |difference|; per op and family: the same summed. A difference over 1
 * LSB, a build or run failure, or a refusal is a finding.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../../src/core/ir/graph.ts';
import { loadGraph } from '../../../src/core/model/load.ts';
import { TinyforgeError } from '../../../src/core/errors.ts';
import { runModel } from '../../../src/lab/run/run.ts';
import type { OnnxRequant } from '../../../src/core/passes/onnx_requant.ts';
import { type OnnxValue, type OrtOptimizationLevel, DEFAULT_ORT_LEVEL, runOnnxModel } from '../../../src/lab/run/onnxruntime.ts';
import { layoutOf, onnxNameOf, onnxValueAsTensor } from '../../../src/lab/run/onnx_reference.ts';
import { type GenerateOptions, type OnnxCase, generateOnnxCase } from './generate.ts';

/** Thrown when tinyforge cannot read `.onnx` yet: the campaign and its tests skip with one line. */
export class OnnxImporterAbsent extends Error {}

/** Reads an ONNX model into the IR, or says the importer is not there. */
export function loadOnnxGraph(path: string): Graph {
  try {
    return loadGraph(path);
  } catch (e) {
    if (e instanceof TinyforgeError && /unknown model format/.test(e.message)) throw new OnnxImporterAbsent('tinyforge reads no .onnx model here yet');
    throw e;
  }
}

export interface OutputComparison {
  name: string;
  elements: number;
  exact: number;
  /** the largest |ours - ORT| in output LSBs */
  maxDiff: number;
  /** the first element off by the most */
  worst?: { element: number; ours: number; ort: number };
}

export interface ModelComparison {
  label: string;
  target: string;
  outputs: OutputComparison[];
  elements: number;
  exact: number;
  maxDiff: number;
  /** the compiled C and tinyforge's TS reference agree (they must whatever ORT says) */
  matchesTsReference: boolean;
}

/** The case's inputs in the IR's layout and types, as `runModel` takes them. */
export function irInputs(graph: Graph, c: OnnxCase): Uint8Array[] {
  return graph.inputs.map((index, k) => {
    const t = graph.tensors[index]!;
    const input = c.inputs.find((i) => i.name === onnxNameOf(t)) ?? c.inputs[k];
    if (!input) throw new Error(`${c.label}: IR input ${index} "${t.name}" is no input of the ONNX model`);
    const got = onnxValueAsTensor(t, { name: input.name, dtype: input.type, shape: input.shape, data: input.data });
    if ('reason' in got) throw new Error(`${c.label}: input "${input.name}": ${got.reason}`);
    return got.data;
  });
}

/** Compares tinyforge's outputs (IR order, ONNX's layout: as run reports give them) with ORT's. */
export function compareOutputs(
  graph: Graph,
  c: OnnxCase,
  ours: number[][],
  ort: OnnxValue[],
): Omit<ModelComparison, 'label' | 'target' | 'matchesTsReference'> {
  const outputs = c.outputs.map((o, k): OutputComparison => {
    let position = graph.outputs.findIndex((i) => onnxNameOf(graph.tensors[i]!) === o.name);
    if (position < 0) position = k;
    const t = graph.tensors[graph.outputs[position]!]!;
    const values = ours[position]!;
    const layout = layoutOf(t, o.shape);
    if ('reason' in layout) throw new Error(`${c.label}: output "${o.name}": ${layout.reason}`);
    const expected = ort[k]!.data;
    // the stored integers compare as they are where both are of one type: a QOperator op on stored
    // integers (MaxPool, Pad) gives an output whose quantization the model does not state
    const sameType = t.dtype === o.type;
    const zpOurs = sameType ? o.zeroPoint : (t.quant?.zeroPoint[0] ?? 0);
    if (values.length !== expected.length) throw new Error(`${c.label}: output "${o.name}" has ${values.length} values, ORT's ${expected.length}`);
    let exact = 0;
    let maxDiff = 0;
    let worst: OutputComparison['worst'];
    values.forEach((v, i) => {
      const e = Number(expected[i]);
      const d = Math.abs(v - zpOurs - (e - o.zeroPoint));
      if (d === 0) exact++;
      if (d > maxDiff) {
        maxDiff = d;
        worst = { element: i, ours: v, ort: e };
      }
    });
    return { name: o.name, elements: values.length, exact, maxDiff, worst };
  });
  return {
    outputs,
    elements: outputs.reduce((n, o) => n + o.elements, 0),
    exact: outputs.reduce((n, o) => n + o.exact, 0),
    maxDiff: Math.max(0, ...outputs.map((o) => o.maxDiff)),
  };
}

/** ONNX Runtime's outputs of a case. */
export async function ortOutputs(c: OnnxCase, level: OrtOptimizationLevel = DEFAULT_ORT_LEVEL): Promise<OnnxValue[]> {
  return (
    await runOnnxModel(
      c.model,
      c.inputs.map((i) => i.data),
      { level },
    )
  ).outputs;
}

/** Compiles and runs one case on one target (host: C under ASan+UBSan) and compares with ORT's outputs. */
export async function runCaseOnTarget(c: OnnxCase, expected: OnnxValue[], target: string, work: string, onnxRequant?: OnnxRequant): Promise<ModelComparison> {
  const path = join(work, `${c.label}.onnx`);
  writeFileSync(path, c.model);
  try {
    const graph = loadOnnxGraph(path);
    const report = await runModel(path, { target, cases: [irInputs(graph, c)], sanitize: target === 'host', timeoutMs: 120_000, onnxRequant });
    return { label: c.label, target, matchesTsReference: report.matchesReference, ...compareOutputs(graph, c, report.cases[0]!.outputs, expected) };
  } finally {
    rmSync(path, { force: true });
  }
}

export interface OnnxFinding {
  label: string;
  target: string;
  /** refused: tinyforge says in one line it does not take the model (an op or attribute it lacks) */
  kind: 'mismatch' | 'c-vs-ts' | 'refused' | 'failed';
  detail: string;
  /** where the reproducer (model, inputs, ORT's outputs) was written */
  repro?: string;
}

export interface Tally {
  models: number;
  elements: number;
  exact: number;
  maxDiff: number;
}

export interface OnnxCampaignResult {
  seed: number;
  level: OrtOptimizationLevel;
  models: number;
  /** op -> target -> tally */
  byOp: Record<string, Record<string, Tally>>;
  byTarget: Record<string, Tally>;
  comparisons: (ModelComparison & { ops: string[]; form: string; act: string })[];
  findings: OnnxFinding[];
  /** models whose ORT outputs differ between optimization levels 'all' and 'disabled' */
  levelsDiffer: number;
  elapsedMs: number;
}

export interface OnnxCampaignOptions extends GenerateOptions {
  seed: number;
  count: number;
  targets: string[];
  level?: OrtOptimizationLevel;
  /** ONNX Runtime's float32 requantization (exact, the default) or TFLite's fixed point on the family kernels */
  onnxRequant?: OnnxRequant;
  /** reproducers of findings go here (none when absent) */
  reproDir?: string;
  /** stop drawing models after this long (the CI slice's bound) */
  budgetMs?: number;
  progress?: (line: string) => void;
}

function tallyInto(t: Tally | undefined, m: ModelComparison): Tally {
  const r = t ?? { models: 0, elements: 0, exact: 0, maxDiff: 0 };
  return { models: r.models + 1, elements: r.elements + m.elements, exact: r.exact + m.exact, maxDiff: Math.max(r.maxDiff, m.maxDiff) };
}

/** Writes a case as the recorded-answer format (record.ts): `<label>.onnx` and `<label>.json`. */
export function saveCase(dir: string, c: OnnxCase, expected: OnnxValue[], level: OrtOptimizationLevel): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${c.label}.onnx`), c.model);
  const b64 = (data: ArrayBufferView) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  const json = {
    label: c.label,
    generator: c.generator,
    form: c.form,
    act: c.act,
    seed: c.seed,
    ops: c.ops,
    level,
    inputs: c.inputs.map(({ data, ...rest }) => ({ ...rest, data: b64(data) })),
    outputs: c.outputs.map((o, k) => ({ ...o, data: b64(expected[k]!.data) })),
  };
  writeFileSync(join(dir, `${c.label}.json`), `${JSON.stringify(json, null, 1)}\n`);
  return join(dir, `${c.label}.json`);
}

export async function runOnnxCampaign(options: OnnxCampaignOptions): Promise<OnnxCampaignResult> {
  const start = Date.now();
  const level = options.level ?? DEFAULT_ORT_LEVEL;
  const progress = options.progress ?? (() => {});
  const result: OnnxCampaignResult = {
    seed: options.seed,
    level,
    models: 0,
    byOp: {},
    byTarget: {},
    comparisons: [],
    findings: [],
    levelsDiffer: 0,
    elapsedMs: 0,
  };
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-fuzz-'));
  try {
    for (let k = 0; k < options.count; k++) {
      if (options.budgetMs !== undefined && Date.now() - start > options.budgetMs) break;
      const c = await generateOnnxCase(options.seed * 100_003 + k, options);
      const expected = await ortOutputs(c, level);
      const unfused = await ortOutputs(c, level === 'disabled' ? 'all' : 'disabled');
      if (expected.some((o, i) => o.data.some((v, j) => v !== unfused[i]!.data[j]))) result.levelsDiffer++;
      result.models++;
      for (const target of options.targets) {
        let finding: OnnxFinding | undefined;
        try {
          const m = await runCaseOnTarget(c, expected, target, work, options.onnxRequant);
          result.comparisons.push({ ...m, ops: c.ops, form: c.form, act: c.act });
          result.byTarget[target] = tallyInto(result.byTarget[target], m);
          for (const op of c.ops) (result.byOp[op] ??= {})[target] = tallyInto(result.byOp[op]?.[target], m);
          if (m.maxDiff > 1) {
            const o = m.outputs.find((x) => x.maxDiff === m.maxDiff)!;
            finding = {
              label: c.label,
              target,
              kind: 'mismatch',
              detail: `${m.maxDiff} LSB off at output "${o.name}"[${o.worst!.element}]: ours ${o.worst!.ours}, ORT ${o.worst!.ort}; ${m.exact} of ${m.elements} exact`,
            };
          } else if (!m.matchesTsReference) finding = { label: c.label, target, kind: 'c-vs-ts', detail: "the C outputs differ from tinyforge's TS reference" };
        } catch (e) {
          if (e instanceof OnnxImporterAbsent) throw e;
          finding = { label: c.label, target, kind: e instanceof TinyforgeError ? 'refused' : 'failed', detail: (e as Error).message.split('\n')[0]! };
        }
        if (finding) {
          if (options.reproDir) finding.repro = saveCase(options.reproDir, c, expected, level);
          result.findings.push(finding);
        }
      }
      progress(`${c.label}: ${c.ops.join(',')}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  result.elapsedMs = Date.now() - start;
  return result;
}

/** The campaign's table: per op, models and per family the exact share and max |diff| in LSB. */
export function formatOnnxCampaign(r: OnnxCampaignResult, targets: string[]): string {
  const cell = (t: Tally | undefined) => (t ? `${((100 * t.exact) / Math.max(1, t.elements)).toFixed(2)}% ≤${t.maxDiff}` : '-');
  const header = ['op', ...targets.map((t) => `${t} (exact, max LSB)`)];
  const ops = Object.keys(r.byOp).sort();
  const rows = [...ops.map((op) => [op, ...targets.map((t) => `${r.byOp[op]![t]?.models ?? 0}: ${cell(r.byOp[op]![t])}`)])];
  rows.push(['all', ...targets.map((t) => `${r.byTarget[t]?.models ?? 0}: ${cell(r.byTarget[t])}`)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
