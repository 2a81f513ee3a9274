// SPDX-License-Identifier: Apache-2.0
/**
 * Honest training steps: fine-tuning can make a model worse on data it did not train on (too few
 * epochs after a hard truncation, a learning rate too high for the model), so every step that
 * fine-tunes (prune, structured, lowrank, qat, distill) measures its model before and after on the
 * held-out data and keeps the better one, and says which it kept. And a comparison of two models on
 * the same held-out samples says whether their difference is beyond noise (McNemar's test).
 */
import { type Metric, formatMetric, metricDrop } from './task.ts';

/** Which model a fine-tuning step kept, and the held-out figures it chose on. */
export interface FineTuneChoice {
  kept: 'before' | 'after';
  /** held-out figure of the model before fine-tuning (same compression: pruned, truncated, PTQ'd, ...) */
  before: Metric;
  /** held-out figure after fine-tuning */
  after: Metric;
}

/** After fine-tuning wins unless it is strictly worse on the held-out data than before. */
export function keepBetter(before: Metric, after: Metric): FineTuneChoice {
  return { kept: metricDrop(before, after) > 0 ? 'before' : 'after', before, after };
}

export function describeChoice(c: FineTuneChoice): string {
  return c.kept === 'after'
    ? `kept the fine-tuned model (held-out ${formatMetric(c.after)}, ${formatMetric(c.before)} before fine-tuning)`
    : `kept the model from before fine-tuning: fine-tuning made it worse on held-out data (${formatMetric(c.before)} -> ${formatMetric(c.after)})`;
}

export interface PairedComparison {
  /** samples only the first model gets right, and only the second */
  onlyFirst: number;
  onlySecond: number;
  /** McNemar's statistic with continuity correction, χ² with one degree of freedom */
  chiSquare: number;
  /** the difference is significant at the 5% level (χ² > 3.841) */
  significant: boolean;
}

/**
 * McNemar's test for two classifiers judged on the same samples: only the samples where they
 * disagree carry information; with b and c the two kinds of disagreement, (|b − c| − 1)² / (b + c)
 * is χ²(1) under "equally accurate". Exact enough from b + c ≈ 10; below that it rarely rejects.
 */
export function mcNemar(firstCorrect: ArrayLike<boolean>, secondCorrect: ArrayLike<boolean>): PairedComparison {
  let b = 0;
  let c = 0;
  for (let i = 0; i < firstCorrect.length; i++) {
    if (firstCorrect[i] && !secondCorrect[i]) b++;
    else if (!firstCorrect[i] && secondCorrect[i]) c++;
  }
  const chiSquare = b + c === 0 ? 0 : Math.max(0, Math.abs(b - c) - 1) ** 2 / (b + c);
  return { onlyFirst: b, onlySecond: c, chiSquare, significant: chiSquare > 3.841 };
}
