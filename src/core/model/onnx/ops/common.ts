// SPDX-License-Identifier: Apache-2.0
/** What the lowerings of weighted and windowed ONNX ops share: padding, weights, biases. */
import type { Padding, Quantization } from '../../../ir/graph.ts';
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import { type ActivationValue, type Value, transposeValues } from '../values.ts';

/** ONNX Runtime rounds to nearest, ties to even (std::nearbyint in the default rounding mode). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** begin pads then end pads, one per spatial axis (ONNX's order) */
  pads: number[];
  out: number[];
}

/** A conv or pool window over `spatial` input sizes from the node's attributes (auto_pad resolved). */
export function windowOf(ctx: Lowering, node: OnnxNodeProto, spatial: number[], kernel: number[], ceilMode = false): Window {
  const n = spatial.length;
  const strides = ctx.attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = ctx.attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  if (strides.length !== n || dilations.length !== n || kernel.length !== n) throw ctx.fail(node, `strides, dilations and kernel_shape must have ${n} entries`);
  if ([...strides, ...dilations, ...kernel].some((v) => v < 1)) throw ctx.fail(node, 'strides, dilations and kernel sizes must be positive');
  const autoPad = ctx.attrString(node, 'auto_pad', 'NOTSET');
  let pads = ctx.attrInts(node, 'pads') ?? new Array<number>(2 * n).fill(0);
  if (pads.length !== 2 * n) throw ctx.fail(node, `pads must have ${2 * n} entries`);
  if (pads.some((p) => p < 0)) throw ctx.fail(node, 'negative pads are not supported');
  const effective = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max((out - 1) * strides[i]! + effective[i]! - spatial[i]!, 0);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
    }
  } else if (autoPad === 'VALID') {
    pads = new Array<number>(2 * n).fill(0);
  } else if (autoPad !== 'NOTSET') {
    throw ctx.fail(node, `auto_pad ${autoPad} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  const out = spatial.map((size, i) => {
    const span = size + pads[i]! + pads[i + n]! - effective[i]!;
    if (span < 0) throw ctx.fail(node, `the window (${effective[i]}) is larger than the padded input (${size + pads[i]! + pads[i + n]!})`);
    return (ceilMode ? Math.ceil(span / strides[i]!) : Math.floor(span / strides[i]!)) + 1;
  });
  return { kernel, strides, dilations, pads, out };
}

/** TFLite's SAME padding for a window, or VALID, when the window's pads are exactly that; else undefined. */
export function tflitePadding(spatial: number[], w: Window): Padding | undefined {
  const n = spatial.length;
  if (w.pads.every((p) => p === 0)) return 'VALID';
  for (let i = 0; i < n; i++) {
    const effective = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    const out = Math.ceil(spatial[i]! / w.strides[i]!);
    const total = Math.max((out - 1) * w.strides[i]! + effective - spatial[i]!, 0);
    if (w.out[i] !== out || w.pads[i] !== Math.floor(total / 2) || w.pads[i + n] !== total - Math.floor(total / 2)) return undefined;
  }
  return 'SAME';
}

/**
 * An explicit PAD of an NHWC activation (the zero point in a quantized model, 0.0 in a float one),
 * for pads TFLite's SAME cannot express. `pads` in ONNX's order over H and W.
 */
export function padNhwc(ctx: Lowering, x: ActivationValue, pads: number[]): ActivationValue {
  const t = ctx.tensor(x);
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const [top, left, bottom, right] = pads as [number, number, number, number];
  const paddings = ctx.addConstant(`${t.name}_paddings`, 'int32', [4, 2], [0, 0, top, bottom, left, right, 0, 0]);
  const out = ctx.addTensor(`${t.name}_padded`, t.dtype, [n, h + top + bottom, w + left + right, c], t.quant && { ...t.quant });
  ctx.addOp('PAD', [x.index, paddings], [out]);
  const result: ActivationValue = { kind: 'tensor', index: out, perm: x.perm };
  if (x.dequantized) result.dequantized = true;
  return result;
}

/** Weights for an IR op: int8 values, their quantization (axis given in the IR layout) or float values. */
export interface IrWeights {
  dtype: 'int8' | 'float32';
  shape: number[];
  values: number[];
  quant?: Quantization;
}

/**
 * Asymmetric weights as symmetric ones: w - zw, the integer every product of the sum takes, so the
 * accumulator and the answer are unchanged on either arithmetic. Undefined when some w - zw is
 * outside [-127, 127] (int8, without the -128 that some kernels' paired lanes cannot hold).
 */
function centredWeights(values: number[], zeroPoint: number[], dims: number[], axis: number): number[] | undefined {
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = zeroPoint.length > 1 ? dims[axis]! : 1;
  const centred = values.map((v, i) => v - zeroPoint[Math.floor(i / inner) % channels]!);
  return centred.every((v) => v >= -127 && v <= 127) ? centred : undefined;
}

/**
 * A weight input (DequantizeLinear of an int8/uint8 initializer, or a float initializer) transposed
 * by `perm` into the IR layout; `quantized` says which the op needs.
 */
export function weightsOf(
  ctx: Lowering,
  node: OnnxNodeProto,
  i: number,
  perm: number[],
  quantized: boolean,
  opts: { tensorZeroPoint?: boolean } = {},
): IrWeights {
  const value: Value = ctx.input(node, i, 'the weights');
  const irDims = (dims: number[]) => perm.map((p) => dims[p]!);
  if (value.kind === 'tensor') throw ctx.fail(node, `the weights '${node.input![i]}' are not constant (weights computed at run time are not supported)`);
  if (!quantized) {
    if (value.kind !== 'const' || value.dtype !== 'float32') throw ctx.fail(node, 'the weights of a float op must be a float32 initializer');
    return { dtype: 'float32', shape: irDims(value.dims), values: transposeValues(value.values, value.dims, perm) };
  }
  if (value.kind !== 'qconst')
    throw ctx.fail(node, 'the activations are quantized but the weights are float (expected DequantizeLinear of an int8 initializer)');
  let { values, zeroPoint } = ctx.int8Values(node, value, 'the weights');
  if (zeroPoint.some((z) => z !== 0)) {
    const centred = centredWeights(values, zeroPoint, value.dims, value.axis);
    // FULLY_CONNECTED takes a per-tensor weight zero point in its sum (TFLite's filter offset)
    const keepsZeroPoint = !centred && opts.tensorZeroPoint && zeroPoint.length === 1;
    if (!centred && !keepsZeroPoint)
      throw ctx.fail(
        node,
        `the weights have zero point ${zeroPoint.find((z) => z !== 0)! + (value.dtype === 'uint8' ? 128 : 0)}; tinyforge's kernels take symmetric weights (int8 zero point 0, uint8 128), and these minus their zero point do not fit in [-127, 127]`,
      );
    if (centred) {
      values = centred;
      zeroPoint = zeroPoint.map(() => 0);
    }
  }
  const perChannel = value.scale.length > 1;
  return {
    dtype: 'int8',
    shape: irDims(value.dims),
    values: transposeValues(values, value.dims, perm),
    quant: { scale: [...value.scale], zeroPoint: [...zeroPoint], axis: perChannel ? perm.indexOf(value.axis) : 0 },
  };
}

/** Input scale * weight scale of each output channel: the value of one unit of the int32 accumulator. */
export function accumulatorScales(ctx: Lowering, input: ActivationValue, w: IrWeights): number[] {
  const sx = ctx.tensor(input).quant!.scale[0]!;
  return (w.quant?.scale ?? []).map((sw) => sx * sw);
}

/** The IR weight tensor. */
export function addWeights(ctx: Lowering, node: OnnxNodeProto, i: number, w: IrWeights): number {
  return ctx.addConstant(node.input![i]!, w.dtype, w.shape, w.values, w.quant);
}

/** Where a weighted op's bias is and what it scales with. */
export interface BiasInput {
  /** the node's input that holds the bias */
  index: number;
  channels: number;
  /** the op's input and weights, whose scales give the bias's */
  input: ActivationValue;
  weights: IrWeights;
  quantized: boolean;
  /** a factor the float bias is multiplied by (Gemm's beta) */
  gain?: number;
}

/**
 * The bias tensor of a weighted op with `channels` outputs (-1 when absent): int32 with scale
 * sx*sw[c] (DequantizeLinear of an int32 initializer; a float bias is quantized here) or float32.
 */
export function biasOf(ctx: Lowering, node: OnnxNodeProto, bias: BiasInput): number {
  const { index: i, channels, input, weights: w, quantized, gain = 1 } = bias;
  const value = ctx.optionalInput(node, i);
  if (!value) return -1;
  if (value.kind === 'tensor') throw ctx.fail(node, `the bias '${node.input![i]}' is not constant`);
  const count = value.values.length;
  if (count !== channels && count !== 1) throw ctx.fail(node, `the bias has ${count} values for ${channels} output channels`);
  const expand = (v: number[]) => (v.length === channels ? v : new Array<number>(channels).fill(v[0]!));
  const name = node.input![i]!;
  if (!quantized) {
    if (value.kind !== 'const') throw ctx.fail(node, 'a float op has a quantized bias');
    return ctx.addConstant(name, 'float32', [channels], expand(value.values.map((v) => v * gain)));
  }
  const sx = ctx.tensor(input).quant!.scale[0]!;
  const sw = expand(w.quant!.scale);
  if (value.kind === 'qconst') {
    if (value.dtype !== 'int32') throw ctx.fail(node, `the bias is ${value.dtype}; expected int32`);
    if (value.zeroPoint.some((z) => z !== 0)) throw ctx.fail(node, 'the bias has a nonzero zero point');
    return ctx.addConstant(name, 'int32', [channels], expand(value.values), {
      scale: expand(value.scale),
      zeroPoint: new Array<number>(channels).fill(0),
      axis: 0,
    });
  }
  const scales = sw.map((s) => sx * s);
  const q = expand(value.values).map((b, c) => roundHalfEven(b / scales[c]!));
  return ctx.addConstant(name, 'int32', [channels], q, { scale: scales, zeroPoint: new Array<number>(channels).fill(0), axis: 0 });
}
