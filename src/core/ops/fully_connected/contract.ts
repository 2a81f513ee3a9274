// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED, int8: TFLite Micro's FullyConnected (per-tensor weights, whose zero point is still
 * applied as an offset for backward compatibility) and FullyConnectedPerChannel (symmetric weights,
 * one multiplier per output). Weights [out, in]; every row of `in` input values is one batch.
 *
 * The op's contract, which every kernel variant reads and none changes: the prepared parameters,
 * `check`, `prepare`, `macs`, the reference `evaluate` and the portable C. The variants (one file each)
 * import it from here; index.ts assembles the OpDef from it and the variant table.
 */
import { OpError } from '../../errors.ts';
import { type FullyConnectedAttrs, type Graph, type Op, type Tensor, elementCount } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { KernelChoices, LayerEmitContext } from '../op.ts';
import { rowPairsFit } from './dsp_row_pairs.ts';
import { rowPairsFitWithoutFixes, rowPairsX6Shape } from './dsp_row_pairs_x6.ts';
import { rowPairsX8Shape } from './dsp_row_pairs_x8.ts';
import { batchRowPairsShape } from './dsp_batch_row_pairs.ts';
import { laneWeightsFit, pairs4Fit } from './m0plus.ts';
import { summary } from './describe.ts';
import { foldedWeights } from './weight_offset.ts';
import { type AccumulatorView, dtypeRange, weightedAccumulator } from '../common/numerics/accumulator_bound.ts';
import { activationRange } from '../common/numerics/activation.ts';
import { clamp, f32, mbqm } from '../common/numerics/fixedpoint.ts';
import { ortChannelScales, requantF32 } from '../common/numerics/requant_f32.ts';
import { int4Applies, int4RowsBytes } from '../common/codecs/int4.ts';
import { type SparseRows, encodeSparseRows } from '../common/codecs/sparse_rows.ts';
import { type PaletteEncoding, encodePalette } from '../common/codecs/palette.ts';
import { type HuffmanRows, entropyCodingEnabled } from '../common/codecs/huffman_rows.ts';
import { encodeHuffmanFc } from './huffman.ts';
import {
  type ChannelMultipliers,
  accumulatorOutputParams,
  cTerm,
  constInt32,
  constInt8,
  convChannelMultipliers,
  fcTensorMultiplier,
  foldedInitExpr,
  optionalInput,
  requantExprs,
  requireBias,
  requireClampActivation,
  requireConstant,
  requireInput,
  requireInt8Activation,
  requireOutput,
  requireRank,
  requireWeightQuant,
  requireWeightedOutput,
  tensorLabel,
} from '../common/families/weighted.ts';

export interface FullyConnectedParams extends ChannelMultipliers, Partial<AccumulatorView> {
  batches: number;
  inFeatures: number;
  outFeatures: number;
  /** the output is the int32 accumulator itself (ONNX's MatMulInteger): no requantization, portable C only */
  int32Output?: boolean;
  /** -z_in */
  inputOffset: number;
  /** -z_w: nonzero only for per-tensor weights with a zero point */
  filterOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
  /** one multiplier per output (else `multiplier` holds the single per-tensor value for every output) */
  perChannel: boolean;
  hasBias: boolean;
  /** facts about the weights, computed once in prepare, that the variants' `applies` read (absent: none fits) */
  weightFit?: WeightFit;
  /** a weight zero point that folds into int8 weights at compile time (weight_offset.ts) */
  weightOffsetFolds?: boolean;
  /** added to the compile-time bound on |accumulator| (weight_offset.ts's per-batch correction) */
  accumulatorSlack?: number;
  /** pruned weights: the sparse encoding the C kernel uses instead of the dense weights (sparse.ts) */
  sparse?: SparseRows;
  /** weights with ≤ 2^b distinct values per row or layer: b-bit indices + LUT, when smaller (palette.ts) */
  palette?: PaletteEncoding;
  /** symmetric weights that all fit [-8, 7]: stored packed, the int4 kernels (int4.ts) */
  /** the model file stores these weights as INT4: under --prefer speed nothing bigger than that is chosen */
  weightsStoredInt4?: boolean;
  int4Weights?: boolean;
  /** weights stored Huffman-coded (huffman.ts): a storage only `--prefer size` picks */
  entropy?: HuffmanRows;
}

/**
 * Facts about a layer's weights, computed once in prepare (each scans every weight), that the variants'
 * `applies` read. Each is the rule of one kernel's weight layout, kept in that variant's file (beside
 * the layout it guards) and called only from here: choosing a kernel then never scans the weights
 * again. None of them is a choice: `--prefer` is read by the variants' `applies` (VariantFacts).
 */
export interface WeightFit {
  /** every row pair fits its halfword, or the fix table fits int16 (dsp_row_pairs.ts rowPairsFit): the Arm DSP row pairs */
  rowPairs: boolean;
  /**
   * every row pair (2m, 2m + 1) fits its halfword with no fix table (dsp_row_pairs_x6.ts rowPairsFitWithoutFixes): the Arm
   * DSP blocks of six and of eight rows and the two-batch-row kernel; computed only for layers of their shapes
   */
  rowPairsNoFix?: boolean;
  /** symmetric, no -128, 16 rows or more within the lanes' reach (m0plus.ts laneWeightsFit): Armv6-M's row-pair lanes */
  lanes: boolean;
  /** the rows after the blocks of 8 hold a block of 4 with no -128, whole column pairs (m0plus.ts pairs4Fit): Armv6-M's block of 4 as row pairs */
  pairs4: boolean;
}

/** The weight facts of a layer (`folded`: its weights with a zero point folded in, when they fit int8). */
function weightFitOf(weights: Int8Array, folded: Int8Array | undefined, filterOffset: number, batches: number, rows: number, rowLength: number): WeightFit {
  const symmetric = filterOffset === 0;
  const pairedShape = rowPairsX6Shape(rowLength, rows) || rowPairsX8Shape(rowLength, rows) || batchRowPairsShape(batches, rowLength, rows);
  return {
    rowPairs: rowPairsFit(folded ?? weights, rows, rowLength),
    ...(pairedShape ? { rowPairsNoFix: rowPairsFitWithoutFixes(folded ?? weights, rows, rowLength) } : {}),
    lanes: symmetric && laneWeightsFit(weights, rows, rowLength),
    pairs4: symmetric && pairs4Fit(weights, rows, rowLength),
  };
}

export function check(graph: Graph, op: Op): void {
  const input = requireInput(graph, op, 0, 'input');
  const filter = requireInput(graph, op, 1, 'weights');
  const bias = optionalInput(graph, op, 2);
  const output = requireOutput(graph, op);
  requireClampActivation(op, (op.attrs as Partial<FullyConnectedAttrs>).activation);
  requireInt8Activation(op, input, 'input');
  const int32Output = requireWeightedOutput(op, output, (op.attrs as Partial<FullyConnectedAttrs>).activation);
  requireRank(op, filter, 'weights', 2);
  const [outFeatures, inFeatures] = filter.shape as [number, number];
  const scales = requireWeightQuant(op, filter, 0, outFeatures, false);
  if (scales.length > 1 && filter.quant!.zeroPoint.some((z) => z !== 0)) {
    throw new OpError(
      op.index,
      op.kind,
      `weights ${tensorLabel(filter)} are quantized per channel with a nonzero zero point; per-channel weights must be symmetric`,
    );
  }
  requireConstant(op, filter, 'weights');
  if (bias) requireBias(op, bias, outFeatures);
  const inCount = elementCount(input.shape);
  if (inFeatures < 1 || inCount % inFeatures !== 0) {
    throw new OpError(
      op.index,
      op.kind,
      `input ${tensorLabel(input)} has ${inCount} elements, not a multiple of the ${inFeatures} input features of weights ${tensorLabel(filter)}`,
    );
  }
  const batches = inCount / inFeatures;
  if (output.shape[output.shape.length - 1] !== outFeatures || elementCount(output.shape) !== batches * outFeatures) {
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected ${batches} row(s) of ${outFeatures}`);
  }
  if (scales.length === 1 && bias?.quant?.scale.length && !int32Output) {
    // TFLite refuses a bias whose scale strays from s_in*s_w by more than 2% of an output step.
    const product = f32(input.quant!.scale[0]!) * scales[0]!;
    if (Math.abs(product - f32(bias.quant.scale[0]!)) / f32(output.quant!.scale[0]!) > 0.02) {
      throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} has scale ${bias.quant.scale[0]}; expected input scale * weight scale = ${product}`);
    }
  }
}

export function prepare(graph: Graph, op: Op, kernels: KernelChoices = {}): FullyConnectedParams {
  const input = requireInput(graph, op, 0, 'input');
  const filter = requireInput(graph, op, 1, 'weights');
  const output = requireOutput(graph, op);
  const [outFeatures, inFeatures] = filter.shape as [number, number];
  const scales = requireWeightQuant(op, filter, 0, outFeatures, false);
  const perChannel = scales.length > 1;
  const inputScale = input.quant!.scale[0]!;
  const int32Output = output.dtype === 'int32';
  const outputScale = int32Output ? 1 : output.quant!.scale[0]!;
  let multipliers: ChannelMultipliers;
  if (int32Output) {
    const { multiplier, shift } = accumulatorOutputParams(outFeatures);
    multipliers = { multiplier, shift };
  } else if (perChannel) {
    multipliers = convChannelMultipliers(inputScale, scales, outputScale, outFeatures);
  } else {
    const q = fcTensorMultiplier(inputScale, scales[0]!, outputScale);
    multipliers = { multiplier: new Array<number>(outFeatures).fill(q.multiplier), shift: new Array<number>(outFeatures).fill(q.shift) };
  }
  const range = int32Output
    ? { min: -2147483648, max: 2147483647 }
    : activationRange(requireClampActivation(op, (op.attrs as Partial<FullyConnectedAttrs>).activation), output);
  const filterOffset = perChannel ? 0 : -(filter.quant!.zeroPoint[0] ?? 0);
  const folded = filterOffset === 0 ? undefined : foldedWeights(constInt8(filter), filterOffset);
  return {
    batches: elementCount(input.shape) / inFeatures,
    inFeatures,
    outFeatures,
    ...(int32Output ? { int32Output } : {}),
    inputOffset: -input.quant!.zeroPoint[0]!,
    filterOffset,
    ...(filterOffset !== 0 ? { weightOffsetFolds: folded !== undefined } : {}),
    outputZeroPoint: int32Output ? 0 : output.quant!.zeroPoint[0]!,
    actMin: range.min,
    actMax: range.max,
    perChannel,
    hasBias: optionalInput(graph, op, 2) !== undefined,
    ...sparseWeights(filter, filterOffset, outFeatures, inFeatures, kernels),
    ...paletteWeights(filter, filterOffset, outFeatures, inFeatures, kernels),
    weightsStoredInt4: filter.storageBits === 4,
    int4Weights: filterOffset === 0 && int4Applies(constInt8(filter), inFeatures, int4RowsBytes(outFeatures, inFeatures), kernels),
    ...entropyCodedWeights(filter, filterOffset, outFeatures, inFeatures, kernels),
    weightFit: weightFitOf(constInt8(filter), folded, filterOffset, elementCount(input.shape) / inFeatures, outFeatures, inFeatures),
    ...multipliers,
    ...(int32Output ? {} : ortChannelScales(op.attrs, inputScale, scales, outputScale, outFeatures)),
    ...fcAccumulator(filter, optionalInput(graph, op, 2), outFeatures, inFeatures, -input.quant!.zeroPoint[0]!, filterOffset),
  };
}

/**
 * The bound on the int32 accumulator of every form a FULLY_CONNECTED kernel sums in: TFLite Micro's
 * (bias + sum of (w - z_w)(x - z_in)), the folded one (off·sum w + b, then sum of w·x) and, for weights
 * with a zero point, the symmetric kernels' (their starts plus the per-batch correction). Where any can
 * pass 2^31 every kernel is the portable one, summing in uint32_t (accumulator_bound.ts).
 */
function fcAccumulator(
  filter: Tensor,
  biasTensor: Tensor | undefined,
  rows: number,
  rowLength: number,
  inputOffset: number,
  filterOffset: number,
): AccumulatorView {
  const maxInput = Math.max(Math.abs(-128 + inputOffset), Math.abs(127 + inputOffset));
  return weightedAccumulator({
    weights: constInt8(filter),
    rows,
    rowLength,
    inputRange: dtypeRange('int8'),
    inputOffset,
    weightOffset: filterOffset,
    bias: biasTensor ? constInt32(biasTensor) : undefined,
    slack: filterOffset === 0 ? 0 : Math.abs(filterOffset) * rowLength * maxInput + 1,
  });
}

/** Pruned symmetric weights get a sparse encoding (sparse.ts); others stay dense. */
function sparseWeights(filter: Tensor, filterOffset: number, rows: number, columns: number, kernels: KernelChoices): { sparse?: SparseRows } {
  if (filterOffset !== 0) return {};
  const sparse = encodeSparseRows(constInt8(filter), rows, columns, kernels);
  return sparse ? { sparse } : {};
}

/** Symmetric weights with few distinct values per row get a palette encoding (common/codecs/palette.ts). */
function paletteWeights(filter: Tensor, filterOffset: number, rows: number, columns: number, kernels: KernelChoices): { palette?: PaletteEncoding } {
  if (filterOffset !== 0) return {};
  const palette = encodePalette(constInt8(filter), rows, columns, kernels);
  return palette ? { palette } : {};
}

/** Symmetric weights stored Huffman-coded when asked for and smaller (huffman.ts). */
function entropyCodedWeights(filter: Tensor, filterOffset: number, rows: number, columns: number, kernels: KernelChoices): { entropy?: HuffmanRows } {
  if (filterOffset !== 0 || !entropyCodingEnabled(kernels)) return {};
  const weights = constInt8(filter);
  const entropy = encodeHuffmanFc(weights, rows, columns, encodeSparseRows(weights, rows, columns, kernels));
  return entropy ? { entropy } : {};
}

export function macs(graph: Graph, op: Op): number {
  const input = requireInput(graph, op, 0, 'input');
  const filter = requireInput(graph, op, 1, 'weights');
  return elementCount(input.shape) * filter.shape[0]!;
}

export function evaluate(p: FullyConnectedParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const input = inputs[0] as Int8Array;
  const filter = inputs[1] as Int8Array;
  const bias = inputs[2] as Int32Array | undefined;
  const output = outputs[0] as Int8Array | Int32Array;
  for (let b = 0; b < p.batches; b++) {
    const xBase = b * p.inFeatures;
    for (let o = 0; o < p.outFeatures; o++) {
      const wBase = o * p.inFeatures;
      let acc = 0;
      for (let d = 0; d < p.inFeatures; d++) acc += (filter[wBase + d]! + p.filterOffset) * (input[xBase + d]! + p.inputOffset);
      if (bias) acc += bias[o]!;
      if (p.int32Output) {
        output[b * p.outFeatures + o] = acc | 0;
        continue;
      }
      if (p.ortScale) {
        output[b * p.outFeatures + o] = requantF32(acc | 0, p.ortScale[o]!, p.outputZeroPoint, p.actMin, p.actMax);
        continue;
      }
      const scaled = mbqm(acc | 0, p.multiplier[o]!, p.shift[o]!) + p.outputZeroPoint;
      output[b * p.outFeatures + o] = clamp(scaled, p.actMin, p.actMax);
    }
  }
}

/** The portable C (fully_connected.c.hbs): every target's fallback, and the only writer of an int32 output. */
export function emitPortable(p: FullyConnectedParams, ctx: LayerEmitContext): string {
  const row = 'o';
  const { mult, shift, ortScale } = requantExprs(p, row, (s, t, v) => ctx.addConst(s, t, v));
  // With symmetric weights the input offset folds into per-row start values; a weight zero point
  // (legacy per-tensor models) keeps both offsets in the inner loop.
  const folded = p.filterOffset === 0;
  let accInit: string;
  if (folded) {
    const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    accInit = foldedInitExpr({
      weights,
      rows: p.outFeatures,
      rowLength: p.inFeatures,
      inputOffset: p.inputOffset,
      bias: biasTensor && constInt32(biasTensor),
      biasPointer: () => ctx.input(2),
      addConst: (s, t, v) => ctx.addConst(s, t, v),
      rowVar: row,
    });
  } else {
    accInit = p.hasBias ? `${ctx.input(2)}[${row}]` : '0';
  }
  return ctx.render('fully_connected.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary: summary(p),
    input: ctx.input(0),
    filter: ctx.input(1),
    output: ctx.output(0),
    folded,
    accInit,
    inputOffsetTerm: cTerm(p.inputOffset),
    filterOffsetTerm: cTerm(p.filterOffset),
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
    ortScale,
  });
}
