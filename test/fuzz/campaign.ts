// SPDX-License-Identifier: Apache-2.0
/**
 * The differential fuzzer: generated models through TFLite Micro (`tflm-ref`, the ground truth), our
 * TS reference, the host C under ASan+UBSan and the emulated boards that select each kernel family,
 * every output compared byte for byte with TFLite Micro (with the TS reference for the components of
 * ops TFLite Micro has no kernel for: `oracle: 'ts-reference'`). A mismatch, a build failure, a
 * sanitizer report or a refusal is narrowed to the one component that causes it and saved as a reproducer
 * (model, input, TFLite Micro's outputs, the first differing tensor) that test/fuzz/repro.test.ts
 * keeps as a permanent test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Prefer } from '../../src/core/ops/op.ts';
import { type Graph, byteSize } from '../../src/core/ir/graph.ts';
import { fromBytes, toBytes } from '../../src/core/ir/buffers.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { compileForEveryTarget } from '../../src/lab/toolchain/gate.ts';
import { listTargets } from '../../src/core/targets/targets.ts';
import {
  type Batch,
  type Component,
  type ComponentSpec,
  activationBytes,
  batchSpecs,
  buildBatch,
  findGenerator,
  generatorRuns,
  loadGenerators,
} from './batch.ts';
import type { FuzzDType, FuzzGenerator } from './ops/types.ts';
import { TflmRefError, concatBytes, runTflmRefAsync } from '../helpers/tflm_ref.ts';
import { RECORDED_TARGETS, deviceKey, recordAnswer, recordedAnswer, replaysDevice } from './device_answers.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { maskInvalid } from '../helpers/valid_frames.ts';
import { type OutputTolerance, maxUlpOfBytes, outputUlpTolerances } from '../../src/lab/run/float_tolerance.ts';

/** The emulated board of each kernel family, and host (TS reference + C under the sanitizers). */
export const FAMILY_TARGETS: Record<string, string> = {
  host: 'host (C, ASan+UBSan)',
  'cortex-m4': 'DSP (Armv7E-M)',
  'cortex-m55': 'MVE (Armv8.1-M, Cortex-M55)',
  rp2040: 'Armv6-M (RP2040)',
  'cortex-m0': 'Armv6-M (Cortex-M0)',
  'cortex-m3': 'portable (Armv7-M)',
  esp32c3: 'RV32IMC (ESP32-C3)',
  esp32s3: "Xtensa LX7 + PIE SIMD (ESP32-S3, Espressif's QEMU esp32s3; recorded answers where it is absent)",
};

/** Activation bytes one batch may hold on a board (the micro:bit has 16 KiB of RAM). */
const BOARD_ACTIVATION_LIMIT: Record<string, number> = { 'cortex-m0': 6 * 1024 };
const DEFAULT_ACTIVATION_LIMIT = 96 * 1024;

export type FindingKind = 'mismatch' | 'build' | 'refused' | 'tflm-refused' | 'crash';

export interface Finding {
  kind: FindingKind;
  /** `ts-reference`, `tflm-ref`, `compile` or a target name */
  where: string;
  component: ComponentSpec;
  ops: string[];
  detail: string;
  /** where the reproducer was written */
  repro?: string;
}

export interface CampaignOptions {
  seed: number;
  /** components (models) in all */
  count: number;
  /** components per batch model */
  batchSize: number;
  /** where each batch runs besides TFLite Micro and the TS reference: host and emulated targets */
  targets: string[];
  dtypes: FuzzDType[];
  /** only generators whose name or ops include one of these */
  only?: string[];
  /** write reproducers here (none when absent) */
  reproDir?: string;
  /** the build gate: every batch also compiled for every target (-Werror) not in `targets` */
  gate?: boolean;
  /** compile --prefer for the targets and the gate (size: the compressed storages win) */
  prefer?: Prefer;
  progress?: (line: string) => void;
}

export interface CampaignResult {
  seed: number;
  models: number;
  batches: number;
  /** per op: models holding it, and per target how many of them ran there */
  byOp: Record<string, { models: number; targets: Record<string, number>; dtypes: Record<string, number> }>;
  byTarget: Record<string, number>;
  findings: Finding[];
  /** components drawn for generators whose ops have no kernel here yet (left out, with a note) */
  skipped: number;
  /** one line per generator left out */
  notes: string[];
  elapsedMs: number;
}

/** A campaign that cannot start as asked: one line for the user, not a stack trace. */
export class CampaignError extends Error {}

/** Runs a campaign: `count` components in batches of `batchSize`. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  let generators = await loadGenerators();
  if (options.only?.length) generators = generators.filter((g) => options.only!.some((o) => g.name === o || g.ops.includes(o)));
  if (generators.length === 0) throw new CampaignError('no generator matches --only');
  const drawn = generators.filter((g) => g.dtypes.some((d) => options.dtypes.includes(d)));
  if (drawn.length === 0)
    throw new CampaignError(
      `no generator of ${generators.map((g) => g.name).join(', ')} draws ${options.dtypes.join(' or ')} (they draw ${[...new Set(generators.flatMap((g) => g.dtypes))].join(', ')})`,
    );
  generators = drawn;
  const result: CampaignResult = { seed: options.seed, models: 0, batches: 0, byOp: {}, byTarget: {}, findings: [], skipped: 0, notes: [], elapsedMs: 0 };
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-fuzz-'));
  try {
    for (let k = 0, done = 0; done < options.count; k++) {
      const n = Math.min(options.batchSize, options.count - done);
      const specs = batchSpecs(generators, options.seed, k, n, done, options.dtypes);
      done += n;
      result.batches++;
      const found = await runBatch(`fuzz_s${options.seed}_b${k}`, specs, generators, options, work, result);
      result.findings.push(...found);
      progress(
        `batch ${k}: ${done}/${options.count} models, ${result.findings.length} finding(s)${found.length ? `: ${found.map((f) => `${f.kind} ${f.component.generator} on ${f.where}`).join('; ')}` : ''}`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  result.elapsedMs = Date.now() - started;
  return result;
}

/** The outputs of one component in every inference, out of a batch's outputs. */
function componentOutputs(c: Component, outputs: Uint8Array[][]): Uint8Array[][] {
  return outputs.map((perCase) => perCase.slice(c.outputs[0], c.outputs[1]));
}

/** tflm-ref's output file: one record per inference, each output tensor's bytes in turn. */
function splitOutputs(graph: Graph, bytes: Uint8Array, inferences: number): Uint8Array[][] {
  let at = 0;
  return Array.from({ length: inferences }, () => graph.outputs.map((o) => bytes.slice(at, (at += byteSize(graph.tensors[o]!)))));
}

function allInputs(batch: Batch): Uint8Array {
  return concatBytes(batch.cases.flat());
}

/** The TS reference over every inference: each from reset state, or (a stateful batch) with the state carried. */
function interpretCases(batch: Batch): Uint8Array[][] {
  const compiled = compileGraph(batch.graph, `${batch.graph.name}.tflite`);
  const state = batch.carryState ? new Map() : undefined;
  return batch.cases.map((inputs) => interpret(compiled.prepared, inputs, state).outputs);
}

function firstDifference(expected: Uint8Array, actual: Uint8Array): string | undefined {
  if (expected.length !== actual.length) return `${actual.length} bytes, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) if (expected[i] !== actual[i]) return `byte ${i}: expected ${expected[i]}, got ${actual[i]}`;
  return undefined;
}

/**
 * Components whose outputs differ from `expected` (per inference, per graph output, in order): byte
 * for byte, except a float32 output that depends on a libm layer (LOGISTIC, TANH, SOFTMAX, ...),
 * which may differ by the summed ULP bounds of those layers (FLOAT_LIBM_ULP, as `run` compares:
 * src/lab/run/float_tolerance.ts) and no more.
 */
function differingComponents(batch: Batch, expected: Uint8Array[][], actual: Uint8Array[][]): { component: Component; detail: string }[] {
  const out: { component: Component; detail: string }[] = [];
  const tolerances = outputUlpTolerances(batch.graph);
  for (const c of batch.components) {
    search: for (let k = 0; k < expected.length; k++) {
      for (let o = c.outputs[0]; o < c.outputs[1]; o++) {
        const d = outputDifference(expected[k]![o]!, actual[k]![o]!, tolerances[o]);
        if (d) {
          const t = batch.graph.tensors[batch.graph.outputs[o]!]!;
          out.push({ component: c, detail: `inference ${k} output ${o - c.outputs[0]} (tensor ${t.index} ${t.dtype}${JSON.stringify(t.shape)}): ${d}` });
          break search;
        }
      }
    }
  }
  return out;
}

/** How one output differs: the first byte, or for an output with a ULP bound the distance past it. */
export function outputDifference(expected: Uint8Array, actual: Uint8Array, tolerance: OutputTolerance | null | undefined): string | undefined {
  if (!tolerance || tolerance.ulps === 0) return firstDifference(expected, actual);
  const ulps = maxUlpOfBytes(actual, expected, tolerance.floor);
  if (ulps <= tolerance.ulps) return undefined;
  return `${ulps} ULP${tolerance.floor > 0 ? ` of max(|y|, ${tolerance.floor})` : ''} apart, past the bound of ${tolerance.ulps} (${firstDifference(expected, actual)})`;
}

function spec(c: Component): ComponentSpec {
  return { generator: c.generator, dtype: c.dtype, seed: c.seed };
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n').slice(0, 6).join(' | ').slice(0, 600);
}

/**
 * One batch: TFLite Micro first (components it refuses are generator bugs, dropped), then our compile
 * (components we refuse are findings, dropped), the TS reference, and every target.
 */
async function runBatch(
  name: string,
  specs: ComponentSpec[],
  generators: FuzzGenerator[],
  options: CampaignOptions,
  work: string,
  result: CampaignResult,
): Promise<Finding[]> {
  // a generator that comes before its op's kernel: left out until the op is registered
  const runnable = specs.filter((s) => {
    const gen = findGenerator(generators, s.generator, s.dtype);
    if (generatorRuns(gen)) return true;
    result.skipped++;
    const note = `${gen.name}: skipped, no kernel for ${gen.ops.filter((k) => !generatorRuns({ ...gen, ops: [k] })).join(', ')} here`;
    if (!result.notes.includes(note)) {
      result.notes.push(note);
      options.progress?.(note);
    }
    return false;
  });
  if (runnable.length === 0) return [];
  // stateful components run apart: several frames with their state carried
  const stateful = runnable.filter((s) => findGenerator(generators, s.generator, s.dtype).stateful === true);
  if (stateful.length > 0 && stateful.length < runnable.length) {
    const stateless = runnable.filter((s) => !stateful.includes(s));
    return [
      ...(await runBatch(name, stateless, generators, options, work, result)),
      ...(await runBatch(`${name}_frames`, stateful, generators, options, work, result)),
    ];
  }
  specs = runnable;
  const findings: Finding[] = [];
  let batch: Batch;
  try {
    batch = buildBatch(name, specs, generators);
  } catch (e) {
    // a generator that throws: find which
    const kept: ComponentSpec[] = [];
    for (const s of specs) {
      try {
        buildBatch(`${name}_probe`, [s], generators);
        kept.push(s);
      } catch (err) {
        findings.push({ kind: 'crash', where: 'generator', component: s, ops: [], detail: message(err) });
      }
    }
    if (kept.length === specs.length) throw e;
    return [...findings, ...(await runBatch(name, kept, generators, options, work, result))];
  }

  // TFLite Micro: the ground truth, for every component whose ops it has kernels for
  const tsOnly = new Set(batch.components.filter((c) => findGenerator(generators, c.generator, c.dtype).oracle === 'ts-reference').map((c) => c.seed));
  const checked = tsOnly.size === 0 ? batch : buildBatch(name, batch.components.filter((c) => !tsOnly.has(c.seed)).map(spec), generators);
  const tflmOf = new Map<number, Uint8Array[][]>();
  if (checked.components.length > 0) {
    try {
      const run = await runTflmRefAsync(writeTflite(checked.graph), allInputs(checked), { resetEach: !checked.carryState });
      const outputs = splitOutputs(checked.graph, run.outputs, checked.cases.length);
      for (const c of checked.components) tflmOf.set(c.seed, componentOutputs(c, outputs));
    } catch (e) {
      // only a refusal is narrowed down; no answer at all (tflm-ref absent, none recorded) ends the campaign
      if (!(e instanceof TflmRefError)) throw e;
      const bad = await isolate(checked, generators, async (one) => {
        await runTflmRefAsync(writeTflite(one.graph), allInputs(one), { resetEach: !one.carryState });
      });
      if (bad.length === 0) throw new Error(`${name}: tflm-ref refused the batch but no component alone: ${message(e)}`);
      for (const b of bad) findings.push({ kind: 'tflm-refused', where: 'tflm-ref', component: spec(b.component), ops: b.component.ops, detail: b.detail });
      const kept = batch.components.filter((c) => !bad.some((b) => b.component.seed === c.seed)).map(spec);
      return kept.length ? [...findings, ...(await runBatch(name, kept, generators, options, work, result))] : findings;
    }
  }

  // our compiler and the TS reference
  let actual: Uint8Array[][];
  try {
    actual = interpretCases(batch);
  } catch (e) {
    const bad = await isolate(batch, generators, async (one) => {
      interpretCases(one);
    });
    if (bad.length === 0) throw new Error(`${name}: compile refused the batch but no component alone: ${message(e)}`);
    for (const b of bad) {
      findings.push(
        await record({ kind: 'refused', where: 'compile', component: spec(b.component), ops: b.component.ops, detail: b.detail }, generators, options),
      );
    }
    const kept = batch.components.filter((c) => !bad.some((b) => b.component === c)).map(spec);
    return kept.length ? [...findings, ...(await runBatch(name, kept, generators, options, work, result))] : findings;
  }
  // what every output is held to: TFLite Micro's, or the TS reference's where TFLite Micro has no kernel
  // frames TFLite Micro leaves unwritten while a flag says so hold its arena's bytes: zeros in ours
  const expectedOf = new Map(
    batch.components.map((c) => {
      const ours = componentOutputs(c, actual);
      if (tsOnly.has(c.seed)) return [c.seed, ours];
      const theirs = tflmOf.get(c.seed)!;
      return [c.seed, c.validFlags ? maskInvalid(theirs, ours, c.validFlags) : theirs];
    }),
  );
  const expected = batch.cases.map((_, k) => batch.components.flatMap((c) => expectedOf.get(c.seed)![k]!));
  const wrongInTs = differingComponents(batch, expected, actual);
  for (const w of wrongInTs)
    findings.push(
      await record({ kind: 'mismatch', where: 'ts-reference', component: spec(w.component), ops: w.component.ops, detail: w.detail }, generators, options),
    );

  if (options.gate) findings.push(...(await gateBatch(batch, generators, options)));

  // count the models
  result.models += batch.components.length;
  for (const c of batch.components) {
    for (const op of new Set(c.ops)) {
      const entry = (result.byOp[op] ??= { models: 0, targets: {}, dtypes: {} });
      entry.models++;
      entry.dtypes[c.dtype] = (entry.dtypes[c.dtype] ?? 0) + 1;
    }
  }

  // every target, the batch split to what the board holds
  for (const target of options.targets) {
    const limit = BOARD_ACTIVATION_LIMIT[target] ?? DEFAULT_ACTIVATION_LIMIT;
    for (const group of groupsWithin(batch, generators, limit)) {
      const sub =
        group.length === batch.components.length ? batch : buildBatch(`${name}_${target.replace(/\W/g, '')}${group[0]!.seed}`, group.map(spec), generators);
      const subExpected = sub.cases.map((_, k) => sub.components.flatMap((c) => expectedOf.get(c.seed)![k]!));
      const failures = await runOnTarget(sub, subExpected, target, work, options.prefer);
      for (const f of failures) {
        findings.push(await record({ ...f, where: target, component: spec(f.component), ops: f.component.ops }, generators, options));
      }
      result.byTarget[target] = (result.byTarget[target] ?? 0) + sub.components.length;
      for (const c of sub.components)
        for (const op of new Set(c.ops)) {
          const entry = (result.byOp[op] ??= { models: 0, targets: {}, dtypes: {} });
          entry.targets[target] = (entry.targets[target] ?? 0) + 1;
        }
    }
  }
  return findings;
}

/**
 * The build gate: the batch's C compiled with every other target's toolchain and flags; a target that
 * fails is narrowed to the components that fail alone.
 */
async function gateBatch(batch: Batch, generators: FuzzGenerator[], options: CampaignOptions): Promise<Finding[]> {
  const targets = listTargets().filter((t) => !options.targets.includes(t));
  const gate = await compileForEveryTarget(batch.graph, { targets, prefer: options.prefer });
  const findings: Finding[] = [];
  for (const failed of gate.targets.filter((t) => !t.ok)) {
    const bad = await isolate(batch, generators, async (one) => {
      const alone = await compileForEveryTarget(one.graph, { targets: [failed.target], prefer: options.prefer });
      if (!alone.ok) throw new Error(alone.failures.join('; '));
    });
    const blamed = bad.length ? bad : [{ component: batch.components[0]!, detail: `the batch only: ${failed.diagnostics.slice(0, 3).join(' | ')}` }];
    for (const b of blamed) {
      findings.push(
        await record(
          { kind: 'build', where: `gate:${failed.target}`, component: spec(b.component), ops: b.component.ops, detail: b.detail },
          generators,
          options,
        ),
      );
    }
  }
  return findings;
}

/** Splits a batch's components into groups whose activations fit `limit` bytes each (alone, at least one). */
function groupsWithin(batch: Batch, generators: FuzzGenerator[], limit: number): Component[][] {
  if (activationBytes(batch.graph) <= limit) return [batch.components];
  const groups: Component[][] = [];
  let current: Component[] = [];
  let bytes = 0;
  for (const c of batch.components) {
    const own = activationBytes(buildBatch('probe', [spec(c)], generators).graph);
    if (own > limit) continue; // too big for this board alone: runs elsewhere
    if (bytes + own > limit && current.length) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(c);
    bytes += own;
  }
  if (current.length) groups.push(current);
  return groups;
}

/** Runs each component alone through `check`; returns those that throw. */
async function isolate(batch: Batch, generators: FuzzGenerator[], check: (one: Batch) => Promise<void>): Promise<{ component: Component; detail: string }[]> {
  const bad: { component: Component; detail: string }[] = [];
  for (const c of batch.components) {
    const one = buildBatch(`${batch.graph.name}_one`, [spec(c)], generators);
    try {
      await check(one);
    } catch (e) {
      bad.push({ component: c, detail: message(e) });
    }
  }
  return bad;
}

/**
 * Builds and runs a batch on one target (host: C under ASan+UBSan) and compares every output with
 * TFLite Micro's. A build or run failure is narrowed to the components that fail alone.
 */
async function runOnTarget(
  batch: Batch,
  expected: Uint8Array[][],
  target: string,
  work: string,
  prefer?: Prefer,
): Promise<{ kind: FindingKind; component: Component; detail: string }[]> {
  const path = join(work, `${batch.graph.name}.tflite`);
  const model = writeTflite(batch.graph);
  // a recorded board (the ESP32-S3 on Espressif's QEMU) answers from its recording where it cannot run here
  const key = RECORDED_TARGETS[target] ? deviceKey(target, model, batch.cases) : null;
  if (key && replaysDevice(target)) {
    const recorded = recordedAnswer(target, key);
    if (!recorded) {
      const what = `no recorded answer of ${target} for ${batch.graph.name} (key ${key.slice(0, 12)}; TINYFORGE_RECORD_DEVICE=1 with the tools records it)`;
      skipAbsent(what, `skipping the ${target} slice`, undefined, false);
      throw new Error(what);
    }
    return differingComponents(batch, expected, recorded).map((d) => ({ kind: 'mismatch' as const, ...d }));
  }
  writeFileSync(path, model);
  try {
    const report = await runModel(path, {
      target,
      cases: batch.cases,
      sanitize: target === 'host',
      timeoutMs: 120_000,
      prefer,
      carryState: batch.carryState,
    });
    // a report's values are numbers: a 64-bit output is exact only as the TS reference's bytes, which a
    // case's outputs equal byte for byte when the report says so
    const wide = batch.graph.outputs.some((o) => ['int64', 'uint64'].includes(batch.graph.tensors[o]!.dtype));
    const reference = wide ? interpretCases(batch) : undefined;
    const actual = report.cases.map((c, k) =>
      reference && c.matchesReference
        ? reference[k]!
        : c.outputs.map((values, o) => {
            const t = batch.graph.tensors[batch.graph.outputs[o]!]!;
            return valuesToBytes(t.dtype, values);
          }),
    );
    if (key) recordAnswer(target, key, actual);
    return differingComponents(batch, expected, actual).map((d) => ({ kind: 'mismatch' as const, ...d }));
  } catch (e) {
    if (batch.components.length === 1) {
      const text = message(e);
      return [{ kind: /sanitizer|runtime error|AddressSanitizer/i.test(text) ? 'crash' : 'build', component: batch.components[0]!, detail: text }];
    }
    // narrow down: halves, then each failing half again
    const half = Math.ceil(batch.components.length / 2);
    const out: { kind: FindingKind; component: Component; detail: string }[] = [];
    for (const part of [batch.components.slice(0, half), batch.components.slice(half)]) {
      if (!part.length) continue;
      const gens = await loadGenerators();
      const sub = buildBatch(`${batch.graph.name}_h${part[0]!.seed}`, part.map(spec), gens);
      const subExpected = expected.map((perCase) => part.flatMap((c) => perCase.slice(c.outputs[0], c.outputs[1])));
      out.push(...(await runOnTarget(sub, subExpected, target, work, prefer)));
    }
    if (out.length === 0) out.push({ kind: 'build', component: batch.components[0]!, detail: `the batch failed, no part alone: ${message(e)}` });
    return out;
  } finally {
    rmSync(path, { force: true });
  }
}

/** A tensor's values (as run reports give them) back as its bytes. */
export function valuesToBytes(dtype: Graph['tensors'][number]['dtype'], values: number[]): Uint8Array {
  const empty = fromBytes(dtype, new Uint8Array(0));
  const ctor = empty.constructor as unknown as { from(v: ArrayLike<number | bigint>): typeof empty };
  const typed =
    dtype === 'int64'
      ? BigInt64Array.from(values.map((v) => BigInt(v)))
      : dtype === 'uint64'
        ? BigUint64Array.from(values.map((v) => BigInt(v)))
        : ctor.from(values);
  return new Uint8Array(toBytes(typed));
}

/** Writes a finding's reproducer (when a repro dir is set) and returns the finding with its path. */
async function record(f: Finding, generators: FuzzGenerator[], options: CampaignOptions): Promise<Finding> {
  if (!options.reproDir) return f;
  const { saveReproducer } = await import('./repro.ts');
  return { ...f, repro: await saveReproducer(f, generators, options.reproDir) };
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
