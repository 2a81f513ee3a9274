// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX's QOperator form (QLinearConv, QLinearMatMul, ONNX Runtime's com.microsoft QLinear* ops,
 * ConvInteger, MatMulInteger) rewritten into QDQ form: each quantized op becomes
 * DequantizeLinear -> the float op -> QuantizeLinear, so the importer lowers one form only. The
 * rewrite is ONNX to ONNX on the plain objects of schema.ts and keeps every tensor name the graph
 * already has: the QuantizeLinear that ends a rewritten op writes the op's own output, so its
 * consumers and the graph outputs are untouched. Scales and zero points must be constants
 * (initializers or Constant nodes), as QDQ's are; a static DynamicQuantizeLinear (constant input)
 * is folded into constants. docs/onnx.md, "QOperator models", gives the rule for each op.
 */
import { TinyforgeError } from '../../errors.ts';
import {
  OnnxAttributeType,
  OnnxDataType,
  type OnnxAttributeProto,
  type OnnxGraphProto,
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
} from './schema.ts';

const MICROSOFT = 'com.microsoft';

/** The com.microsoft ops whose inputs are X, X_scale, X_zero_point?, Y_scale, Y_zero_point?. */
const UNARY_FLOAT_OP: Record<string, string> = {
  QLinearAveragePool: 'AveragePool',
  QLinearGlobalAveragePool: 'GlobalAveragePool',
  QLinearSigmoid: 'Sigmoid',
  QLinearLeakyRelu: 'LeakyRelu',
};
/** Attributes each float op keeps from its QOperator (the rest, channels_last, are handled apart). */
const KEPT_ATTRIBUTES: Record<string, string[]> = {
  Conv: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
  AveragePool: ['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides'],
  GlobalAveragePool: [],
  Sigmoid: [],
  LeakyRelu: ['alpha'],
  Concat: ['axis'],
  MatMul: [],
  Add: [],
  Mul: [],
};
/** Ops whose output has the element type of their first input (used to tell int8 from uint8). */
const TYPE_PRESERVING = new Set([
  'Identity',
  'Reshape',
  'Transpose',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'MaxPool',
  'Relu',
  'Clip',
  'Slice',
  'Gather',
  'Concat',
  'Split',
  'Pad',
  'Resize',
  'Expand',
  'Tile',
  'DepthToSpace',
  'SpaceToDepth',
]);

/** The values of a constant tensor as numbers (int64 through Number: scales and zero points are small). */
export function tensorValues(tensor: OnnxTensorProto): number[] {
  const count = (tensor.dims ?? []).reduce((a, b) => a * b, 1);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Record<number, [number, (offset: number) => number]> = {
      [OnnxDataType.FLOAT]: [4, (o) => view.getFloat32(o, true)],
      [OnnxDataType.DOUBLE]: [8, (o) => view.getFloat64(o, true)],
      [OnnxDataType.UINT8]: [1, (o) => view.getUint8(o)],
      [OnnxDataType.INT8]: [1, (o) => view.getInt8(o)],
      [OnnxDataType.UINT16]: [2, (o) => view.getUint16(o, true)],
      [OnnxDataType.INT16]: [2, (o) => view.getInt16(o, true)],
      [OnnxDataType.INT32]: [4, (o) => view.getInt32(o, true)],
      [OnnxDataType.INT64]: [8, (o) => Number(view.getBigInt64(o, true))],
      [OnnxDataType.BOOL]: [1, (o) => view.getUint8(o)],
    };
    const entry = read[tensor.dataType ?? 0];
    if (!entry) throw new Error(`raw data of ONNX type ${tensor.dataType} is not read`);
    const [size, get] = entry;
    return Array.from({ length: raw.byteLength / size }, (_, i) => get(i * size));
  }
  switch (tensor.dataType) {
    case OnnxDataType.FLOAT:
      return (tensor.floatData ?? []).slice(0, count);
    case OnnxDataType.DOUBLE:
      return (tensor.doubleData ?? []).slice(0, count);
    case OnnxDataType.INT64:
      return (tensor.int64Data ?? []).slice(0, count);
    case OnnxDataType.UINT32:
    case OnnxDataType.UINT64:
      return (tensor.uint64Data ?? []).slice(0, count);
    default:
      return (tensor.int32Data ?? []).slice(0, count);
  }
}

function elementCount(tensor: OnnxTensorProto): number {
  return (tensor.dims ?? []).reduce((a, b) => a * b, 1);
}

/** The tensor a Constant node holds, from whichever of its value attributes it has. */
function constantNodeTensor(node: OnnxNodeProto): OnnxTensorProto | undefined {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) return a.t;
    if (a.name === 'value_float') return { dataType: OnnxDataType.FLOAT, dims: [], floatData: [a.f ?? 0] };
    if (a.name === 'value_floats') return { dataType: OnnxDataType.FLOAT, dims: [a.floats?.length ?? 0], floatData: a.floats ?? [] };
    if (a.name === 'value_int') return { dataType: OnnxDataType.INT64, dims: [], int64Data: [a.i ?? 0] };
    if (a.name === 'value_ints') return { dataType: OnnxDataType.INT64, dims: [a.ints?.length ?? 0], int64Data: a.ints ?? [] };
  }
  return undefined;
}

const attribute = (node: OnnxNodeProto, name: string) => (node.attribute ?? []).find((a) => a.name === name);
const intAttribute = (name: string, i: number): OnnxAttributeProto => ({ name, type: OnnxAttributeType.INT, i });

/** Rounds half to even, as ONNX's QuantizeLinear and ONNX Runtime's nearbyintf do. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Replaces the named graph inputs by initializers holding the given tensors: ONNX's backend tests
 * pass scales and zero points as inputs, and binding them makes such a test a static model.
 */
export function bindInputsAsConstants(model: OnnxModelProto, bindings: Record<string, OnnxTensorProto>): OnnxModelProto {
  const graph = model.graph ?? {};
  const inputNames = new Set((graph.input ?? []).map((i) => i.name));
  for (const name of Object.keys(bindings)) if (!inputNames.has(name)) throw new Error(`no graph input named '${name}' to bind`);
  return {
    ...model,
    graph: {
      ...graph,
      input: (graph.input ?? []).filter((i) => !(i.name! in bindings)),
      initializer: [...(graph.initializer ?? []), ...Object.entries(bindings).map(([name, t]) => ({ ...t, name }))],
    },
  };
}

/** Rewrites every QOperator node of `graph` into DequantizeLinear -> float op -> QuantizeLinear. */
export function qoperatorToQdq(graph: OnnxGraphProto, fileName: string): OnnxGraphProto {
  return new QdqRewrite(graph, fileName).run();
}

class QdqRewrite {
  private readonly constants = new Map<string, OnnxTensorProto>();
  private readonly elemTypes = new Map<string, number>();
  private readonly used = new Set<string>();
  private readonly usedNodeNames = new Set<string>();
  private readonly consumers = new Map<string, number[]>();
  private readonly graphOutputs: Set<string>;
  private readonly nodes: OnnxNodeProto[];
  private readonly newInitializers: OnnxTensorProto[] = [];
  private readonly out: OnnxNodeProto[] = [];
  private readonly skipped = new Set<number>();
  /** the scalar copy made of each one-value [1] constant, made once however many nodes read it */
  private readonly scalarCopies = new Map<string, string>();

  constructor(
    private readonly graph: OnnxGraphProto,
    private readonly fileName: string,
  ) {
    this.nodes = graph.node ?? [];
    this.graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
    for (const t of graph.initializer ?? []) {
      this.constants.set(t.name ?? '', t);
      this.elemTypes.set(t.name ?? '', t.dataType ?? 0);
    }
    for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
      const elemType = v.type?.tensorType?.elemType;
      if (v.name && elemType) this.elemTypes.set(v.name, elemType);
      if (v.name) this.used.add(v.name);
    }
    this.nodes.forEach((n, i) => {
      if (n.name) this.usedNodeNames.add(n.name);
      for (const o of n.output ?? []) this.used.add(o);
      for (const x of n.input ?? []) {
        this.used.add(x);
        if (x) this.consumers.set(x, [...(this.consumers.get(x) ?? []), i]);
      }
    });
    for (const t of graph.initializer ?? []) this.used.add(t.name ?? '');
  }

  run(): OnnxGraphProto {
    this.nodes.forEach((node, index) => {
      if (this.skipped.has(index)) return;
      this.rewrite(node, index);
    });
    // initializers only the replaced nodes read (a folded DynamicQuantizeLinear's float input) go
    // with them; any the graph held unread before stays, as it was
    const read = new Set([...this.out.flatMap((n) => n.input ?? []), ...this.graphOutputs]);
    const initializer = [...(this.graph.initializer ?? []), ...this.newInitializers].filter(
      (t) => read.has(t.name ?? '') || (!this.consumers.has(t.name ?? '') && !this.newInitializers.includes(t)),
    );
    const produced = new Set([...this.out.flatMap((n) => n.output ?? []), ...(this.graph.input ?? []).map((i) => i.name), ...initializer.map((t) => t.name)]);
    return {
      ...this.graph,
      node: this.out,
      initializer,
      valueInfo: (this.graph.valueInfo ?? []).filter((v) => produced.has(v.name)),
    };
  }

  private fail(node: OnnxNodeProto, index: number, problem: string): TinyforgeError {
    return new TinyforgeError(`${this.fileName}: node ${index} '${node.name ?? ''}' (${node.opType}): ${problem}`);
  }

  /** A name not yet taken in `used` (tensor names by default; node names are a namespace of their own). */
  private fresh(base: string, used = this.used): string {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  }

  private addConstant(base: string, tensor: OnnxTensorProto): string {
    const name = this.fresh(base);
    this.newInitializers.push({ ...tensor, name });
    this.constants.set(name, tensor);
    this.elemTypes.set(name, tensor.dataType ?? 0);
    return name;
  }

  private emit(opType: string, name: string, inputs: string[], outputs: string[], attrs: OnnxAttributeProto[] = [], domain?: string) {
    const node: OnnxNodeProto = { name: this.fresh(name, this.usedNodeNames), opType, input: inputs, output: outputs };
    if (attrs.length > 0) node.attribute = attrs;
    if (domain) node.domain = domain;
    this.out.push(node);
  }

  private readonly onnxHandlers = new Map<string, (node: OnnxNodeProto, index: number) => void>([
    ['QLinearConv', this.qlinearConv],
    ['QLinearMatMul', this.qlinearMatMul],
    ['ConvInteger', this.integerOp],
    ['MatMulInteger', this.integerOp],
    ['DynamicQuantizeLinear', this.dynamicQuantize],
  ]);
  private readonly microsoftHandlers = new Map<string, (node: OnnxNodeProto, index: number) => void>([
    ['QLinearAdd', this.qlinearBinary],
    ['QLinearMul', this.qlinearBinary],
    ['QLinearConcat', this.qlinearConcat],
    ...Object.keys(UNARY_FLOAT_OP).map((op) => [op, this.qlinearUnary] as [string, (node: OnnxNodeProto, index: number) => void]),
  ]);

  private rewrite(node: OnnxNodeProto, index: number) {
    const domain = node.domain ?? '';
    const op = node.opType ?? '';
    const isOnnx = domain === '' || domain === 'ai.onnx';
    const handler = (isOnnx ? this.onnxHandlers : domain === MICROSOFT ? this.microsoftHandlers : undefined)?.get(op);
    if (handler) {
      // the float op that replaces the node takes over its name
      if (node.name) this.usedNodeNames.delete(node.name);
      handler.call(this, node, index);
      return;
    }
    this.out.push(node);
    this.noteTypes(node);
    if (isOnnx && op === 'Constant' && node.output?.[0]) {
      const t = constantNodeTensor(node);
      if (t) {
        this.constants.set(node.output[0], t);
        this.elemTypes.set(node.output[0], t.dataType ?? 0);
      }
    }
  }

  /** Records the element type of an untouched node's outputs where it is evident. */
  private noteTypes(node: OnnxNodeProto) {
    const output = node.output?.[0];
    if (!output || this.elemTypes.has(output)) return;
    const op = node.opType ?? '';
    if (op === 'QuantizeLinear') {
      const zp = node.input?.[2];
      const dtype = attribute(node, 'output_dtype')?.i;
      this.elemTypes.set(output, dtype || (zp ? (this.elemTypes.get(zp) ?? 0) : OnnxDataType.UINT8));
    } else if (op === 'DequantizeLinear') this.elemTypes.set(output, OnnxDataType.FLOAT);
    else if (op === 'Cast') this.elemTypes.set(output, attribute(node, 'to')?.i ?? 0);
    else if (TYPE_PRESERVING.has(op)) {
      const t = this.elemTypes.get(node.input?.[0] ?? '');
      if (t) for (const o of node.output ?? []) this.elemTypes.set(o, t);
    }
  }

  private name(node: OnnxNodeProto, index: number): string {
    return node.name || `${node.opType}_${index}`;
  }

  /** The constant an input names, or a one-line refusal naming the node and input. */
  private constant(node: OnnxNodeProto, index: number, slot: number, what: string): OnnxTensorProto {
    const name = node.input?.[slot] ?? '';
    const t = this.constants.get(name);
    if (!t) {
      throw this.fail(
        node,
        index,
        !name
          ? `${what} is missing`
          : (this.graph.input ?? []).some((i) => i.name === name)
            ? `${what} '${name}' is a graph input; QOperator scales and zero points must be constants: bind it to its value (--bind ${name}=FILE)`
            : `${what} '${name}' is computed at run time; QOperator scales and zero points must be initializers or Constant nodes`,
      );
    }
    if (t.dataLocation === 1) throw this.fail(node, index, `${what} '${name}' is stored outside the model (external data)`);
    return t;
  }

  /** An optional zero point: its name if given (then it must be a constant), else undefined. */
  private optionalZeroPoint(node: OnnxNodeProto, index: number, slot: number, what: string): string | undefined {
    const name = node.input?.[slot];
    if (!name) return undefined;
    this.constant(node, index, slot, what);
    return name;
  }

  /**
   * DequantizeLinear of `input`: per-tensor when the scale and zero point hold one value each, else
   * along `axis`. A one-value scale or zero point beside a per-axis partner is widened to its length.
   */
  private dequantize(base: string, input: string, scale: string, zeroPoint: string | undefined, axis: number): string {
    const output = this.fresh(`${input}_dequantized`);
    const [s, z] = this.matchLengths(scale, zeroPoint);
    const inputs = z ? [input, s, z] : [input, s];
    const perAxis = elementCount(this.constants.get(s)!) > 1;
    this.emit('DequantizeLinear', `${base}_dequantize_${input}`, inputs, [output], perAxis ? [intAttribute('axis', axis)] : []);
    return output;
  }

  private quantize(base: string, floatOutput: string, output: string, scale: string, zeroPoint: string) {
    const [s, z] = this.matchLengths(scale, zeroPoint);
    const perAxis = elementCount(this.constants.get(s)!) > 1;
    this.emit('QuantizeLinear', `${base}_quantize`, [floatOutput, s, z!], [output], perAxis ? [intAttribute('axis', 1)] : []);
    this.elemTypes.set(output, this.constants.get(z!)!.dataType ?? 0);
  }

  /** A one-value tensor of shape [1] as a scalar copy: in QDQ form a 1-D scale means per-axis. */
  private scalar(name: string): string {
    const t = this.constants.get(name)!;
    if (elementCount(t) !== 1 || (t.dims ?? []).length === 0) return name;
    const made = this.scalarCopies.get(name);
    if (made) return made;
    const copy = { dataType: t.dataType, dims: [] };
    const scalar = this.addConstant(
      `${name}_scalar`,
      t.dataType === OnnxDataType.FLOAT ? { ...copy, floatData: tensorValues(t) } : { ...copy, int32Data: tensorValues(t) },
    );
    this.scalarCopies.set(name, scalar);
    return scalar;
  }

  private matchLengths(scaleName: string, zeroPointName: string | undefined): [string, string | undefined] {
    const scale = this.scalar(scaleName);
    const zeroPoint = zeroPointName && this.scalar(zeroPointName);
    if (!zeroPoint) return [scale, zeroPoint];
    const st = this.constants.get(scale)!;
    const zt = this.constants.get(zeroPoint)!;
    const sn = elementCount(st);
    const zn = elementCount(zt);
    if (sn === zn) return [scale, zeroPoint];
    if (sn === 1) {
      const value = tensorValues(st)[0] ?? 0;
      return [this.addConstant(`${scale}_widened`, { dataType: OnnxDataType.FLOAT, dims: [zn], floatData: Array(zn).fill(value) }), zeroPoint];
    }
    const value = tensorValues(zt)[0] ?? 0;
    return [scale, this.addConstant(`${zeroPoint}_widened`, { dataType: zt.dataType, dims: [sn], int32Data: Array(sn).fill(value) })];
  }

  /** The zero point of a Q output: the given one, or a zero of the element type the op's T has. */
  private outputZeroPoint(node: OnnxNodeProto, index: number, base: string, slot: number, typeSources: (string | undefined)[]): string {
    const given = this.optionalZeroPoint(node, index, slot, 'output zero point');
    if (given) return given;
    const elemType = typeSources.map((s) => (s ? this.elemTypes.get(s) : undefined)).find((t) => t !== undefined && t !== 0);
    if (elemType !== OnnxDataType.INT8 && elemType !== OnnxDataType.UINT8) {
      throw this.fail(
        node,
        index,
        `its output zero point is omitted and the type of '${node.input?.[0]}' is not known, so int8 and uint8 cannot be told apart`,
      );
    }
    return this.addConstant(`${base}_output_zero_point`, { dataType: elemType, dims: [], int32Data: [0] });
  }

  private keptAttributes(node: OnnxNodeProto, floatOp: string): OnnxAttributeProto[] {
    const kept = KEPT_ATTRIBUTES[floatOp] ?? [];
    return (node.attribute ?? []).filter((a) => kept.includes(a.name ?? ''));
  }

  private perTensor(node: OnnxNodeProto, index: number, slot: number, what: string) {
    if (elementCount(this.constant(node, index, slot, what)) !== 1)
      throw this.fail(node, index, `${what} '${node.input?.[slot]}' has several values; only per-tensor ${what}s are supported`);
  }

  private qlinearConv(node: OnnxNodeProto, index: number) {
    const [x, xScale, xZero, w, wScale, wZero, yScale, yZero, bias] = node.input ?? [];
    const base = this.name(node, index);
    this.perTensor(node, index, 1, 'x_scale');
    this.constant(node, index, 2, 'x_zero_point');
    const wScales = tensorValues(this.constant(node, index, 4, 'w_scale'));
    this.constant(node, index, 5, 'w_zero_point');
    this.perTensor(node, index, 6, 'y_scale');
    this.constant(node, index, 7, 'y_zero_point');
    const inputs = [this.dequantize(base, x!, xScale!, xZero, 1), this.dequantize(base, w!, wScale!, wZero, 0)];
    if (bias) {
      // the bias is int32 at scale x_scale * w_scale (per output channel), zero point 0
      const xs = tensorValues(this.constants.get(xScale!)!)[0]!;
      const scales = wScales.map((ws) => Math.fround(xs * ws));
      const biasScale = this.addConstant(`${base}_bias_scale`, {
        dataType: OnnxDataType.FLOAT,
        dims: scales.length > 1 ? [scales.length] : [],
        floatData: scales,
      });
      inputs.push(this.dequantize(base, bias, biasScale, undefined, 0));
    }
    const y = node.output![0]!;
    const yFloat = this.fresh(`${y}_float`);
    this.emit('Conv', base, inputs, [yFloat], this.keptAttributes(node, 'Conv'));
    this.quantize(base, yFloat, y, yScale!, yZero!);
  }

  private qlinearMatMul(node: OnnxNodeProto, index: number) {
    const [a, aScale, aZero, b, bScale, bZero, yScale, yZero] = node.input ?? [];
    const base = this.name(node, index);
    this.perTensor(node, index, 1, 'a_scale');
    this.constant(node, index, 2, 'a_zero_point');
    this.constant(node, index, 4, 'b_scale');
    this.constant(node, index, 5, 'b_zero_point');
    this.perTensor(node, index, 6, 'y_scale');
    this.constant(node, index, 7, 'y_zero_point');
    // b's scales, when several, are per column: its last axis
    const inputs = [this.dequantize(base, a!, aScale!, aZero, 1), this.dequantize(base, b!, bScale!, bZero, -1)];
    const y = node.output![0]!;
    const yFloat = this.fresh(`${y}_float`);
    this.emit('MatMul', base, inputs, [yFloat]);
    this.quantize(base, yFloat, y, yScale!, yZero!);
  }

  private qlinearBinary(node: OnnxNodeProto, index: number) {
    const [a, aScale, , b, bScale, , cScale] = node.input ?? [];
    const base = this.name(node, index);
    this.perTensor(node, index, 1, 'A_scale');
    this.perTensor(node, index, 4, 'B_scale');
    this.perTensor(node, index, 6, 'C_scale');
    const aZero = this.optionalZeroPoint(node, index, 2, 'A_zero_point');
    const bZero = this.optionalZeroPoint(node, index, 5, 'B_zero_point');
    const cZero = this.outputZeroPoint(node, index, base, 7, [aZero, bZero, a, b]);
    const inputs = [this.dequantize(base, a!, aScale!, aZero, 1), this.dequantize(base, b!, bScale!, bZero, 1)];
    const c = node.output![0]!;
    const cFloat = this.fresh(`${c}_float`);
    this.emit(node.opType === 'QLinearAdd' ? 'Add' : 'Mul', base, inputs, [cFloat]);
    this.quantize(base, cFloat, c, cScale!, cZero);
  }

  private qlinearUnary(node: OnnxNodeProto, index: number) {
    const [x, xScale, , yScale] = node.input ?? [];
    const floatOp = UNARY_FLOAT_OP[node.opType!]!;
    const base = this.name(node, index);
    this.perTensor(node, index, 1, 'X_scale');
    this.perTensor(node, index, 3, 'Y_scale');
    const xZero = this.optionalZeroPoint(node, index, 2, 'X_zero_point');
    const yZero = this.outputZeroPoint(node, index, base, 4, [xZero, x]);
    const y = node.output![0]!;
    const channelsLast = attribute(node, 'channels_last')?.i ?? 0;
    let floatInput = this.dequantize(base, x!, xScale!, xZero, 1);
    const floatOutput = this.fresh(`${y}_float`);
    const attrs = this.keptAttributes(node, floatOp);
    if (floatOp === 'LeakyRelu' && !attribute(node, 'alpha')) attrs.push({ name: 'alpha', type: OnnxAttributeType.FLOAT, f: 0.01 });
    if (channelsLast) {
      // the float pools are channels-first: transpose around them (the rank is the kernel's + 2;
      // GlobalAveragePool has no kernel and is taken as 2-D, an NHWC input)
      const kernel = attribute(node, 'kernel_shape')?.ints;
      const rank = kernel ? kernel.length + 2 : 4;
      const toFirst = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
      const toLast = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
      const first = this.fresh(`${floatInput}_channels_first`);
      this.emit('Transpose', `${base}_to_channels_first`, [floatInput], [first], [{ name: 'perm', type: OnnxAttributeType.INTS, ints: toFirst }]);
      floatInput = first;
      const pooled = this.fresh(`${y}_float_channels_first`);
      this.emit(floatOp, base, [floatInput], [pooled], attrs);
      this.emit('Transpose', `${base}_to_channels_last`, [pooled], [floatOutput], [{ name: 'perm', type: OnnxAttributeType.INTS, ints: toLast }]);
    } else {
      this.emit(floatOp, base, [floatInput], [floatOutput], attrs);
    }
    this.quantize(base, floatOutput, y, yScale!, yZero);
  }

  private qlinearConcat(node: OnnxNodeProto, index: number) {
    const inputs = node.input ?? [];
    const base = this.name(node, index);
    if (inputs.length < 5 || (inputs.length - 2) % 3 !== 0)
      throw this.fail(node, index, 'expects Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) for each input');
    this.perTensor(node, index, 0, 'Y_scale');
    const floats: string[] = [];
    const sources: (string | undefined)[] = [];
    for (let slot = 2; slot < inputs.length; slot += 3) {
      this.perTensor(node, index, slot + 1, 'X_scale');
      const zero = this.optionalZeroPoint(node, index, slot + 2, 'X_zero_point');
      sources.push(zero, inputs[slot]);
      floats.push(this.dequantize(base, inputs[slot]!, inputs[slot + 1]!, zero, 1));
    }
    const y = node.output![0]!;
    const yZero = this.outputZeroPoint(node, index, base, 1, sources);
    const yFloat = this.fresh(`${y}_float`);
    this.emit('Concat', base, floats, [yFloat], this.keptAttributes(node, 'Concat'));
    this.quantize(base, yFloat, y, inputs[0]!, yZero);
  }

  /**
   * ConvInteger and MatMulInteger: dequantize with scale 1 and the zero points, then the float op.
   * Followed by Cast to float and Mul by a constant scale (dynamic quantization's pattern), the
   * scale goes into the dequantizations and the result is the Mul's output; otherwise a Cast back
   * to int32 gives the op's own output (exact while the sums stay within float32's 24 bits).
   */
  private integerOp(node: OnnxNodeProto, index: number) {
    const isConv = node.opType === 'ConvInteger';
    const [a, b] = node.input ?? [];
    const base = this.name(node, index);
    const aZero = this.optionalZeroPoint(node, index, 2, isConv ? 'x_zero_point' : 'a_zero_point');
    const bZero = this.optionalZeroPoint(node, index, 3, isConv ? 'w_zero_point' : 'b_zero_point');
    if (aZero && elementCount(this.constants.get(aZero)!) !== 1)
      throw this.fail(node, index, `zero point '${aZero}' of the first input has several values; only a per-tensor one is supported`);
    const bAxis = isConv ? 0 : -1;
    const y = node.output![0]!;
    const fold = this.scaleAfter(y, index, isConv ? (this.constants.get(b!)?.dims?.length ?? 4) : 0);
    const one = () => this.addConstant(`${base}_unit_scale`, { dataType: OnnxDataType.FLOAT, dims: [], floatData: [1] });
    const aScale = fold?.aScale ?? one();
    const bScale = fold?.bScale ?? one();
    const inputs = [this.dequantize(base, a!, aScale, aZero, 1), this.dequantize(base, b!, bScale, bZero, bAxis)];
    const floatOp = isConv ? 'Conv' : 'MatMul';
    if (fold) {
      this.emit(floatOp, base, inputs, [fold.output], this.keptAttributes(node, floatOp));
      this.elemTypes.set(fold.output, OnnxDataType.FLOAT);
      return;
    }
    const yFloat = this.fresh(`${y}_float`);
    this.emit(floatOp, base, inputs, [yFloat], this.keptAttributes(node, floatOp));
    this.emit('Cast', `${base}_to_int32`, [yFloat], [y], [intAttribute('to', OnnxDataType.INT32)]);
    this.elemTypes.set(y, OnnxDataType.INT32);
  }

  /** The only consumer of `name`, when it has exactly one and is not a graph output. */
  private soleConsumer(name: string): number | undefined {
    const users = this.consumers.get(name) ?? [];
    return users.length === 1 && !this.graphOutputs.has(name) ? users[0] : undefined;
  }

  /**
   * Matches `y -> Cast(to float) -> Mul(constant)`; on a match marks the Cast and Mul (and a Mul of
   * two constants making the scale, as dynamic quantization writes a_scale * b_scale) as consumed.
   */
  private scaleAfter(y: string, index: number, convRank: number): { aScale?: string; bScale: string; output: string } | undefined {
    const castIndex = this.soleConsumer(y);
    if (castIndex === undefined) return undefined;
    const cast = this.nodes[castIndex]!;
    if (cast.opType !== 'Cast' || (attribute(cast, 'to')?.i ?? 0) !== OnnxDataType.FLOAT) return undefined;
    const mulIndex = this.soleConsumer(cast.output?.[0] ?? '');
    if (mulIndex === undefined) return undefined;
    const mul = this.nodes[mulIndex]!;
    if (mul.opType !== 'Mul' || (mul.input ?? []).length !== 2) return undefined;
    const scale = mul.input![0] === cast.output![0] ? mul.input![1]! : mul.input![0]!;
    const float = (name: string) => {
      const t = this.constants.get(name);
      return t && t.dataType === OnnxDataType.FLOAT ? t : undefined;
    };
    const result = { output: mul.output![0]! };
    this.skipped.add(castIndex);
    this.skipped.add(mulIndex);
    // a scale made by Mul(a_scale, b_scale) of two constants splits into the two dequantizations
    const makerIndex = this.nodes.findIndex((n) => (n.output ?? []).includes(scale));
    const maker = makerIndex >= 0 ? this.nodes[makerIndex] : undefined;
    if (maker && maker.opType === 'Mul' && this.soleConsumer(scale) === mulIndex) {
      const [p, q] = maker.input ?? [];
      const pt = float(p ?? '');
      const qt = float(q ?? '');
      const [aScale, bScaleAsMultiplied] = pt && elementCount(pt) === 1 ? [p!, q!] : [q!, p!];
      const bScale = pt && qt && elementCount(this.constants.get(aScale)!) === 1 ? this.perChannelScale(bScaleAsMultiplied, convRank) : undefined;
      if (bScale) {
        // the scale's Mul is already written when it precedes the integer op, else still ahead
        if (makerIndex < index) this.out.splice(this.out.indexOf(maker), 1);
        else this.skipped.add(makerIndex);
        return { ...result, aScale, bScale };
      }
    }
    const bScale = float(scale) && this.perChannelScale(scale, convRank);
    if (bScale) return { ...result, bScale };
    this.skipped.delete(castIndex);
    this.skipped.delete(mulIndex);
    return undefined;
  }

  /**
   * A Mul operand scaling the integer op's output, as the 1-D scale of the second input's DQ: one
   * value, or one per output channel where the Mul broadcasts it (axis 1 of Conv's NCHW output of
   * rank `convRank`, the last axis of MatMul's when `convRank` is 0); undefined for any other shape.
   */
  private perChannelScale(name: string, convRank: number): string | undefined {
    const t = this.constants.get(name);
    if (!t || t.dataType !== OnnxDataType.FLOAT) return undefined;
    const n = elementCount(t);
    if (n === 1) return name;
    const dims = t.dims ?? [];
    // right-aligned against the output, the channel axis sits convRank - 1 from the end (Conv) or last
    const fromEnd = convRank > 0 ? convRank - 1 : 1;
    const channel = dims.length - fromEnd;
    if (channel < 0 || dims[channel] !== n || dims.some((d, i) => i !== channel && d !== 1)) return undefined;
    return dims.length === 1 ? name : this.addConstant(`${name}_per_channel`, { dataType: OnnxDataType.FLOAT, dims: [n], floatData: tensorValues(t) });
  }

  /** DynamicQuantizeLinear of a constant: its three outputs become constants, computed as ONNX Runtime does. */
  private dynamicQuantize(node: OnnxNodeProto, index: number) {
    const x = node.input?.[0] ?? '';
    const t = this.constants.get(x);
    if (!t || t.dataType !== OnnxDataType.FLOAT) {
      throw this.fail(
        node,
        index,
        `its input '${x}' is computed at run time, so its scale and zero point are too (dynamic quantization); only a constant input folds into static quantization`,
      );
    }
    const values = tensorValues(t).map(Math.fround);
    const min = values.reduce((a, v) => Math.min(a, v), 0);
    const max = values.reduce((a, v) => Math.max(a, v), 0);
    const scale = max === min ? 1 : Math.fround((max - min) / 255);
    const zeroPoint = roundHalfEven(Math.max(0, Math.min(255, Math.fround(0 - Math.fround(min / scale)))));
    const quantized = values.map((v) => Math.max(0, Math.min(255, roundHalfEven(Math.fround(v / scale)) + zeroPoint)));
    const [y, yScale, yZero] = node.output ?? [];
    const define = (name: string | undefined, tensor: OnnxTensorProto) => {
      if (!name) return;
      this.newInitializers.push({ ...tensor, name });
      this.constants.set(name, tensor);
      this.elemTypes.set(name, tensor.dataType ?? 0);
    };
    define(y, { dataType: OnnxDataType.UINT8, dims: t.dims ?? [], int32Data: quantized });
    define(yScale, { dataType: OnnxDataType.FLOAT, dims: [], floatData: [scale] });
    define(yZero, { dataType: OnnxDataType.UINT8, dims: [], int32Data: [zeroPoint] });
  }
}
