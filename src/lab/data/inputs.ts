// SPDX-License-Identifier: Apache-2.0
import { extname } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { DTYPE_BYTES, type Graph, type Tensor, byteSize, elementCount } from '../../core/ir/graph.ts';
import { parseNpy } from '../../core/model/npy.ts';
import { type OnnxTensorProto, decodeTensorProto } from '../../core/model/onnx/schema.ts';
import { TensorContentError, tensorValues } from '../../core/model/onnx/tensors.ts';
import { readUserFile } from '../../core/model/read_file.ts';
import { MAX_MODEL_BYTES } from '../../core/passes/validate.ts';
import { clamp, roundHalfAway } from '../../core/ops/common/numerics/fixedpoint.ts';
import { bytesToTensorLayout, onnxPermOf, onnxShapeOf, valuesToTensorLayout } from '../../core/ir/onnx_layout.ts';

/** One inference's inputs: the raw bytes of each input tensor, in input order. */
export type InputCase = Uint8Array[];

/**
 * Reads inference inputs from a file: raw bytes (every input tensor concatenated, in input order;
 * several such inputs back to back make several cases) or `.npy` (integer data taken as the tensor's
 * own values, float32 data quantized with the input tensor's scale and zero point).
 * An ONNX model's input compiled channels last (`tensor.onnx.perm`) is given in ONNX's layout (NCHW)
 * and permuted here; a .npy whose shape is the compiled tensor's own (NHWC) is taken as it is.
 */
export function readInputCases(graph: Graph, path: string): InputCase[] {
  const bytes = new Uint8Array(readUserFile(path, 'input file (raw bytes, .npy or .pb)'));
  const tensors = graph.inputs.map((i) => graph.tensors[i]!);
  const ext = extname(path).toLowerCase();
  if (ext === '.npy' || ext === '.pb') {
    const array = ext === '.npy' ? npyArray(bytes, path) : tensorProtoArray(bytes, path);
    const perCase = tensors.reduce((n, t) => n + elementCount(t.shape), 0);
    const count = elementCount(array.shape);
    if (count === 0 || count % perCase !== 0) {
      throw new TinyforgeError(`${path}: ${count} elements do not make whole inputs of ${perCase} elements (shape [${array.shape.join(',')}])`);
    }
    const { values, isFloat } = array;
    const asCompiled = tensors.length === 1 && givenInTensorLayout(tensors[0]!, array.shape);
    requireRepresentable(values, isFloat, tensors, path);
    const cases: InputCase[] = [];
    let at = 0;
    for (let c = 0; c < count / perCase; c++) {
      cases.push(
        tensors.map((t) => {
          const n = elementCount(t.shape);
          const given = values.slice(at, (at += n));
          const slice = asCompiled ? Array.from(given) : valuesToTensorLayout(t, given);
          return encode(t, isFloat && t.dtype !== 'float32' ? slice.map((v) => quantizeValue(t, v, path)) : slice, path);
        }),
      );
    }
    return cases;
  }
  const sizes = tensors.map(byteSize);
  const perCase = sizes.reduce((a, b) => a + b, 0);
  if (bytes.length === 0 || bytes.length % perCase !== 0) {
    throw new TinyforgeError(
      `${path}: ${bytes.length} bytes is not a whole number of inputs of ${perCase} bytes (${sizes.join(' + ')}: all input tensors concatenated)`,
    );
  }
  const cases: InputCase[] = [];
  for (let at = 0; at < bytes.length; ) cases.push(sizes.map((n, k) => bytesToTensorLayout(tensors[k]!, bytes.slice(at, (at += n)))));
  return cases;
}

/** An input array's shape and values, and whether they are real (float) values. */
interface InputArray {
  shape: number[];
  values: Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;
  isFloat: boolean;
}

function npyArray(bytes: Uint8Array, path: string): InputArray {
  const npy = parseNpy(bytes, path);
  return { shape: npy.shape, values: npyValues(npy.descr, npy.data), isFloat: npy.descr === '<f4' };
}

/** An ONNX TensorProto (`.pb`, as ONNX's test data holds inputs): int8, uint8, int16, int32 or float32 values. */
function tensorProtoArray(bytes: Uint8Array, path: string): InputArray {
  let proto: OnnxTensorProto;
  try {
    proto = decodeTensorProto(bytes);
  } catch (e) {
    throw new TinyforgeError(`${path}: not an ONNX TensorProto (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  let value: ReturnType<typeof tensorValues>;
  try {
    value = tensorValues(proto);
  } catch (e) {
    if (e instanceof TensorContentError) throw new TinyforgeError(`${path}: TensorProto '${proto.name ?? ''}': ${e.message}`);
    throw e;
  }
  if (!['int8', 'uint8', 'int16', 'int32', 'float32'].includes(value.dtype))
    throw new TinyforgeError(`${path}: TensorProto '${proto.name ?? ''}' holds ${value.dtype}; an input is int8, uint8, int16, int32 or float32`);
  const Typed = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array }[value.dtype as 'int8'];
  return { shape: value.dims, values: Typed.from(value.values), isFloat: value.dtype === 'float32' };
}

/** Whether a .npy of `shape` (a batch of inputs, or one) holds a channels-last input in the compiled layout rather than ONNX's. */
function givenInTensorLayout(t: Tensor, shape: readonly number[]): boolean {
  if (!onnxPermOf(t)) return false;
  const tail = shape.slice(-t.shape.length).join(',');
  return tail === t.shape.join(',') && tail !== onnxShapeOf(t).join(',');
}

/** An input with every element at its zero point: the model's "nothing" input. */
export function zeroPointCase(graph: Graph): InputCase {
  return graph.inputs.map((i) => {
    const t = graph.tensors[i]!;
    if (byteSize(t) > MAX_MODEL_BYTES) throw new TinyforgeError(`input tensor ${t.index} "${t.name}" is over tinyforge's ${MAX_MODEL_BYTES >> 20} MiB limit`);
    return encode(t, new Array(elementCount(t.shape)).fill(t.quant?.zeroPoint[0] ?? 0), 'zero point');
  });
}

/** The value range of each integer input dtype: .npy integers outside it are refused, not clamped. */
const INPUT_RANGE: Partial<Record<Tensor['dtype'], [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  bool: [0, 1],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/**
 * A .npy input is taken as it is: float data must be finite (it is quantized), integer data must fit
 * the dtype of the input tensor it lands in (a clamp would hide a wrong file, e.g. uint8 pixels given
 * to an int8 input).
 */
function requireRepresentable(values: ArrayLike<number>, isFloat: boolean, tensors: Tensor[], path: string): void {
  const sizes = tensors.map((t) => elementCount(t.shape));
  const perCase = sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let k = 0;
    for (let at = i % perCase; at >= sizes[k]!; k++) at -= sizes[k]!;
    const t = tensors[k]!;
    if (isFloat) {
      if (!Number.isFinite(v)) throw new TinyforgeError(`${path}: element ${i} is ${v}; inputs must be finite numbers`);
      continue;
    }
    const range = INPUT_RANGE[t.dtype];
    if (range && (v < range[0] || v > range[1]))
      throw new TinyforgeError(
        `${path}: element ${i} is ${v}, outside input tensor ${t.index} "${t.name}"'s ${t.dtype} range [${range[0]}, ${range[1]}] (give ${t.dtype} values, or float32 to be quantized)`,
      );
  }
}

function npyValues(descr: string, data: Uint8Array): Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array {
  const buf = new Uint8Array(data).buffer;
  switch (descr) {
    case '|i1':
      return new Int8Array(buf);
    case '<i2':
      return new Int16Array(buf);
    case '<i4':
      return new Int32Array(buf);
    case '<f4':
      return new Float32Array(buf);
    default:
      return new Uint8Array(buf);
  }
}

function quantizeValue(t: Tensor, v: number, source: string): number {
  if (!t.quant) throw new TinyforgeError(`${source}: float input for tensor ${t.index} "${t.name}" which has no quantization`);
  return roundHalfAway(Math.fround(v / t.quant.scale[0]!)) + t.quant.zeroPoint[0]!;
}

function encode(t: Tensor, values: number[], source: string): Uint8Array {
  const out = new Uint8Array(values.length * DTYPE_BYTES[t.dtype]);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    switch (t.dtype) {
      case 'int8':
        view.setInt8(i, clamp(v, -128, 127));
        break;
      case 'uint8':
      case 'bool':
        view.setUint8(i, clamp(v, 0, 255));
        break;
      case 'int16':
        view.setInt16(i * 2, clamp(v, -32768, 32767), true);
        break;
      case 'int32':
        view.setInt32(i * 4, v, true);
        break;
      case 'uint32':
        view.setUint32(i * 4, clamp(v, 0, 4294967295), true);
        break;
      case 'int64':
        view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
        break;
      case 'uint64':
        view.setBigUint64(i * 8, BigInt(Math.max(0, Math.trunc(v))), true);
        break;
      case 'float32':
        view.setFloat32(i * 4, v, true);
        break;
      default:
        throw new TinyforgeError(`${source}: inputs of type ${t.dtype} (tensor ${t.index} "${t.name}") are not supported`);
    }
  });
  return out;
}
