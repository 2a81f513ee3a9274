// SPDX-License-Identifier: Apache-2.0
/**
 * What AVERAGE_POOL_2D and MAX_POOL_2D share: the checks, TFLite Micro's pooling Prepare (output size
 * from the padding mode, padding before, activation range) and the window of one output pixel.
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op, Pool2DAttrs } from '../../../ir/graph.ts';
import { activationRange } from '../numerics/activation.ts';
import { clamp } from '../numerics/fixedpoint.ts';
import { requireInt16Activation } from './int16_variant.ts';
import { outputSize, paddingBefore } from './padding.ts';
import { MAX_WINDOW_ATTR, requireInput, requireInt8Activation, requireOutput, requireRank, tensorLabel } from './weighted.ts';

export interface PoolParams {
  batches: number;
  inH: number;
  inW: number;
  depth: number;
  outH: number;
  outW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  actMin: number;
  actMax: number;
}

const SUPPORTED_ACTIVATIONS = new Set(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);

function poolAttrs(op: Op): Pool2DAttrs {
  return op.attrs as unknown as Pool2DAttrs;
}

/** int8 NHWC in and out with one shared quantization, a sane window, the output shape TFLite computes. */
export function checkPool(graph: Graph, op: Op, bits: 8 | 16 = 8, explicitPads = false): void {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  const requireActivation = bits === 16 ? requireInt16Activation : requireInt8Activation;
  requireActivation(op, input, 'input');
  requireActivation(op, output, 'output');
  requireRank(op, input, 'input', 4);
  requireRank(op, output, 'output', 4);
  const a = poolAttrs(op);
  if (a.padding !== 'SAME' && a.padding !== 'VALID') throw new OpError(op.index, op.kind, `unsupported padding ${String(a.padding)}`);
  if (a.explicitPads && !explicitPads)
    throw new OpError(op.index, op.kind, `explicit pads [${a.explicitPads.join(',')}] are computed by ONNX Runtime's average pool only (an ONNX layer)`);
  for (const [name, v] of [
    ['stride height', a.strideH],
    ['stride width', a.strideW],
    ['filter height', a.filterH],
    ['filter width', a.filterW],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_WINDOW_ATTR)
      throw new OpError(op.index, op.kind, `${name} is ${v}; it must be a positive integer up to ${MAX_WINDOW_ATTR}`);
  }
  if (!SUPPORTED_ACTIVATIONS.has(a.activation)) throw new OpError(op.index, op.kind, `unsupported fused activation ${a.activation}`);
  // the kernel rescales nothing: the output must mean the same as the input
  const qi = input.quant!,
    qo = output.quant!;
  if (qi.scale[0] !== qo.scale[0] || qi.zeroPoint[0] !== qo.zeroPoint[0]) {
    throw new OpError(
      op.index,
      op.kind,
      `input ${tensorLabel(input)} (scale ${qi.scale[0]}, zero point ${qi.zeroPoint[0]}) and output ${tensorLabel(output)} (scale ${qo.scale[0]}, zero point ${qo.zeroPoint[0]}) must share quantization`,
    );
  }
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const { outH, outW } = poolOutputSize(a, h, w);
  const expected = [n, outH, outW, c];
  if (outH < 1 || outW < 1 || output.shape.some((d, i) => d !== expected[i])) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; a ${a.filterH}x${a.filterW} ${a.padding} window at stride ${a.strideH}x${a.strideW} over [${input.shape.join(',')}] gives [${expected.join(',')}]`,
    );
  }
  // (with these output sizes every window holds at least one input pixel, so the average never
  // divides by zero, the case where TFLite Micro fails at run time; explicit pads are checked)
  if (a.explicitPads) {
    const p = preparePool(graph, op, bits);
    for (let oy = 0; oy < p.outH; oy++)
      for (let ox = 0; ox < p.outW; ox++)
        if (poolWindow(p, oy, ox).count === 0)
          throw new OpError(op.index, op.kind, `explicit pads [${a.explicitPads.join(',')}]: the window of output (${oy}, ${ox}) holds no input cell`);
  }
}

/** The output size TFLite computes from the padding mode, or the one explicit pads give. */
function poolOutputSize(a: Pool2DAttrs, inH: number, inW: number): { outH: number; outW: number } {
  if (a.explicitPads) {
    const [top, left, bottom, right] = a.explicitPads;
    return {
      outH: Math.floor((inH + top + bottom - a.filterH) / a.strideH) + 1,
      outW: Math.floor((inW + left + right - a.filterW) / a.strideW) + 1,
    };
  }
  return { outH: outputSize(a.padding, inH, a.filterH, a.strideH), outW: outputSize(a.padding, inW, a.filterW, a.strideW) };
}

/** A pool's window and padding (explicit pads or the padding mode's), without its activation range. */
export function poolGeometry(graph: Graph, op: Op): Omit<PoolParams, 'actMin' | 'actMax'> {
  const a = poolAttrs(op);
  const [batches, inH, inW, depth] = graph.tensors[op.inputs[0]!]!.shape as [number, number, number, number];
  const { outH, outW } = poolOutputSize(a, inH, inW);
  return {
    batches,
    inH,
    inW,
    depth,
    outH,
    outW,
    filterH: a.filterH,
    filterW: a.filterW,
    strideH: a.strideH,
    strideW: a.strideW,
    padTop: a.explicitPads ? a.explicitPads[0] : paddingBefore(a.padding, inH, a.filterH, a.strideH, 1, outH),
    padLeft: a.explicitPads ? a.explicitPads[1] : paddingBefore(a.padding, inW, a.filterW, a.strideW, 1, outW),
  };
}

export function preparePool(graph: Graph, op: Op, bits: 8 | 16 = 8): PoolParams {
  const range = activationRange(poolAttrs(op).activation, graph.tensors[op.outputs[0]!]!, bits);
  return { ...poolGeometry(graph, op), actMin: range.min, actMax: range.max };
}

/** The in-bounds part of one output pixel's window: input rows [y0, y1), columns [x0, x1). */
export function poolWindow(p: PoolParams, outY: number, outX: number): { y0: number; y1: number; x0: number; x1: number; count: number } {
  const originY = outY * p.strideH - p.padTop;
  const originX = outX * p.strideW - p.padLeft;
  const y0 = Math.max(0, originY),
    y1 = Math.min(p.inH, originY + p.filterH);
  const x0 = Math.max(0, originX),
    x1 = Math.min(p.inW, originX + p.filterW);
  return { y0, y1, x0, x1, count: Math.max(0, y1 - y0) * Math.max(0, x1 - x0) };
}

/** Taps visited per evaluation (the cost figure both pools report). */
/**
 * The reference pools' walk (int8 and int16 alike): for every output element in order, `reduce` gets
 * the in-bounds taps of its window and their count; its result is clamped to the fused activation.
 */
export function forEachPoolWindow(
  p: PoolParams,
  input: Int8Array | Int16Array,
  output: Int8Array | Int16Array,
  reduce: (taps: number[], count: number) => number,
): void {
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    const image = b * p.inH * p.inW * p.depth;
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        const { y0, y1, x0, x1, count } = poolWindow(p, oy, ox);
        for (let c = 0; c < p.depth; c++) {
          const taps: number[] = [];
          for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) taps.push(input[image + (y * p.inW + x) * p.depth + c]!);
          output[o++] = clamp(reduce(taps, count), p.actMin, p.actMax);
        }
      }
    }
  }
}

/**
 * AVERAGE_POOL_2D's reduction: the int32 sum rounded half away from zero, C's truncating division.
 * The sum and the rounding step wrap in 32 bits as TFLite Micro's int32 accumulator does on every
 * target (a 300x300 window of 32767 sums to 2,949,030,000, read as -1,345,937,296); the emitted C
 * wraps the same way where it is defined (poolSumView).
 */
export function averageOfTaps(taps: readonly number[], count: number): number {
  const sum = taps.reduce((s, v) => (s + v) | 0, 0);
  const half = Math.trunc(count / 2);
  return Math.trunc((sum > 0 ? (sum + half) | 0 : (sum - half) | 0) / count);
}

/**
 * Whether an average pool's int32 sum (and its rounding step) can leave int32: at most `taps` values
 * of magnitude 2^(bits-1), plus half the count. Where it cannot, the C sums in int32_t and says the
 * bound; where it can, it sums in uint32_t, whose wrap is defined, and reads the result as int32_t.
 */
export function poolSumView(p: PoolParams, bits: 8 | 16): { sumMayWrap: boolean; sumBound: string } {
  const taps = Math.min(p.filterH, p.inH) * Math.min(p.filterW, p.inW);
  const bound = taps * 2 ** (bits - 1) + Math.trunc(taps / 2);
  return { sumMayWrap: bound > 2 ** 31 - 1, sumBound: `${taps} taps x 2^${bits - 1} + ${Math.trunc(taps / 2)} = ${bound}` };
}

/** MAX_POOL_2D's reduction, starting from the type's lowest value. */
export function maxOfTaps(lowest: number): (taps: readonly number[]) => number {
  return (taps) => taps.reduce((m, v) => Math.max(m, v), lowest);
}

export function poolTaps(graph: Graph, op: Op): number {
  const p = preparePool(graph, op);
  let taps = 0;
  for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) taps += poolWindow(p, oy, ox).count;
  return taps * p.batches * p.depth;
}

/** The template view both pool kernels render from (every number baked into the C). */
export function poolView(p: PoolParams, fnName: string, input: string, output: string, kind: string, macs: number) {
  return {
    fnName,
    kind,
    input,
    output,
    macs,
    ...p,
    inRowStride: p.inW * p.depth,
    inImageStride: p.inH * p.inW * p.depth,
  };
}
