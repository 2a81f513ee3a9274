// SPDX-License-Identifier: Apache-2.0
/**
 * Random draws at the extremes for op tests and fuzz generators: quantizations with zero points at
 * the int8 ends and scales over decades, int8 data that is sometimes constant at an end, shapes with
 * the channel counts kernels special-case (1, 2, 3, 5, 7, 12, 17) and 1x1 images, broadcasting pairs
 * and reductions (shape, axes, keep_dims).
 */
import type { Q } from './op_checks.ts';
import { type CCase, singleOpGraph } from './op_harness.ts';
import type { FusedActivation } from '../../src/core/ir/graph.ts';
import type { KernelIsa, OpDef } from '../../src/core/ops/op.ts';
import { CHANNELS, count, int as randInt, pick, reducedShape } from '../fuzz/draw.ts';

export { CHANNELS, pick, randInt };

/**
 * A per-tensor quantization: zero point -128 or 127 a quarter of the time each, else any; scale
 * e^[minLog, maxLog], now and then an exact power of two (where rounding ties are most common).
 */
export function extremeQ(rand: () => number, minLog = -8, maxLog = 2): Q {
  const r = rand();
  const zeroPoint = r < 0.25 ? -128 : r < 0.5 ? 127 : randInt(rand, -128, 127);
  const log = minLog + rand() * (maxLog - minLog);
  const scale = rand() < 0.15 ? 2 ** Math.round(log / Math.LN2) : Math.exp(log);
  return { scale, zeroPoint };
}

/** n int8 values: all -128, all 127, all `zero` (the zero point), a narrow band around it, or uniform. */
export function extremeInt8(rand: () => number, n: number, zero = 0): Int8Array {
  const r = rand();
  if (r < 0.08) return new Int8Array(n).fill(-128);
  if (r < 0.16) return new Int8Array(n).fill(127);
  if (r < 0.22) return new Int8Array(n).fill(zero);
  if (r < 0.35) return Int8Array.from({ length: n }, () => Math.max(-128, Math.min(127, zero + randInt(rand, -3, 3))));
  return Int8Array.from({ length: n }, () => randInt(rand, -128, 127));
}

/** A random activation shape: rank 1..5 (NHWC-like at rank 4, 1x1 images included), under `maxElements`. */
export function randomShape(rand: () => number, maxElements = 1024): number[] {
  for (;;) {
    const rank = pick(rand, [1, 2, 3, 4, 4, 4, 5]);
    const c = pick(rand, CHANNELS);
    let shape: number[];
    if (rank === 4) {
      const hw = pick(rand, [1, 1, 2, 3, 5, 7]);
      shape = [pick(rand, [1, 1, 1, 2]), hw, rand() < 0.5 ? hw : pick(rand, [1, 2, 3, 5, 7]), c];
    } else {
      shape = Array.from({ length: rank - 1 }, () => pick(rand, [1, 2, 3, 4, 5])).concat(c);
    }
    if (count(shape) <= maxElements) return shape;
  }
}

/**
 * Two input shapes and the output shape of a broadcasting binary op: equal shapes, a per-channel
 * vector, a scalar on either side, or size-1 dimensions on both sides (ranks may differ).
 */
export function randomBroadcast(rand: () => number, maxElements = 1024): { a: number[]; b: number[]; out: number[] } {
  const out = randomShape(rand, maxElements);
  const mode = rand();
  let a = [...out];
  let b = [...out];
  if (mode < 0.3) {
    // equal
  } else if (mode < 0.45) {
    b = [out[out.length - 1]!];
  } else if (mode < 0.55) {
    b = [1];
  } else if (mode < 0.6) {
    a = [1];
  } else {
    // each dimension kept on one side, 1 on the other, or on both; b may lose leading dimensions
    a = out.map((d) => (rand() < 0.3 ? 1 : d));
    b = out.map((d, i) => (a[i] === 1 || rand() < 0.6 ? d : 1));
    const drop = randInt(rand, 0, Math.max(0, out.length - 1));
    if (b.slice(0, drop).every((d) => d === 1)) b = b.slice(drop);
  }
  if (rand() < 0.5) [a, b] = [b, a];
  return { a, b, out };
}

/** A reduction: input shape, axes (some negative, sometimes repeated), keep_dims, and the output shape. */
export function randomReduction(rand: () => number, maxElements = 2048): { in: number[]; axes: number[]; keepDims: boolean; out: number[] } {
  const mode = rand();
  let shape: number[];
  let axes: number[];
  if (mode < 0.35) {
    // global pooling over H and W, the MobileNet case
    const h = pick(rand, [1, 2, 3, 5, 7, 14]);
    shape = [pick(rand, [1, 1, 2]), h, rand() < 0.7 ? h : pick(rand, [1, 3, 5]), pick(rand, CHANNELS)];
    while (count(shape) > maxElements) shape[1] = Math.max(1, shape[1]! >> 1);
    axes = rand() < 0.5 ? [1, 2] : [2, 1];
  } else {
    shape = randomShape(rand, maxElements);
    const rank = shape.length;
    const chosen = Array.from({ length: rank }, (_, i) => i).filter(() => rand() < 0.45);
    if (chosen.length === 0) chosen.push(randInt(rand, 0, rank - 1));
    axes = chosen.map((a) => (rand() < 0.3 ? a - rank : a));
    if (rand() < 0.1) axes.push(axes[0]!);
  }
  const keepDims = rand() < 0.5;
  return { in: shape, axes, keepDims, out: reducedShape(shape, axes, keepDims) };
}

const BROADCAST_ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/**
 * Up to `tries` single-op cases of a broadcasting binary op (MUL, ADD, ...) for `isa`: random
 * broadcast shapes, quantizations at the extremes (scales e^[-6, 0]), every fused activation in turn
 * and extreme data; draws the op's check refuses are skipped.
 */
export function randomBroadcastCases(def: OpDef, rand: () => number, tries: number, isa?: KernelIsa): CCase[] {
  const cases: CCase[] = [];
  for (let k = 0; k < tries; k++) {
    const { a, b, out } = randomBroadcast(rand);
    const [qa, qb, qo] = [extremeQ(rand, -6, 0), extremeQ(rand, -6, 0), extremeQ(rand, -6, 0)];
    const inputs = [
      { shape: a, ...qa },
      { shape: b, ...qb },
    ];
    const { graph, op } = singleOpGraph(def.kind, inputs, [{ shape: out, ...qo }], { activation: BROADCAST_ACTIVATIONS[k % 4] });
    try {
      def.check(graph, op);
    } catch {
      continue;
    }
    cases.push({ def, graph, op, inputs: [extremeInt8(rand, count(a), qa.zeroPoint), extremeInt8(rand, count(b), qb.zeroPoint)], isa });
  }
  return cases;
}
