// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's contract, which every variant imports: its parameters, check, prepare (the
 * facts computed once: requantization, the weights' fits for the family kernels, the storages),
 * MAC count, the reference evaluation and the portable C. The variant table is index.ts.
 *
 * DEPTHWISE_CONV_2D, int8: TFLite Micro's DepthwiseConvPerChannel. Filter [1, kh, kw, in*mult];
 * output channel oc = ic*mult + m reads input channel ic; requantized per output channel (or with
 * one broadcast scale, as micro_speech's layer is); padded taps skipped.
 */
import { int4Applies } from '../common/codecs/int4.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { KernelChoices, LayerEmitContext, VariantFacts } from '../op.ts';
import { channelPairsFit, convStepsFit } from './m0plus.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { type AccumulatorView, accumulatorC, dtypeRange, weightedAccumulator } from '../common/numerics/accumulator_bound.ts';
import { qaccLanesFit } from './s3simd.ts';
import { summary } from './describe.ts';
import { depthwiseSparseTaps } from './sparse.ts';
import type { SparseOffsets, SparseTaps } from '../common/codecs/sparse_taps.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import { requantF32 } from '../common/numerics/requant_f32.ts';
import {
  type ConvWindowParams,
  convRequant,
  convWindow,
  depthwiseGeometry as geometry,
  filterWithDilation,
  int8ConvOffsets,
  requireConvOutput,
  requireDepthMultiplier,
  requireDepthwiseFilterShape,
} from '../common/families/conv_geometry.ts';
import {
  type ChannelMultipliers,
  cTerm,
  optionalInput,
  requantExprs,
  requireBias,
  requireConstant,
  requireInt8Activation,
  requireOutput,
  requireWeightQuant,
  tapRange,
} from '../common/families/weighted.ts';

export interface DepthwiseConv2DParams extends ChannelMultipliers, ConvWindowParams, Partial<AccumulatorView> {
  depthMultiplier: number;
  /** -z_in, added to every input value */
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
  hasBias: boolean;
  /**
   * Every pair of output channels (2i, 2i + 1) at every tap fits the int16 w_2i + 256 w_2i+1 (not
   * w_2i+1 = -128 under a negative w_2i): the Armv6-M one-input-channel loop's channel pairs.
   */
  channelPairsFit?: boolean;
  /** One input channel: no channel has -128 on both taps of a step of CONV_2D's Armv6-M packed loop (m0plus.ts). */
  convStepsFit?: boolean;
  /**
   * false: the Armv6-M one-input-channel loop's rows keep the single weight table (tf_m0dw_row8), no
   * tap-pair copy for tf_m0dw_row8s (m0plus.ts tapPairWeights: 2 bytes a weight more, and its larger
   * routine): `--prefer size`, set by prepare
   */
  tapPairRows?: boolean;
  /**
   * false: the Arm DSP 3x3 layers keep their compact weights and kernels, no int16 plane kernel
   * (dsp_common.ts planeApplies: 24 bytes of weights a channel instead of 9): `--prefer size`, set by prepare
   */
  planeRows?: boolean;
  /** pruned weights: their sparse encoding (sparse.ts), a storage the cost model may choose */
  sparse?: SparseTaps;
  /** ... and in the offsets form, where it applies */
  sparseOffsets?: SparseOffsets;
  /** weights stored as INT4 in the model (storageBits 4): kept packed, the int4 kernel (int4.ts) */
  /** the model file stores these weights as INT4: under --prefer speed nothing bigger than that is chosen */
  weightsStoredInt4?: boolean;
  int4Weights?: boolean;
  /** every channel's window sum fits a 20-bit QACC lane of the ESP32-S3 (s3simd.ts) */
  qaccLanesFit?: boolean;
}

/** Filters are quantized along their last axis, the output channel. */
const QUANTIZED_AXIS = 3;

export function check(graph: Graph, op: Op): void {
  const g = geometry(graph, op);
  const { input, filter } = g;
  const bias = optionalInput(graph, op, 2);
  const output = requireOutput(graph, op);
  requireInt8Activation(op, input, 'input');
  requireInt8Activation(op, output, 'output');
  requireDepthwiseFilterShape(op, filter);
  requireWeightQuant(op, filter, QUANTIZED_AXIS, g.outC, true);
  requireConstant(op, filter, 'filter');
  if (bias) requireBias(op, bias, g.outC);
  requireDepthMultiplier(op, filter, g.inC, g.outC);
  requireConvOutput(op, g, g.outC, output, filterWithDilation(g));
}

export function prepare(graph: Graph, op: Op, kernels: KernelChoices = {}, facts?: VariantFacts): DepthwiseConv2DParams {
  const g = geometry(graph, op);
  return {
    ...convWindow(g),
    depthMultiplier: g.outC / g.inC,
    ...int8ConvOffsets(graph, op),
    ...convRequant(graph, op, g, QUANTIZED_AXIS, 8),
    channelPairsFit: channelPairsFit(constInt8(g.filter), g.outC),
    qaccLanesFit: qaccLanesFit(constInt8(g.filter), g.outC),
    // only weights stored as INT4 in the model: the int4 depthwise loop is plain C, several times
    // slower than the int8 SIMD kernels, and depthwise weights are few (docs/kernels.md)
    weightsStoredInt4: g.filter.storageBits === 4,
    int4Weights: g.filter.storageBits === 4 && int4Applies(constInt8(g.filter), g.kH * g.kW, g.outC * Math.ceil((g.kH * g.kW) / 2), kernels),
    ...(g.inC === 1 ? { convStepsFit: convStepsFit(constInt8(g.filter), g.outC) } : {}),
    ...depthwiseSparseTaps(graph, op, convWindow(g), kernels),
    ...depthwiseAccumulator(graph, op, g.outC, g.kH * g.kW),
    // --prefer size keeps the compact forms: Armv6-M's tap-pair rows (a second copy of the weights)
    // and the Arm DSP's int16 planes are speed choices, which the kernels' scratch and emitters read too
    ...(facts?.prefer === 'size' ? { tapPairRows: false, planeRows: false } : {}),
  };
}

/** The bound on every output channel's int32 accumulator (accumulator_bound.ts); weights [1, H, W, C]: a channel is a column. */
function depthwiseAccumulator(graph: Graph, op: Op, channels: number, taps: number): AccumulatorView {
  const bias = optionalInput(graph, op, 2);
  return weightedAccumulator({
    weights: constInt8(graph.tensors[op.inputs[1]!]!),
    rows: channels,
    rowLength: taps,
    layout: 'columns',
    inputRange: dtypeRange('int8'),
    inputOffset: -graph.tensors[op.inputs[0]!]!.quant!.zeroPoint[0]!,
    bias: bias && constInt32(bias),
  });
}

export function macs(graph: Graph, op: Op): number {
  const g = geometry(graph, op);
  return g.batches * g.outH * g.outW * g.outC * g.kH * g.kW;
}

export function evaluate(p: DepthwiseConv2DParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const input = inputs[0] as Int8Array;
  const filter = inputs[1] as Int8Array;
  const bias = inputs[2] as Int32Array | undefined;
  const output = outputs[0] as Int8Array;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      const [fyLo, fyHi] = tapRange(iy0, p.inH, p.kH, p.dilationH);
      for (let ox = 0; ox < p.outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const [fxLo, fxHi] = tapRange(ix0, p.inW, p.kW, p.dilationW);
        const outBase = ((b * p.outH + oy) * p.outW + ox) * p.outC;
        for (let ic = 0; ic < p.inC; ic++) {
          for (let m = 0; m < p.depthMultiplier; m++) {
            const oc = ic * p.depthMultiplier + m;
            let acc = 0;
            for (let fy = fyLo; fy < fyHi; fy++) {
              const iy = iy0 + fy * p.dilationH;
              for (let fx = fxLo; fx < fxHi; fx++) {
                const ix = ix0 + fx * p.dilationW;
                const x = input[((b * p.inH + iy) * p.inW + ix) * p.inC + ic]!;
                acc += filter[(fy * p.kW + fx) * p.outC + oc]! * (x + p.inputOffset);
              }
            }
            if (bias) acc += bias[oc]!;
            if (p.ortScale) {
              output[outBase + oc] = requantF32(acc | 0, p.ortScale[oc]!, p.outputZeroPoint, p.actMin, p.actMax);
              continue;
            }
            const scaled = mbqm(acc | 0, p.multiplier[oc]!, p.shift[oc]!) + p.outputZeroPoint;
            output[outBase + oc] = clamp(scaled, p.actMin, p.actMax);
          }
        }
      }
    }
  }
}

/** The portable C: TFLite Micro's loops, one layer's shapes and requantization as literals. */
export function emitPortable(p: DepthwiseConv2DParams, ctx: LayerEmitContext): string {
  const channel = 'oc';
  const { mult, shift, ortScale } = requantExprs(p, channel, (s, t, v) => ctx.addConst(s, t, v));
  return ctx.render('depthwise_conv_2d.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary: summary(p),
    input: ctx.input(0),
    filter: ctx.input(1),
    output: ctx.output(0),
    multiplied: p.depthMultiplier > 1,
    accInit: p.hasBias ? `${ctx.input(2)}[${channel}]` : '0',
    ...accumulatorC({ accWraps: p.accWraps ?? false, accBound: p.accBound ?? '' }),
    inImage: p.inH * p.inW * p.inC,
    inRow: p.inW * p.inC,
    filterRow: p.kW * p.outC,
    inputOffsetTerm: cTerm(p.inputOffset),
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
    ortScale,
  });
}
