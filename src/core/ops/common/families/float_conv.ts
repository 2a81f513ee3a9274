// SPDX-License-Identifier: Apache-2.0
/**
 * What the float32 CONV_2D and DEPTHWISE_CONV_2D kernels share: the window geometry (TFLite's
 * ComputePaddingHeightWidth), the check of float tensors and a constant float filter and bias, and
 * the activation bounds. Each op's kernel (conv_2d/conv_2d_float.ts,
 * depthwise_conv_2d/depthwise_conv_2d_float.ts) keeps TFLite Micro's reference loop order: taps
 * outside the image are skipped (never added as 0 * w, which would turn a -0 sum into +0).
 */
import { OpError } from '../../../errors.ts';
import { type Conv2DAttrs, type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import { type ConvGeometry, requireConvOutput } from './conv_geometry.ts';
import { type FloatTagged, floatActivationRange, requireFloat } from './float_variant.ts';
import { paddingBefore } from './padding.ts';
import { optionalInput, requireClampActivation, requireConstant, requireOutput, tensorLabel } from './weighted.ts';

export interface FloatConvParams extends FloatTagged {
  batches: number;
  inH: number;
  inW: number;
  inC: number;
  kH: number;
  kW: number;
  outH: number;
  outW: number;
  outC: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padH: number;
  padW: number;
  hasBias: boolean;
  actMin: number;
  actMax: number;
}

/** The float tensors, a constant filter and bias of one value per output channel, the output shape. */
export function checkFloatConv(graph: Graph, op: Op, g: ConvGeometry, outC: number): void {
  const bias = optionalInput(graph, op, 2);
  const output = requireOutput(graph, op);
  requireClampActivation(op, (op.attrs as Partial<Conv2DAttrs>).activation);
  requireFloat(op, [
    [g.input, 'input'],
    [g.filter, 'filter'],
    [bias, 'bias'],
    [output, 'output'],
  ]);
  requireConstant(op, g.filter, 'filter');
  if (bias) {
    requireConstant(op, bias, 'bias');
    if (elementCount(bias.shape) !== outC)
      throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} has ${elementCount(bias.shape)} elements; expected ${outC} (one per output channel)`);
  }
  requireConvOutput(op, g, outC, output, `${g.kH}x${g.kW}, dilation ${g.attrs.dilationH}x${g.attrs.dilationW}`);
}

export function floatConvParams(graph: Graph, op: Op, g: ConvGeometry, outC: number): FloatConvParams {
  const a = g.attrs;
  const [actMin, actMax] = floatActivationRange(a.activation);
  return {
    float32: true,
    batches: g.batches,
    inH: g.inH,
    inW: g.inW,
    inC: g.inC,
    kH: g.kH,
    kW: g.kW,
    outH: g.outH,
    outW: g.outW,
    outC,
    strideH: a.strideH,
    strideW: a.strideW,
    dilationH: a.dilationH,
    dilationW: a.dilationW,
    padH: paddingBefore(a.padding, g.inH, g.kH, a.strideH, a.dilationH, g.outH),
    padW: paddingBefore(a.padding, g.inW, g.kW, a.strideW, a.dilationW, g.outW),
    hasBias: optionalInput(graph, op, 2) !== undefined,
    actMin,
    actMax,
  };
}
