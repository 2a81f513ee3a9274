/**
 * Random draws shared by the fuzz generators, weighted towards the edges kernels get wrong: channel
 * counts that are not multiples of the unroll (1, 2, 3, 5, 7, 12, 17), 1x1 and 1-pixel images, scales
 * over decades and zero points at both ends.
 */
import type { FusedActivation, Padding } from '../../src/ir/graph.ts';
import { outputSize } from '../../src/ops/common/padding.ts';

export type Rand = () => number;

export function int(rand: Rand, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

export function chance(rand: Rand, p: number): boolean {
  return rand() < p;
}

/** A channel count: the edge counts most of the time, sometimes any up to 32. */
export function channels(rand: Rand, max = 32): number {
  const n = chance(rand, 0.7) ? pick(rand, [1, 2, 3, 4, 5, 7, 8, 12, 16, 17]) : int(rand, 1, max);
  return Math.min(n, max);
}

/** An image side: 1 often, else small. */
export function side(rand: Rand, max = 12): number {
  return Math.min(max, chance(rand, 0.2) ? 1 : int(rand, 1, max));
}

/** A positive scale spread over decades, exp-uniform in [10^lo, 10^hi]. */
export function scale(rand: Rand, lo = -4, hi = 0): number {
  return 10 ** (lo + rand() * (hi - lo));
}

/** An int8 zero point, at the extremes a fifth of the time. */
export function zeroPoint(rand: Rand): number {
  return chance(rand, 0.2) ? pick(rand, [-128, 127, 0]) : int(rand, -128, 127);
}

export function activation(rand: Rand, allowed: readonly FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']): FusedActivation {
  return pick(rand, allowed);
}

export function padding(rand: Rand): Padding {
  return chance(rand, 0.5) ? 'SAME' : 'VALID';
}

export function int8s(rand: Rand, n: number, lo = -128, hi = 127): Int8Array {
  return Int8Array.from({ length: n }, () => int(rand, lo, hi));
}

export function int32s(rand: Rand, n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => int(rand, lo, hi));
}

/** Output size of a windowed op, or 0 when the window does not fit. */
export function windowOut(pad: Padding, size: number, k: number, stride: number, dilation = 1): number {
  return outputSize(pad, size, k, stride, dilation);
}
