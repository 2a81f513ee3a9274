// SPDX-License-Identifier: Apache-2.0
/**
 * The state of one ONNX graph's lowering into the IR, and what every op's lowering shares: reading
 * inputs and attributes, creating tensors and ops, changing an activation's layout, and deciding an
 * op's output: quantized (the QuantizeLinear that follows gives its scale and zero point, and an
 * activation in between is fused) or float.
 */
import { TinyforgeError } from '../../errors.ts';
import type { DType, FusedActivation, Op, OpAttrs, Quantization, Tensor } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import type { OnnxAttributeProto, OnnxNodeProto } from './schema.ts';
import { OnnxAttributeType, OnnxDataType } from './schema.ts';
import { type ActivationValue, type ConstValue, type QuantConstValue, type Value, irShapeOf, onnxShapeOf, samePerm } from './values.ts';

/** How one ONNX node was lowered, for `inspect`. */
export interface LoweredNode {
  /** the node's name, or `#index` when it has none */
  node: string;
  opType: string;
  /** the IR op kinds it became; empty: absorbed (a constant, a fused activation, an alias) */
  kinds: string[];
  /** why it became nothing or something unusual, when that is worth saying */
  note?: string;
}

/** The consumers of a value: node indices (a graph output counts as -1). */
export type Consumers = Map<string, number[]>;

/** Ops whose output holds stored integers of their first input, unchanged or moved. */
const KEEPS_STORED_INTEGERS = new Set(['MaxPool', 'Pad', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity']);

export class Lowering {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  readonly values = new Map<string, Value>();
  /** the names of the graph's inputs (a constant expected there is one to bind) */
  readonly graphInputs = new Set<string>();
  /** nodes lowered as part of an earlier one (a QuantizeLinear after a conv, a fused Relu) */
  readonly absorbed = new Set<number>();
  readonly lowered: LoweredNode[] = [];
  /** the TRANSPOSE / RESHAPE ops `inLayout` added, with the layouts they go between (edge_layout.ts folds those at the inputs) */
  readonly layoutChanges = new Map<Op, { from: number[]; to: number[]; kinds: string[] }>();
  /** the node being lowered */
  nodeIndex = -1;
  private currentKinds: string[] = [];
  private currentNote: string | undefined;

  constructor(
    readonly fileName: string,
    readonly nodes: OnnxNodeProto[],
    readonly consumers: Consumers,
    readonly opset: number,
  ) {}

  // ---- messages ---------------------------------------------------------------------------------

  nodeLabel(node: OnnxNodeProto, index = this.nodes.indexOf(node)): string {
    return `node ${index}${node.name ? ` '${node.name}'` : ''} (${node.opType ?? '?'})`;
  }

  fail(node: OnnxNodeProto, problem: string): TinyforgeError {
    return new TinyforgeError(`${this.fileName}: ${this.nodeLabel(node)}: ${problem}`);
  }

  note(text: string): void {
    this.currentNote = text;
  }

  beginNode(index: number): void {
    this.nodeIndex = index;
    this.currentKinds = [];
    this.currentNote = undefined;
  }

  endNode(node: OnnxNodeProto, index: number): void {
    const entry: LoweredNode = { node: node.name || `#${index}`, opType: node.opType ?? '?', kinds: this.currentKinds };
    if (this.currentNote) entry.note = this.currentNote;
    this.lowered.push(entry);
  }

  /** Records what the graph outputs needed (layout back to ONNX's, DEQUANTIZE, uint8), if anything. */
  endGraphOutputs(): void {
    if (this.currentKinds.length > 0)
      this.lowered.push({ node: '(graph outputs)', opType: 'output', kinds: this.currentKinds, note: "back to ONNX's layout and type" });
  }

  // ---- attributes -------------------------------------------------------------------------------

  attr(node: OnnxNodeProto, name: string): OnnxAttributeProto | undefined {
    return node.attribute?.find((a) => a.name === name);
  }

  attrInt(node: OnnxNodeProto, name: string, fallback: number): number {
    const a = this.attr(node, name);
    if (!a) return fallback;
    if (a.type !== undefined && a.type !== OnnxAttributeType.INT) throw this.fail(node, `attribute ${name} is not an int`);
    return Number(a.i ?? 0);
  }

  attrFloat(node: OnnxNodeProto, name: string, fallback: number): number {
    const a = this.attr(node, name);
    if (!a) return fallback;
    if (a.type !== undefined && a.type !== OnnxAttributeType.FLOAT) throw this.fail(node, `attribute ${name} is not a float`);
    return a.f ?? 0;
  }

  attrInts(node: OnnxNodeProto, name: string): number[] | undefined {
    const a = this.attr(node, name);
    if (!a) return undefined;
    if (a.type !== undefined && a.type !== OnnxAttributeType.INTS) throw this.fail(node, `attribute ${name} is not a list of ints`);
    return (a.ints ?? []).map(Number);
  }

  attrString(node: OnnxNodeProto, name: string, fallback: string): string {
    const a = this.attr(node, name);
    if (!a) return fallback;
    if (a.type !== undefined && a.type !== OnnxAttributeType.STRING) throw this.fail(node, `attribute ${name} is not a string`);
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  // ---- inputs -----------------------------------------------------------------------------------

  /** The value of input `i`, or undefined when the input is absent (empty name or past the end). */
  optionalInput(node: OnnxNodeProto, i: number): Value | undefined {
    const name = node.input?.[i];
    if (!name) return undefined;
    const value = this.values.get(name);
    if (!value) throw this.fail(node, `input ${i} '${name}' is produced by no earlier node, initializer or graph input`);
    return value;
  }

  input(node: OnnxNodeProto, i: number, what = `input ${i}`): Value {
    const value = this.optionalInput(node, i);
    if (!value) throw this.fail(node, `${what} is missing`);
    return value;
  }

  activation(node: OnnxNodeProto, i: number, what = `input ${i}`): ActivationValue {
    const value = this.input(node, i, what);
    if (value.kind !== 'tensor') throw this.fail(node, `${what} '${node.input![i]}' is a constant; tinyforge expects an activation there`);
    return value;
  }

  constant(node: OnnxNodeProto, i: number, what = `input ${i}`): ConstValue {
    const value = this.input(node, i, what);
    if (value.kind !== 'const') {
      const name = node.input![i]!;
      const hint = this.graphInputs.has(name) ? `; it is a graph input: bind it to its value (--bind ${name}=FILE)` : '';
      throw this.fail(node, `${what} '${name}' must be a constant (an initializer or Constant node)${hint}`);
    }
    return value;
  }

  optionalConstant(node: OnnxNodeProto, i: number, what = `input ${i}`): ConstValue | undefined {
    return this.optionalInput(node, i) === undefined ? undefined : this.constant(node, i, what);
  }

  /**
   * Input `i` of an op that moves or selects stored integers (MaxPool, Pad), QOperator style: an int8
   * or uint8 tensor no DequantizeLinear reads first. Such an op computes the same whatever the
   * quantization, but the IR keeps int8 tensors with one: the one a DequantizeLinear further on gives
   * the value (through other such ops), else scale 1 and zero point 0. A uint8 tensor becomes int8 in
   * a QUANTIZE, and its ONNX name then stands for that int8 tensor. Other inputs are returned as they are.
   */
  storedIntegers(node: OnnxNodeProto, i: number, what = `input ${i}`): ActivationValue {
    const x = this.activation(node, i, what);
    const t = this.tensor(x);
    if (x.dequantized || (t.dtype !== 'int8' && t.dtype !== 'uint8') || (t.dtype === 'int8' && t.quant)) return x;
    const quant = this.quantizationFurtherOn(node.input![i]!, t.dtype);
    if (t.dtype === 'int8') {
      t.quant = quant;
      return x;
    }
    if (!t.quant) t.quant = { scale: [...quant.scale], zeroPoint: quant.zeroPoint.map((z) => z + 128), axis: 0 };
    const out = this.addTensor(`${t.name}_int8`, 'int8', [...t.shape], {
      scale: [...t.quant.scale],
      zeroPoint: t.quant.zeroPoint.map((z) => z - 128),
      axis: 0,
    });
    this.addQuantizedOp('QUANTIZE', [x.index], [out], {}, true);
    const value: ActivationValue = { kind: 'tensor', index: out, perm: x.perm };
    this.values.set(node.input![i]!, value);
    return value;
  }

  /** The int8 quantization of the first DequantizeLinear reading stored integers `name`, through ops that keep them. */
  private quantizationFurtherOn(name: string, dtype: DType): Quantization {
    const seen = new Set<string>();
    const queue = [name];
    while (queue.length > 0) {
      const value = queue.shift()!;
      if (seen.has(value)) continue;
      seen.add(value);
      for (const k of this.consumers.get(value) ?? []) {
        const user = k >= 0 ? this.nodes[k]! : undefined;
        if (!user || user.input?.[0] !== value) continue;
        if (user.opType === 'DequantizeLinear') return this.quantizeParams(user, dtype).quant;
        if (KEEPS_STORED_INTEGERS.has(user.opType ?? '')) queue.push(...(user.output ?? []).filter(Boolean));
      }
    }
    return { scale: [1], zeroPoint: [dtype === 'uint8' ? -128 : 0], axis: 0 };
  }

  tensor(value: ActivationValue): Tensor {
    return this.tensors[value.index]!;
  }

  onnxShape(value: ActivationValue): number[] {
    return onnxShapeOf(this.tensor(value).shape, value.perm);
  }

  /** Whether an op's activation inputs are quantized (all DequantizeLinear outputs) or float (none). */
  quantizedInputs(node: OnnxNodeProto, inputs: ActivationValue[]): boolean {
    const quantized = inputs.filter((v) => v.dequantized || this.tensor(v).dtype !== 'float32');
    if (quantized.length === 0) return false;
    if (quantized.length !== inputs.length)
      throw this.fail(node, 'mixes quantized (DequantizeLinear) and float activation inputs; quantize every input or none');
    return true;
  }

  // ---- building ---------------------------------------------------------------------------------

  addTensor(name: string, dtype: DType, shape: number[], quant?: Quantization, data?: Uint8Array): number {
    const index = this.tensors.length;
    const tensor: Tensor = { index, name: this.uniqueName(name), shape, dtype };
    if (quant) tensor.quant = quant;
    if (data) tensor.data = data;
    this.tensors.push(tensor);
    return index;
  }

  private readonly names = new Set<string>();
  private uniqueName(name: string): string {
    let unique = name;
    for (let k = 1; this.names.has(unique); k++) unique = `${name}_${k}`;
    this.names.add(unique);
    return unique;
  }

  /** A constant IR tensor from numbers (int32 shape operands, int8 weights, int32 biases, floats). */
  addConstant(name: string, dtype: DType, shape: number[], values: readonly number[], quant?: Quantization): number {
    let buffer;
    if (dtype === 'float32') buffer = Float32Array.from(values);
    else if (dtype === 'int8') buffer = Int8Array.from(values);
    else if (dtype === 'uint8') buffer = Uint8Array.from(values);
    else if (dtype === 'int16') buffer = Int16Array.from(values);
    else if (dtype === 'int32') buffer = Int32Array.from(values);
    else if (dtype === 'int64') buffer = BigInt64Array.from(values.map((v) => BigInt(v)));
    else throw new Error(`constant of ${dtype}`);
    return this.addTensor(name, dtype, shape, quant, new Uint8Array(toBytes(buffer)));
  }

  addOp(kind: string, inputs: number[], outputs: number[], attrs: OpAttrs = {}): Op {
    const op: Op = { index: this.ops.length, kind, inputs, outputs, attrs };
    this.ops.push(op);
    this.currentKinds.push(kind);
    return op;
  }

  /** Marks a quantized op lowered from ONNX: kernels follow ONNX Runtime's arithmetic for it. */
  addQuantizedOp(kind: string, inputs: number[], outputs: number[], attrs: OpAttrs, quantized: boolean): Op {
    return this.addOp(kind, inputs, outputs, quantized ? { ...attrs, arithmetic: 'onnxruntime' } : attrs);
  }

  /**
   * `value` with the layout `perm`: itself, or a RESHAPE (when only axes of size 1 move) or a
   * TRANSPOSE into a new tensor.
   */
  inLayout(value: ActivationValue, perm: number[]): ActivationValue {
    if (samePerm(value.perm, perm)) return value;
    const source = this.tensor(value);
    const onnxShape = onnxShapeOf(source.shape, value.perm);
    const shape = irShapeOf(onnxShape, perm);
    const out = this.addTensor(`${source.name}_${perm.join('')}`, source.dtype, shape, source.quant && { ...source.quant });
    // the IR axis order of each ONNX axis: moving only size-1 axes keeps the bytes in place
    const order = (p: number[]) => p.filter((axis) => onnxShape[axis]! !== 1);
    let op: Op;
    if (samePerm(order(value.perm), order(perm))) {
      op = this.addOp('RESHAPE', [source.index, this.addConstant(`${source.name}_shape`, 'int32', [shape.length], shape)], [out], { newShape: shape });
    } else {
      const transpose = perm.map((onnxAxis) => value.perm.indexOf(onnxAxis));
      op = this.addOp('TRANSPOSE', [source.index, this.addConstant(`${source.name}_perm`, 'int32', [transpose.length], transpose)], [out]);
    }
    this.layoutChanges.set(op, { from: [...value.perm], to: [...perm], kinds: this.currentKinds });
    const result: ActivationValue = { kind: 'tensor', index: out, perm };
    if (value.dequantized) result.dequantized = true;
    return result;
  }

  /** The sole consumer node of a value (undefined when none, several, or a graph output). */
  soleConsumer(name: string): { node: OnnxNodeProto; index: number } | undefined {
    const users = this.consumers.get(name) ?? [];
    if (users.length !== 1 || users[0]! < 0) return undefined;
    return { node: this.nodes[users[0]!]!, index: users[0]! };
  }

  /**
   * The output tensor of a node's output `k` with ONNX shape `onnxShape` kept under `perm`.
   * Quantized: the QuantizeLinear consuming it gives the tensor's quantization (with `fuse`, a Relu or
   * Clip in between becomes the op's fused activation); a quantization-preserving op (`inherit`) with
   * no QuantizeLinear after it keeps its input's. Float: a float32 tensor (a sole Relu/Clip after it
   * is fused with `fuse`).
   */
  output(
    node: OnnxNodeProto,
    k: number,
    onnxShape: number[],
    perm: number[],
    opts: { quantized: boolean; fuse?: boolean; inherit?: Quantization; accumulatorScale?: readonly number[]; stored?: boolean },
  ): { index: number; activation: FusedActivation; name: string } {
    const name = node.output?.[k];
    if (!name) throw this.fail(node, `output ${k} is missing`);
    const shape = irShapeOf(onnxShape, perm);
    let activation: FusedActivation = 'NONE';
    let valueName = name;
    if (opts.fuse) {
      const next = this.soleConsumer(name);
      const fused = next && this.fusableActivation(next.node);
      if (next && fused) {
        activation = fused;
        this.absorbed.add(next.index);
        this.lowered.push({ node: next.node.name || `#${next.index}`, opType: next.node.opType ?? '?', kinds: [], note: `fused into ${this.nodeLabel(node)}` });
        valueName = next.node.output?.[0] ?? name;
      }
    }
    if (!opts.quantized) {
      const index = this.addTensor(valueName, 'float32', shape);
      // with a fused activation the op's own output is read by nothing else: only the activation's is bound
      this.values.set(valueName, { kind: 'tensor', index, perm });
      return { index, activation, name: valueName };
    }
    const q = this.soleConsumer(valueName);
    if (q && q.node.opType === 'QuantizeLinear') {
      const params = this.quantizeParams(q.node);
      const index = this.addTensor(q.node.output?.[0] ?? valueName, 'int8', shape, params.quant);
      this.absorbed.add(q.index);
      this.values.set(q.node.output![0]!, { kind: 'tensor', index, perm });
      this.lowered.push({
        node: q.node.name || `#${q.index}`,
        opType: 'QuantizeLinear',
        kinds: [],
        note: `the output quantization of ${this.nodeLabel(node)}`,
      });
      return { index, activation, name: q.node.output![0]! };
    }
    if (opts.inherit && activation === 'NONE') {
      const index = this.addTensor(valueName, 'int8', shape, { ...opts.inherit, scale: [...opts.inherit.scale], zeroPoint: [...opts.inherit.zeroPoint] });
      // stored integers in, stored integers out (QOperator); real values in, real values out (QDQ)
      this.values.set(valueName, opts.stored ? { kind: 'tensor', index, perm } : { kind: 'tensor', index, perm, dequantized: true });
      return { index, activation, name: valueName };
    }
    const castNode = this.soleConsumer(valueName);
    const cast = castNode?.node;
    const castTo = cast?.opType === 'Cast' ? cast.attribute?.find((a) => a.name === 'to')?.i : undefined;
    if (castTo === OnnxDataType.INT32) {
      // ConvInteger / MatMulInteger (rewritten with unit scales): the float sum is the integer
      // accumulator itself only where input scale * weight scale is 1 and nothing clamps it
      const what = `its output '${valueName}' is cast to int32`;
      if (!opts.accumulatorScale) throw this.fail(node, `${what}: only a conv or fully connected layer gives its int32 accumulator`);
      if (opts.accumulatorScale.some((s) => s !== 1))
        throw this.fail(node, `${what}, but input scale * weight scale is not 1, so the sum is not the integer accumulator`);
      if (activation !== 'NONE') throw this.fail(node, `${what} after a fused activation: the int32 accumulator is not clamped`);
      const index = this.addTensor(cast!.output?.[0] ?? valueName, 'int32', shape);
      this.absorbed.add(castNode!.index);
      this.values.set(cast!.output![0]!, { kind: 'tensor', index, perm });
      this.lowered.push({
        node: cast!.name || `#${castNode!.index}`,
        opType: 'Cast',
        kinds: [],
        note: `the int32 accumulator of ${this.nodeLabel(node)}`,
      });
      return { index, activation, name: cast!.output![0]! };
    }
    throw this.fail(
      node,
      `its inputs are quantized (DequantizeLinear) but its output '${valueName}' is not quantized by one QuantizeLinear: tinyforge computes quantized ops on quantized tensors only`,
    );
  }

  /** Relu, or Clip to [0, 6] or [0, +inf), as a fused activation. */
  fusableActivation(node: OnnxNodeProto): FusedActivation | undefined {
    if (node.opType === 'Relu') return 'RELU';
    if (node.opType !== 'Clip') return undefined;
    const bound = (i: number, attr: string, fallback: number): number | undefined => {
      if (this.opset < 11) return this.attrFloat(node, attr, fallback);
      const name = node.input?.[i];
      if (!name) return fallback;
      const v = this.values.get(name);
      return v?.kind === 'const' && v.values.length === 1 ? v.values[0] : undefined;
    };
    const lo = bound(1, 'min', -Infinity);
    const hi = bound(2, 'max', Infinity);
    if (lo === 0 && hi === 6) return 'RELU6';
    if (lo === 0 && hi === Infinity) return 'RELU';
    if (lo === -1 && hi === 1) return 'RELU_N1_TO_1';
    return undefined;
  }

  /** The IR quantization of a QuantizeLinear / DequantizeLinear node's scale and zero point (uint8 shifted to int8). */
  quantizeParams(node: OnnxNodeProto, defaultType: DType = 'uint8'): { quant: Quantization; storedType: DType } {
    const scale = this.constant(node, 1, 'the scale');
    const zp = this.optionalConstant(node, 2, 'the zero point');
    const storedType: DType = zp?.dtype ?? defaultType;
    if (storedType !== 'int8' && storedType !== 'uint8' && storedType !== 'int32')
      throw this.fail(node, `zero point of type ${storedType}: tinyforge reads int8 and uint8 quantization`);
    const shift = storedType === 'uint8' ? 128 : 0;
    const rank = scale.dims.length;
    const count = scale.values.length;
    if (rank > 1) throw this.fail(node, `scale of rank ${rank} (blocked quantization) is not supported`);
    if (scale.values.some((s) => !(s > 0) || !Number.isFinite(s))) throw this.fail(node, 'a scale is not positive and finite');
    const zeroPoint = zp ? zp.values.map((z) => z - shift) : new Array<number>(count).fill(-shift);
    if (zeroPoint.length !== count) throw this.fail(node, `${zeroPoint.length} zero points for ${count} scales`);
    return { quant: { scale: [...scale.values], zeroPoint, axis: 0 }, storedType };
  }

  /** A QuantConstValue's integer values as int8 (uint8 shifted by 128). */
  int8Values(node: OnnxNodeProto, q: QuantConstValue, what: string): { values: number[]; zeroPoint: number[] } {
    if (q.dtype === 'int8') return { values: q.values, zeroPoint: q.zeroPoint };
    if (q.dtype === 'uint8') return { values: q.values.map((v) => v - 128), zeroPoint: q.zeroPoint.map((z) => z - 128) };
    throw this.fail(node, `${what} is ${q.dtype}; expected int8 or uint8`);
  }
}
