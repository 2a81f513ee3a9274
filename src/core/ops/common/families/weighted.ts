// SPDX-License-Identifier: Apache-2.0
/**
 * What the ops with weights (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) share: tensor checks with
 * messages that name the tensor, TFLite Micro's requantization multipliers, and the compile-time
 * folding of the input offset into the bias.
 */
import { OpError } from '../../../errors.ts';
import { type Conv2DAttrs, type FusedActivation, type Graph, type Op, type Padding, type Tensor, elementCount, isConstant } from '../../../ir/graph.ts';
import { fromBytes } from '../../../ir/buffers.ts';
import { type QuantizedMultiplier, f32, quantizeMultiplier, wrapInt32 } from '../numerics/fixedpoint.ts';
import { ortScaleExpr } from '../numerics/requant_f32.ts';

/** `tensor 7 "conv1/weights"`: how messages name a tensor. */
export function tensorLabel(t: Tensor): string {
  return `tensor ${t.index} "${shortName(t.name)}"`;
}

/** Converters' names run to a few hundred characters; a longer one is cut in messages (a corrupt file's "name" can be kilobytes of its data). */
export function shortName(name: string): string {
  return name.length <= 240 ? name : `${name.slice(0, 200)}... (${name.length} characters)`;
}

/** The tensor at input `position` of `op`; OpError naming `role` if it is absent. */
export function requireInput(graph: Graph, op: Op, position: number, role: string): Tensor {
  const index = op.inputs[position];
  const t = index === undefined || index < 0 ? undefined : graph.tensors[index];
  if (!t) throw new OpError(op.index, op.kind, `missing ${role} (input ${position})`);
  return t;
}

/** The optional tensor at input `position`, undefined when absent (index -1 or past the end). */
export function optionalInput(graph: Graph, op: Op, position: number): Tensor | undefined {
  const index = op.inputs[position];
  return index === undefined || index < 0 ? undefined : graph.tensors[index];
}

export function requireOutput(graph: Graph, op: Op): Tensor {
  const index = op.outputs[0];
  const t = index === undefined ? undefined : graph.tensors[index];
  if (op.outputs.length !== 1 || !t) throw new OpError(op.index, op.kind, `expected exactly 1 output, got ${op.outputs.length}`);
  return t;
}

/** An int8 activation with one scale and zero point (TFLite's per-tensor activation quantization). */
export function requireInt8Activation(op: Op, t: Tensor, role: string): void {
  if (t.dtype !== 'int8') throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; only int8 is supported`);
  const q = t.quant;
  if (!q || q.scale.length === 0) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has no quantization parameters`);
  if (q.scale.length !== 1) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is quantized per channel; activations must be per tensor`);
  if (!(q.scale[0]! > 0)) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has scale ${q.scale[0]}; it must be positive`);
}

/**
 * A weighted layer's output: int8 (requantized), or int32, the accumulator itself (bias + sum of
 * (w - z_w)(x - z_in), ONNX's ConvInteger / MatMulInteger) with no scale, zero point or activation.
 * True for the int32 form.
 */
export function requireWeightedOutput(op: Op, output: Tensor, activation: unknown): boolean {
  if (output.dtype !== 'int32') {
    requireInt8Activation(op, output, 'output');
    return false;
  }
  if ((activation ?? 'NONE') !== 'NONE')
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is the int32 accumulator; it takes no fused activation (${String(activation)})`);
  if (output.quant && (output.quant.scale.some((s) => s !== 1) || output.quant.zeroPoint.some((z) => z !== 0)))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is the int32 accumulator; it has no scale or zero point`);
  return true;
}

/** The requantization parameters of an int32-accumulator output: none apply (unit multipliers, no clamp). */
export function accumulatorOutputParams(channels: number): ChannelMultipliers & { outputZeroPoint: number; actMin: number; actMax: number } {
  return {
    multiplier: new Array<number>(channels).fill(0),
    shift: new Array<number>(channels).fill(0),
    outputZeroPoint: 0,
    actMin: -2147483648,
    actMax: 2147483647,
  };
}

export function requireRank(op: Op, t: Tensor, role: string, rank: number): void {
  if (t.shape.length !== rank) {
    throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has shape [${t.shape.join(',')}]; expected rank ${rank}`);
  }
}

export function requireConstant(op: Op, t: Tensor, role: string): void {
  if (!isConstant(t)) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is not a constant tensor; only constant ${role}s are supported`);
}

/**
 * Checks int8 weights quantized per tensor (one scale) or per channel along `axis` (one scale per
 * `channels`). With `symmetric` every zero point must be 0. Returns the scales as float32, the type
 * TFLite stores them in.
 */
export function requireWeightQuant(op: Op, t: Tensor, axis: number, channels: number, symmetric: boolean): number[] {
  if (t.dtype !== 'int8') throw new OpError(op.index, op.kind, `filter ${tensorLabel(t)} is ${t.dtype}; only int8 weights are supported`);
  const q = t.quant;
  if (!q || q.scale.length === 0) throw new OpError(op.index, op.kind, `filter ${tensorLabel(t)} has no quantization parameters`);
  if (q.scale.length !== 1) {
    if (q.scale.length !== channels) {
      throw new OpError(op.index, op.kind, `filter ${tensorLabel(t)} has ${q.scale.length} scales; expected 1 or ${channels} (one per output channel)`);
    }
    if (q.axis !== axis) {
      throw new OpError(op.index, op.kind, `filter ${tensorLabel(t)} is quantized along axis ${q.axis}; expected axis ${axis}`);
    }
  }
  if (q.scale.some((s) => !(s > 0))) throw new OpError(op.index, op.kind, `filter ${tensorLabel(t)} has a scale that is not positive`);
  if (symmetric && q.zeroPoint.some((z) => z !== 0)) {
    throw new OpError(op.index, op.kind, `filter ${tensorLabel(t)} has a nonzero zero point; int8 weights must be symmetric`);
  }
  return q.scale.map(f32);
}

/** An optional int32 bias with one value per output channel. */
export function requireBias(op: Op, t: Tensor, channels: number): void {
  if (t.dtype !== 'int32') throw new OpError(op.index, op.kind, `bias ${tensorLabel(t)} is ${t.dtype}; int8 layers need an int32 bias`);
  if (elementCount(t.shape) !== channels) {
    throw new OpError(op.index, op.kind, `bias ${tensorLabel(t)} has ${elementCount(t.shape)} elements; expected ${channels} (one per output channel)`);
  }
  requireConstant(op, t, 'bias');
}

const CLAMP_ACTIVATIONS: readonly FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** The fused activations an int8 kernel can apply as a clamp. */
export function requireClampActivation(op: Op, activation: unknown): FusedActivation {
  const a = (activation ?? 'NONE') as FusedActivation;
  if (!CLAMP_ACTIVATIONS.includes(a)) {
    throw new OpError(op.index, op.kind, `fused activation ${String(activation)} is not supported (only ${CLAMP_ACTIVATIONS.join(', ')})`);
  }
  return a;
}

/** A positive integer attribute (stride, dilation); absent means 1. */
/** The largest stride, dilation, window or block size tinyforge compiles. */
export const MAX_WINDOW_ATTR = 65536;

export function positiveIntAttr(op: Op, name: string, value: unknown): number {
  const v = value ?? 1;
  // strides, dilations and window sizes beyond 2^16 are no layer a converter emits; bounding them keeps
  // every index the C computes from them within an int
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_WINDOW_ATTR) {
    throw new OpError(op.index, op.kind, `attribute ${name} = ${String(value)}; expected a positive integer up to ${MAX_WINDOW_ATTR}`);
  }
  return v;
}

/** The attributes CONV_2D and DEPTHWISE_CONV_2D share, checked, with absent strides/dilations as 1. */
export function convAttrs(op: Op): Conv2DAttrs {
  const a = op.attrs as Partial<Conv2DAttrs>;
  const padding = (a.padding ?? 'VALID') as Padding;
  if (padding !== 'SAME' && padding !== 'VALID') throw new OpError(op.index, op.kind, `padding ${String(a.padding)} is not supported`);
  return {
    padding,
    strideH: positiveIntAttr(op, 'stride_h', a.strideH),
    strideW: positiveIntAttr(op, 'stride_w', a.strideW),
    dilationH: positiveIntAttr(op, 'dilation_h_factor', a.dilationH),
    dilationW: positiveIntAttr(op, 'dilation_w_factor', a.dilationW),
    activation: requireClampActivation(op, a.activation),
  };
}

/** The first and one-past-last filter taps along an axis whose input position lies inside the image. */
export function tapRange(origin: number, size: number, taps: number, dilation: number): [number, number] {
  const lo = origin < 0 ? Math.ceil(-origin / dilation) : 0;
  const hi = Math.min(taps, Math.ceil((size - origin) / dilation));
  return [lo, hi];
}

export interface ChannelMultipliers {
  multiplier: number[];
  shift: number[];
  /**
   * A layer that must match ONNX Runtime (attrs.arithmetic 'onnxruntime'): its float32 multipliers per
   * output channel (common/numerics/requant_f32.ts); the portable C and the family kernels that say
   * so (`KernelVariant.ortExact`) run them.
   */
  ortScale?: number[];
}

/**
 * TFLite Micro's PopulateConvolutionQuantizationParams (conv, depthwise, per-channel FC): for each
 * output channel M_c = (double)s_in * (double)s_w[c] / (double)s_out, computed in double from the
 * float32 scales; a single filter scale is broadcast to every channel.
 */
export function convChannelMultipliers(inputScale: number, filterScales: readonly number[], outputScale: number, channels: number): ChannelMultipliers {
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (let c = 0; c < channels; c++) {
    const ws = filterScales.length === 1 ? filterScales[0]! : filterScales[c]!;
    const q = quantizeMultiplier((f32(inputScale) * f32(ws)) / f32(outputScale));
    multiplier.push(q.multiplier);
    shift.push(q.shift);
  }
  return { multiplier, shift };
}

/**
 * TFLite's GetQuantizedConvolutionMultipler (per-tensor FULLY_CONNECTED): the scale product is
 * rounded to float32 before it is widened, M = (double)(float)(s_in * s_w) / (double)s_out.
 */
export function fcTensorMultiplier(inputScale: number, filterScale: number, outputScale: number): QuantizedMultiplier {
  return quantizeMultiplier(f32(f32(inputScale) * f32(filterScale)) / f32(outputScale));
}

/** The constant int8 weights of a tensor. */
export function constInt8(t: Tensor): Int8Array {
  return fromBytes('int8', t.data!) as Int8Array;
}

export function constInt32(t: Tensor): Int32Array {
  return fromBytes('int32', t.data!) as Int32Array;
}

/**
 * Accumulator start values for kernels that visit every tap (no padding): Σ w·(x + off) + b =
 * Σ w·x + (b + off·Σ w), so `off·Σw + b` per output row is computed here once instead of adding the
 * offset in the inner loop. Int32 wrap-around makes the result identical to TFLM's order.
 */
export function foldedAccumulatorInit(weights: Int8Array, rows: number, rowLength: number, inputOffset: number, bias?: Int32Array): Int32Array {
  const init = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    const base = r * rowLength;
    for (let k = 0; k < rowLength; k++) sum += weights[base + k]!;
    init[r] = wrapInt32(sum * inputOffset + (bias ? bias[r]! : 0));
  }
  return init;
}

/** The C integer types a const table can be stored as, narrowest first. */
export type TableCType = 'int8_t' | 'int16_t' | 'int32_t';

/** Adds a const table beside the weights and returns its C symbol (OpContext.addConst). */
export type ConstTableAdder = (suffix: string, ctype: TableCType, values: ArrayLike<number>) => string;

/**
 * The narrowest of int8_t, int16_t and int32_t that holds every value. A table of int32 semantics
 * stored narrower is read back sign-extended to the same int32 values, so kernels that load it compute
 * exactly what they would with the int32 table (TFLite Micro's int32 bias and shift are a storage
 * choice here, like the weight storages).
 */
export function narrowestIntType(values: ArrayLike<number>): TableCType {
  let min = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  if (min >= -128 && max <= 127) return 'int8_t';
  if (min >= -32768 && max <= 32767) return 'int16_t';
  return 'int32_t';
}

export interface FoldedInitOptions {
  /** `rows` rows of `rowLength` weights */
  weights: Int8Array;
  rows: number;
  rowLength: number;
  inputOffset: number;
  bias: Int32Array | undefined;
  /** the C name of the model's int32 bias tensor, asked for only when it is referenced */
  biasPointer: () => string;
  addConst: ConstTableAdder;
  /** the C variable indexing the rows */
  rowVar: string;
}

/**
 * The C expression a row's accumulator starts from when the input offset is folded: the bias itself
 * when there is no offset, else a const table of `off·Σw + b`. Either table is stored in the narrowest
 * integer type its values fit (narrowestIntType): the model's int32 bias tensor is only referenced
 * (`biasPointer`) when it needs all 32 bits.
 */
export function foldedInitExpr(options: FoldedInitOptions): string {
  const { weights, rows, rowLength, inputOffset, bias, biasPointer, addConst, rowVar } = options;
  if (inputOffset === 0) {
    if (!bias) return '0';
    const ctype = narrowestIntType(bias);
    return ctype === 'int32_t' ? `${biasPointer()}[${rowVar}]` : `${addConst('bias', ctype, bias)}[${rowVar}]`;
  }
  const init = foldedAccumulatorInit(weights, rows, rowLength, inputOffset, bias);
  return `${addConst('acc_init', narrowestIntType(init), init)}[${rowVar}]`;
}

/** Whether every channel shares one multiplier and shift (then C bakes them in as literals). */
export function isUniform(m: ChannelMultipliers): boolean {
  return m.multiplier.every((v) => v === m.multiplier[0]) && m.shift.every((v) => v === m.shift[0]) && (m.ortScale ?? []).every((v) => v === m.ortScale![0]);
}

/**
 * The C expressions for a channel's multiplier and shift: literals when all channels share them,
 * else lookups `<table>[<channel>]` into const tables added beside the weights. The shifts (TFLite's
 * int32 shift, in [-31, 31]) are stored as int8_t: a quarter of the table, the same values.
 */
export function requantExprs(m: ChannelMultipliers, channelVar: string, addConst: ConstTableAdder): { mult: string; shift: string; ortScale?: string } {
  if (m.ortScale) return { mult: '', shift: '', ortScale: ortScaleExpr(m.ortScale, channelVar, addConst) };
  if (isUniform(m)) return { mult: String(m.multiplier[0]), shift: String(m.shift[0]) };
  const mult = addConst('mult', 'int32_t', m.multiplier);
  const shift = addConst('shift', narrowestIntType(m.shift), m.shift);
  return { mult: `${mult}[${channelVar}]`, shift: `${shift}[${channelVar}]` };
}

/** `+ 5` or `- 5`: a signed constant as a C term to append to an expression. */
export function cTerm(n: number): string {
  return n < 0 ? `- ${-n}` : `+ ${n}`;
}
