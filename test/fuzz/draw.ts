// SPDX-License-Identifier: Apache-2.0
/**
 * Random draws shared by the fuzz generators, weighted towards the edges kernels get wrong: channel
 * counts that are not multiples of the unroll (1, 2, 3, 5, 7, 12, 17), 1x1 and 1-pixel images, scales
 * over decades and zero points at both ends.
 */
import type { FusedActivation, Padding } from '../../src/core/ir/graph.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import type { Q } from '../helpers/graph_builder.ts';

export type Rand = () => number;

/** The channel counts kernels special-case: off the unroll, odd, one. */
export const CHANNELS = [1, 2, 3, 5, 7, 12, 17] as const;

/** Element count of a shape. */
export const count = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

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

/** Log-uniform in [lo, hi] (both positive). */
export function logUniform(rand: Rand, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));
}

/** An int8 zero point, at the extremes a fifth of the time. */
export function zeroPoint(rand: Rand): number {
  return chance(rand, 0.2) ? pick(rand, [-128, 127, 0]) : int(rand, -128, 127);
}

/** An int8 quantization: scale exp-uniform in [10^lo, 10^hi], zero point anywhere (extremes often). */
export function int8Q(rand: Rand, lo: number, hi: number): Q {
  return { scale: scale(rand, lo, hi), zeroPoint: zeroPoint(rand) };
}

/** An int16 activation quantization: symmetric (zero point 0), scale exp-uniform in [10^lo, 10^hi]. */
export function int16Q(rand: Rand, lo: number, hi: number): Q {
  return { scale: scale(rand, lo, hi), zeroPoint: 0 };
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

/** A random permutation of `items` (Fisher-Yates). */
export function shuffle<T>(rand: Rand, items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = int(rand, 0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Output size of a windowed op, or 0 when the window does not fit. */
export function windowOut(pad: Padding, size: number, k: number, stride: number, dilation = 1): number {
  return outputSize(pad, size, k, stride, dilation);
}

/** Output height and width of a 2-D windowed op (0 where the window does not fit). */
export function windowOut2d(
  pad: Padding,
  h: number,
  w: number,
  k: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number] = [1, 1],
): [number, number] {
  return [outputSize(pad, h, k[0], stride[0], dilation[0]), outputSize(pad, w, k[1], stride[1], dilation[1])];
}

/** The shape two operands broadcast to (numpy rules: right-aligned, size-1 dimensions stretch). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const ext = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const ea = ext(a),
    eb = ext(b);
  return ea.map((d, i) => Math.max(d, eb[i]!));
}

/** A reduction's output shape over `axes` (negative ones from the end), kept as 1s or dropped. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const rank = shape.length;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  return keepDims ? shape.map((d, i) => (reduced.has(i) ? 1 : d)) : shape.filter((_, i) => !reduced.has(i));
}
