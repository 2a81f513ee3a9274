// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge validate MODEL --reference DIR`: runs the model on the device (an emulated board, a
 * real board on a port, or natively for `host`) on one input, reads back every layer's output tensor
 * and compares each with a per-tensor reference dump (docs/reference-dumps.md), such as TFLite
 * Micro's from `tflm-ref --layers DIR`. It names the first layer, in execution order, whose output
 * differs; the model outputs are compared too.
 *
 * On a board the firmware is the profile build: INVOKE stops right after layer k, when k's outputs
 * are intact in the arena, and READ_TENSOR reads them. On the host the profile build of the host
 * harness appends the arena after every layer to a file. Tensors are matched by the model file's
 * index (the graph passes keep it), else by name; tensors the passes folded away or removed are
 * listed as not comparable. Alias layers (RESHAPE and no-op moves) share their input's bytes, so
 * their output is read where the bytes they alias were computed.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type Graph, DTYPE_BYTES, byteSize, isConstant } from '../../core/ir/graph.ts';
import { fromBytes } from '../../core/ir/buffers.ts';
import { loadGraph } from '../../core/model/load.ts';
import { boardOf, loadTarget } from '../toolchain/index.ts';
import type { CompiledModel } from '../../core/compile.ts';
import type { PreparedLayer } from '../../core/ops/prepare.ts';
import { runOnHost } from '../device/host.ts';
import { withSession } from '../device/session.ts';
import { DeviceStatusError } from '../device/protocol/client.ts';
import { Status } from '../device/protocol/messages.ts';
import { compileForTarget, requireTools, type DeviceTargetOptions, withDeviceBuild, withTargetBuild } from './device-build.ts';
import { type InputCase, readInputCases, zeroPointCase } from '../data/inputs.ts';
import { concat, splitOutputs } from '../data/bytes.ts';
import { type MatchedReference, type ReferenceDump, readReferenceDump, matchReference } from './reference.ts';
import { makeTempFolder, removeTempFolder } from '../lifecycle.ts';
import { type OnnxReference, type OrtLevelComparison, isOnnxTensorDir, onnxRuntimeReference, onnxTensorDirReference } from './onnx_reference.ts';
import type { OrtOptimizationLevel } from './onnxruntime.ts';

export interface ReferenceValidateOptions extends DeviceTargetOptions {
  /**
   * the reference dump directory (index.json and <index>.bin, or an ONNX model's TensorProto files);
   * 'onnxruntime' for an ONNX model: ONNX Runtime runs it now and dumps every integer tensor
   */
  reference: string;
  /** with reference 'onnxruntime': the graph optimization level (default 'all') */
  ortLevel?: OrtOptimizationLevel;
  /** raw input file (one or more inferences back to back; state carries over) or .npy; default: the reference's own input tensors */
  input?: string;
}

export interface TensorComparison {
  /** the model file's tensor index */
  tensor: number;
  name: string;
  /** the reference entry's index, and how it was matched to the model's tensor */
  referenceIndex: number;
  matchedBy: 'index' | 'name';
  elements: number;
  /** elements that differ */
  differing: number;
  /** the first differing element */
  element?: number;
  expected?: number;
  actual?: number;
  /** when any differ: the largest |expected - actual| (in LSBs for an integer tensor) */
  maxDifference?: number;
}

export interface LayerComparison {
  /** position in execution order (the profile's layer number) */
  position: number;
  op: string;
  /** the op's index in the model file */
  opIndex: number;
  tensors: TensorComparison[];
}

export interface OutputComparison extends TensorComparison {
  /** position among the model's outputs */
  output: number;
}

export interface FirstDifference {
  /** a layer's output, or a model output or variable tensor read after the whole inference */
  kind: 'layer' | 'output' | 'state';
  /** the layer (kind 'layer') */
  position: number | null;
  op: string | null;
  opIndex: number | null;
  /** the output position (kind 'output') */
  output: number | null;
  tensor: number;
  name: string;
  element: number;
  expected: number;
  actual: number;
  differing: number;
  elements: number;
}

export interface ReferenceReport {
  model: string;
  target: string;
  board: string | null;
  /** serial port or emulator link; null on the host */
  port: string | null;
  reference: string;
  /** where the input came from: a file, the reference's input tensors, or the zero point */
  input: string;
  inferences: number;
  match: boolean;
  firstDifference: FirstDifference | null;
  layers: LayerComparison[];
  outputs: OutputComparison[];
  /** variable tensors (state kept between inferences, e.g. an LSTM's), read after the whole inference */
  state: TensorComparison[];
  /** reference tensors that cannot be compared, and why (folded away by the graph passes, ...) */
  notComparable: { tensor: number; name: string; reason: string }[];
  /** reference tensors checked without the device: model inputs against the input, constants against the model file */
  checked: { inputs: number; constants: number };
  /** activations of the model the reference has no entry for */
  absent: number[];
  /** with --reference onnxruntime: whether ONNX Runtime's outputs at the other optimization level equal the ones compared */
  ortLevels?: OrtLevelComparison;
}

/** What the device computed: bytes of the tensors asked for, read right after their layer, and the outputs. */
interface DeviceResult {
  tensors: Map<number, Uint8Array>;
  /** variable tensors after the whole inference */
  state: Map<number, Uint8Array>;
  outputs: Uint8Array[];
  board: string | null;
  port: string | null;
}

/** A tensor to read after layer `position` (a non-alias layer), at its arena offset. */
interface TensorRead {
  tensor: number;
  offset: number;
  bytes: number;
}

/** `--reference onnxruntime`: ONNX Runtime, run live, is the reference. */
export const ONNX_RUNTIME_REFERENCE = 'onnxruntime';

export async function validateAgainstReference(modelPath: string, options: ReferenceValidateOptions): Promise<ReferenceReport> {
  const progress = options.progress ?? (() => {});
  const original = loadGraph(modelPath, options);
  const modelLabel = basename(modelPath);
  let onnx: OnnxReference | undefined;
  if (options.reference === ONNX_RUNTIME_REFERENCE) {
    if (extname(modelPath).toLowerCase() !== '.onnx') throw new TinyforgeError(`--reference onnxruntime is for an ONNX model (.onnx), not ${modelLabel}`);
    const given = options.input !== undefined ? readInputCases(original, options.input) : [zeroPointCase(original)];
    onnx = await onnxRuntimeReference(modelPath, original, given[given.length - 1]!, options.ortLevel, options.bind);
  } else if (isOnnxTensorDir(options.reference)) onnx = onnxTensorDirReference(options.reference, original);
  const dump = onnx?.dump ?? readReferenceDump(options.reference);
  const matched = matchReference(original, dump, modelLabel);
  const byTensor = new Map(matched.map((m) => [m.tensor, m]));
  const { records, source } = inputRecords(original, byTensor, options.input);
  const checked = checkWithoutDevice(original, matched, records[records.length - 1]!, source);

  const target = loadTarget(options.target);
  const work = async (compiled: CompiledModel, run: (plan: ReadPlan) => Promise<DeviceResult>): Promise<ReferenceReport> => {
    const plan = planReads(original, compiled, byTensor, records[records.length - 1]!);
    const device = await run(plan);
    plan.notComparable.push(...(onnx?.unmatched ?? []));
    const report = compare(compiled, original, plan, device, byTensor, {
      model: compiled.graph.name,
      target: target.name,
      reference: dump.dir,
      input: source,
      inferences: records.length,
      checked,
    });
    return onnx?.levels ? { ...report, ortLevels: onnx.levels } : report;
  };

  if (target.firmware === 'host') {
    if (options.port) throw new TinyforgeError('--port is for a board, not the host target');
    const board = boardOf(target, options.board);
    requireTools(target, board, false);
    // every layer's whole output must exist in the arena: no row-band stage, whatever the default
    const compiled = compileForTarget(original, modelPath, target, board, {
      prefer: options.prefer,
      kernels: options.kernels,
      deadNeurons: options.deadNeurons,
      onnxRequant: options.onnxRequant,
      patch: 'off',
    });
    const input0 = compiled.plan.tensorOffset.get(compiled.graph.inputs[0]!);
    if (input0 === undefined) throw new TinyforgeError(`${modelLabel}: input 0 is not in the arena: the host harness cannot find the layers' tensors`);
    const buildOptions = {
      workDir: options.workDir,
      profile: true,
      extraCflags: [...(options.extraCflags ?? []), `-DTF_HARNESS_INPUT0_ARENA_OFFSET=${input0}u`],
      progress,
    };
    return withTargetBuild(compiled, target, board, buildOptions, ({ build }) =>
      work(compiled, async (plan) => {
        progress('running on the host');
        return runHost(build.elf, compiled, records, plan, options.timeoutMs);
      }),
    );
  }
  return withDeviceBuild(original, modelPath, { ...options, profile: true, patch: 'off' }, ({ compiled, board, session: sessionOptions }) =>
    work(compiled, ({ reads, state: stateReads }) =>
      withSession(sessionOptions, async (session): Promise<DeviceResult> => {
        if (!session.hello.profile || !session.hello.arenaKnown) {
          throw new TinyforgeError(
            `${session.portName}: the firmware is not a profile build that knows its arena: flash it with \`tinyforge flash MODEL --profile --patch off\``,
          );
        }
        // from reset state: every record written and run but the last, which is only written
        const upToLast = async () => {
          await session.resetState();
          for (const [i, record] of records.entries()) {
            await session.writeInputs(concat(record));
            if (i < records.length - 1) await session.invoke(1);
          }
        };
        const inferAll = async (stopAfter?: number) => {
          await upToLast();
          await session.invoke(1, stopAfter);
        };
        const outputBytes = compiled.graph.outputs.map((o) => byteSize(compiled.graph.tensors[o]!));
        const tensors = new Map<number, Uint8Array>();
        const readLayer = async (position: number, list: TensorRead[]) => {
          progress(`layer ${position}: reading ${list.length} tensor${list.length === 1 ? '' : 's'}`);
          for (const r of list) tensors.set(r.tensor, await session.readArena(r.offset, r.bytes));
        };
        const positions = [...reads.keys()].sort((a, b) => a - b);
        // one inference paused after each layer read (INVOKE_STEP): the inputs cross the link once;
        // firmware without it answers "unknown command" and every layer costs a whole run from the inputs
        let stepped = false;
        if (positions.length > 0) {
          await upToLast();
          try {
            await session.invokeStep(positions[0]!);
            stepped = true;
          } catch (e) {
            if (!(e instanceof DeviceStatusError && (e.status === Status.UNKNOWN_COMMAND || e.status === Status.NOT_SUPPORTED))) throw e;
          }
          if (stepped) {
            for (const [k, position] of positions.entries()) {
              if (k > 0) await session.invokeStep(position);
              await readLayer(position, reads.get(position)!);
            }
            await session.invokeStep(null);
          }
        }
        if (!stepped) {
          for (const position of positions) {
            await inferAll(position);
            await readLayer(position, reads.get(position)!);
          }
          await inferAll();
        }
        const outputs = splitOutputs(await session.readOutputs(), outputBytes);
        const state = new Map<number, Uint8Array>();
        for (const r of stateReads) state.set(r.tensor, await session.readArena(r.offset, r.bytes));
        return { tensors, state, outputs, board: board?.name ?? null, port: session.portName };
      }),
    ),
  );
}

/** The inferences to run: the --input file's, else the reference's own input tensors, else the zero point. */
function inputRecords(graph: Graph, byTensor: Map<number, MatchedReference>, input: string | undefined): { records: InputCase[]; source: string } {
  if (input !== undefined) return { records: readInputCases(graph, input), source: basename(input) };
  const refs = graph.inputs.map((i) => byTensor.get(i));
  if (refs.every((r) => r !== undefined)) return { records: [refs.map((r) => r!.ref.data)], source: "the reference's input tensors" };
  return { records: [zeroPointCase(graph)], source: 'zero point' };
}

/** Model inputs must be the input given, constants the model file's: else the reference is of another run or model. */
function checkWithoutDevice(graph: Graph, matched: MatchedReference[], last: InputCase, source: string): { inputs: number; constants: number } {
  let inputs = 0;
  let constants = 0;
  for (const m of matched) {
    const t = graph.tensors[m.tensor]!;
    const position = graph.inputs.indexOf(m.tensor);
    const label = `tensor ${m.tensor} "${t.name}"`;
    if (position >= 0) {
      const at = firstByteDifference(m.ref.data, last[position]!);
      if (at >= 0) {
        throw new TinyforgeError(
          `${m.ref.file}: model input ${position} (${label}) differs from the input given (${source}) at byte ${at}: the reference was made with another input (give it with --input)`,
        );
      }
      inputs++;
    } else if (isConstant(t) && !t.isVariable) {
      const at = firstByteDifference(m.ref.data, t.data!);
      if (at >= 0)
        throw new TinyforgeError(
          `${m.ref.file}: constant ${label} differs from the model file's at byte ${at}: is the reference from another version of the model?`,
        );
      constants++;
    }
  }
  return { inputs, constants };
}

function firstByteDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((v, i) => v !== b[i]);
}

interface ReadPlan {
  reads: Map<number, TensorRead[]>;
  /** variable tensors, read after the whole inference */
  state: TensorRead[];
  /** reference tensor (model index) → where its device bytes come from: a tensor read, or the input given */
  source: Map<number, { read: number } | { input: Uint8Array }>;
  notComparable: { tensor: number; name: string; reason: string }[];
}

/**
 * Where each reference activation's device bytes come from. A layer's output is read right after
 * that layer; an alias layer's output is its source's bytes, so the alias chain is followed to the
 * tensor that was computed (or to a model input).
 */
function planReads(original: Graph, compiled: CompiledModel, byTensor: Map<number, MatchedReference>, last: InputCase): ReadPlan {
  const { graph, plan, prepared } = compiled;
  const producer = new Map<number, PreparedLayer>();
  for (const layer of prepared.layers) for (const o of layer.op.outputs) producer.set(o, layer);
  const reads = new Map<number, TensorRead[]>();
  const source: ReadPlan['source'] = new Map();
  const state: TensorRead[] = [];
  const notComparable: ReadPlan['notComparable'] = [];
  const skip = (tensor: number, reason: string) => notComparable.push({ tensor, name: original.tensors[tensor]!.name, reason });
  for (const [tensor] of [...byTensor].sort((a, b) => a[0] - b[0])) {
    const t = original.tensors[tensor]!;
    if (original.inputs.includes(tensor) || (isConstant(t) && !t.isVariable)) continue; // checked without the device
    if (t.isVariable) {
      const offset = plan.tensorOffset.get(tensor);
      if (offset === undefined || graph.tensors[tensor]?.dtype !== t.dtype)
        skip(tensor, 'a variable tensor (state) the compiled model does not keep in the arena');
      else state.push({ tensor, offset, bytes: byteSize(t) });
      continue;
    }
    let root = tensor;
    for (let layer = producer.get(root); layer?.isAlias; layer = producer.get(root)) root = layer.op.inputs[0]!;
    const rt = graph.tensors[root];
    if (!rt || rt.dtype !== t.dtype || byteSize(rt) !== byteSize(t)) {
      skip(tensor, 'its bytes are not kept by the compiled model');
    } else if (graph.inputs.includes(root)) {
      source.set(tensor, { input: last[graph.inputs.indexOf(root)]! });
    } else if (isConstant(rt)) {
      skip(tensor, root === tensor ? 'folded into a constant at compile time' : `an alias of tensor ${root}, folded into a constant at compile time`);
    } else if (!producer.has(root)) {
      const op = original.ops.find((o) => o.outputs.includes(root));
      const narrowed = op && prepared.layers.find((l) => l.op.index === op.index && l.op.kind === op.kind && !l.op.outputs.includes(root));
      skip(
        tensor,
        narrowed
          ? `narrowed by the graph passes: its op computes only the neurons the next layer reads (passes/dead_neurons.ts), into tensor ${narrowed.op.outputs[0]}`
          : 'not computed by the compiled model: its op was folded away or removed by the graph passes',
      );
    } else if (plan.tensorOffset.get(root) === undefined) {
      skip(tensor, 'not in the arena');
    } else {
      const position = producer.get(root)!.position;
      const list = reads.get(position) ?? [];
      if (!list.some((r) => r.tensor === root)) list.push({ tensor: root, offset: plan.tensorOffset.get(root)!, bytes: byteSize(rt) });
      reads.set(position, list);
      source.set(tensor, { read: root });
    }
  }
  return { reads: new Map([...reads].sort((a, b) => a[0] - b[0])), state, source, notComparable };
}

async function runHost(
  executable: string,
  compiled: CompiledModel,
  records: InputCase[],
  { reads, state: stateReads }: ReadPlan,
  timeoutMs?: number,
): Promise<DeviceResult> {
  const { graph, plan } = compiled;
  const dir = makeTempFolder('layers');
  try {
    const layersFile = join(dir, 'layers.bin');
    const run = await runOnHost(executable, concat(records.map(concat)), { timeoutMs, extraArgs: [layersFile] });
    const sizes = graph.outputs.map((o) => byteSize(graph.tensors[o]!));
    const perCase = sizes.reduce((a, b) => a + b, 0);
    const outputs = splitOutputs(run.outputs.subarray(run.outputs.length - perCase), sizes);
    const dumped = new Uint8Array(readFileSync(layersFile));
    const record = 4 + plan.arenaBytes;
    const snapshots = new Map<number, Uint8Array>();
    for (let at = 0; at + record <= dumped.length; at += record) {
      const position = new DataView(dumped.buffer, dumped.byteOffset + at, 4).getUint32(0, true);
      snapshots.set(position, dumped.subarray(at + 4, at + record));
    }
    const tensors = new Map<number, Uint8Array>();
    for (const [position, list] of reads) {
      const arena = snapshots.get(position);
      if (!arena) throw new Error(`internal: the host harness wrote no arena after layer ${position}`);
      for (const r of list) tensors.set(r.tensor, arena.slice(r.offset, r.offset + r.bytes));
    }
    // after the last layer with code: the arena as the whole inference leaves it (alias layers change no bytes)
    const state = new Map<number, Uint8Array>();
    const end = snapshots.get(Math.max(-1, ...snapshots.keys()));
    for (const r of stateReads) {
      if (!end) throw new Error('internal: the host harness wrote no arena');
      state.set(r.tensor, end.slice(r.offset, r.offset + r.bytes));
    }
    return { tensors, state, outputs, board: null, port: null };
  } finally {
    removeTempFolder(dir);
  }
}

function compareTensor(original: Graph, m: MatchedReference, got: Uint8Array): TensorComparison {
  const t = original.tensors[m.tensor]!;
  const size = DTYPE_BYTES[t.dtype];
  const elements = got.length / size;
  const result: TensorComparison = { tensor: m.tensor, name: t.name, referenceIndex: m.ref.index, matchedBy: m.by, elements, differing: 0 };
  let first = -1;
  for (let e = 0; e < elements; e++) {
    for (let b = e * size; b < (e + 1) * size; b++) {
      if (got[b] !== m.ref.data[b]) {
        result.differing++;
        if (first < 0) first = e;
        break;
      }
    }
  }
  if (first >= 0) {
    const value = (bytes: Uint8Array) => Number((fromBytes(t.dtype, bytes.slice(first * size, (first + 1) * size)) as ArrayLike<number | bigint>)[0]!);
    Object.assign(result, { element: first, expected: value(m.ref.data), actual: value(got) });
    const numbers = (bytes: Uint8Array) => Array.from(fromBytes(t.dtype, bytes.slice()) as ArrayLike<number | bigint>, Number);
    const expected = numbers(m.ref.data);
    result.maxDifference = numbers(got).reduce((worst, x, e) => Math.max(worst, Math.abs(x - expected[e]!)), 0);
  }
  return result;
}

function compare(
  compiled: CompiledModel,
  original: Graph,
  plan: ReadPlan,
  device: DeviceResult,
  byTensor: Map<number, MatchedReference>,
  facts: Pick<ReferenceReport, 'model' | 'target' | 'reference' | 'input' | 'inferences' | 'checked'>,
): ReferenceReport {
  const layers: LayerComparison[] = [];
  let firstDifference: FirstDifference | null = null;
  for (const layer of compiled.prepared.layers) {
    const tensors: TensorComparison[] = [];
    for (const o of layer.op.outputs) {
      const from = plan.source.get(o);
      if (!from) continue;
      const got = 'input' in from ? from.input : device.tensors.get(from.read);
      if (!got) throw new Error(`internal: tensor ${o} was not read`);
      const c = compareTensor(original, byTensor.get(o)!, got);
      tensors.push(c);
      if (c.differing > 0 && !firstDifference) {
        firstDifference = {
          kind: 'layer',
          position: layer.position,
          op: layer.op.kind,
          opIndex: layer.op.index,
          output: null,
          tensor: c.tensor,
          name: c.name,
          element: c.element!,
          expected: c.expected!,
          actual: c.actual!,
          differing: c.differing,
          elements: c.elements,
        };
      }
    }
    if (tensors.length > 0) layers.push({ position: layer.position, op: layer.op.kind, opIndex: layer.op.index, tensors });
  }
  const outputs: OutputComparison[] = [];
  const notComparable = [...plan.notComparable];
  compiled.graph.outputs.forEach((o, position) => {
    const m = byTensor.get(o);
    if (!m) return;
    const c = { output: position, ...compareTensor(original, m, device.outputs[position]!) };
    outputs.push(c);
    if (c.differing > 0 && !firstDifference) {
      firstDifference = {
        kind: 'output',
        position: null,
        op: null,
        opIndex: null,
        output: position,
        tensor: c.tensor,
        name: c.name,
        element: c.element!,
        expected: c.expected!,
        actual: c.actual!,
        differing: c.differing,
        elements: c.elements,
      };
    }
  });
  const state: TensorComparison[] = [];
  for (const r of plan.state) {
    const c = compareTensor(original, byTensor.get(r.tensor)!, device.state.get(r.tensor)!);
    state.push(c);
    if (c.differing > 0 && !firstDifference) {
      firstDifference = {
        kind: 'state',
        position: null,
        op: null,
        opIndex: null,
        output: null,
        tensor: c.tensor,
        name: c.name,
        element: c.element!,
        expected: c.expected!,
        actual: c.actual!,
        differing: c.differing,
        elements: c.elements,
      };
    }
  }
  const absent = original.tensors
    .filter(
      (t) =>
        !isConstant(t) &&
        !byTensor.has(t.index) &&
        (compiled.graph.inputs.includes(t.index) || compiled.prepared.layers.some((l) => l.op.outputs.includes(t.index))),
    )
    .map((t) => t.index);
  return {
    model: facts.model,
    target: facts.target,
    board: device.board,
    port: device.port,
    reference: facts.reference,
    input: facts.input,
    inferences: facts.inferences,
    match: firstDifference === null,
    firstDifference,
    layers,
    outputs,
    state,
    notComparable: notComparable.sort((a, b) => a.tensor - b.tensor),
    checked: facts.checked,
    absent,
  };
}

/** The one line that says how the run compares with the reference. */
export function referenceVerdict(r: ReferenceReport): string {
  const where = r.board ?? r.target;
  const d = r.firstDifference;
  if (!d) {
    const tensors = r.layers.reduce((n, l) => n + l.tensors.length, 0);
    const state = r.state.length > 0 ? `, ${r.state.length} variable tensor${r.state.length === 1 ? '' : 's'}` : '';
    return `all ${tensors} layer outputs${state} and ${r.outputs.length} model output${r.outputs.length === 1 ? '' : 's'} equal the reference ${r.reference} on ${where}`;
  }
  const at =
    d.kind === 'layer' ? `layer ${d.position} ${d.op} (op ${d.opIndex})` : d.kind === 'output' ? `model output ${d.output}` : 'the state after the inference';
  return `DIFFERS from the reference ${r.reference} on ${where}: first at ${at}, tensor ${d.tensor} "${d.name}": element ${d.element} expected ${d.expected}, got ${d.actual} (${d.differing} of ${d.elements} elements differ)`;
}
