// SPDX-License-Identifier: Apache-2.0
/**
 * The layout of a model's input or output tensor relative to the ONNX value it holds
 * (`tensor.onnx.perm`: the tensor is NumPy's `transpose(onnxValue, perm)`). An ONNX model compiled
 * channels last takes NHWC where ONNX takes NCHW: data given in ONNX's layout (files, ONNX Runtime's
 * tensors) is permuted into the tensor's on the way in, and outputs back on the way out.
 */
import { DTYPE_BYTES, type Graph, type Op, type Tensor, elementCount } from './graph.ts';

/** The axis letters of ONNX's channels-first layouts, by rank. */
const CHANNELS_FIRST: Record<number, string> = { 3: 'NCW', 4: 'NCHW', 5: 'NCDHW' };

/** The tensor's permutation of its ONNX value, when it is not the identity. */
export function onnxPermOf(t: Tensor): number[] | undefined {
  const perm = t.onnx?.perm;
  return perm && perm.some((p, i) => p !== i) ? perm : undefined;
}

/** The shape of the ONNX value the tensor holds (its own when the layouts agree). */
export function onnxShapeOf(t: Tensor): number[] {
  const perm = onnxPermOf(t);
  if (!perm) return [...t.shape];
  const shape = new Array<number>(t.shape.length);
  perm.forEach((onnxAxis, axis) => (shape[onnxAxis] = t.shape[axis]!));
  return shape;
}

/**
 * The layout's name for a tensor imported from ONNX of rank 3 to 5 ("NHWC", "NCHW", "NWC", ...);
 * undefined for other tensors, whose layout is simply their shape's.
 */
export function layoutName(t: Tensor): string | undefined {
  if (!t.onnx) return undefined;
  const letters = CHANNELS_FIRST[t.shape.length];
  if (!letters) return undefined;
  const perm = t.onnx.perm ?? t.shape.map((_, i) => i);
  return perm.map((p) => letters[p]).join('');
}

/** Row-major element `k`'s source under a transpose of `shape` by `perm` (result axis i is source axis perm[i]). */
function transposeIndex(shape: readonly number[], perm: readonly number[]): Int32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const outStrides = perm.map((p) => strides[p]!);
  const n = elementCount(shape);
  const from = new Int32Array(n);
  const index = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let at = 0;
    for (let i = 0; i < rank; i++) at += index[i]! * outStrides[i]!;
    from[k] = at;
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i]! < outShape[i]!) break;
      index[i] = 0;
    }
  }
  return from;
}

/** Bytes of elements of `width` bytes, moved so that element k of the result is element from[k]. */
function gather(bytes: Uint8Array, from: Int32Array, width: number): Uint8Array {
  if (bytes.length !== from.length * width) throw new Error(`internal: ${bytes.length} bytes for ${from.length} elements of ${width}`);
  const out = new Uint8Array(bytes.length);
  for (let k = 0; k < from.length; k++) out.set(bytes.subarray(from[k]! * width, from[k]! * width + width), k * width);
  return out;
}

/** A tensor's bytes given in its ONNX value's layout, in the tensor's own layout. */
export function bytesToTensorLayout(t: Tensor, onnxBytes: Uint8Array): Uint8Array {
  const perm = onnxPermOf(t);
  if (!perm) return onnxBytes;
  return gather(onnxBytes, transposeIndex(onnxShapeOf(t), perm), DTYPE_BYTES[t.dtype]);
}

/** A tensor's bytes in its own layout, in its ONNX value's layout. */
export function bytesToOnnxLayout(t: Tensor, bytes: Uint8Array): Uint8Array {
  const perm = onnxPermOf(t);
  if (!perm) return bytes;
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return gather(bytes, transposeIndex(t.shape, inverse), DTYPE_BYTES[t.dtype]);
}

/** Values (row-major, one per element) given in the tensor's ONNX layout, in the tensor's own layout. */
export function valuesToTensorLayout<T>(t: Tensor, values: ArrayLike<T>): T[] {
  const perm = onnxPermOf(t);
  if (!perm) return Array.from(values);
  return Array.from(transposeIndex(onnxShapeOf(t), perm), (k) => values[k]!);
}

/** Ops that leave the layout as it is, through which an edge transpose is traced. */
const ELEMENTWISE_AT_EDGES = new Set(['QUANTIZE', 'DEQUANTIZE']);

/**
 * The TRANSPOSE ops of a (compiled) graph that run at its edges: reading a model input, or writing a
 * model output, directly or through QUANTIZE / DEQUANTIZE.
 */
export function edgeTransposes(graph: Graph): { inputs: number; outputs: number } {
  const producer = new Map<number, Op>();
  for (const op of graph.ops) for (const t of op.outputs) producer.set(t, op);
  const fromInput = (t: number): boolean => {
    if (graph.inputs.includes(t)) return true;
    const op = producer.get(t);
    return op !== undefined && ELEMENTWISE_AT_EDGES.has(op.kind) && fromInput(op.inputs[0]!);
  };
  const toOutput = (t: number): boolean => {
    if (graph.outputs.includes(t)) return true;
    const users = graph.ops.filter((op) => op.inputs.includes(t));
    return users.length === 1 && ELEMENTWISE_AT_EDGES.has(users[0]!.kind) && toOutput(users[0]!.outputs[0]!);
  };
  const transposes = graph.ops.filter((op) => op.kind === 'TRANSPOSE');
  return {
    inputs: transposes.filter((op) => fromInput(op.inputs[0]!)).length,
    outputs: transposes.filter((op) => toOutput(op.outputs[0]!)).length,
  };
}

/**
 * How an ONNX model's inputs and outputs are laid out in the compiled model, one line each, and the
 * transposes that still run at its edges; undefined for a model not imported from ONNX.
 */
export function formatOnnxEdges(graph: Graph): string | undefined {
  const edges = [...graph.inputs.map((i) => ['input', i] as const), ...graph.outputs.map((i) => ['output', i] as const)];
  if (!edges.some(([, i]) => graph.tensors[i]!.onnx)) return undefined;
  const lines = edges.map(([role, i]) => {
    const t = graph.tensors[i]!;
    const layout = layoutName(t);
    const own = `[${t.shape.join(', ')}]`;
    if (!onnxPermOf(t)) return `  ${role} "${t.onnx?.name ?? t.name}": ${layout ? `${layout} ` : ''}${own}, as in the ONNX model`;
    const onnxLayout = layout ? [...layout].sort((a, b) => 'NCDHW'.indexOf(a) - 'NCDHW'.indexOf(b)).join('') : 'ONNX';
    return `  ${role} "${t.onnx!.name}": ${layout ?? ''} ${own}, the ONNX model's ${onnxLayout} [${onnxShapeOf(t).join(', ')}] permuted on the host`;
  });
  const { inputs, outputs } = edgeTransposes(graph);
  const count = (n: number, where: string) => `${n} transpose${n === 1 ? '' : 's'} at the ${where}${n === 1 ? '' : 's'}`;
  const onBoard =
    inputs + outputs === 0
      ? 'no transpose runs on the board at the edges'
      : `${[inputs ? count(inputs, 'input') : '', outputs ? count(outputs, 'output') : ''].filter(Boolean).join(' and ')} ${inputs + outputs === 1 ? 'runs' : 'run'} on the board`;
  return [`ONNX inputs and outputs (${onBoard}):`, ...lines].join('\n');
}
