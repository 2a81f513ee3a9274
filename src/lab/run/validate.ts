// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge validate`: runs many inputs on the board and compares every output bit for bit with the
 * host's reference kernels. Where a case differs, it finds the first layer whose output differs:
 * the firmware is a profile build, so INVOKE can stop right after layer k, when that layer's output
 * is certainly intact in the arena, and READ_TENSOR reads it back.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type Graph, byteSize } from '../../core/ir/graph.ts';
import { type TensorBuffer, fromBytes, toBytes } from '../../core/ir/buffers.ts';
import { loadGraph } from '../../core/model/load.ts';
import { type InterpreterRun, interpret } from '../../core/ops/interpreter.ts';
import type { CompiledModel } from '../../core/compile.ts';
import { type DeviceSession, withSession } from '../device/session.ts';
import { checkStack } from '../device/emulator.ts';
import type { TracedCounts } from '../estimate/timing/index.ts';
import { type DeviceBuild, type DeviceTargetOptions, type RunsOn, runsOnFacts, withDeviceBuild } from './device-build.ts';
import { type InputCase, readInputCases } from '../data/inputs.ts';
import { concat, outputValues, splitOutputs } from '../data/bytes.ts';
import { type FloatTolerance, floatTolerance, outputMatches, outputUlpTolerances } from './float_tolerance.ts';
import { countsWithPlugin, reportedCounter, timingFor } from '../estimate/timing/run.ts';

export interface NamedInput {
  /** file name, with `#i` when the file holds several inputs */
  name: string;
  tensors: InputCase;
}

export interface Mismatch {
  /** output tensor (position among the model's outputs) */
  output: number;
  /** element index within it */
  index: number;
  expected: number;
  actual: number;
}

export interface DifferingLayer {
  /** layer position = op index */
  index: number;
  op: string;
  /** the output tensor that differs */
  tensor: number;
  name: string;
  /** first differing element of it */
  element: number;
  expected: number;
  actual: number;
}

export interface ValidateCase {
  input: string;
  match: boolean;
  /** counter for this inference */
  count: number;
  firstMismatch?: Mismatch;
  /** where the search found it; null if every layer's output matched (or the search was not possible) */
  firstDifferingLayer?: DifferingLayer | null;
}

export interface ValidateReport extends Partial<RunsOn> {
  model: string;
  target: string;
  board: string | null;
  port: string;
  counter: { kind: 'instructions' | 'cycles'; source: string };
  cases: ValidateCase[];
  matched: number;
  total: number;
  memory: { arena: number; arenaUsed: number | null; stack: number };
  /** where the model has float32 outputs: the ULPs each may differ from the reference by, and the worst seen (float_tolerance.ts) */
  floatTolerance?: FloatTolerance;
}

const withTolerance = (t: FloatTolerance | undefined): { floatTolerance?: FloatTolerance } => (t ? { floatTolerance: t } : {});

export interface ValidateOptions extends DeviceTargetOptions {
  inputs: NamedInput[];
  /** the inputs back to back with the model's state carried from one to the next (default: each from reset state) */
  carryState?: boolean;
  /** called after each input is compared (the CLI's bar) */
  onCase?: (done: number, total: number) => void;
  /** sees the outputs the board gave for input `index`, one byte array per output tensor */
  onOutputs?: (index: number, outputs: Uint8Array[]) => void;
}

/** Inputs from a file (several back to back, or a .npy with a batch dimension) or a directory of .bin/.npy files. */
export function readNamedInputs(graph: Graph, path: string): NamedInput[] {
  if (!existsSync(path)) throw new TinyforgeError(`${path}: no such input file or directory`);
  const fromFile = (file: string): NamedInput[] => {
    const cases = readInputCases(graph, file);
    return cases.map((tensors, i) => ({ name: cases.length === 1 ? basename(file) : `${basename(file)}#${i}`, tensors }));
  };
  if (!statSync(path).isDirectory()) return fromFile(path);
  const files = readdirSync(path)
    .filter((f) => ['.bin', '.npy'].includes(extname(f).toLowerCase()))
    .sort();
  if (files.length === 0) throw new TinyforgeError(`${path}: no .bin or .npy files in the directory`);
  return files.flatMap((f) => fromFile(join(path, f)));
}

export async function validateModel(modelPath: string, options: ValidateOptions): Promise<ValidateReport> {
  const graph = loadGraph(modelPath, options);
  if (options.inputs.length === 0) throw new TinyforgeError('validate: no inputs');
  return withDeviceBuild(graph, modelPath, options, async (deviceBuild) => ({
    ...(await validateOnDevice(graph, options, deviceBuild)),
    ...runsOnFacts(deviceBuild.target, deviceBuild.board, options.port === undefined),
  }));
}

/**
 * The device part of `validate`: one session on the board `deviceBuild` names, with the build already
 * made (a campaign reuses one build across many sessions: test/faults/).
 */
export async function validateOnDevice(graph: Graph, options: ValidateOptions, deviceBuild: DeviceBuild): Promise<ValidateReport> {
  const { target, board, fitFor, compiled, build, session: sessionOptions } = deviceBuild;
  const progress = options.progress ?? (() => {});
  // a board that counts with the QEMU plugin (run and profile do): the trace, no cycle estimate
  const counting =
    sessionOptions.port === undefined && countsWithPlugin(board)
      ? timingFor({ target, runOn: board, fitFor, elf: build.elf, prefix: compiled.generated.prefix, estimate: false }, progress)
      : null;
  const validated = await withSession(counting ? { ...sessionOptions, timing: counting.session } : sessionOptions, async (session) => {
    const cases: ValidateCase[] = [];
    const ulps = outputUlpTolerances(graph);
    const seen: Uint8Array[][] = [];
    const expectedSeen: Uint8Array[][] = [];
    const carry = options.carryState ?? false;
    const state = new Map<number, TensorBuffer>();
    for (const [i, input] of options.inputs.entries()) {
      const reference = interpret(compiled.prepared, input.tensors, carry ? state : undefined);
      if (!carry || i === 0) await session.resetState();
      await session.writeInputs(concat(input.tensors));
      const invoked = await session.invoke(1);
      const actual = splitOutputs(
        await session.readOutputs(),
        reference.outputs.map((o) => o.length),
      );
      options.onOutputs?.(i, actual);
      // a float32 output of libm layers within its ULP bound counts as matching (float_tolerance.ts)
      const compared = actual.map((a, o) => (ulps[o] && outputMatches(a, reference.outputs[o]!, ulps[o]) ? reference.outputs[o]! : a));
      seen.push(actual);
      expectedSeen.push(reference.outputs);
      const mismatch = firstMismatch(graph, reference.outputs, compared);
      // a fractional factor (31.25 on the AN547) gives a whole count only once rounded, as run and profile do
      const count = Math.round(invoked.firstTicks * session.counter.countsPerTick);
      const result: ValidateCase = { input: input.name, match: mismatch === undefined, count };
      if (mismatch) {
        result.firstMismatch = mismatch;
        progress(`case ${i} (${input.name}) differs at output ${mismatch.output}[${mismatch.index}]: looking for the first layer that differs`);
        // with the state carried, the search replays the inputs before this one to reach its state
        const earlier = carry ? options.inputs.slice(0, i).map((n) => n.tensors) : [];
        result.firstDifferingLayer = await findFirstDifferingLayer(session, compiled, input.tensors, reference, earlier);
        if (carry && i + 1 < options.inputs.length) await restoreCarriedState(session, options.inputs.slice(0, i + 1));
      }
      cases.push(result);
      options.onCase?.(cases.length, options.inputs.length);
    }
    const memory = await session.readMemory();
    checkStack(session.portName, memory);
    return {
      model: graph.name,
      target: target.name,
      board: board?.name ?? null,
      port: session.portName,
      counter: { kind: session.counter.kind, source: session.counter.source },
      cases,
      matched: cases.filter((c) => c.match).length,
      total: cases.length,
      memory: { arena: memory.arenaPlanned, arenaUsed: memory.arenaUsed, stack: memory.stackInvoke },
      ...withTolerance(floatTolerance(graph, seen, expectedSeen)),
    };
  });
  return countedReport(validated, board, counting?.finish({ layerCount: null, layerPositions: null, which: 'first' }).counts ?? null);
}

/**
 * The report with its counts as the board counts: on a board that counts with the plugin, each
 * case's from the trace when it holds one inference per case (a first-differing-layer search runs
 * more), else the firmware's counter labelled as the fallback.
 */
function countedReport(report: ValidateReport, board: DeviceBuild['board'], counts: TracedCounts | null): ValidateReport {
  if (!countsWithPlugin(board)) return report;
  const counter = reportedCounter(board, report.counter, counts, report.cases.length);
  if (!counter.plugin) {
    // the plugin loaded but the layer search's extra invokes leave its counts unmatched to the cases
    const source = counts ? `fallback, the counts of a layer search are not one per case: ${report.counter.source}` : counter.source;
    return { ...report, counter: { kind: counter.kind, source } };
  }
  return {
    ...report,
    counter: { kind: counter.kind, source: counter.source },
    cases: report.cases.map((c, i) => ({ ...c, count: counts!.inferences[i]! })),
  };
}

/** Runs `inputs` whole, one after the other, carrying the state: where a carried-state case begins. */
async function replay(session: DeviceSession, inputs: InputCase[]): Promise<void> {
  for (const input of inputs) {
    await session.writeInputs(concat(input));
    await session.invoke(1);
  }
}

/**
 * After a layer search under carried state the board holds the search's state: reset and replay the
 * inputs so far (the state cannot be written, only rebuilt), so the next input starts where it would.
 */
async function restoreCarriedState(session: DeviceSession, inputs: NamedInput[]): Promise<void> {
  await session.resetState();
  await replay(
    session,
    inputs.map((n) => n.tensors),
  );
}

function firstMismatch(graph: Graph, expected: Uint8Array[], actual: Uint8Array[]): Mismatch | undefined {
  for (let o = 0; o < expected.length; o++) {
    const want = outputValues(graph, o, expected[o]!);
    const got = outputValues(graph, o, actual[o]!);
    const index = want.findIndex((v, i) => !Object.is(v, got[i]));
    if (index >= 0) return { output: o, index, expected: want[index]!, actual: got[index]! };
  }
  return undefined;
}

/**
 * Runs the input once per layer, stopping after that layer, and compares its outputs in the arena
 * with the reference's: the first layer whose output differs is where the device goes wrong.
 */
async function findFirstDifferingLayer(
  session: DeviceSession,
  compiled: CompiledModel,
  input: InputCase,
  reference: InterpreterRun,
  earlier: InputCase[] = [],
): Promise<DifferingLayer | null> {
  if (!session.hello.profile || !session.hello.arenaKnown) return null;
  const { graph, plan } = compiled;
  for (const layer of compiled.prepared.layers) {
    if (layer.isAlias) continue;
    await session.resetState();
    await replay(session, earlier);
    await session.writeInputs(concat(input));
    await session.invoke(1, layer.position);
    for (const t of layer.op.outputs) {
      const tensor = graph.tensors[t]!;
      const offset = plan.tensorOffset.get(t);
      const want = reference.tensors.get(t);
      if (offset === undefined || want === undefined) continue;
      const got = await session.readArena(offset, byteSize(tensor));
      const wantValues = Array.from(want as ArrayLike<number | bigint>, Number);
      const gotValues = Array.from(fromBytes(tensor.dtype, got) as ArrayLike<number | bigint>, Number);
      if (toBytes(want).length !== got.length) throw new Error(`internal: tensor ${t} size differs from the reference`);
      const element = wantValues.findIndex((v, i) => !Object.is(v, gotValues[i]));
      if (element >= 0) {
        return { index: layer.position, op: layer.op.kind, tensor: t, name: tensor.name, element, expected: wantValues[element]!, actual: gotValues[element]! };
      }
    }
  }
  return null;
}
