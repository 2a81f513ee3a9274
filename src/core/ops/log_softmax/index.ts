// SPDX-License-Identifier: Apache-2.0
/**
 * LOG_SOFTMAX, int8, over the last axis: TFLite Micro's reference LogSoftmaxQuantized. The output
 * quantization is fixed (scale 16/256, zero point 127: values in [-16, 0)). Per row: the maximum;
 * each difference d = x − max with d >= diff_min is scaled to Q5.26 (MBQM by s_in·2^26, beta 1),
 * exp'd (gemmlowp exp_on_negative_values) and summed in Q12.19; log(sum) in Q5.26 by TFLite's
 * log_x_for_x_greater_than_or_equal_to_1 (a rational approximation around sqrt(sqrt(1/2)) plus
 * the power of two times log 2); outputs with d above max(diff_min − 1, the reverse-scaled log of
 * the smallest representable value) are RDBPOT(d_q5 − log_sum, 22) + 127, clamped; the rest −128.
 *
 * TFLM detail kept: the first loop keeps d >= diff_min, the second d > adjusted_diff_min (strict).
 * (TFLM's LOG_SOFTMAX has no int16 kernel.)
 */
import { ACC32_LIMIT, SOFTMAX_EXP_TERM, softmaxSumComment, sumBound } from '../common/numerics/accumulator_bound.ts';
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { INT32_MAX, INT32_MIN, clamp, f32, mbqm, quantizeMultiplier, rdbpot, srdhm } from '../common/numerics/fixedpoint.ts';
import { add32, expOnNegativeValues, oneOverOnePlusXForXIn0To1, rescale, roundingHalfSum, srmulpot } from '../common/numerics/gemmlowp.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { logSoftmaxFloat } from './log_softmax_float.ts';

const INPUT_INTEGER_BITS = 5;
const ACCUMULATION_INTEGER_BITS = 12;
const OUTPUT_INTEGER_BITS = 4;
const OUTPUT_SCALE = 16 / 256;
const OUTPUT_ZERO_POINT = 127;

export interface LogSoftmaxParams {
  outer: number;
  depth: number;
  inputMultiplier: number;
  inputLeftShift: number;
  reverseScalingDivisor: number;
  /** a left shift, <= 0 */
  reverseScalingShift: number;
  diffMin: number;
}

/** TFLite's PreprocessLogSoftmaxScalingExp (beta 1) and CalculateInputRadius. */
export function logSoftmaxScaling(inputScale: number): Omit<LogSoftmaxParams, 'outer' | 'depth'> | undefined {
  const real = Math.min(f32(inputScale) * 2 ** (31 - INPUT_INTEGER_BITS), 2 ** 31 - 1);
  if (!(real > 1)) return undefined;
  const m = quantizeMultiplier(real);
  // TFLM computes 1 << (31 - left_shift) in int: left_shift 0 would overflow
  if (m.shift < 1) return undefined;
  const reverse = quantizeMultiplier(2 ** (31 - m.shift) / m.multiplier);
  if (reverse.shift > 0) return undefined;
  const radius = Math.floor(((2 ** INPUT_INTEGER_BITS - 1) * 2 ** (31 - INPUT_INTEGER_BITS)) / 2 ** m.shift);
  return {
    inputMultiplier: m.multiplier,
    inputLeftShift: m.shift,
    reverseScalingDivisor: reverse.multiplier,
    reverseScalingShift: reverse.shift,
    diffMin: -radius,
  };
}

const LOG_2 = 1488522236;
const SQRT_SQRT_HALF = 1805811301;
const SQRT_HALF = 1518500250;
const ONE_QUARTER = 536870912;
const ALPHA_N = 117049297;
const ALPHA_D = 127690142;
const ALPHA_I = 1057819769;
const ALPHA_F = 638450708;

const saturatingAdd = (a: number, b: number) => clamp(a + b, INT32_MIN, INT32_MAX);
const saturatingSub = (a: number, b: number) => clamp(a - b, INT32_MIN, INT32_MAX);

/**
 * TFLite's log_x_for_x_greater_than_or_equal_to_1<OutputIntegerBits = 5>(x) for x with
 * `inputIntegerBits` integer bits (raw int32 in, raw Q5.26 out).
 */
export function logXForXGreaterThanOrEqualTo1(x: number, inputIntegerBits: number, outputIntegerBits = INPUT_INTEGER_BITS): number {
  const accumBits = outputIntegerBits + 1;
  const shiftedQuarter = rescale(ONE_QUARTER, 0, accumBits);
  const zA = x;
  const zAHeadroomPlus1 = Math.clz32(zA);
  const rATmp = srmulpot(zA, zAHeadroomPlus1 - 1);
  const rARaw = srmulpot(srdhm(rATmp, SQRT_HALF), 1);
  const zAPow2Adj = saturatingAdd(srmulpot(inputIntegerBits - zAHeadroomPlus1, 31 - accumBits), shiftedQuarter);
  const zB = srdhm(zA, SQRT_HALF);
  const zBHeadroom = Math.clz32(zB) - 1;
  const rBRaw = srmulpot(zA, zBHeadroom);
  const zBPow2Adj = saturatingSub(srmulpot(inputIntegerBits - zBHeadroom, 31 - accumBits), shiftedQuarter);
  const r = Math.min(rARaw, rBRaw);
  const zPow2Adj = Math.max(zAPow2Adj, zBPow2Adj);
  const p = roundingHalfSum(r, SQRT_SQRT_HALF);
  let q = add32(r, -SQRT_SQRT_HALF);
  q = add32(q, q);
  const commonSq = srdhm(q, q);
  const num = add32(srdhm(q, r), srdhm(srdhm(q, commonSq), ALPHA_N));
  const denomMinusOne = add32(srdhm(p, add32(add32(ALPHA_I, q), srdhm(ALPHA_D, commonSq))), srdhm(ALPHA_F, q));
  const recipDenom = oneOverOnePlusXForXIn0To1(denomMinusOne);
  const numScaled = rescale(num, 0, accumBits);
  return rescale(add32(srdhm(zPow2Adj, LOG_2), srdhm(numScaled, recipDenom)), accumBits, outputIntegerBits);
}

/** One row, as TFLM computes it. */
export function logSoftmaxRow(p: LogSoftmaxParams, x: ArrayLike<number>, base: number, out: Int8Array): void {
  let max = -128;
  for (let c = 0; c < p.depth; c++) max = Math.max(max, x[base + c]!);
  let sum = 0;
  for (let c = 0; c < p.depth; c++) {
    const diff = x[base + c]! - max;
    if (diff >= p.diffMin) {
      const q5 = mbqm(diff, p.inputMultiplier, p.inputLeftShift);
      sum = add32(sum, rescale(expOnNegativeValues(q5, INPUT_INTEGER_BITS), 0, ACCUMULATION_INTEGER_BITS));
    }
  }
  const logSum = logXForXGreaterThanOrEqualTo1(sum, ACCUMULATION_INTEGER_BITS);
  const shiftedLogSum = add32(logSum, INT32_MIN);
  const adjustedDiffMin = Math.max(p.diffMin - 1, mbqm(shiftedLogSum, p.reverseScalingDivisor, p.reverseScalingShift));
  for (let c = 0; c < p.depth; c++) {
    const diff = x[base + c]! - max;
    if (diff > adjustedDiffMin) {
      const q5 = mbqm(diff, p.inputMultiplier, p.inputLeftShift);
      out[base + c] = clamp(rdbpot(add32(q5, -logSum), 31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS) + 127, -128, 127);
    } else {
      out[base + c] = -128;
    }
  }
}

function scalingOf(graph: Graph, op: Op) {
  return logSoftmaxScaling(graph.tensors[op.inputs[0]!]!.quant!.scale[0]!);
}

const logSoftmax: OpDef<LogSoftmaxParams> = {
  kind: 'LOG_SOFTMAX',
  dir: import.meta.dirname,

  check(graph, op) {
    const { input, output } = int8UnaryTensors(graph, op);
    if (input.shape.length < 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is a scalar; LOG_SOFTMAX needs at least one axis`);
    // the Q12.19 sum of exps (each <= 2^19) passes 2^31 from 4,096 equal values: TFLite Micro's int32
    // sum wraps negative and its log (for x >= 1) shifts by -1, undefined in C and in TFLite Micro
    const depth = input.shape[input.shape.length - 1]!;
    if (sumBound(depth, SOFTMAX_EXP_TERM) > ACC32_LIMIT)
      throw new OpError(
        op.index,
        op.kind,
        `rows of ${depth}: the Q12.19 sum of exps reaches ${depth} x 2^19, past 2^31, where TFLite Micro's LOG_SOFTMAX is undefined (at most 4,095)`,
      );
    if (f32(output.quant!.scale[0]!) !== OUTPUT_SCALE || output.quant!.zeroPoint[0] !== OUTPUT_ZERO_POINT) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(output)} has scale ${output.quant!.scale[0]}, zero point ${output.quant!.zeroPoint[0]}; TFLite requires scale 16/256 and zero point 127`,
      );
    }
    if (!scalingOf(graph, op))
      throw new OpError(
        op.index,
        op.kind,
        `input ${tensorLabel(input)} scale ${input.quant!.scale[0]} is too small (below 2^-25) for TFLite's log-softmax scaling`,
      );
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const depth = input.shape[input.shape.length - 1]!;
    return { outer: depth === 0 ? 0 : elementCount(input.shape) / depth, depth, ...scalingOf(graph, op)! };
  },

  macs(graph, op) {
    return elementCount(graph.tensors[op.inputs[0]!]!.shape);
  },

  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int8Array;
    const output = outputs[0] as Int8Array;
    for (let row = 0; row < p.outer; row++) logSoftmaxRow(p, input, row * p.depth, output);
  },

  emitC(p, ctx) {
    return ctx.render('log_softmax.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
      diffMinMinusOne: p.diffMin - 1,
      sumBound: softmaxSumComment(p.depth),
    });
  },
};

// float32: TFLite's reference LogSoftmax with libm's expf and logf (log_softmax_float.ts)
export default withFloatVariant(logSoftmax, logSoftmaxFloat);
