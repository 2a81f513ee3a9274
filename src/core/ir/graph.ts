// SPDX-License-Identifier: Apache-2.0
/**
 * The graph IR: plain typed data shared by every stage after import. Nothing here knows about
 * flatbuffers, tfjs or C; importers build it, passes rewrite it, the planner and codegen read it.
 */

/** `uint32` and `uint64` appear only in signal-processing front-ends (TFLite Micro's signal library). */
export type DType = 'int8' | 'uint8' | 'int16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'bool';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  bool: 1,
};

/** The C type a dtype is stored as. */
export const DTYPE_C: Record<DType, string> = {
  int8: 'int8_t',
  uint8: 'uint8_t',
  int16: 'int16_t',
  int32: 'int32_t',
  uint32: 'uint32_t',
  int64: 'int64_t',
  uint64: 'uint64_t',
  float32: 'float',
  bool: 'uint8_t',
};

/**
 * Affine quantization: real = scale[c] * (q - zeroPoint[c]). One entry per tensor (per-tensor) or one
 * per slice along `axis` (per-channel).
 */
export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  /** the quantized dimension for per-channel parameters; 0 when per-tensor */
  axis: number;
}

export interface Tensor {
  /** index in `Graph.tensors` (the flatbuffer's subgraph tensor index for imported models) */
  index: number;
  name: string;
  shape: number[];
  /**
   * The file's shape_signature when it marks a dimension as dynamic (-1); `shape` holds the size the
   * model was converted at. Absent when every dimension is static.
   */
  shapeSignature?: number[];
  dtype: DType;
  quant?: Quantization;
  /** constant contents, raw little-endian bytes; absent for activations */
  data?: Uint8Array;
  /** state that persists across inferences (LSTM cell state, ...) */
  isVariable?: boolean;
  /**
   * Bits per value in the model file: 4 for a TFLite INT4 constant (two values a byte, low nibble
   * first). `data` still holds one int8 byte per value (dtype 'int8'); the reader unpacks and the
   * writer packs again, so everything that evaluates the graph is unaware of it.
   */
  storageBits?: 4;
  /**
   * For a tensor imported from ONNX: the ONNX value it holds, for comparing with ONNX Runtime's
   * tensors (validate --reference onnxruntime, the ONNX fuzzer). `perm` is the transpose from the
   * ONNX layout to this tensor's (NumPy's `transpose(onnxValue, perm)`: this tensor's axis i is the
   * ONNX value's axis perm[i]); [0, 2, 3, 1] for an NCHW value held NHWC, absent when the layouts
   * are the same. Element types may differ by the uint8/int8 shift of 128 (with the zero point).
   */
  onnx?: { name: string; perm?: number[] };
}

export type FusedActivation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';
export type Padding = 'SAME' | 'VALID';

export interface Conv2DAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: FusedActivation;
}

export interface DepthwiseConv2DAttrs extends Conv2DAttrs {
  depthMultiplier: number;
}

export interface Pool2DAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: FusedActivation;
  /**
   * [top, left, bottom, right] pads in place of `padding`'s (ONNX's AveragePool with
   * count_include_pad 0 and pads neither SAME nor VALID places): the windows start at
   * out * stride - pad and average their in-bounds cells. Only the ONNX Runtime average pool
   * (attrs.arithmetic 'onnxruntime') computes it; TFLite has no such pool.
   */
  explicitPads?: [number, number, number, number];
}

export interface FullyConnectedAttrs {
  activation: FusedActivation;
  keepNumDims: boolean;
}

export interface ActivationAttrs {
  activation: FusedActivation;
}

export interface ReshapeAttrs {
  /** the requested shape, if given as an option (the output tensor's shape is authoritative) */
  newShape?: number[];
}

export interface SoftmaxAttrs {
  beta: number;
}

/** Op attributes by builtin op name. Ops without options carry `{}`. */
export type OpAttrs = Record<string, unknown>;

export interface Op {
  /** position in the original operator list (kept through passes, used in messages) */
  index: number;
  /** the TFLite builtin operator name, e.g. CONV_2D; custom ops are CUSTOM:<name> */
  kind: string;
  /** tensor indices; -1 marks an absent optional input */
  inputs: number[];
  outputs: number[];
  attrs: OpAttrs;
}

export interface Graph {
  /** a C-identifier-safe model name, used as the prefix of generated symbols */
  name: string;
  tensors: Tensor[];
  /** in execution order */
  ops: Op[];
  inputs: number[];
  outputs: number[];
  description?: string;
  /** set by the ONNX importer: how the model's nodes were lowered (`inspect` prints it) */
  onnx?: OnnxImportSummary;
  /**
   * The subgraphs IF and WHILE call, by their index in the model file (1, 2, ...): each a graph of
   * its own (tensors, ops, inputs, outputs), sharing this record so that nested calls resolve.
   */
  subgraphs?: Record<number, Graph>;
}

/** How an ONNX model became this graph. */
export interface OnnxImportSummary {
  /** the opset of the default domain the model declares */
  opset: number;
  /** per ONNX node, in the file's order: the IR op kinds it became (none: absorbed) */
  nodes: { node: string; opType: string; kinds: string[]; note?: string }[];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function byteSize(t: Tensor): number {
  return elementCount(t.shape) * DTYPE_BYTES[t.dtype];
}

export function isConstant(t: Tensor): boolean {
  return t.data !== undefined;
}

/** Turns any file name into a C identifier usable as a symbol prefix. */
export function cIdentifier(name: string): string {
  const id = name
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .replace(/_+/g, '_');
  return /^[A-Za-z_]/.test(id) ? id : `m_${id}`;
}
