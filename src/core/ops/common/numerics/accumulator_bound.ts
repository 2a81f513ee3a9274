// SPDX-License-Identifier: Apache-2.0
/**
 * Compile-time bounds on the accumulators of the generated C: no signed overflow, by construction.
 *
 * Every int32 (and int64) accumulator a kernel declares either cannot overflow, proved here from the
 * layer's shapes, its constant weights (or their dtype's range), its zero points and the input dtype's
 * range, the bound said in a comment in the emitted C; or it may, and the kernel sums in uint32_t,
 * whose wrap is defined, and reads the result back as int32_t (two's complement), which is TFLite
 * Micro's int32 result wherever its own accumulator wraps (gcc and clang wrap it in practice; in C it is
 * undefined). Integer addition modulo 2^32 is associative, so a kernel that folds the input offset
 * into its start values, or sums in another order, wraps to the same int32 as TFLite Micro's order.
 * The TS references wrap the same way (`wrapInt32`, `| 0`, `Math.imul`).
 *
 * The bounds hold for every partial sum in any order, with the start value (bias, or folded start)
 * added first or last: |start| + max(sum of the negative ends, sum of the positive ends).
 */

import type { Tensor } from '../../../ir/graph.ts';
import { fromBytes } from '../../../ir/buffers.ts';

/** The largest int32. */
export const ACC32_LIMIT = 2 ** 31 - 1;
/** TFLite Micro's 64-bit requantization takes |acc| < 2^47 (validate.ts refuses biases past it). */
export const ACC64_LIMIT = 2 ** 47;

/** The values an input of `dtype` can take. */
export function dtypeRange(dtype: 'int8' | 'int16' | 'uint8'): readonly [number, number] {
  return dtype === 'int8' ? [-128, 127] : dtype === 'int16' ? [-32768, 32767] : [0, 255];
}

export interface DotOperands {
  /** the constant weights, `rows` rows of `rowLength` each */
  weights: ArrayLike<number>;
  rows: number;
  rowLength: number;
  /** 'rows': row r is weights[r*rowLength ..]; 'columns': element k of row r is weights[k*rows + r] (depthwise [1,H,W,C]) */
  layout?: 'rows' | 'columns';
  /** the inputs' range (their dtype's, unless known narrower) */
  inputRange: readonly [number, number];
  /** added to every input before the multiply (-z_in), 0 when the kernel multiplies raw inputs */
  inputOffset?: number;
  /** added to every weight before the multiply (-z_w of legacy per-tensor weights) */
  weightOffset?: number;
  /** each row's start value (bias, or a folded start), when there is one */
  start?: ArrayLike<number | bigint>;
}

/**
 * The largest |partial sum| of any row of sum_k (w_k + weightOffset)·(x_k + inputOffset) + start,
 * over every input in range, in any order of summation (a padded tap skipped is a subset: within it).
 */
export function dotProductBound(o: DotOperands): number {
  const lo = o.inputRange[0] + (o.inputOffset ?? 0);
  const hi = o.inputRange[1] + (o.inputOffset ?? 0);
  const wo = o.weightOffset ?? 0;
  const columns = o.layout === 'columns';
  let bound = 0;
  for (let r = 0; r < o.rows; r++) {
    let neg = 0;
    let pos = 0;
    for (let k = 0; k < o.rowLength; k++) {
      const w = o.weights[columns ? k * o.rows + r : r * o.rowLength + k]! + wo;
      const a = w * lo;
      const b = w * hi;
      neg += Math.min(a, b, 0);
      pos += Math.max(a, b, 0);
    }
    const start = o.start ? Math.abs(Number(o.start[r]!)) : 0;
    bound = Math.max(bound, start + Math.max(-neg, pos));
  }
  return bound;
}

/** The bound of rows whose weights are not constant: `terms` products of values within the two ranges. */
export function rangeProductBound(terms: number, a: readonly [number, number], b: readonly [number, number], start = 0): number {
  const ends = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]].map(Math.abs);
  return Math.abs(start) + terms * Math.max(...ends);
}

/** The bound of a sum of `terms` values each of magnitude at most `maxAbs`, plus a start. */
export function sumBound(terms: number, maxAbs: number, start = 0): number {
  return Math.abs(start) + terms * maxAbs;
}

/** What a template needs of one accumulator: whether it may wrap, and the bound in words for its comment. */
export interface AccumulatorView {
  /** the bound can pass the accumulator's type: the kernel sums in uint32_t and wraps as TFLite Micro */
  accWraps: boolean;
  /** `|acc| <= 3264000000`, with how it was reached */
  accBound: string;
}

/** The template view of an int32 accumulator bounded by `bound` (`how`: the terms, for the comment). */
export function int32Accumulator(bound: number, how: string): AccumulatorView {
  return { accWraps: bound > ACC32_LIMIT, accBound: `${how} <= ${bound}` };
}

/** The comment line a template puts above an accumulator of the view. */
export function accumulatorComment(v: AccumulatorView): string {
  return v.accWraps
    ? `/* ${v.accBound}, past 2^31: summed in uint32_t, whose wrap is defined, and read back as int32_t (two's complement), as TFLite Micro's int32 accumulator wraps */`
    : `/* ${v.accBound} < 2^31: no overflow */`;
}

/**
 * The bound of a weighted layer's int32 accumulator (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
 * TRANSPOSE_CONV) in both forms its kernels sum in: TFLite Micro's, bias + sum w·(x + off), and the
 * folded one, (b + off·sum w, wrapped to int32 at compile time) + sum w·x. `slack`: added to the folded
 * form's bound (a run-time correction of the starts, FULLY_CONNECTED's weight zero point).
 */
export function weightedAccumulator(o: Omit<DotOperands, 'start'> & { bias?: ArrayLike<number>; slack?: number }): AccumulatorView {
  const tflm = dotProductBound({ ...o, start: o.bias });
  const off = o.inputOffset ?? 0;
  const columns = o.layout === 'columns';
  const starts = new Float64Array(o.rows);
  for (let r = 0; r < o.rows; r++) {
    let sum = 0;
    for (let k = 0; k < o.rowLength; k++) sum += o.weights[columns ? k * o.rows + r : r * o.rowLength + k]!;
    starts[r] = (sum * off + (o.bias ? o.bias[r]! : 0)) | 0;
  }
  // the folded kernels multiply the raw weights (a weight offset is the slack's run-time correction)
  const folded = dotProductBound({ ...o, inputOffset: 0, weightOffset: 0, start: starts }) + (o.slack ?? 0);
  return int32Accumulator(
    Math.max(tflm, folded),
    tflm >= folded ? (o.weightOffset ? '|bias| + sum |(w - z_w)(x - z_in)|' : '|bias| + sum |w (x - z_in)|') : '|folded start| + sum |w x|',
  );
}

/** What a template writes for an accumulator of the view: its comment, type, the cast of each term, and its int32 value. */
export interface AccumulatorC {
  accComment: string;
  accType: 'int32_t' | 'uint32_t';
  /** '' or '(uint32_t)', before a parenthesised term */
  accCast: string;
  /** the accumulator as an int32 expression: `acc` or `(int32_t)acc` */
  accValue: string;
}

export function accumulatorC(v: AccumulatorView): AccumulatorC {
  return v.accWraps
    ? { accComment: accumulatorComment(v), accType: 'uint32_t', accCast: '(uint32_t)', accValue: '(int32_t)acc' }
    : { accComment: accumulatorComment(v), accType: 'int32_t', accCast: '', accValue: 'acc' };
}

/**
 * The bound of a 16x8 layer's accumulator (int16 inputs, zero point 0, symmetric int8 weights):
 * |bias| + sum |w|·32768 per row. The int64 accumulators stay below ACC64_LIMIT, the range TFLite
 * Micro's 64-bit requantization takes: validate.ts refuses a layer whose bound reaches it.
 */
export function int16WeightedBound(o: {
  weights: ArrayLike<number>;
  rows: number;
  rowLength: number;
  layout?: 'rows' | 'columns';
  bias?: ArrayLike<number | bigint>;
}): number {
  return dotProductBound({ ...o, inputRange: dtypeRange('int16'), start: o.bias });
}

/** The comment above a 16x8 layer's int64 accumulator bounded by `bound`. */
export function int64AccumulatorComment(bound: number): string {
  return bound < ACC64_LIMIT
    ? `/* |bias| + sum |w x| <= ${bound} < 2^47: no int64 overflow, within TFLite Micro's 64-bit requantization */`
    : `/* |bias| + sum |w x| <= ${bound}: past the 2^47 TFLite Micro's 64-bit requantization takes (validate.ts refuses such a model) */`;
}

/** A constant bias's values, whatever its integer type (undefined without one, or without data). */
export function constBias(t: Tensor | undefined): ArrayLike<number | bigint> | undefined {
  return t?.data ? (fromBytes(t.dtype, t.data) as ArrayLike<number | bigint>) : undefined;
}

/** The largest term of SOFTMAX / LOG_SOFTMAX int8's Q12.19 sum of exponentials: exp(0) = 2^31 - 1 in Q0.31, rounded >> 12. */
export const SOFTMAX_EXP_TERM = 2 ** 19;

/** The comment on SOFTMAX int8's Q12.19 sum of `depth` exponentials (summed with tf_add_wrap, whose wrap is defined). */
export function softmaxSumComment(depth: number): string {
  const bound = sumBound(depth, SOFTMAX_EXP_TERM);
  return bound <= ACC32_LIMIT
    ? `sum <= ${depth} x 2^19 = ${bound} < 2^31: no wrap`
    : `sum up to ${depth} x 2^19 = ${bound}, past 2^31: tf_add_wrap wraps (defined) as TFLite Micro's int32 sum`;
}
