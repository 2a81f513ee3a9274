// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX Runtime's tensors as a per-tensor reference for `validate --reference` (docs/onnx.md,
 * "Reference and fuzzing"): live (`--reference onnxruntime`: the model runs in ONNX Runtime with every
 * integer node output dumped) or from a directory of TensorProto files (ONNX Runtime's debug node
 * I/O dump, `ORT_DEBUG_NODE_IO_DUMP_DATA_DESTINATION=files`: one `<name>.tensorproto` per tensor, the
 * TensorProto's own name the ONNX value's; ONNX's `.pb` test files read the same way).
 *
 * Every IR tensor that records its ONNX value (`tensor.onnx`) is matched to that value by name,
 * transposed into the IR's layout (NCHW values held NHWC) and brought to the IR's element type
 * (uint8 values held int8 differ by 128, as their zero points do), then handed to the same comparison
 * as a TFLite Micro dump.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type DType, type Graph, type Tensor, DTYPE_BYTES, elementCount, isConstant } from '../../core/ir/graph.ts';
import { fromBytes } from '../../core/ir/buffers.ts';
import { readUserFile } from '../../core/model/read_file.ts';
import { type OnnxBindings, bindGraphInputs } from '../../core/model/onnx/bind.ts';
import { OnnxDataType, decodeModelProto, decodeTensorProto, type OnnxModelProto, type OnnxTensorProto } from '../../core/model/onnx/schema.ts';
import type { ReferenceDump, ReferenceTensor } from './reference.ts';
import {
  type OnnxTypedArray,
  type OnnxValue,
  type OrtOptimizationLevel,
  DEFAULT_ORT_LEVEL,
  onnxModelInputs,
  ortTypeName,
  runOnnxModel,
} from './onnxruntime.ts';
import type { InputCase } from '../data/inputs.ts';

/** ORT's element type names that have an IR dtype. */
const DTYPE_OF_ORT: Record<string, DType> = {
  float32: 'float32',
  uint8: 'uint8',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint32: 'uint32',
  bool: 'bool',
};

/** Values in `shape` transposed by `perm` (NumPy's transpose: result axis i is source axis perm[i]). */
export function transposeValues<T extends ArrayLike<number | bigint>>(data: T, shape: readonly number[], perm: readonly number[]): (number | bigint)[] {
  const rank = shape.length;
  if (perm.length !== rank) throw new Error(`internal: permutation [${perm.join(',')}] of a rank-${rank} tensor`);
  const outShape = perm.map((p) => shape[p]!);
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const outStrides = perm.map((p) => strides[p]!);
  const n = elementCount(shape);
  const out = new Array<number | bigint>(n);
  const index = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let from = 0;
    for (let i = 0; i < rank; i++) from += index[i]! * outStrides[i]!;
    out[k] = data[from]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i]! < outShape[i]!) break;
      index[i] = 0;
    }
  }
  return out;
}

/** The permutation that undoes `perm`. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

const squeezed = (shape: readonly number[]) => shape.filter((d) => d !== 1).join(',');

/**
 * An ONNX value as the IR tensor holds it: transposed by `tensor.onnx.perm`, in the tensor's dtype.
 * Returns the reason instead where it cannot be (other shape, other element type).
 */
export function onnxValueAsTensor(t: Tensor, v: OnnxValue): { data: Uint8Array } | { reason: string } {
  const layout = layoutOf(t, v.shape);
  if ('reason' in layout) return { reason: `ONNX value "${v.name}": ${layout.reason}` };
  const perm = layout.perm;
  const from = DTYPE_OF_ORT[v.dtype];
  let values: (number | bigint)[] = perm ? transposeValues(v.data, v.shape, perm) : Array.from(v.data as ArrayLike<number | bigint>);
  if (from !== t.dtype) {
    // an 8-bit value held in the other 8-bit type: the same real values, the zero point moved by 128
    if (from === 'uint8' && t.dtype === 'int8') values = values.map((x) => Number(x) - 128);
    else if (from === 'int8' && t.dtype === 'uint8') values = values.map((x) => Number(x) + 128);
    else return { reason: `ONNX value "${v.name}" is ${v.dtype}, the IR tensor ${t.dtype}` };
  }
  return { data: encodeValues(t.dtype, values) };
}

function encodeValues(dtype: DType, values: (number | bigint)[]): Uint8Array {
  const bytes = new Uint8Array(values.length * DTYPE_BYTES[dtype]);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => {
    const at = i * DTYPE_BYTES[dtype];
    switch (dtype) {
      case 'int8':
        return view.setInt8(at, Number(x));
      case 'uint8':
      case 'bool':
        return view.setUint8(at, Number(x));
      case 'int16':
        return view.setInt16(at, Number(x), true);
      case 'int32':
        return view.setInt32(at, Number(x), true);
      case 'uint32':
        return view.setUint32(at, Number(x), true);
      case 'int64':
        return view.setBigInt64(at, BigInt(x), true);
      case 'uint64':
        return view.setBigUint64(at, BigInt(x), true);
      case 'float32':
        return view.setFloat32(at, Number(x), true);
    }
  });
  return bytes;
}

/** A reference dump made of ONNX tensors, and the IR tensors whose ONNX value could not be compared. */
export interface OnnxReference {
  dump: ReferenceDump;
  unmatched: { tensor: number; name: string; reason: string }[];
  /** ONNX Runtime's outputs at the level compared against and at the other one users meet (all or basic) */
  levels?: OrtLevelComparison;
}

/**
 * Whether ONNX Runtime gives the same outputs at two graph optimization levels: it fuses QDQ
 * groups at `all` (its default) and runs them op by op at `basic`, which can round differently.
 * The level compared against is the one asked for (default all); the other is reported.
 */
export interface OrtLevelComparison {
  compared: OrtOptimizationLevel;
  other: OrtOptimizationLevel;
  /** output elements whose values differ between the two levels, of all the outputs' elements */
  differing: number;
  elements: number;
}

/** Counts the elements of the model's outputs that differ between two runs of it. */
function levelDifference(a: OnnxValue[], b: OnnxValue[]): { differing: number; elements: number } {
  let differing = 0;
  let elements = 0;
  a.forEach((value, k) => {
    const other = b[k]!.data;
    elements += value.data.length;
    for (let i = 0; i < value.data.length; i++) if (!Object.is(value.data[i], other[i])) differing++;
  });
  return { differing, elements };
}

/** The permutation of `[0, 2, ..., rank-1, 1]`: channels first to channels last. */
function channelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/**
 * How the IR tensor holds an ONNX value of `onnxShape`: the importer's `tensor.onnx.perm`; where it
 * recorded none, the same layout when the shapes agree (up to dimensions of 1), else channels last
 * when that is the only layout whose shape agrees.
 */
export function layoutOf(t: Tensor, onnxShape: readonly number[]): { perm?: number[] } | { reason: string } {
  const fits = (perm?: number[]) => {
    const shape = perm ? perm.map((p) => onnxShape[p]!) : onnxShape;
    return elementCount(shape) === elementCount(t.shape) && squeezed(shape) === squeezed(t.shape);
  };
  const recorded = t.onnx?.perm;
  if (recorded) {
    if (recorded.length !== onnxShape.length) return { reason: `rank ${onnxShape.length}, the permutation [${recorded.join(',')}] is not` };
    return fits(recorded) ? { perm: recorded } : { reason: `[${onnxShape.join(',')}] is not the IR's [${t.shape.join(',')}] under [${recorded.join(',')}]` };
  }
  if (fits()) return {};
  if (onnxShape.length >= 3 && fits(channelsLast(onnxShape.length))) return { perm: channelsLast(onnxShape.length) };
  return { reason: `[${onnxShape.join(',')}] is not the IR's [${t.shape.join(',')}], as it is or channels last` };
}

/** The ONNX value an IR tensor holds: the importer's record, else a value of the tensor's own name. */
export function onnxNameOf(t: Tensor): string {
  return t.onnx?.name ?? t.name;
}

/**
 * A reference dump of the IR's activations and inputs from ONNX tensors by name: every non-constant
 * tensor whose ONNX value is there. Tensors whose value cannot be brought to the IR's form are listed.
 */
export function dumpFromOnnxTensors(graph: Graph, tensors: Map<string, OnnxValue>, source: string): OnnxReference {
  const entries: ReferenceTensor[] = [];
  const unmatched: OnnxReference['unmatched'] = [];
  for (const t of graph.tensors) {
    if (isConstant(t)) continue;
    const v = tensors.get(onnxNameOf(t));
    if (!v) continue;
    const got = onnxValueAsTensor(t, v);
    if ('reason' in got) {
      unmatched.push({ tensor: t.index, name: t.name, reason: got.reason });
      continue;
    }
    entries.push({
      index: t.index,
      name: t.name,
      type: t.dtype,
      dtype: t.dtype,
      shape: [...t.shape],
      scale: 0,
      zeroPoint: 0,
      file: `${source}: "${v.name}"`,
      data: got.data,
    });
  }
  if (entries.length === 0)
    throw new TinyforgeError(
      `${source}: no tensor of the model by its ONNX name${unmatched.length ? ` (tensor ${unmatched[0]!.tensor}: ${unmatched[0]!.reason})` : ''}: is the reference from another model?`,
    );
  return { dump: { dir: source, indexFile: source, tensors: entries }, unmatched };
}

/** The IR's input record as ONNX Runtime takes it: the model's own layout and element type. */
export function onnxFeeds(modelPath: string, graph: Graph, record: InputCase, bind?: OnnxBindings): OnnxTypedArray[] {
  return onnxModelInputs(boundOnnxModel(modelPath, bind)).map((input) => {
    const position = graph.inputs.findIndex((i) => onnxNameOf(graph.tensors[i]!) === input.name);
    if (position < 0) throw new TinyforgeError(`${modelPath}: ONNX input "${input.name}" is no input of the compiled model`);
    const t = graph.tensors[graph.inputs[position]!]!;
    let values: (number | bigint)[] = Array.from(fromBytes(t.dtype, record[position]!) as ArrayLike<number | bigint>);
    const layout = layoutOf(t, input.shape);
    if ('reason' in layout) throw new TinyforgeError(`${modelPath}: ONNX input "${input.name}": ${layout.reason}`);
    const perm = layout.perm;
    // the IR holds transpose(onnx, perm): transposing back by the inverse gives the ONNX layout
    if (perm)
      values = transposeValues(
        values,
        perm.map((p) => input.shape[p]!),
        inversePermutation(perm),
      );
    const type = ortTypeName(input.elemType);
    if (type === 'float32' && t.dtype !== 'float32') {
      // a float input quantized by the model's first QuantizeLinear: the real values it stands for
      const q = t.quant;
      if (!q) throw new TinyforgeError(`${modelPath}: ONNX input "${input.name}" is float, the IR's ${t.dtype} without quantization`);
      return Float32Array.from(values, (x) => q.scale[0]! * (Number(x) - q.zeroPoint[0]!));
    }
    if (type === 'uint8') return Uint8Array.from(values, (x) => Number(x) + (t.dtype === 'int8' ? 128 : 0));
    if (type === 'int8') return Int8Array.from(values, (x) => Number(x) - (t.dtype === 'uint8' ? 128 : 0));
    if (type === 'float32') return Float32Array.from(values, Number);
    if (type === 'int32') return Int32Array.from(values, Number);
    if (type === 'int64') return BigInt64Array.from(values, (x) => BigInt(x));
    throw new TinyforgeError(`${modelPath}: ONNX input "${input.name}" has a type (${input.elemType}) the reference cannot feed`);
  });
}

/** The model file as ONNX Runtime runs it: its bound inputs (`--bind`) initializers, as tinyforge compiles them. */
export function boundOnnxModel(modelPath: string, bind?: OnnxBindings): OnnxModelProto {
  const bytes = readUserFile(modelPath, 'ONNX model');
  let proto: OnnxModelProto;
  try {
    proto = decodeModelProto(bytes);
  } catch (e) {
    throw new TinyforgeError(`${modelPath}: not an ONNX model (${(e as Error).message.split('\n')[0]})`);
  }
  if (!bind || Object.keys(bind).length === 0 || !proto.graph) return proto;
  return { ...proto, graph: bindGraphInputs(proto.graph, bind, modelPath) };
}

/** `--reference onnxruntime`: the model runs in ONNX Runtime on the last input record, every integer tensor dumped. */
export async function onnxRuntimeReference(
  modelPath: string,
  graph: Graph,
  record: InputCase,
  level: OrtOptimizationLevel = DEFAULT_ORT_LEVEL,
  bind?: OnnxBindings,
): Promise<OnnxReference> {
  const model = bind && Object.keys(bind).length > 0 ? boundOnnxModel(modelPath, bind) : modelPath;
  const feeds = onnxFeeds(modelPath, graph, record, bind);
  const run = await runOnnxModel(model, feeds, { level, dump: 'integer' });
  const other: OrtOptimizationLevel = level === 'all' ? 'basic' : 'all';
  const otherRun = await runOnnxModel(model, feeds, { level: other });
  return {
    ...dumpFromOnnxTensors(graph, run.tensors, `onnxruntime (level ${level})`),
    levels: { compared: level, other, ...levelDifference(run.outputs, otherRun.outputs) },
  };
}

/** Whether `dir` is a directory of TensorProto files (`.tensorproto` or `.pb`) rather than an index.json dump. */
export function isOnnxTensorDir(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory() || existsSync(join(dir, 'index.json'))) return false;
  return readdirSync(dir).some((f) => ['.tensorproto', '.pb'].includes(extname(f).toLowerCase()));
}

/** Values of a TensorProto as ORT's typed array, from raw_data or the typed fields. */
export function tensorProtoValue(t: OnnxTensorProto, fallbackName: string): OnnxValue {
  const dtype = ortTypeName(t.dataType ?? 0);
  const name = t.name || fallbackName;
  if (!dtype) throw new TinyforgeError(`${fallbackName}: TensorProto "${name}" has element type ${t.dataType}, which tinyforge does not compare`);
  if (t.dataLocation === 1) throw new TinyforgeError(`${fallbackName}: TensorProto "${name}" keeps its data in an external file`);
  const shape = (t.dims ?? []).map(Number);
  const n = elementCount(shape);
  let data: OnnxTypedArray;
  const raw = t.rawData && t.rawData.length > 0 ? new Uint8Array(t.rawData) : undefined;
  const typed = (Ctor: { new (b: ArrayBuffer): OnnxTypedArray; BYTES_PER_ELEMENT: number }, fields: ArrayLike<number> | undefined) => {
    if (raw) return new Ctor(raw.slice().buffer);
    return (Ctor as unknown as { from(a: ArrayLike<number>): OnnxTypedArray }).from(fields ?? []);
  };
  switch (t.dataType) {
    case OnnxDataType.FLOAT:
      data = typed(Float32Array, t.floatData);
      break;
    case OnnxDataType.UINT8:
    case OnnxDataType.BOOL:
      data = typed(Uint8Array, t.int32Data);
      break;
    case OnnxDataType.INT8:
      data = typed(Int8Array, t.int32Data);
      break;
    case OnnxDataType.INT16:
      data = typed(Int16Array, t.int32Data);
      break;
    case OnnxDataType.UINT16:
      data = typed(Uint16Array, t.int32Data);
      break;
    case OnnxDataType.INT32:
      data = typed(Int32Array, t.int32Data);
      break;
    case OnnxDataType.UINT32:
      data = typed(Uint32Array, t.uint64Data);
      break;
    case OnnxDataType.DOUBLE:
      data = typed(Float64Array, t.doubleData);
      break;
    case OnnxDataType.INT64:
      data = raw ? new BigInt64Array(raw.slice().buffer) : BigInt64Array.from((t.int64Data ?? []).map((x) => BigInt(x)));
      break;
    default:
      throw new TinyforgeError(`${fallbackName}: TensorProto "${name}" has element type ${t.dataType}, which tinyforge does not compare`);
  }
  if (data.length !== n) throw new TinyforgeError(`${fallbackName}: TensorProto "${name}" [${shape.join(',')}] holds ${data.length} values, not ${n}`);
  return { name, dtype, shape, data };
}

/** Every TensorProto file of a directory, by the tensor's name (the file's when the proto has none). */
export function readOnnxTensorDir(dir: string): Map<string, OnnxValue> {
  const tensors = new Map<string, OnnxValue>();
  for (const f of readdirSync(dir).sort()) {
    const ext = extname(f).toLowerCase();
    if (ext !== '.tensorproto' && ext !== '.pb') continue;
    const file = join(dir, f);
    let proto: OnnxTensorProto;
    try {
      proto = decodeTensorProto(readUserFile(file, 'TensorProto file'));
    } catch (e) {
      if (e instanceof TinyforgeError) throw e;
      throw new TinyforgeError(`${file}: not a TensorProto (${(e as Error).message.split('\n')[0]})`);
    }
    const value = tensorProtoValue(proto, file);
    if (!proto.name) value.name = basename(f, extname(f));
    tensors.set(value.name, value);
  }
  return tensors;
}

/** `--reference DIR` of TensorProto files (ONNX Runtime's node I/O dump). */
export function onnxTensorDirReference(dir: string, graph: Graph): OnnxReference {
  return dumpFromOnnxTensors(graph, readOnnxTensorDir(dir), dir);
}
