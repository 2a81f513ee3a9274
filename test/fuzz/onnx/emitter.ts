// SPDX-License-Identifier: Apache-2.0
/**
 * Writes one network three ways with the same value names: float (to calibrate it in ONNX Runtime,
 * as ONNX Runtime's quantizer does), QDQ (QuantizeLinear/DequantizeLinear around float ops, as the
 * quantizer's QDQ format) and QOperator (QLinearConv, QLinearAdd, ...). A generator calls the layer
 * methods once per form; the float form's tensors give every activation's range, and the quantized
 * forms take their scales and zero points from it.
 */
import {
  type OnnxAttributeProto,
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
  OnnxAttributeType,
  OnnxDataType,
} from '../../../src/core/model/onnx/schema.ts';

export type OnnxForm = 'float' | 'qdq' | 'qop';
export type ActType = 'uint8' | 'int8';

export interface QParams {
  /** float32 values: one, or one per channel */
  scale: number[];
  zeroPoint: number[];
  type: ActType | 'int32';
}

/** A tensor as the next layer refers to it. */
export interface Value {
  /** the name consumers read: float value (float form), DequantizeLinear output (QDQ), integer tensor (QOperator) */
  ref: string;
  /** the float value's name: the key of its calibrated range */
  key: string;
  /** the integer tensor's name (quantized forms) */
  qname: string;
  shape: number[];
  q?: QParams;
}

type Attr = number | number[] | string | { f: number } | { fs: number[] };

const f32 = (x: number) => Math.fround(x);

export const ACT_RANGE: Record<ActType, [number, number]> = { uint8: [0, 255], int8: [-128, 127] };
const DATA_TYPE: Record<ActType | 'int32' | 'float', number> = {
  uint8: OnnxDataType.UINT8,
  int8: OnnxDataType.INT8,
  int32: OnnxDataType.INT32,
  float: OnnxDataType.FLOAT,
};

/** Round half to even, as ONNX's QuantizeLinear and ORT's quantizer (numpy) round. */
export function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Asymmetric activation parameters from a calibrated range (ORT's quantizer: the range holds 0). */
export function activationParams(min: number, max: number, type: ActType): QParams {
  const [qmin, qmax] = ACT_RANGE[type];
  let lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  if (hi - lo < 1e-6) {
    lo = Math.min(lo, -1e-3);
    hi = Math.max(hi, 1e-3);
  }
  const scale = f32((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundEven(qmin - lo / scale)));
  return { scale: [scale], zeroPoint: [zeroPoint], type };
}

/** Symmetric int8 weight parameters (qmin -127), per tensor or per slice of `axis`. */
export function weightParams(w: Float32Array, shape: number[], perChannel: boolean, axis: number): { q: QParams; data: Int8Array } {
  const channels = perChannel ? shape[axis]! : 1;
  const inner = shape.slice(axis + 1).reduce((n, d) => n * d, 1);
  const channelOf = (i: number) => (perChannel ? Math.floor(i / inner) % channels : 0);
  const absMax = new Array<number>(channels).fill(0);
  w.forEach((v, i) => (absMax[channelOf(i)] = Math.max(absMax[channelOf(i)]!, Math.abs(v))));
  const scale = absMax.map((m) => f32(m > 0 ? (2 * m) / 254 : 1 / 127));
  const data = Int8Array.from(w, (v, i) => Math.max(-127, Math.min(127, roundEven(v / scale[channelOf(i)]!))));
  return { q: { scale, zeroPoint: new Array(channels).fill(0), type: 'int8' }, data };
}

function tensor(name: string, type: ActType | 'int32' | 'float', dims: number[], values: ArrayLike<number>): OnnxTensorProto {
  let raw: Uint8Array;
  if (type === 'float') raw = new Uint8Array(Float32Array.from(values).buffer);
  else if (type === 'int32') raw = new Uint8Array(Int32Array.from(values).buffer);
  else if (type === 'int8') raw = new Uint8Array(Int8Array.from(values).buffer);
  else raw = Uint8Array.from(values);
  return { name, dataType: DATA_TYPE[type], dims, rawData: raw };
}

function attribute(name: string, v: Attr): OnnxAttributeProto {
  if (typeof v === 'number') return { name, type: OnnxAttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: OnnxAttributeType.INTS, ints: v };
  if ('fs' in v) return { name, type: OnnxAttributeType.FLOATS, floats: v.fs };
  return { name, type: OnnxAttributeType.FLOAT, f: v.f };
}

export interface ModelInput {
  name: string;
  type: ActType | 'float';
  shape: number[];
  /** the range calibration inputs are drawn from */
  range: [number, number];
  /** quantized forms: the input's parameters */
  q?: QParams;
}

export interface ModelOutput {
  name: string;
  type: ActType | 'int32' | 'float';
  q?: QParams;
}

export class OnnxEmitter {
  readonly nodes: OnnxNodeProto[] = [];
  readonly initializers: OnnxTensorProto[] = [];
  readonly inputs: ModelInput[] = [];
  readonly outputs: ModelOutput[] = [];
  /** ops the model holds, for the per-op summary */
  readonly ops = new Set<string>();
  private counter = 0;
  private constants = 0;

  constructor(
    readonly form: OnnxForm,
    readonly act: ActType,
    /** calibrated [min, max] of every float value, by key (quantized forms) */
    private readonly ranges: Map<string, [number, number]>,
  ) {}

  private fresh(stem: string): string {
    return `${stem}${this.counter++}`;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, domain?: string): void {
    const node: OnnxNodeProto = {
      name: `${opType}_${this.nodes.length}`,
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    };
    if (domain) node.domain = domain;
    this.nodes.push(node);
    if (opType !== 'QuantizeLinear' && opType !== 'DequantizeLinear') this.ops.add(opType);
  }

  constant(stem: string, type: ActType | 'int32' | 'float', dims: number[], values: ArrayLike<number>): string {
    // a counter of its own: the activations' names must be the same in every form, which hold different constants
    const name = `${stem}${this.constants++}`;
    this.initializers.push(tensor(name, type, dims, values));
    return name;
  }

  /** An int64 initializer (shapes, axes, pads). */
  int64(stem: string, values: number[]): string {
    const name = `${stem}${this.constants++}`;
    const raw = new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
    this.initializers.push({ name, dataType: OnnxDataType.INT64, dims: [values.length], rawData: raw });
    return name;
  }

  /** Scale and zero-point initializers of `q` (scalars when per tensor). */
  private qInits(stem: string, q: QParams): [string, string] {
    const dims = q.scale.length === 1 ? [] : [q.scale.length];
    return [this.constant(`${stem}_scale`, 'float', dims, q.scale), this.constant(`${stem}_zp`, q.type, dims, q.zeroPoint)];
  }

  paramsOf(key: string): QParams {
    const r = this.ranges.get(key);
    if (!r) throw new Error(`internal: no calibrated range for ${key}`);
    return activationParams(r[0], r[1], this.act);
  }

  input(shape: number[], range: [number, number]): Value {
    const key = this.fresh('input');
    if (this.form === 'float') {
      this.inputs.push({ name: key, type: 'float', shape, range });
      return { ref: key, key, qname: key, shape };
    }
    const q = activationParams(range[0], range[1], this.act);
    const qname = `${key}_q`;
    this.inputs.push({ name: qname, type: this.act, shape, range, q });
    if (this.form === 'qop') return { ref: qname, key, qname, shape, q };
    const [s, z] = this.qInits(key, q);
    this.node('DequantizeLinear', [qname, s, z], [key]);
    return { ref: key, key, qname, shape, q };
  }

  output(v: Value): void {
    if (this.form === 'float') this.outputs.push({ name: v.ref, type: 'float' });
    else this.outputs.push({ name: v.qname, type: v.q!.type, q: v.q });
  }

  /**
   * The float result `key` of a layer just emitted, quantized: QDQ adds QuantizeLinear (and a
   * DequantizeLinear for the next layer); QOperator layers wrote `${key}_q` themselves.
   */
  private quantized(key: string, shape: number[], q?: QParams): Value {
    if (this.form === 'float') return { ref: key, key, qname: key, shape };
    const params = q ?? this.paramsOf(key);
    const qname = `${key}_q`;
    if (this.form === 'qop') return { ref: qname, key, qname, shape, q: params };
    const [s, z] = this.qInits(key, params);
    this.node('QuantizeLinear', [key, s, z], [qname]);
    const dq = `${key}_dq`;
    this.node('DequantizeLinear', [qname, s, z], [dq]);
    return { ref: dq, key, qname, shape, q: params };
  }

  /** A weight: float, or int8 with its DequantizeLinear (QDQ), or int8 and its parameters (QOperator). */
  private weight(w: Float32Array, shape: number[], perChannel: boolean, axis: number): { ref: string; q?: QParams; s?: string; z?: string } {
    if (this.form === 'float') return { ref: this.constant('w', 'float', shape, w) };
    const { q, data } = weightParams(w, shape, perChannel, axis);
    const name = this.constant('w_q', 'int8', shape, data);
    const [s, z] = this.qInits('w', q);
    if (this.form === 'qop') return { ref: name, q, s, z };
    const dq = `${name}_dq`;
    this.node('DequantizeLinear', [name, s, z], [dq], perChannel ? { axis } : {});
    return { ref: dq, q };
  }

  /** An int32 bias at scale sx*sw[c] (float32 product, zero point 0), as the quantizer writes it. */
  private bias(b: Float32Array, x: Value, wq?: QParams): { ref: string; raw?: string } {
    if (this.form === 'float') return { ref: this.constant('b', 'float', [b.length], b) };
    const sx = x.q!.scale[0]!;
    const scales = Array.from(b, (_, c) => f32(sx * wq!.scale[wq!.scale.length === 1 ? 0 : c]!));
    const data = Array.from(b, (v, c) => roundEven(v / scales[c]!));
    const raw = this.constant('b_q', 'int32', [b.length], data);
    if (this.form === 'qop') return { ref: raw, raw };
    const perChannel = wq!.scale.length > 1;
    const s = this.constant('b_scale', 'float', perChannel ? [b.length] : [], perChannel ? scales : [scales[0]!]);
    const z = this.constant('b_zp', 'int32', perChannel ? [b.length] : [], perChannel ? new Array(b.length).fill(0) : [0]);
    const dq = `${raw}_dq`;
    this.node('DequantizeLinear', [raw, s, z], [dq], perChannel ? { axis: 0 } : {});
    return { ref: dq };
  }

  private xs(x: Value): string[] {
    const [s, z] = this.qInits(`${x.key}_in`, x.q!);
    return [x.qname, s, z];
  }

  private ys(key: string): { params: QParams; names: [string, string] } {
    const params = this.paramsOf(key);
    return { params, names: this.qInits(key, params) };
  }

  conv(
    x: Value,
    w: Float32Array,
    wShape: number[],
    b: Float32Array | undefined,
    attrs: { strides: number[]; pads: number[]; dilations: number[]; group: number },
    outShape: number[],
    perChannel: boolean,
  ): Value {
    const key = this.fresh('conv');
    const weight = this.weight(w, wShape, perChannel, 0);
    const a = { kernel_shape: wShape.slice(2), strides: attrs.strides, pads: attrs.pads, dilations: attrs.dilations, group: attrs.group };
    if (this.form === 'qop') {
      const y = this.ys(key);
      const inputs = [...this.xs(x), weight.ref, weight.s!, weight.z!, ...y.names];
      if (b) inputs.push(this.bias(b, x, weight.q).ref);
      this.node('QLinearConv', inputs, [`${key}_q`], a);
      return this.quantized(key, outShape, y.params);
    }
    const inputs = [x.ref, weight.ref];
    if (b) inputs.push(this.bias(b, x, weight.q).ref);
    this.node('Conv', inputs, [key], a);
    return this.quantized(key, outShape);
  }

  convTranspose(
    x: Value,
    w: Float32Array,
    wShape: number[],
    b: Float32Array | undefined,
    attrs: { strides: number[]; pads: number[]; group: number },
    outShape: number[],
    perChannel: boolean,
  ): Value {
    const key = this.fresh('convt');
    // the output channels are axis 1 of a transposed convolution's weights
    const weight = this.weight(w, wShape, perChannel && attrs.group === 1, 1);
    const inputs = [x.ref, weight.ref];
    if (b) inputs.push(this.bias(b, x, weight.q).ref);
    this.node('ConvTranspose', inputs, [key], { kernel_shape: wShape.slice(2), strides: attrs.strides, pads: attrs.pads, group: attrs.group });
    return this.quantized(key, outShape);
  }

  /** Gemm with transB (weights [N, K]), or QLinearMatMul with weights [K, N] and no bias in QOperator form. */
  gemm(x: Value, w: Float32Array, n: number, k: number, b: Float32Array, perChannel: boolean): Value {
    const key = this.fresh('gemm');
    const weight = this.weight(w, [n, k], perChannel, 0);
    const bias = this.bias(b, x, weight.q);
    this.node('Gemm', [x.ref, weight.ref, bias.ref], [key], { transB: 1 });
    return this.quantized(key, [x.shape[0]!, n]);
  }

  matmul(x: Value, w: Float32Array, k: number, n: number, perChannel: boolean): Value {
    const key = this.fresh('matmul');
    const weight = this.weight(w, [k, n], perChannel, 1);
    const outShape = [...x.shape.slice(0, -1), n];
    if (this.form === 'qop') {
      const y = this.ys(key);
      this.node('QLinearMatMul', [...this.xs(x), weight.ref, weight.s!, weight.z!, ...y.names], [`${key}_q`]);
      return this.quantized(key, outShape, y.params);
    }
    this.node('MatMul', [x.ref, weight.ref], [key]);
    return this.quantized(key, outShape);
  }

  /** ConvInteger / MatMulInteger: int32 results, no requantization (QOperator form only). */
  integerOp(op: 'ConvInteger' | 'MatMulInteger', x: Value, w: Float32Array, wShape: number[], attrs: Record<string, Attr>, outShape: number[]): Value {
    const key = this.fresh(op === 'ConvInteger' ? 'convint' : 'matmulint');
    if (this.form === 'float') {
      const weight = this.weight(w, wShape, false, 0);
      this.node(op === 'ConvInteger' ? 'Conv' : 'MatMul', [x.ref, weight.ref], [key], attrs);
      return { ref: key, key, qname: key, shape: outShape };
    }
    const { data } = weightParams(w, wShape, false, 0);
    const wq = this.constant('w_q', 'int8', wShape, data);
    const xzp = this.constant('x_zp', x.q!.type, [], x.q!.zeroPoint);
    const wzp = this.constant('w_zp', 'int8', [], [0]);
    const out = `${key}_q`;
    this.node(op, [x.qname, wq, xzp, wzp], [out], attrs);
    return { ref: out, key, qname: out, shape: outShape, q: { scale: [1], zeroPoint: [0], type: 'int32' } };
  }

  /** Add or Mul of two activations (QLinearAdd / QLinearMul of com.microsoft in QOperator form). */
  binary(op: 'Add' | 'Mul', a: Value, b: Value, outShape: number[]): Value {
    const key = this.fresh(op.toLowerCase());
    if (this.form === 'qop') {
      const y = this.ys(key);
      this.node(`QLinear${op}`, [...this.xs(a), ...this.xs(b), ...y.names], [`${key}_q`], {}, 'com.microsoft');
      return this.quantized(key, outShape, y.params);
    }
    this.node(op, [a.ref, b.ref], [key]);
    return this.quantized(key, outShape);
  }

  concat(values: Value[], axis: number, outShape: number[]): Value {
    const key = this.fresh('concat');
    if (this.form === 'qop') {
      const y = this.ys(key);
      this.node('QLinearConcat', [...y.names, ...values.flatMap((v) => this.xs(v))], [`${key}_q`], { axis }, 'com.microsoft');
      return this.quantized(key, outShape, y.params);
    }
    this.node(
      'Concat',
      values.map((v) => v.ref),
      [key],
      { axis },
    );
    return this.quantized(key, outShape);
  }

  /**
   * A one-input op with its own output range: Relu, Clip, LeakyRelu, Sigmoid, HardSwish, Softmax,
   * AveragePool, GlobalAveragePool (QLinearSigmoid, QLinearLeakyRelu, QLinearAveragePool,
   * QLinearGlobalAveragePool of com.microsoft in QOperator form).
   */
  unary(op: string, x: Value, attrs: Record<string, Attr>, outShape: number[], extraInputs: string[] = [], outQ?: QParams): Value {
    const key = this.fresh(op.toLowerCase());
    if (this.form === 'qop') {
      const y = this.ys(key);
      this.node(`QLinear${op}`, [...this.xs(x), ...y.names], [`${key}_q`], attrs, 'com.microsoft');
      return this.quantized(key, outShape, y.params);
    }
    this.node(op, [x.ref, ...extraInputs], [key], attrs);
    return this.quantized(key, outShape, outQ);
  }

  /**
   * Softmax's output parameters as ONNX Runtime's quantizer writes them: scale 1/256, zero point 0
   * (uint8) or -128 (int8). ORT's fused QLinearSoftmax assumes that scale: with a calibrated one it
   * gives other answers than its own unfused graph (saturated ones far from the float result).
   */
  softmaxOutput(): QParams {
    return { scale: [1 / 256], zeroPoint: [this.act === 'uint8' ? 0 : -128], type: this.act };
  }

  /**
   * An op that moves or selects values and keeps its input's parameters (MaxPool, Reshape, Flatten,
   * Transpose, Squeeze, Unsqueeze, Pad): on the integer tensor itself in QOperator form.
   */
  keep(op: string, x: Value, attrs: Record<string, Attr>, outShape: number[], extraInputs: (q: QParams | undefined) => string[] = () => []): Value {
    const key = this.fresh(op.toLowerCase());
    if (this.form === 'qop') {
      this.node(op, [x.qname, ...extraInputs(x.q)], [`${key}_q`], attrs);
      return this.quantized(key, outShape, x.q);
    }
    this.node(op, [x.ref, ...extraInputs(undefined)], [key], attrs);
    return this.quantized(key, outShape, this.form === 'float' ? undefined : x.q);
  }

  model(opset = 13): OnnxModelProto {
    const valueInfo = (name: string, type: ActType | 'int32' | 'float', shape?: number[]) => ({
      name,
      type: { tensorType: { elemType: DATA_TYPE[type], ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
    });
    const usesMicrosoft = this.nodes.some((n) => n.domain === 'com.microsoft');
    return {
      irVersion: 7,
      producerName: 'tinyforge-fuzz',
      opsetImport: [{ domain: '', version: opset }, ...(usesMicrosoft ? [{ domain: 'com.microsoft', version: 1 }] : [])],
      graph: {
        name: 'fuzz',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map((i) => valueInfo(i.name, i.type, i.shape)),
        output: this.outputs.map((o) => valueInfo(o.name, o.type)),
      },
    };
  }
}
