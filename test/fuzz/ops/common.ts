// SPDX-License-Identifier: Apache-2.0
/**
 * Graph-building pieces shared by the fuzz generators: one op whose outputs are the component's
 * outputs, symmetric int8 weights and int32 biases as converters write them.
 */
import type { OpAttrs } from '../../../src/core/ir/graph.ts';
import type { GraphBuilder, Spec } from '../../helpers/graph_builder.ts';
import { type Rand, chance, count, int, int32s, int8s, pick, scale } from '../draw.ts';

/** Adds op `kind` and makes all its outputs model outputs; returns them. */
export function emit(b: GraphBuilder, kind: string, inputs: number[], outputs: Spec[], attrs: OpAttrs = {}): number[] {
  const outs = b.op(kind, inputs, outputs, attrs);
  b.output(...outs);
  return outs;
}

/**
 * `n` weight values as compressed models carry them, a third of the time: pruned (most values
 * zero), 4-bit (within [-8, 7]), palettized (at most 2^b distinct values) or pruned and 4-bit, so
 * the compiler's sparse, sub-byte and look-up-table storages run in the campaign beside dense int8.
 */
function weightValues(rand: Rand, n: number, limit: number): Int8Array {
  const values = int8s(rand, n, -limit, limit);
  if (!chance(rand, 0.35)) return values;
  const form = pick(rand, ['sparse', 'int4', 'palette', 'sparse-int4'] as const);
  if (form === 'int4' || form === 'sparse-int4') {
    const lo = chance(rand, 0.5) ? -8 : -7;
    for (let i = 0; i < n; i++) values[i] = int(rand, lo, 7);
  }
  if (form === 'palette') {
    const palette = Array.from(int8s(rand, 2 ** int(rand, 1, 6), -limit, limit));
    for (let i = 0; i < n; i++) values[i] = pick(rand, palette);
  }
  if (form === 'sparse' || form === 'sparse-int4') {
    const zeros = pick(rand, [0.5, 0.7, 0.9, 0.97, 1]);
    for (let i = 0; i < n; i++) if (rand() < zeros) values[i] = 0;
  }
  return values;
}

/**
 * Constant symmetric int8 weights in [-limit, limit] (limit drawn from `limits`: full range or
 * narrow; see weightValues for the compressed forms), scales in [10^-3.5, 10^-1], per channel along `axis` (`channels` of them) or per tensor.
 */
export function int8Weights(
  b: GraphBuilder,
  rand: Rand,
  shape: number[],
  o: { perChannel: boolean; axis: number; channels: number; limits: readonly number[] },
): { index: number; scales: number[] } {
  const scales = o.perChannel ? Array.from({ length: o.channels }, () => scale(rand, -3.5, -1)) : [scale(rand, -3.5, -1)];
  const limit = pick(rand, o.limits);
  const index = b.constant({ shape, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: o.axis } }, weightValues(rand, count(shape), limit));
  return { index, scales };
}

/** A constant int32 bias for `n` outputs at s_in·s_w (per channel where the weights are), values within ±limit. */
export function int32Bias(b: GraphBuilder, rand: Rand, n: number, inScale: number, wScales: number[], limits: readonly number[]): number {
  const limit = pick(rand, limits);
  const scales = Array.from({ length: n }, (_, i) => inScale * (wScales.length > 1 ? wScales[i]! : wScales[0]!));
  return b.constant({ shape: [n], dtype: 'int32', quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } }, int32s(rand, n, -limit, limit));
}
