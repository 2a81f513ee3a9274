// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's contract, which every variant imports: its parameters, check, prepare (the facts
 * computed once: requantization, the weights' storages, the Arm DSP kernels' weight facts), MAC count
 * and the reference evaluation. The variant table is index.ts.
 *
 * CONV_2D, int8: TFLite Micro's ConvPerChannel. Filters OHWI, per-channel (or broadcast per-tensor)
 * requantization, optional int32 bias, SAME/VALID padding whose taps are skipped (never filled with
 * the zero point), strides, dilation, groups (filter in-channels dividing the input channels).
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import { type PaletteEncoding, encodePalette } from '../common/codecs/palette.ts';
import type { KernelChoices, VariantFacts } from '../op.ts';
import { type ConvDspWeights, dspApplies, pointwisePairsShape } from '../common/isa/dsp_conv/choice.ts';
import { convDspWeights } from '../common/isa/dsp_conv/layer.ts';
import { convSparseTaps } from './sparse.ts';
import type { SparseOffsets, SparseTaps } from '../common/codecs/sparse_taps.ts';
import { int4Applies, int4RowsBytes } from '../common/codecs/int4.ts';
import { channelNonzeros, encodeHuffmanConv } from './huffman.ts';
import { type HuffmanRows, entropyCodingEnabled } from '../common/codecs/huffman_rows.ts';
import { type AccumulatorView, dtypeRange, weightedAccumulator } from '../common/numerics/accumulator_bound.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import { requantF32 } from '../common/numerics/requant_f32.ts';
import {
  type ConvWindowParams,
  conv2dGeometry as geometry,
  convRequant,
  convWindow,
  filterWithDilation,
  int8ConvOffsets,
  requireConvOutput,
} from '../common/families/conv_geometry.ts';
import {
  type ChannelMultipliers,
  constInt32,
  constInt8,
  optionalInput,
  requireBias,
  requireConstant,
  accumulatorOutputParams,
  requireInt8Activation,
  requireOutput,
  requireWeightQuant,
  requireWeightedOutput,
  tapRange,
  tensorLabel,
} from '../common/families/weighted.ts';

export interface Conv2DParams extends ChannelMultipliers, ConvWindowParams, Partial<AccumulatorView> {
  /** input channels each filter sees: inC / groups */
  filterInC: number;
  groups: number;
  /** the output is the int32 accumulator itself (ONNX's ConvInteger): no requantization, portable C only */
  int32Output?: boolean;
  /** -z_in, added to every input value */
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
  hasBias: boolean;
  /** pruned weights: their sparse encoding (sparse.ts), a storage the cost model may choose */
  sparse?: SparseTaps;
  /** ... and in the offsets form, where it applies */
  sparseOffsets?: SparseOffsets;
  /** filters with ≤ 2^b distinct values each (or in the layer): b-bit indices + LUT, when smaller (palette.ts) */
  palette?: PaletteEncoding;
  /** weights that all fit [-8, 7]: stored packed, the int4 kernels (int4.ts) */
  /** the model file stores these weights as INT4: under --prefer speed nothing bigger than that is chosen */
  weightsStoredInt4?: boolean;
  int4Weights?: boolean;
  /** the filter stored Huffman-coded (huffman.ts): a storage only `--prefer size` picks */
  entropy?: HuffmanRows;
  /** with `entropy`: the nonzero weights of the fullest output channel, and of all (the kernel's tap lists) */
  entropyNonzeros?: { max: number; total: number };
  /** what the weights say about the Arm DSP kernels (common/isa/dsp_conv/choice.ts ConvDspWeights): each one's `applies` reads it */
  dspWeights?: ConvDspWeights;
}

export function check(graph: Graph, op: Op): void {
  const g = geometry(graph, op);
  const { input, filter } = g;
  const bias = optionalInput(graph, op, 2);
  const output = requireOutput(graph, op);
  requireInt8Activation(op, input, 'input');
  requireWeightedOutput(op, output, g.attrs.activation);
  requireWeightQuant(op, filter, 0, g.outC, true);
  requireConstant(op, filter, 'filter');
  if (bias) requireBias(op, bias, g.outC);
  if (g.filterInC < 1 || g.inC % g.filterInC !== 0) {
    throw new OpError(op.index, op.kind, `filter ${tensorLabel(filter)} has ${g.filterInC} input channels, which does not divide the input's ${g.inC}`);
  }
  const groups = g.inC / g.filterInC;
  if (g.outC % groups !== 0) {
    throw new OpError(op.index, op.kind, `filter ${tensorLabel(filter)} has ${g.outC} output channels, not a multiple of the ${groups} groups`);
  }
  requireConvOutput(op, g, g.outC, output, filterWithDilation(g));
}

export function prepare(graph: Graph, op: Op, kernels: KernelChoices = {}, facts?: VariantFacts): Conv2DParams {
  const g = geometry(graph, op);
  const int32Output = requireOutput(graph, op).dtype === 'int32';
  const p: Conv2DParams = {
    ...convWindow(g),
    filterInC: g.filterInC,
    groups: g.inC / g.filterInC,
    ...int8ConvOffsets(graph, op),
    ...(int32Output ? { int32Output, ...accumulatorOutputParams(g.outC) } : convRequant(graph, op, g, 0, 8)),
    ...convSparseTaps(graph, op, convWindow(g), g.filterInC, kernels),
    ...paletteFilters(g.filter, g.outC, g.kH * g.kW * g.filterInC, kernels),
    weightsStoredInt4: g.filter.storageBits === 4,
    int4Weights: int4Applies(constInt8(g.filter), g.kH * g.kW * g.filterInC, int4RowsBytes(g.outC, g.kH * g.kW * g.filterInC), kernels),
    ...entropyCodedFilter(graph, op, g.outC, kernels),
    ...convAccumulator(graph, op, g.outC, g.kH * g.kW * g.filterInC),
  };
  if (int32Output || !dspApplies(p)) return p;
  const bias = optionalInput(graph, op, 2);
  // a layer prepared alone (no settled facts): its graph's shapes say whether the 1x1 pairs instance is in the model
  const modelPairs = facts?.graph?.pointwisePairs ?? pointwisePairsShape(graph);
  return { ...p, dspWeights: convDspWeights(p, constInt8(g.filter), bias && constInt32(bias), modelPairs) };
}

/** The bound on the int32 accumulator of every output channel (accumulator_bound.ts): a padded tap skipped only lowers it. */
function convAccumulator(graph: Graph, op: Op, rows: number, rowLength: number): AccumulatorView {
  const bias = optionalInput(graph, op, 2);
  return weightedAccumulator({
    weights: constInt8(graph.tensors[op.inputs[1]!]!),
    rows,
    rowLength,
    inputRange: dtypeRange('int8'),
    inputOffset: -graph.tensors[op.inputs[0]!]!.quant!.zeroPoint[0]!,
    bias: bias && constInt32(bias),
  });
}

/** Filters with few distinct values get a palette encoding (common/codecs/palette.ts) when it is smaller. */
function paletteFilters(filter: Tensor, outC: number, rowLength: number, kernels: KernelChoices): { palette?: PaletteEncoding } {
  const palette = encodePalette(constInt8(filter), outC, rowLength, kernels);
  return palette ? { palette } : {};
}

/** The filter stored Huffman-coded when asked for and smaller than int8 (huffman.ts). */
function entropyCodedFilter(
  graph: Graph,
  op: Op,
  outC: number,
  kernels: KernelChoices,
): { entropy?: HuffmanRows; entropyNonzeros?: { max: number; total: number } } {
  if (!entropyCodingEnabled(kernels)) return {};
  const weights = constInt8(graph.tensors[op.inputs[1]!]!);
  const entropy = encodeHuffmanConv(weights, outC, weights.length / outC, kernels);
  return entropy ? { entropy, entropyNonzeros: channelNonzeros(weights, outC) } : {};
}

export function macs(graph: Graph, op: Op): number {
  const g = geometry(graph, op);
  return g.batches * g.outH * g.outW * g.outC * g.kH * g.kW * g.filterInC;
}

export function evaluate(p: Conv2DParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const input = inputs[0] as Int8Array;
  const filter = inputs[1] as Int8Array;
  const bias = inputs[2] as Int32Array | undefined;
  const output = outputs[0] as Int8Array | Int32Array;
  const filtersPerGroup = p.outC / p.groups;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      const [fyLo, fyHi] = tapRange(iy0, p.inH, p.kH, p.dilationH);
      for (let ox = 0; ox < p.outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const [fxLo, fxHi] = tapRange(ix0, p.inW, p.kW, p.dilationW);
        for (let oc = 0; oc < p.outC; oc++) {
          const c0 = Math.floor(oc / filtersPerGroup) * p.filterInC;
          let acc = 0;
          for (let fy = fyLo; fy < fyHi; fy++) {
            const iy = iy0 + fy * p.dilationH;
            for (let fx = fxLo; fx < fxHi; fx++) {
              const ix = ix0 + fx * p.dilationW;
              const inBase = ((b * p.inH + iy) * p.inW + ix) * p.inC + c0;
              const wBase = ((oc * p.kH + fy) * p.kW + fx) * p.filterInC;
              for (let ic = 0; ic < p.filterInC; ic++) acc += filter[wBase + ic]! * (input[inBase + ic]! + p.inputOffset);
            }
          }
          if (bias) acc += bias[oc]!;
          if (p.int32Output) {
            output[o++] = acc | 0;
            continue;
          }
          if (p.ortScale) {
            output[o++] = requantF32(acc | 0, p.ortScale[oc]!, p.outputZeroPoint, p.actMin, p.actMax);
            continue;
          }
          const scaled = mbqm(acc | 0, p.multiplier[oc]!, p.shift[oc]!) + p.outputZeroPoint;
          output[o++] = clamp(scaled, p.actMin, p.actMax);
        }
      }
    }
  }
}
