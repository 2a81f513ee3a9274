// SPDX-License-Identifier: Apache-2.0
/**
 * Near-constant output channels, given requantization records a fast kernel can run.
 *
 * Trained and pruned models carry channels whose weights are all or nearly all zero: the converter
 * quantizes their vanishing filter scale to a bias of about +-2^30 under a right shift of 26-30
 * (MLPerf Tiny's VWW has 194 such channels over four 1x1 layers, and three depthwise layers more).
 * Their accumulators sit in a window a few hundred wide around +-2^30, past the SMMLAR
 * requantization's bound, so one such channel would send its whole layer to TFLite Micro's exact
 * 64-bit steps (VWW's 1x1 layers at 1.5-1.8 cycles a MAC on the M4 instead of 1.05).
 *
 * Over that window TFLite Micro's output (MultiplyByQuantizedMultiplier, the zero point, the clamp) is
 * a non-decreasing step function of the accumulator; where it takes one value, or two neighbours, the
 * channel gets a start value, the multiplier 2^30 and a small right shift e instead, whose own step
 * function over the same window has the same value, or the same step at the same accumulator. Both
 * being monotone, equal values at the window's ends and either side of the step prove them equal on
 * the whole window: each replacement is checked so before it is used, and the kernel's own bound
 * check (`fits`) must hold for the new records. The weights are untouched: every input still moves
 * the accumulator as in TFLite Micro, only inside a window that maps to the same outputs.
 */
import type { ChannelMultipliers } from '../families/weighted.ts';
import { clamp, mbqm } from './fixedpoint.ts';

/** The channel's accumulator window: bias plus the least and the most sum w * (x + offset) over int8 x. */
function window(weights: ArrayLike<number>, base: number, rowLength: number, inputOffset: number, start: number): [number, number] {
  const lo = -128 + inputOffset;
  const hi = 127 + inputOffset;
  let min = start;
  let max = start;
  for (let k = 0; k < rowLength; k++) {
    const w = weights[base + k]!;
    min += Math.min(w * lo, w * hi);
    max += Math.max(w * lo, w * hi);
  }
  return [min, max];
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** the replacement's multiplier: one half, normalized */
const HALF = 2 ** 30;

/** The smallest accumulator in [from, to] whose output `out` reaches `value` (out non-decreasing, out(to) >= value). */
function firstReaching(out: (acc: number) => number, from: number, to: number, value: number): number {
  let [a, b] = [from, to];
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    if (out(mid) >= value) b = mid;
    else a = mid + 1;
  }
  return a;
}

/** One channel's outputs over accumulators [min, max]: `low` below `step` and `high` from it (step undefined: `low` throughout). */
interface TwoValuedChannel {
  min: number;
  max: number;
  low: number;
  high: number;
  step: number | undefined;
}

/** Whether the kernel's fast requantization holds for accumulators up to `bound` in magnitude under these records. */
type Fits = (bound: number, multiplier: number, shift: number) => boolean;

/**
 * The replacement for one two-valued channel, or undefined if no right shift (2 to 30) gives one that
 * `fits` admits.
 */
function replacement(channel: TwoValuedChannel, outputZeroPoint: number, fits: Fits): { start: number; shift: number } | undefined {
  const { min, max, low, high, step } = channel;
  const width = max - min;
  for (let e = 2; e <= 30; e++) {
    // one output value spans 2^(e+1) accumulators: the window must hold at most one step
    if (2 ** (e + 1) <= width + 1) continue;
    const g = (acc: number) => mbqm(acc, HALF, -e) + outputZeroPoint;
    // the new accumulator = old + offset; choose it so that the step (or the window's middle) lands right
    const centre = (low - outputZeroPoint) * 2 ** (e + 1);
    let offset: number;
    if (step === undefined) offset = centre - Math.round((min + max) / 2);
    else offset = firstReaching(g, centre, centre + 2 ** (e + 1), high) - step;
    const checks: [number, number][] =
      step === undefined
        ? [
            [min, low],
            [max, low],
          ]
        : [
            [min, low],
            [step - 1, low],
            [step, high],
            [max, high],
          ];
    if (!checks.every(([acc, value]) => g(acc + offset) === value)) continue;
    const bound = Math.max(Math.abs(min + offset), Math.abs(max + offset));
    if (!fits(bound, HALF, -e)) continue;
    return { start: offset, shift: -e };
  }
  return undefined;
}

/** The layer settleChannels reads: its records and what they requantize between. */
export interface SettledLayer extends ChannelMultipliers {
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

/** A layer's weights as rows of one output channel each, and the model's bias (absent: 0). */
export interface WeightRows {
  /** `rows` rows of `rowLength` weights */
  weights: ArrayLike<number>;
  rows: number;
  rowLength: number;
  bias: ArrayLike<number> | undefined;
}

/**
 * The layer's bias and multipliers with every channel `fits` refuses replaced where its outputs take
 * at most two neighbouring values (module comment), or undefined where no channel needs it or one
 * that does cannot be (the layer keeps its records). The records' accumulator is
 * bias + sum w * (x + inputOffset).
 */
export function settleChannels(weightRows: WeightRows, m: SettledLayer, fits: Fits): { bias: Int32Array; m: ChannelMultipliers; settled: number } | undefined {
  const { weights, rows, rowLength, bias } = weightRows;
  const { inputOffset, outputZeroPoint, actMin, actMax } = m;
  if (m.ortScale) return undefined;
  const newBias = Int32Array.from({ length: rows }, (_, c) => (bias ? bias[c]! : 0));
  const multiplier = [...m.multiplier];
  const shift = [...m.shift];
  let settled = 0;
  for (let c = 0; c < rows; c++) {
    const [min, max] = window(weights, c * rowLength, rowLength, inputOffset, newBias[c]!);
    if (fits(Math.max(Math.abs(min), Math.abs(max)), m.multiplier[c]!, m.shift[c]!)) continue;
    // a left shift wraps the accumulator; a window past int32 wraps in TFLite Micro too
    if (m.shift[c]! > 0 || m.multiplier[c]! < 0 || min < INT32_MIN || max > INT32_MAX) return undefined;
    const out = (acc: number) => clamp(mbqm(acc, m.multiplier[c]!, m.shift[c]!) + outputZeroPoint, actMin, actMax);
    const low = out(min);
    const high = out(max);
    if (high - low > 1) return undefined;
    const step = high === low ? undefined : firstReaching(out, min, max, high);
    const r = replacement({ min, max, low, high, step }, outputZeroPoint, fits);
    if (!r) return undefined;
    newBias[c] = newBias[c]! + r.start;
    multiplier[c] = HALF;
    shift[c] = r.shift;
    settled++;
  }
  return settled === 0 ? undefined : { bias: newBias, m: { multiplier, shift }, settled };
}
