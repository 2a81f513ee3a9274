// SPDX-License-Identifier: Apache-2.0
/**
 * How far a compiled model's outputs are from its original's on the same inputs (`validate
 * --original`): per output, the root mean square and mean absolute error, the L2 relative error
 * ||a - b|| / ||b|| and the cosine similarity of the compiled model's values a with the original's b,
 * all over every element of every input; for a classifier, the accuracy of each against the true
 * classes and a confusion matrix of the compiled model's top-1 against the truth (or against the
 * original's top-1 when there is no truth).
 */
import { argmax } from '../data/labels.ts';

export interface OutputAgreement {
  /** position among the model's outputs */
  output: number;
  name: string;
  /** elements per input */
  elements: number;
  rmse: number;
  mae: number;
  /** ||a - b|| / ||b||: a the compiled model's values, b the original's (Infinity when b is all zeros and a is not) */
  l2Relative: number;
  /** a·b / (||a|| ||b||); 1 when both are all zeros, 0 when one is */
  cosine: number;
}

export interface ClassAgreement {
  /** classes: the first output's elements */
  count: number;
  /** their names (`--labels`), or null */
  labels: string[] | null;
  /** what the confusion matrix's rows are: the true classes, or the original model's top-1 */
  rows: 'truth' | 'original';
  /** share of inputs whose top-1 is the true class: null without true classes */
  accuracy: { compiled: number; original: number } | null;
  /** share of inputs where the compiled model's top-1 is the original's */
  agreement: number;
  /** matrix[row][column]: inputs of class `row` (truth or the original's top-1) the compiled model put in `column` */
  confusion: number[][];
}

/** The four distance figures of two equally long lists of values (a: compiled, b: original). */
export function outputDistances(a: ArrayLike<number>, b: ArrayLike<number>): Pick<OutputAgreement, 'rmse' | 'mae' | 'l2Relative' | 'cosine'> {
  if (a.length !== b.length) throw new Error(`internal: ${a.length} values against ${b.length}`);
  let squares = 0;
  let absolute = 0;
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    squares += (x - y) ** 2;
    absolute += Math.abs(x - y);
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  const n = Math.max(1, a.length);
  const l2Relative = bb > 0 ? Math.sqrt(squares) / Math.sqrt(bb) : squares > 0 ? Infinity : 0;
  const cosine = aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : aa === 0 && bb === 0 ? 1 : 0;
  return { rmse: Math.sqrt(squares / n), mae: absolute / n, l2Relative, cosine };
}

/**
 * The classes figures from each input's first-output values (compiled and original, `count`
 * values an input) and the true classes when there are (one per input).
 */
export function classAgreement(
  compiled: readonly ArrayLike<number>[],
  original: readonly ArrayLike<number>[],
  count: number,
  truth: ArrayLike<number> | null,
  labels: string[] | null,
): ClassAgreement {
  const compiledTop = compiled.map((v) => argmax(v));
  const originalTop = original.map((v) => argmax(v));
  const rows = truth ? Array.from(truth) : originalTop;
  const confusion = Array.from({ length: count }, () => new Array<number>(count).fill(0));
  rows.forEach((row, i) => {
    if (row >= 0 && row < count) confusion[row]![compiledTop[i]!]!++;
  });
  const share = (hits: number) => hits / Math.max(1, compiled.length);
  const hits = (top: number[]) => top.filter((c, i) => c === rows[i]).length;
  return {
    count,
    labels,
    rows: truth ? 'truth' : 'original',
    accuracy: truth ? { compiled: share(hits(compiledTop)), original: share(hits(originalTop)) } : null,
    agreement: share(compiledTop.filter((c, i) => c === originalTop[i]).length),
    confusion,
  };
}
