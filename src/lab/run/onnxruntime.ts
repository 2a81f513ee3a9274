// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX Runtime as the reference for ONNX models, as TensorFlow Lite Micro is for TFLite: the native
 * CPU execution provider a PyTorch user checks a model with (`onnxruntime-node`, an optional
 * dependency loaded only when asked for: its CPU binary ships in the package), one thread, at a
 * named graph optimization level. The level matters: ORT fuses QDQ node groups into integer kernels
 * (QLinearConv, ...) at 'extended' and 'all', and a fused kernel may round 1 LSB away from the
 * unfused float path; 'all', ORT's default, is the level tinyforge matches (docs/onnx.md).
 * `runtime: 'web'` runs the same kernels compiled to wasm (`onnxruntime-web`, a dev dependency) for
 * comparing the two builds.
 *
 * Inputs and outputs are typed arrays in the model's own layout (NCHW for a PyTorch export). Per-node
 * dumps come from a copy of the model whose node outputs are graph outputs too: every intermediate
 * tensor by its ONNX name.
 */
import { readFileSync } from 'node:fs';
import { TinyforgeError } from '../../core/errors.ts';
import { ONNX_RUNTIME, loadOptional } from '../optional_deps.ts';
import {
  type OnnxGraphProto,
  type OnnxModelProto,
  type OnnxNodeProto,
  OnnxDataType,
  decodeModelProto,
  encodeModelProto,
} from '../../core/model/onnx/schema.ts';

export type OrtOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export const ORT_OPTIMIZATION_LEVELS: readonly OrtOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];
/** The level tinyforge's ONNX arithmetic is matched against. */
export const DEFAULT_ORT_LEVEL: OrtOptimizationLevel = 'all';

export type OnnxTypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array;

/** One tensor as ONNX Runtime gives it (or takes it): ORT's type name, shape and values. */
export interface OnnxValue {
  name: string;
  /** 'float32', 'uint8', 'int8', 'int32', 'int64', 'bool', ... */
  dtype: string;
  shape: number[];
  data: OnnxTypedArray;
}

/** Which intermediate tensors a run also returns: none, the integer ones (quantized activations) or all. */
export type OnnxDumpChoice = 'none' | 'integer' | 'all';

/** Which build of ONNX Runtime runs a model: the native CPU one (the reference) or the wasm one. */
export type OrtRuntime = 'node' | 'web';

export interface OnnxRunOptions {
  level?: OrtOptimizationLevel;
  /** 'node' (default): onnxruntime-node's native CPU execution provider; 'web': onnxruntime-web's wasm */
  runtime?: OrtRuntime;
  /**
   * 'integer' (the default of a dump) keeps ORT's QDQ fusion intact: a float tensor between a
   * DequantizeLinear and the op it feeds may not be a graph output for the fusion to happen, so
   * dumping it changes the arithmetic of the very layer being compared. 'all' dumps the float ones
   * too, for a model whose layers are float anyway.
   */
  dump?: OnnxDumpChoice;
}

export interface OnnxRun {
  level: OrtOptimizationLevel;
  /** the model's outputs, in its order */
  outputs: OnnxValue[];
  /** with a dump: every tensor ORT returned by name (the model's inputs and outputs included) */
  tensors: Map<string, OnnxValue>;
}

/** ONNX elem types by ORT's tensor type name and back. */
const ORT_TYPE_OF: Record<number, string> = {
  [OnnxDataType.FLOAT]: 'float32',
  [OnnxDataType.UINT8]: 'uint8',
  [OnnxDataType.INT8]: 'int8',
  [OnnxDataType.UINT16]: 'uint16',
  [OnnxDataType.INT16]: 'int16',
  [OnnxDataType.INT32]: 'int32',
  [OnnxDataType.INT64]: 'int64',
  [OnnxDataType.BOOL]: 'bool',
  [OnnxDataType.DOUBLE]: 'float64',
  [OnnxDataType.UINT32]: 'uint32',
};

/** ORT's type name of an ONNX elem type, or undefined for one no ORT tensor here carries. */
export function ortTypeName(elemType: number): string | undefined {
  return ORT_TYPE_OF[elemType];
}

type Ort = typeof import('onnxruntime-web');
const ortModules: Partial<Record<OrtRuntime, Promise<Ort>>> = {};

/**
 * ONNX Runtime, loaded once per build; one clear line when it is not installed. The native build
 * runs on one thread (intra- and inter-op, set per session): the answers must not depend on how a
 * reduction was split.
 */
export function loadOnnxRuntime(runtime: OrtRuntime = 'node'): Promise<Ort> {
  if (runtime === 'node') {
    ortModules.node ??= loadOptional(ONNX_RUNTIME, 'tinyforge validate --reference onnxruntime', () => import('onnxruntime-node')).then(
      (m) => {
        const ort = ((m as { default?: Ort }).default ?? m) as unknown as Ort;
        ort.env.logLevel = 'error';
        return ort;
      },
      (e: unknown) => {
        ortModules.node = undefined;
        throw e;
      },
    );
    return ortModules.node;
  }
  ortModules.web ??= import('onnxruntime-web').then(
    (m) => {
      const ort = ((m as { default?: Ort }).default ?? m) as Ort;
      ort.env.wasm.numThreads = 1;
      ort.env.logLevel = 'error';
      return ort;
    },
    (e: unknown) => {
      ortModules.web = undefined;
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        throw new TinyforgeError("onnxruntime-web is not installed: `npm install --save-dev onnxruntime-web` (ONNX Runtime's CPU kernels in wasm)");
      throw e;
    },
  );
  return ortModules.web;
}

const runs: Partial<Record<OrtRuntime, Promise<boolean>>> = {};

/**
 * Whether ONNX Runtime runs here (tests and the fuzzer skip with one line otherwise). Loading the
 * package is not enough (the wasm starts with the first session, a native binary may not load on
 * this system), so one session of a single Identity runs.
 */
export function onnxRuntimeAvailable(runtime: OrtRuntime = 'node'): Promise<boolean> {
  runs[runtime] ??= (async () => {
    try {
      const identity: OnnxModelProto = {
        irVersion: 7,
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          name: 'identity',
          node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
          input: [{ name: 'x', type: { tensorType: { elemType: OnnxDataType.UINT8, shape: { dim: [{ dimValue: 1 }] } } } }],
          output: [{ name: 'y', type: { tensorType: { elemType: OnnxDataType.UINT8 } } }],
        },
      };
      const run = await runOnnxModel(identity, [Uint8Array.of(7)], { level: 'disabled', runtime });
      return run.outputs[0]!.data[0] === 7;
    } catch {
      return false;
    }
  })();
  return runs[runtime];
}

/** ONNX elem type of every value the graph names, as far as it can be told without shapes. */
export function inferElemTypes(graph: OnnxGraphProto): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const t = v.type?.tensorType?.elemType;
    if (v.name && t) types.set(v.name, t);
  }
  for (const t of graph.initializer ?? []) if (t.name && t.dataType) types.set(t.name, t.dataType);
  for (const node of graph.node ?? []) {
    const outputs = node.output ?? [];
    const guessed = nodeOutputTypes(node, (name) => (name ? types.get(name) : undefined));
    outputs.forEach((o, k) => {
      if (o && !types.has(o) && guessed[k] !== undefined) types.set(o, guessed[k]!);
    });
  }
  return types;
}

/** The output types of one node from its inputs' (the ops of quantized models; others keep their first input's type). */
function nodeOutputTypes(node: OnnxNodeProto, typeOf: (name: string | undefined) => number | undefined): (number | undefined)[] {
  const inputs = node.input ?? [];
  const attr = (name: string) => node.attribute?.find((a) => a.name === name);
  const domain = node.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx' && domain !== 'com.microsoft') return [];
  switch (node.opType) {
    case 'QuantizeLinear':
      return [typeOf(inputs[2]) ?? OnnxDataType.UINT8];
    case 'DequantizeLinear':
      return [typeOf(inputs[1]) ?? OnnxDataType.FLOAT];
    case 'DynamicQuantizeLinear':
      return [OnnxDataType.UINT8, OnnxDataType.FLOAT, OnnxDataType.UINT8];
    case 'QLinearConv':
    case 'QLinearMatMul':
      return [typeOf(inputs[7])];
    case 'QLinearAdd':
    case 'QLinearMul':
      return [typeOf(inputs[7])];
    case 'QLinearAveragePool':
    case 'QLinearGlobalAveragePool':
    case 'QLinearSigmoid':
    case 'QLinearLeakyRelu':
    case 'QLinearSoftmax':
      return [typeOf(inputs[4])];
    case 'QLinearConcat':
      return [typeOf(inputs[1])];
    case 'ConvInteger':
    case 'MatMulInteger':
      return [OnnxDataType.INT32];
    case 'Shape':
    case 'Size':
    case 'NonZero':
    case 'ArgMax':
    case 'ArgMin':
      return [OnnxDataType.INT64];
    case 'Cast':
      return [attr('to')?.i];
    case 'Equal':
    case 'Less':
    case 'Greater':
    case 'LessOrEqual':
    case 'GreaterOrEqual':
    case 'Not':
    case 'And':
    case 'Or':
      return [OnnxDataType.BOOL];
    case 'MaxPool':
      return [typeOf(inputs[0]), OnnxDataType.INT64];
    case 'TopK':
      return [typeOf(inputs[0]), OnnxDataType.INT64];
    default:
      return [typeOf(inputs[0])];
  }
}

const INTEGER_TYPES = new Set<number>([OnnxDataType.UINT8, OnnxDataType.INT8, OnnxDataType.UINT16, OnnxDataType.INT16, OnnxDataType.INT32, OnnxDataType.INT64]);

/**
 * A copy of the model whose node outputs (every one, or the integer ones) are also graph outputs,
 * typed where their type can be told (ORT infers the rest). Values already outputs stay as they are.
 */
export function exposeNodeOutputs(model: OnnxModelProto, which: Exclude<OnnxDumpChoice, 'none'>): OnnxModelProto {
  const graph = model.graph ?? {};
  const types = inferElemTypes(graph);
  const outputs = [...(graph.output ?? [])];
  const present = new Set(outputs.map((o) => o.name));
  for (const node of graph.node ?? []) {
    for (const name of node.output ?? []) {
      if (!name || present.has(name)) continue;
      const t = types.get(name);
      if (which === 'integer' && (t === undefined || !INTEGER_TYPES.has(t))) continue;
      present.add(name);
      outputs.push(t === undefined ? { name } : { name, type: { tensorType: { elemType: t } } });
    }
  }
  return { ...model, graph: { ...graph, output: outputs } };
}

/** The inputs as given: by name, or in the order of the model's graph inputs that are not initializers. */
export type OnnxInputs = Record<string, OnnxTypedArray> | OnnxTypedArray[];

/** The model's real inputs (graph inputs that no initializer feeds), in order. */
export function onnxModelInputs(model: OnnxModelProto): { name: string; elemType: number; shape: number[] }[] {
  const graph = model.graph ?? {};
  const initialized = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph.input ?? [])
    .filter((v) => v.name && !initialized.has(v.name))
    .map((v) => ({
      name: v.name!,
      elemType: v.type?.tensorType?.elemType ?? OnnxDataType.UNDEFINED,
      // a symbolic dimension (a batch "N") runs at 1
      shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue > 0 ? Number(d.dimValue) : 1)),
    }));
}

function readModel(model: Uint8Array | string | OnnxModelProto): { proto: OnnxModelProto; label: string } {
  if (typeof model === 'string') {
    let bytes: Buffer;
    try {
      bytes = readFileSync(model);
    } catch (e) {
      throw new TinyforgeError(`${model}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      return { proto: decodeModelProto(bytes), label: model };
    } catch (e) {
      throw new TinyforgeError(`${model}: not an ONNX model (${(e as Error).message.split('\n')[0]})`);
    }
  }
  if (model instanceof Uint8Array) return { proto: decodeModelProto(model), label: 'the ONNX model' };
  return { proto: model, label: 'the ONNX model' };
}

/**
 * Runs the model once in ONNX Runtime (CPU, one thread; native unless `runtime: 'web'`). With `dump`, also returns the
 * intermediate tensors by name; should ORT refuse the copy with the extra outputs, the typed ones
 * it rejected are dropped and the model's own outputs still come back.
 */
export async function runOnnxModel(model: Uint8Array | string | OnnxModelProto, inputs: OnnxInputs, options: OnnxRunOptions = {}): Promise<OnnxRun> {
  const runtime = options.runtime ?? 'node';
  const ort = await loadOnnxRuntime(runtime);
  const level = options.level ?? DEFAULT_ORT_LEVEL;
  const { proto, label } = readModel(model);
  const declared = onnxModelInputs(proto);
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  declared.forEach((d, k) => {
    const data = Array.isArray(inputs) ? inputs[k] : inputs[d.name];
    if (!data) throw new TinyforgeError(`${label}: no value given for input ${k} "${d.name}"`);
    const type = ortTypeName(d.elemType);
    if (!type) throw new TinyforgeError(`${label}: input "${d.name}" has elem type ${d.elemType}, which the reference cannot feed`);
    const count = d.shape.reduce((n, x) => n * x, 1);
    if (data.length !== count) throw new TinyforgeError(`${label}: input "${d.name}" [${d.shape.join(',')}] takes ${count} values, ${data.length} given`);
    feeds[d.name] = new ort.Tensor(type as 'float32', data as Float32Array, d.shape);
  });
  const modelOutputs = (proto.graph?.output ?? []).map((o) => o.name!);
  const dump = options.dump ?? 'none';
  const create = async (m: OnnxModelProto) => {
    try {
      return await ort.InferenceSession.create(
        encodeModelProto(m),
        runtime === 'node'
          ? { graphOptimizationLevel: level, executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 }
          : { graphOptimizationLevel: level, executionProviders: ['wasm'] },
      );
    } catch (e) {
      throw new TinyforgeError(`${label}: ONNX Runtime refuses the model: ${String((e as Error).message ?? e).split('\n')[0]}`);
    }
  };
  let session: Awaited<ReturnType<typeof create>>;
  if (dump === 'none') session = await create(proto);
  else {
    try {
      session = await create(exposeNodeOutputs(proto, dump));
    } catch {
      // a type guessed wrong: the dump falls back to the outputs ORT types itself
      const exposed = exposeNodeOutputs(proto, dump);
      const untyped = exposed.graph!.output!.map((o, k) => (k < modelOutputs.length ? o : { name: o.name }));
      session = await create({ ...exposed, graph: { ...exposed.graph, output: untyped } });
    }
  }
  try {
    let results: Awaited<ReturnType<typeof session.run>>;
    try {
      results = await session.run(feeds);
    } catch (e) {
      throw new TinyforgeError(`${label}: ONNX Runtime failed running the model: ${String((e as Error).message ?? e).split('\n')[0]}`);
    }
    const value = (name: string): OnnxValue => {
      const t = results[name]!;
      return { name, dtype: t.type, shape: t.dims.map(Number), data: t.data as OnnxTypedArray };
    };
    const tensors = new Map<string, OnnxValue>();
    if (dump !== 'none') {
      for (const d of declared) {
        const f = feeds[d.name]!;
        tensors.set(d.name, { name: d.name, dtype: f.type, shape: [...d.shape], data: f.data as OnnxTypedArray });
      }
      for (const name of session.outputNames) tensors.set(name, value(name));
    }
    return { level, outputs: modelOutputs.map(value), tensors };
  } finally {
    await session.release();
  }
}
