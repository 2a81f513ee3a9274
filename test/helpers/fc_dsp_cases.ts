// SPDX-License-Identifier: Apache-2.0
/**
 * The generated FULLY_CONNECTED layers the Arm DSP row-block kernels' tests share (dsp_pairs6,
 * dsp_pairs8, dsp_pairsb): weights of the kinds that stress the stored pairs, a layer around them whose
 * output scale keeps typical sums inside int8, and the variant the DSP selection picks for it.
 */
import fc from '../../src/ops/fully_connected/index.ts';
import type { FullyConnectedParams } from '../../src/ops/fully_connected/index.ts';
import { selectVariant } from '../../src/ops/variant.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { randomInt, randomInt8, singleOpGraph } from './op_harness.ts';

export const DSP = { dsp: true };
export const ACTIVATIONS = ['NONE', 'RELU', 'RELU6'] as const;

/**
 * Weights of one kind: 0 TFLite's symmetric range, 1 only +-127, 2 the largest second-row products
 * (r = 127 over s = -128, which still fits), 3 full range with -128 (a misfit, s = -128 under a
 * negative r, is then likely: those layers keep the four-row kernel).
 */
export function weightsOf(rand: () => number, n: number, kind: number, rowLength: number): Int8Array {
  if (kind === 1) return Int8Array.from({ length: n }, () => (rand() < 0.5 ? -127 : 127));
  if (kind === 2) return Int8Array.from({ length: n }, (_, i) => (Math.floor(i / rowLength) % 2 ? -128 : 127));
  if (kind === 3) return randomInt8(rand, n, -128, 127);
  return randomInt8(rand, n, -127, 127);
}

/** One layer, its output scale keeping typical sums (`extreme`: all products +-2^14 of one sign) inside int8. */
export function fcGraph(inF: number, out: number, batches: number, weights: Int8Array, rand: () => number, inZp: number, extreme: boolean) {
  const perChannel = rand() < 0.5;
  const wScale = perChannel ? Array.from({ length: out }, () => 0.004 + rand() * 0.002) : 0.004 + rand() * 0.002;
  const accumulator = extreme ? inF * 16384 : Math.sqrt(inF) * 128 * 73;
  const bias = rand() < 0.7;
  return singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [batches, inF], scale: 0.05, zeroPoint: inZp },
      { shape: [out, inF], scale: wScale, data: weights },
      bias ? { shape: [out], dtype: 'int32', data: Int32Array.from({ length: out }, () => randomInt(rand, -100000, 100000)) } : null,
    ],
    [{ shape: [batches, out], scale: (0.05 * 0.005 * accumulator) / (60 + rand() * 60), zeroPoint: randomInt(rand, -30, 30) }],
    { activation: ACTIVATIONS[randomInt(rand, 0, 2)]!, keepNumDims: false },
  );
}

export const variantOf = (graph: Graph, op: Graph['ops'][number]) => selectVariant(fc, fc.prepare(graph, op) as FullyConnectedParams, DSP).name;
