// SPDX-License-Identifier: Apache-2.0
/**
 * What the reductions over axes (MEAN, SUM, REDUCE_MAX, REDUCE_MIN) share: the axis input, the output shape rule
 * (with or without keep_dims), and the loop structure. The input's dimensions are reduced to the
 * fewest loops: extent-1 dimensions dropped, neighbours that are both kept or both reduced merged.
 * Kernels walk the kept loops (in output order) outside and the reduced loops inside, so each output
 * element is finished in a register and no scratch is needed. TFLite Micro walks the input in order
 * and accumulates into an int32 scratch per output; int32 addition is associative even when it wraps,
 * so the sums are the same.
 */
import { OpError } from '../../../errors.ts';
import { type Graph, type Op, type Tensor, elementCount } from '../../../ir/graph.ts';
import { fromBytes } from '../../../ir/buffers.ts';
import type { LayerEmitContext } from '../../op.ts';
import { requireInt8InOut } from './elementwise.ts';
import { clamp, f32, mbqm, quantizeMultiplierUnchecked, wrapInt32 } from '../numerics/fixedpoint.ts';
import { cTerm, requireInput, requireOutput, tensorLabel } from './weighted.ts';

/** One loop over the input: trip count and element stride. */
export interface ReduceLoop {
  extent: number;
  stride: number;
}

export interface ReduceLayout {
  /** kept dimensions, outermost first: one output element per iteration of them all */
  outer: ReduceLoop[];
  /** reduced dimensions, outermost first */
  inner: ReduceLoop[];
  outputCount: number;
  /** input elements per output element */
  reducedCount: number;
}

/** The constant int32/int64 axis input, as numbers in [0, rank) without duplicates, sorted. */
export function reductionAxes(graph: Graph, op: Op, input: Tensor): number[] {
  const axisTensor = requireInput(graph, op, 1, 'axis');
  if (!axisTensor.data) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} is not a constant tensor; only constant axes are supported`);
  if (axisTensor.dtype !== 'int32' && axisTensor.dtype !== 'int64') {
    throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} is ${axisTensor.dtype}; expected int32`);
  }
  const values = Array.from(fromBytes(axisTensor.dtype, axisTensor.data) as ArrayLike<number | bigint>, Number);
  const rank = input.shape.length;
  const axes = new Set<number>();
  for (const a of values) {
    if (a < -rank || a >= rank) throw new OpError(op.index, op.kind, `axis ${a} is out of range for input ${tensorLabel(input)} of rank ${rank}`);
    axes.add(a < 0 ? a + rank : a);
  }
  return [...axes].sort((x, y) => x - y);
}

export function keepDimsOf(op: Op): boolean {
  return (op.attrs as { keepDims?: unknown }).keepDims === true;
}

/**
 * Checks the output shape: the input's with the reduced dimensions set to 1 (keep_dims) or removed.
 * Extent-1 dimensions are ignored in the comparison (they do not change the layout).
 */
export function requireReducedShape(op: Op, input: Tensor, output: Tensor, axes: readonly number[]): void {
  const keep = keepDimsOf(op);
  const expected = keep ? input.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : input.shape.filter((_, i) => !axes.includes(i));
  const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1).join(',');
  if (squeeze(expected) !== squeeze(output.shape)) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; reducing axes [${axes.join(',')}] of [${input.shape.join(',')}] gives [${expected.join(',')}]`,
    );
  }
}

/** Input, output and resolved axes of a reduction, checked. */
export function reductionTensors(graph: Graph, op: Op): { input: Tensor; output: Tensor; axes: number[] } {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  if (input.shape.length > 6) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} has rank ${input.shape.length}; at most 6 is supported`);
  const axes = reductionAxes(graph, op, input);
  requireReducedShape(op, input, output, axes);
  return { input, output, axes };
}

export function reduceLayout(shape: readonly number[], axes: readonly number[]): ReduceLayout {
  const strides: number[] = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const dims: { extent: number; stride: number; reduced: boolean }[] = [];
  shape.forEach((extent, i) => {
    if (extent === 1) return;
    const reduced = axes.includes(i);
    const last = dims[dims.length - 1];
    // dense strides: a dimension continues its predecessor when both are kept or both reduced
    if (last && last.reduced === reduced) {
      last.extent *= extent;
      last.stride = strides[i]!;
    } else {
      dims.push({ extent, stride: strides[i]!, reduced });
    }
  });
  const outer = dims.filter((d) => !d.reduced).map(({ extent, stride }) => ({ extent, stride }));
  const inner = dims.filter((d) => d.reduced).map(({ extent, stride }) => ({ extent, stride }));
  return {
    outer,
    inner,
    outputCount: outer.reduce((n, l) => n * l.extent, 1),
    reducedCount: inner.reduce((n, l) => n * l.extent, 1),
  };
}

/** Calls `visit(offsets)` per output element (in order) with the input offsets it reduces over. */
export function forEachReduction(layout: ReduceLayout, visit: (offsets: number[]) => void): void {
  const innerOffsets: number[] = [];
  const walkInner = (level: number, base: number) => {
    if (level === layout.inner.length) {
      innerOffsets.push(base);
      return;
    }
    const { extent, stride } = layout.inner[level]!;
    for (let i = 0; i < extent; i++) walkInner(level + 1, base + i * stride);
  };
  walkInner(0, 0);
  const walkOuter = (level: number, base: number) => {
    if (level === layout.outer.length) {
      visit(innerOffsets.map((o) => base + o));
      return;
    }
    const { extent, stride } = layout.outer[level]!;
    for (let i = 0; i < extent; i++) walkOuter(level + 1, base + i * stride);
  };
  walkOuter(0, 0);
}

/** The loop nests as a C template consumes them: `o<k>` outer and `r<k>` inner loop variables. */
export function reduceCView(layout: ReduceLayout): {
  outerLoops: { k: number; extent: number }[];
  innerLoops: { k: number; extent: number }[];
  loopVars: string;
  base: string;
  offset: string;
} {
  const terms = (loops: ReduceLoop[], v: string) => loops.map((l, k) => (l.stride === 1 ? `${v}${k}` : `${v}${k} * ${l.stride}`)).join(' + ') || '0';
  const vars = [...layout.outer.map((_, k) => `o${k}`), ...layout.inner.map((_, k) => `r${k}`)];
  return {
    outerLoops: layout.outer.map((l, k) => ({ k, extent: l.extent })),
    innerLoops: layout.inner.map((l, k) => ({ k, extent: l.extent })),
    loopVars: vars.join(', '),
    base: terms(layout.outer, 'o'),
    offset: terms(layout.inner, 'r'),
  };
}

export function inputCount(graph: Graph, op: Op): number {
  return elementCount(graph.tensors[op.inputs[0]!]!.shape);
}

export interface MeanOrSumRequant {
  multiplier: number;
  shift: number;
  /** z_in · count wrapped to int32: subtracted from the raw sum */
  zeroPointTimesCount: number;
}

/**
 * TFLite Micro's QuantizedMeanOrSum rescale: M = s_in/s_out (double quotient of the float32 scales);
 * for MEAN, 1/count is folded into it: with shift = min(floor(log2 count), 32, 31 + e),
 * m' = (m << shift) / count in int64 (truncating) and e' = e - shift.
 */
export function meanOrSumRequant(inputScale: number, outputScale: number, inputZeroPoint: number, count: number, computeSum: boolean): MeanOrSumRequant {
  let { multiplier, shift } = quantizeMultiplierUnchecked(f32(inputScale) / f32(outputScale));
  if (!computeSum) {
    const log2 = 31 - Math.clz32(count);
    const s = Math.min(log2, 32, 31 + shift);
    multiplier = Number((BigInt(multiplier) << BigInt(s)) / BigInt(count));
    shift -= s;
  }
  return { multiplier, shift, zeroPointTimesCount: wrapInt32(inputZeroPoint * count) };
}

/** The requantized output of one raw sum (TFLite Micro's QuantizedMeanOrSum, last loop). */
export function requantizeSum(sum: number, r: MeanOrSumRequant, outputZeroPoint: number): number {
  return clamp(mbqm(wrapInt32(sum - r.zeroPointTimesCount), r.multiplier, r.shift) + outputZeroPoint, -128, 127);
}

/** MEAN and SUM: an int8 input reduced to an int8 output (16x8 layers go to mean_sum_int16.ts). */
export function checkInt8MeanOrSum(graph: Graph, op: Op): void {
  const { input, output } = reductionTensors(graph, op);
  requireInt8InOut(op, input, output);
}

/** What MEAN and SUM both prepare: the loops, the axes and QuantizedMeanOrSum's rescale. */
export interface MeanOrSumGeometry {
  layout: ReduceLayout;
  axes: number[];
  requant: MeanOrSumRequant;
  outputZeroPoint: number;
}

export function meanOrSumGeometry(graph: Graph, op: Op, computeSum: boolean): MeanOrSumGeometry {
  const { input, output, axes } = reductionTensors(graph, op);
  const layout = reduceLayout(input.shape, axes);
  return {
    layout,
    axes,
    requant: meanOrSumRequant(input.quant!.scale[0]!, output.quant!.scale[0]!, input.quant!.zeroPoint[0]!, layout.reducedCount, computeSum),
    outputZeroPoint: output.quant!.zeroPoint[0]!,
  };
}

/** The raw int32 sum (wrapping, as TFLite's int32 accumulator) of the input elements at `offsets`. */
export function rawSum(x: Int8Array, offsets: readonly number[]): number {
  let total = 0;
  for (const i of offsets) total = (total + x[i]!) | 0;
  return total;
}

/** The template fields every reduction template (REDUCE_MAX/MIN, MEAN, SUM) shares. */
export function reductionCView(p: { layout: ReduceLayout; axes: readonly number[] }, ctx: LayerEmitContext) {
  const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  const output = ctx.graph.tensors[ctx.op.outputs[0]!]!;
  return {
    ...reduceCView(p.layout),
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    inShape: input.shape.join('x'),
    outShape: output.shape.join('x'),
    axes: p.axes.join(','),
    count: p.layout.reducedCount,
  };
}

/**
 * REDUCE_MAX / REDUCE_MIN's reference kernel: ReduceGeneric over the raw int8 values, starting from
 * `init` and keeping a value when `beats(value, best)`.
 */
export function reduceExtremum(layout: ReduceLayout, x: Int8Array, out: Int8Array, init: number, beats: (v: number, best: number) => boolean): void {
  let o = 0;
  forEachReduction(layout, (offsets) => {
    let best = init;
    for (const i of offsets) if (beats(x[i]!, best)) best = x[i]!;
    out[o++] = best;
  });
}

/** The template fields mean.c.hbs and sum.c.hbs share. */
export function meanOrSumCView(p: MeanOrSumGeometry, ctx: LayerEmitContext) {
  return {
    ...reductionCView(p, ctx),
    multiplier: p.requant.multiplier,
    shift: p.requant.shift,
    zeroPointTimesCount: p.requant.zeroPointTimesCount,
    outputZeroPoint: cTerm(p.outputZeroPoint),
  };
}

/** REDUCE_MAX's and REDUCE_MIN's params: the loops over the input and the reduced axes. */
export interface ReduceExtremumParams {
  layout: ReduceLayout;
  axes: number[];
}

/** REDUCE_MAX's and REDUCE_MIN's rules: int8 in and out, the output quantized as the input (TFLite Micro). */
export function checkReduceExtremum(graph: Graph, op: Op): void {
  const { input, output } = reductionTensors(graph, op);
  requireInt8InOut(op, input, output);
  if (f32(input.quant!.scale[0]!) !== f32(output.quant!.scale[0]!) || input.quant!.zeroPoint[0] !== output.quant!.zeroPoint[0]) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} must have the input's scale and zero point (TFLite Micro requires it); got ${output.quant!.scale[0]} @ ${output.quant!.zeroPoint[0]} for ${input.quant!.scale[0]} @ ${input.quant!.zeroPoint[0]}`,
    );
  }
}

/** The reduced loops of REDUCE_MAX and REDUCE_MIN. */
export function prepareReduceExtremum(graph: Graph, op: Op): ReduceExtremumParams {
  const { input, axes } = reductionTensors(graph, op);
  return { layout: reduceLayout(input.shape, axes), axes };
}
