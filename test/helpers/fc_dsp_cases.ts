// SPDX-License-Identifier: Apache-2.0
/**
 * The generated FULLY_CONNECTED layers the Arm DSP row-block kernels' tests share (dsp_row_pairs_x6,
 * dsp_row_pairs_x8, dsp_batch_row_pairs): weights of the kinds that stress the stored pairs, a layer around them whose
 * output scale keeps typical sums inside int8, and the variant the DSP selection picks for it.
 */
import fc from '../../src/core/ops/fully_connected/index.ts';
import type { FullyConnectedParams } from '../../src/core/ops/fully_connected/index.ts';
import { selectVariant } from '../../src/core/ops/variant.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
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

/** One layer of fcLayersModel: `n` inputs, `rows`, weights of `kind` (weightsOf), `batches` rows of input. */
export interface FcLayerShape {
  n: number;
  rows: number;
  kind: number;
  batches?: number;
  /** an output zero point of -128 under shifts of -15: FAST's packed rounding word overflows, so the layer takes TFLM's exact 64-bit requantization */
  exact?: boolean;
  /** the ACTIVATIONS index; drawn when absent */
  activation?: number;
  /** a bias of about +40 output steps on even rows and -40 on odd ones (kind 0): a kernel that mixed a row pair's starts would be off by a fraction of a step */
  spread?: boolean;
}

/**
 * A model of FULLY_CONNECTED layers, each over its own input (kind 0 with an input zero point, the
 * others at zero point 0 with output scales for their extreme sums): per-tensor or per-channel weight
 * scales, a bias now and then, the activation given or drawn.
 */
export function fcLayersModel(name: string, rand: () => number, layers: FcLayerShape[]): Graph {
  const b = new GraphBuilder(name);
  for (const { n, rows, kind, batches = 1, exact = false, activation, spread = false } of layers) {
    const perChannel = rand() < 0.5;
    const ws = perChannel ? Array.from({ length: rows }, () => 0.004 + rand() * 0.002) : [0.004 + rand() * 0.002];
    const accumulator = kind === 0 ? Math.sqrt(n) * 128 * 73 : n * 16384;
    const x = b.input({ shape: [batches, n], q: { scale: 0.05, zeroPoint: kind === 0 ? randomInt(rand, -20, 20) : 0 } });
    const w = b.constant({ shape: [rows, n], quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 0 } }, weightsOf(rand, rows * n, kind, n));
    const inputs = [x, w];
    if (!spread && rand() < 0.7)
      inputs.push(
        b.constant(
          { shape: [rows], dtype: 'int32' },
          Int32Array.from({ length: rows }, () => randomInt(rand, -5000, 5000)),
        ),
      );
    const steps = exact ? 0 : 60 + rand() * 60;
    if (spread)
      inputs.push(
        b.constant(
          { shape: [rows], dtype: 'int32' },
          Int32Array.from({ length: rows }, (_, r) => (r % 2 === 0 ? 1 : -1) * Math.round((40 * accumulator) / steps) + randomInt(rand, -5000, 5000)),
        ),
      );
    const scale = exact ? 0.05 * 0.006 * 2 ** 15 * 1.2 : (0.05 * 0.005 * accumulator) / steps;
    const zeroPoint = exact ? -128 : randomInt(rand, -30, 30);
    const [y] = b.op('FULLY_CONNECTED', inputs, [{ shape: [batches, rows], q: { scale, zeroPoint } }], {
      activation: ACTIVATIONS[activation ?? randomInt(rand, 0, 2)]!,
      keepNumDims: false,
    });
    b.output(y!);
  }
  return b.build();
}
