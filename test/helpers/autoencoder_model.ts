// SPDX-License-Identifier: Apache-2.0
/**
 * The MLPerf Tiny anomaly-detection autoencoder's shape, built in code with random int8 weights:
 * FULLY_CONNECTED 640 -> 128 -> 128 -> 128 -> 128 -> 8 -> 128 -> 128 -> 128 -> 128 -> 640, RELU on
 * every layer but the bottleneck and the reconstruction. Weights per tensor, as TFLite's converter
 * writes FC layers; output scales chosen so each layer's int8 outputs spread over most of the range.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from './graph_builder.ts';
import { randomInt, randomInt8, rng } from './op_harness.ts';

export function fcAutoencoder(options: { seed?: number; name?: string; widths?: number[] } = {}): Graph {
  const widths = options.widths ?? [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640];
  const rand = rng(options.seed ?? 640);
  const b = new GraphBuilder(options.name ?? 'fc_autoencoder');
  let scale = 0.05;
  let x = b.input({ shape: [1, widths[0]!], q: { scale, zeroPoint: 0 }, name: 'features' });
  for (let i = 1; i < widths.length; i++) {
    const inF = widths[i - 1]!;
    const outF = widths[i]!;
    const wScale = 0.004;
    // an accumulator of inF products of int8 weights and inputs spread ~40, over a few standard deviations
    const outScale = (scale * wScale * Math.sqrt(inF) * 73 * 40) / 60;
    const relu = i !== widths.length - 1 && outF !== Math.min(...widths);
    const w = b.constant({ shape: [outF, inF], q: { scale: wScale, zeroPoint: 0 } }, randomInt8(rand, outF * inF, -127, 127));
    const bias = b.constant(
      { shape: [outF], dtype: 'int32' },
      Int32Array.from({ length: outF }, () => randomInt(rand, -3000, 3000)),
    );
    x = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [1, outF], q: { scale: outScale, zeroPoint: relu ? -128 : randomInt(rand, -8, 8) }, name: `fc${i}` }], {
      activation: relu ? 'RELU' : 'NONE',
      keepNumDims: false,
    })[0]!;
    scale = outScale;
  }
  b.output(x);
  return b.build();
}
