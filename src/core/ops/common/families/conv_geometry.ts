// SPDX-License-Identifier: Apache-2.0
/**
 * The window geometry CONV_2D and DEPTHWISE_CONV_2D share, in their int8 and 16x8 kernels: an NHWC
 * input, a 4-D filter whose axes 1 and 2 are the kernel height and width, the stride/dilation/padding
 * attributes and the output size they give. Where the two ops differ (the filter's channel axes, the
 * channel rules) stays in each op's folder.
 */
import { OpError } from '../../../errors.ts';
import type { Conv2DAttrs, DepthwiseConv2DAttrs, Graph, Op, Tensor } from '../../../ir/graph.ts';
import { activationRange } from '../numerics/activation.ts';
import { ortChannelScales } from '../numerics/requant_f32.ts';
import { outputSize, paddingBefore } from './padding.ts';
import {
  type ChannelMultipliers,
  convAttrs,
  convChannelMultipliers,
  optionalInput,
  requireInput,
  requireOutput,
  requireRank,
  requireWeightQuant,
  tensorLabel,
} from './weighted.ts';

/** The largest window (taps x dilation) or input extent along one axis a conv kernel is compiled for. */
const MAX_WINDOW_EXTENT = 1 << 24;

/**
 * A 1x1 filter at stride 1 over all input channels visits every tap: the layer is a matrix product
 * over pixels, and the input offset folds into the accumulator start values at compile time.
 */
export function isPointwise(p: { kH: number; kW: number; strideH: number; strideW: number; groups: number; padTop: number; padLeft: number }): boolean {
  return p.kH === 1 && p.kW === 1 && p.strideH === 1 && p.strideW === 1 && p.groups === 1 && p.padTop === 0 && p.padLeft === 0;
}

export interface ConvGeometry {
  input: Tensor;
  filter: Tensor;
  attrs: Conv2DAttrs;
  batches: number;
  inH: number;
  inW: number;
  inC: number;
  kH: number;
  kW: number;
  outH: number;
  outW: number;
}

/** Input 0 [N,H,W,C] and filter input 1 (rank 4, taps on axes 1 and 2) with the output size. */
export function convGeometry(graph: Graph, op: Op): ConvGeometry {
  const input = requireInput(graph, op, 0, 'input');
  const filter = requireInput(graph, op, 1, 'filter');
  const attrs = convAttrs(op);
  requireRank(op, input, 'input', 4);
  requireRank(op, filter, 'filter', 4);
  const [batches, inH, inW, inC] = input.shape as [number, number, number, number];
  const [, kH, kW] = filter.shape as [number, number, number, number];
  // the kernels index rows and columns in C ints: a window (or the padding it implies) past 2^24
  // elements is a corrupt model, not a layer any microcontroller runs
  for (const [axis, k, dilation, size] of [
    ['height', kH, attrs.dilationH, inH],
    ['width', kW, attrs.dilationW, inW],
  ] as const) {
    const extent = (k - 1) * dilation + 1;
    if (extent > MAX_WINDOW_EXTENT || size > MAX_WINDOW_EXTENT)
      throw new OpError(
        op.index,
        op.kind,
        `the window's ${axis} spans ${extent} input elements (${k} taps, dilation ${dilation}); tinyforge compiles windows of up to ${MAX_WINDOW_EXTENT}`,
      );
  }
  return {
    input,
    filter,
    attrs,
    batches,
    inH,
    inW,
    inC,
    kH,
    kW,
    outH: outputSize(attrs.padding, inH, kH, attrs.strideH, attrs.dilationH),
    outW: outputSize(attrs.padding, inW, kW, attrs.strideW, attrs.dilationW),
  };
}

/** CONV_2D's OHWI filter: [output channels, kh, kw, the input channels of one group]. */
export function conv2dGeometry(graph: Graph, op: Op): ConvGeometry & { outC: number; filterInC: number } {
  const g = convGeometry(graph, op);
  const [outC, , , filterInC] = g.filter.shape as [number, number, number, number];
  return { ...g, outC, filterInC };
}

/** DEPTHWISE_CONV_2D's filter: [1, kh, kw, output channels]. */
export function depthwiseGeometry(graph: Graph, op: Op): ConvGeometry & { outC: number } {
  const g = convGeometry(graph, op);
  return { ...g, outC: g.filter.shape[3]! };
}

/** The sizes and window every conv kernel's parameters carry. */
export interface ConvWindowParams {
  batches: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  /** the padding before the first row and column */
  padTop: number;
  padLeft: number;
}

export function convWindow(g: ConvGeometry & { outC: number }): ConvWindowParams {
  const a = g.attrs;
  return {
    batches: g.batches,
    inH: g.inH,
    inW: g.inW,
    inC: g.inC,
    outH: g.outH,
    outW: g.outW,
    outC: g.outC,
    kH: g.kH,
    kW: g.kW,
    strideH: a.strideH,
    strideW: a.strideW,
    dilationH: a.dilationH,
    dilationW: a.dilationW,
    padTop: paddingBefore(a.padding, g.inH, g.kH, a.strideH, a.dilationH, g.outH),
    padLeft: paddingBefore(a.padding, g.inW, g.kW, a.strideW, a.dilationW, g.outW),
  };
}

/**
 * The per-output-channel requantization (filter scales along `quantizedAxis`) and the fused
 * activation's clamp, for int8 or 16x8 activations.
 */
export function convRequant(
  graph: Graph,
  op: Op,
  g: ConvGeometry & { outC: number },
  quantizedAxis: number,
  bits: 8 | 16,
): ChannelMultipliers & { actMin: number; actMax: number } {
  const output = requireOutput(graph, op);
  const filterScales = requireWeightQuant(op, g.filter, quantizedAxis, g.outC, true);
  const range = activationRange(g.attrs.activation, output, bits);
  return {
    actMin: range.min,
    actMax: range.max,
    ...convChannelMultipliers(g.input.quant!.scale[0]!, filterScales, output.quant!.scale[0]!, g.outC),
    // int8 layers imported from ONNX: ONNX Runtime's float32 multipliers (the int16 kernels have none)
    ...(bits === 8 ? ortChannelScales(op.attrs, g.input.quant!.scale[0]!, filterScales, output.quant!.scale[0]!, g.outC) : {}),
  };
}

/** The int8 kernels' zero points (-z_in is added to every input value) and whether a bias is given. */
export function int8ConvOffsets(graph: Graph, op: Op): { inputOffset: number; outputZeroPoint: number; hasBias: boolean } {
  return {
    inputOffset: -graph.tensors[op.inputs[0]!]!.quant!.zeroPoint[0]!,
    // an int32-accumulator output (requireWeightedOutput) has no zero point
    outputZeroPoint: graph.tensors[op.outputs[0]!]!.quant?.zeroPoint[0] ?? 0,
    hasBias: optionalInput(graph, op, 2) !== undefined,
  };
}

/**
 * The window must fit the input at least once and the output must be [N, outH, outW, outC].
 * `filterText` describes the filter in the first message (the int8 kernels name the dilation too).
 */
export function requireConvOutput(op: Op, g: ConvGeometry, outC: number, output: Tensor, filterText: string): void {
  if (g.outH < 1 || g.outW < 1) throw new OpError(op.index, op.kind, `the filter (${filterText}) is larger than the input ${tensorLabel(g.input)}`);
  const expected = [g.batches, g.outH, g.outW, outC];
  if (output.shape.join(',') !== expected.join(',')) {
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; the attributes give [${expected.join(',')}]`);
  }
}

/** `3x3, dilation 1x1`: the int8 kernels' description of the filter in requireConvOutput. */
export function filterWithDilation(g: ConvGeometry): string {
  return `${g.kH}x${g.kW}, dilation ${g.attrs.dilationH}x${g.attrs.dilationW}`;
}

/** A depthwise filter is [1, kh, kw, channels]. */
export function requireDepthwiseFilterShape(op: Op, filter: Tensor): void {
  if (filter.shape[0] !== 1)
    throw new OpError(op.index, op.kind, `filter ${tensorLabel(filter)} has shape [${filter.shape.join(',')}]; expected [1, kh, kw, channels]`);
}

/** Output channels are a whole multiple of the input channels, and depth_multiplier (if set) agrees. */
export function requireDepthMultiplier(op: Op, filter: Tensor, inC: number, outC: number): void {
  if (inC < 1 || outC % inC !== 0) {
    throw new OpError(op.index, op.kind, `filter ${tensorLabel(filter)} has ${outC} channels, not a multiple of the input's ${inC}`);
  }
  const declared = (op.attrs as Partial<DepthwiseConv2DAttrs>).depthMultiplier;
  // Old converters wrote 0; the shapes are authoritative then.
  if (declared !== undefined && declared !== 0 && declared !== outC / inC) {
    throw new OpError(op.index, op.kind, `depth_multiplier ${declared} disagrees with the shapes (${outC} output channels / ${inC} input channels)`);
  }
}

/** Output positions [lo, hi) along one axis whose window lies inside the input ([0, 0) if none): the pixels a kernel reads with no bounds checks. */
export function insideRange(outSize: number, inSize: number, k: number, stride: number, dilation: number, pad: number): [number, number] {
  let lo = -1;
  let hi = 0;
  for (let o = 0; o < outSize; o++) {
    const i0 = o * stride - pad;
    if (i0 >= 0 && i0 + (k - 1) * dilation < inSize) {
      if (lo < 0) lo = o;
      hi = o + 1;
    }
  }
  return lo < 0 ? [0, 0] : [lo, hi];
}

/** Output pixels of one image whose whole window lies inside the input (`inside`), and the rest, which read padding (`border`). */
export function insidePixels(p: ConvWindowParams): { inside: number; border: number } {
  const [yLo, yHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [xLo, xHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  const inside = (yHi - yLo) * (xHi - xLo);
  return { inside, border: p.outH * p.outW - inside };
}
