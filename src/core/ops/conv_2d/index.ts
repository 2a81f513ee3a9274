// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D, int8: TFLite Micro's ConvPerChannel. Filters OHWI, per-channel (or broadcast per-tensor)
 * requantization, optional int32 bias, SAME/VALID padding whose taps are skipped (never filled with
 * the zero point), strides, dilation, groups (filter in-channels dividing the input channels).
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { conv2dFloat } from './conv_2d_float.ts';
import { OpError } from '../../errors.ts';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import { convPaletteVariants } from './palette.ts';
import { type PaletteEncoding, encodePalette } from '../common/codecs/palette.ts';
import type { KernelChoices, OpDef } from '../op.ts';
import { type ConvDspWeights, bandLoads, convDspVariant, convDspWeights, dspApplies } from './dsp.ts';
import { convDspRowBandsVariant, convDspStemBandsVariant } from './dsp_row_bands.ts';
import { convDspIm2colQuadsVariant } from './dsp_im2col_quads.ts';
import { convDspIm2colTriplesVariant } from './dsp_im2col_triples.ts';
import { convDspPointwisePairsVariant, convDspPointwiseQuadsVariant } from './dsp_pointwise.ts';
import { convDspBlocksVariant } from './dsp_blocks.ts';
import { convDspNarrowVariant } from './dsp_narrow.ts';
import { convM0plusVariant } from './m0plus.ts';
import { convXtensaVariant } from './xtensa.ts';
import { convRv32Variant } from './rv32.ts';
import { convMveVariant } from './mve.ts';
import { convS3Variant } from './s3simd.ts';
import { emitConvPortable } from './portable.ts';
import { convSparseTaps, convSparseVariants } from './sparse.ts';
import type { SparseOffsets, SparseTaps } from '../common/codecs/sparse_taps.ts';
import { chooseStorage, firstApplicableVariant } from '../variant.ts';
import { denseCostFromRates } from '../encoding_choice.ts';
import { convInt4Variants } from './int4.ts';
import { int4Applies, int4RowsBytes } from '../common/codecs/int4.ts';
import { channelNonzeros, convHuffmanVariant, encodeHuffmanConv } from './huffman.ts';
import { type HuffmanFc, entropyCodingEnabled } from '../fully_connected/huffman.ts';
import { convAsFcDspVariant, convAsFcM0plusVariant, convAsFcRv32Variant } from './as_fc.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { type AccumulatorView, dtypeRange, weightedAccumulator } from '../common/numerics/accumulator_bound.ts';
import { conv2dInt16 } from './conv_2d_int16.ts';
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
  entropy?: HuffmanFc;
  /** with `entropy`: the nonzero weights of the fullest output channel, and of all (the kernel's tap lists) */
  entropyNonzeros?: { max: number; total: number };
  /** what the weights say about the Arm DSP kernels (dsp.ts ConvDspWeights): each one's `applies` reads it */
  dspWeights?: ConvDspWeights;
  columnBands?: boolean;
}

function check(graph: Graph, op: Op): void {
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

function prepare(graph: Graph, op: Op, kernels: KernelChoices = {}): Conv2DParams {
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
  return { ...p, dspWeights: convDspWeights(p, constInt8(g.filter), bias && constInt32(bias), graph) };
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
): { entropy?: HuffmanFc; entropyNonzeros?: { max: number; total: number } } {
  if (!entropyCodingEnabled(kernels)) return {};
  const weights = constInt8(graph.tensors[op.inputs[1]!]!);
  const entropy = encodeHuffmanConv(weights, outC, weights.length / outC, kernels);
  return entropy ? { entropy, entropyNonzeros: channelNonzeros(weights, outC) } : {};
}

function macs(graph: Graph, op: Op): number {
  const g = geometry(graph, op);
  return g.batches * g.outH * g.outW * g.outC * g.kH * g.kW * g.filterInC;
}

function evaluate(p: Conv2DParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
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

const def: OpDef<Conv2DParams> = {
  kind: 'CONV_2D',
  dir: import.meta.dirname,
  check,
  prepare,
  macs,
  evaluate,
  // The variants, in the order they are tried; a target takes the first of its ISA family that
  // covers the layer (variant.ts), else the portable C.
  variants: [
    // palette filters (few distinct values): the LUT kernels, when the cost model prefers them
    ...convPaletteVariants,
    // weights that fit int4: the packed kernels, when the cost model prefers them
    ...convInt4Variants,
    // Huffman-coded filters (huffman.ts): the smallest, and slowest; only `--prefer size` picks them
    convHuffmanVariant,
    // a lone output pixel over the whole input is an FC: its kernels before any convolution's
    convAsFcDspVariant,
    convAsFcM0plusVariant,
    convAsFcRv32Variant,
    // 1x1 layers over a few input channels: the narrow run, before the wide kernels that would pad them
    convDspNarrowVariant,
    // Arm DSP: exactly one of the next seven takes a CONV_2D layer (dsp.ts dspKernel), so their order
    // among themselves is dspKernel's, most specialised first:
    // im2col from a band of int16 columns per output row: the M4's and M33's loads, whole channel quads
    convDspRowBandsVariant,
    // RGB stems from a band of a few pixels' int16 values: the same cores, 3 input channels
    convDspStemBandsVariant,
    // im2col pixel pairs by channel quads in the 1x1 layers' routine: the M4 and M33 without bands
    convDspIm2colQuadsVariant,
    // im2col pixel triples by channel pairs in assembly: every other DSP core, fields of 12 values on
    convDspIm2colTriplesVariant,
    // 1x1 layers in channel quads (whole quads, or a one-pixel head padded to them)
    convDspPointwiseQuadsVariant,
    // 1x1 layers in channel pairs, where the output channels are not whole quads
    convDspPointwisePairsVariant,
    // the C loops: whatever no assembly run takes (64-bit requantization, rows outside the pairs layout)
    convDspBlocksVariant,
    // layers of other ops (transpose_conv's phases) that record no weight facts: the kernel is picked at emit
    convDspVariant,
    // Armv6-M, RV32, Xtensa, Helium, ESP32-S3: one kernel each
    convM0plusVariant,
    convRv32Variant,
    convXtensaVariant,
    convMveVariant,
    convS3Variant,
    // pruned weights: the sparse storage, when the cost model (encoding_choice.ts) prefers it
    ...convSparseVariants,
  ],
  selectVariant(p, isa, prefer, kernels) {
    p.columnBands = bandLoads(isa, prefer) !== undefined;
    return chooseStorage(def, p, isa, prefer, kernels);
  },
  denseCost: (p, isa, prefer = 'speed') =>
    denseCostFromRates(
      'CONV_2D',
      p.batches * p.outH * p.outW * p.outC * p.kH * p.kW * p.filterInC,
      p.outC * p.kH * p.kW * p.filterInC,
      firstApplicableVariant(def, p, { isa, prefer }).family,
      isa,
      { k: p.kH * p.kW * p.filterInC },
    ),
  emitC: emitConvPortable,
};

// int16 activations (16x8) go to their own kernel in conv_2d_int16.ts
// float32 layers: TFLite Micro's reference Conv<float>, conv_2d_float.ts
export default withFloatVariant(withInt16Variant(def, conv2dInt16), conv2dFloat);
