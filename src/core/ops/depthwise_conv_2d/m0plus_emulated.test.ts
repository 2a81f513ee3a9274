// SPDX-License-Identifier: Apache-2.0
/**
 * The Armv6-M variants of DEPTHWISE_CONV_2D on the emulated RP2040 (rp2040js), where
 * depthwise_conv_2d_m0plus.h's and .S's assembly runs (the host tests run its C twins): many layers in one model per
 * kernel, bit-exact with the TypeScript reference over every output byte.
 *
 * One input channel (tf_m0dw_single: groups of 8 channels, then a 4; out_c off multiples of 4 through
 * CONV_2D's packed im2col loop; generated layers with out_c 1..15 and left shifts): micro_speech's 10x8 stride-2
 * shape, windows cut at the top, bottom and sides (rows and columns skipped) and at corners (gathered),
 * odd and even run lengths, 1x1 windows, dilated rows and columns, batches, an output written over
 * its dead input; the same layers under --prefer size (no tap-pair table: tf_m0dw_row8). Depth multiplier 1 (tf_m0dw_mult1): 3x3 at strides 1 and 2, SAME and VALID, other
 * windows, dilations, batches, images with no inside pixel, 4 to 64 channels. In channels > 1 with a
 * multiplier of 4, and any other multiplier and channel count (tf_m0dw_multm): a
 * tf_m0dw_px4 pass per multiplier, windows gathered when the channels are not a multiple of 4. Every requantization path: no left shift (the assembly, shift 0 included),
 * multipliers above 1 (the C path), clamps, saturating accumulators, per-channel and per-tensor scales.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard, layersOverTheirInput } from '../../../../test/helpers/emulated_variants.ts';
import { type Layer, depthwiseModel } from '../../../../test/helpers/depthwise_models.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';

interface Model {
  graph: Graph;
  note: string;
  /** every one must occur in the generated model.c */
  kinds: RegExp[];
  /** layers meant to run the portable kernel (one input channel off multiples of 4) */
  portable?: number;
  /** at least one layer must be planned over its input */
  overlap: boolean;
  /** compiled under `--prefer size`; `absent`: none may occur then */
  prefer?: 'size';
  absent?: RegExp[];
}

const MODELS: Model[] = [
  {
    note: 'one input channel: 10x8 stride 2, groups of 8 and 4, cut windows, corners, odd runs, dilations, batches, overlap',
    graph: depthwiseModel(
      'm0_dw_single',
      [
        { name: 's', shape: [1, 11, 13, 1], zeroPoint: -3 },
        { name: 't', shape: [2, 5, 7, 1], zeroPoint: 40 },
        { name: 'm', shape: [1, 49, 40, 1], zeroPoint: -128 },
      ],
      [
        { from: 'm', mult: 8, k: [10, 8], stride: [2, 2], padding: 'SAME', perChannel: true }, // micro_speech's layer
        { from: 's', mult: 8, k: [10, 8], stride: [2, 2], padding: 'SAME', activation: 'RELU' }, // every window cut
        { from: 's', mult: 4, padding: 'SAME', activation: 'RELU', perChannel: true }, // one group of 4, runs of 3
        { from: 's', mult: 12, k: [5, 3], stride: [2, 2], padding: 'SAME', activation: 'RELU6', perChannel: true }, // 8 + 4
        { from: 's', mult: 8, k: [1, 1] }, // runs of 1
        { from: 's', mult: 8, k: [4, 5], stride: [1, 2], padding: 'SAME', gain: true, perChannel: true }, // C requantization
        { from: 's', mult: 16, dilation: [2, 1], padding: 'SAME', huge: true, activation: 'RELU', perChannel: true }, // dilated rows
        { from: 's', mult: 4, k: [2, 6], dilation: [1, 2], padding: 'SAME', perChannel: true }, // dilated columns: gathered
        { from: 's', mult: 8, k: [7, 7], perChannel: true }, // VALID: every window in place
        { from: 's', mult: 20, k: [9, 2], stride: [1, 3], activation: 'RELU' },
        // two batches of 35 pixels
        { from: 't', mult: 8, padding: 'SAME', huge: true },
        { from: 't', mult: 4, k: [5, 5], padding: 'SAME', perChannel: true }, // windows larger than the image
        // tap pairs over rows cut by the padding: two groups of 8, dilated rows
        { from: 's', mult: 16, k: [4, 4], padding: 'SAME', perChannel: true },
        { from: 's', mult: 8, k: [3, 6], dilation: [2, 1], padding: 'SAME', activation: 'RELU6' },
        // the image's last reader (one channel, multiplier 1: CONV_2D's packed loop), then a reader of its dead output
        { from: 's', k: [3, 2], hidden: true },
        { mult: 8, k: [3, 4], padding: 'SAME', activation: 'RELU' },
        { from: 'm', mult: 8, k: [10, 8], stride: [2, 2], padding: 'SAME', unit: true }, // shift 0: tf_m0dw_rqn with e = 0
        { from: 's', mult: 8, padding: 'SAME', unit: true, perChannel: true }, // shift 0, odd k_w (tf_m0dw_row8)
      ],
      31,
    ),
    // micro_speech's layer runs its interior rows over tap pairs
    kinds: [/tf_m0dw_single\(/, /_w_m0_pairs\b/, /_w_m0_edges\b/, /_rq_thr\b/, /\.rq_fast = 1/, /\.rq_fast = 0/],
    overlap: true,
  },
  {
    note: 'depth multiplier 1: 3x3 s1/s2 SAME/VALID, 5x5, 3x1, 2x4, 1x1, dilated, batches, no inside pixel, 4..64 channels; in_c 2 x 4',
    graph: depthwiseModel(
      'm0_dw_mult1',
      [
        { name: 'a', shape: [1, 7, 9, 4], zeroPoint: -7 },
        { name: 'b', shape: [2, 5, 6, 12], zeroPoint: 25 },
        { name: 'c', shape: [1, 2, 2, 28], zeroPoint: -128 },
        { name: 'd', shape: [1, 6, 8, 64], zeroPoint: 100 },
        { name: 'u', shape: [1, 5, 6, 2], zeroPoint: 9 },
      ],
      [
        { from: 'a', activation: 'RELU', padding: 'SAME', perChannel: true },
        { stride: [2, 2], padding: 'SAME' },
        { activation: 'RELU6', perChannel: true },
        { from: 'a', k: [5, 5], padding: 'SAME', perChannel: true },
        { from: 'a', k: [3, 1], stride: [2, 1], activation: 'RELU' },
        { from: 'a', dilation: [2, 2], padding: 'SAME', perChannel: true },
        { from: 'a', k: [1, 1], stride: [2, 2], activation: 'RELU6' },
        { from: 'b', padding: 'SAME', gain: true, perChannel: true }, // C requantization, no clamp
        { from: 'b', stride: [2, 2], padding: 'SAME', huge: true, activation: 'RELU', perChannel: true },
        { from: 'b', activation: 'RELU6' },
        { from: 'b', k: [2, 4], stride: [1, 2], padding: 'SAME', perChannel: true },
        { from: 'c', padding: 'SAME', perChannel: true },
        { from: 'c', k: [5, 5], padding: 'SAME', activation: 'RELU' },
        { from: 'd', padding: 'SAME', activation: 'RELU', hidden: true },
        { hidden: true, perChannel: true },
        { stride: [2, 2], padding: 'SAME', perChannel: true },
        { from: 'u', mult: 4, padding: 'SAME', perChannel: true }, // in_c 2: tf_m0dw_multm, gathered windows
        { from: 'a', padding: 'SAME', unit: true, perChannel: true }, // shift 0: tf_m0dw_rqn with e = 0
        { from: 'a', k: [2, 3], padding: 'SAME', perChannel: true }, // 6 taps: tf_m0dw_px4 entered at its third copy
      ],
      32,
    ),
    kinds: [/tf_m0dw_mult1\(/, /tf_m0dw_multm\(/, /\.rq_fast = 1/, /\.rq_fast = 0/],
    overlap: false,
  },
  {
    note: 'any depth multiplier over any channels (tf_m0dw_multm): multipliers 2..4 over 8 and 12 channels, 6, 3 and 10 channels (gathered windows), 5x5, 7x7, dilated, strided, batches',
    graph: depthwiseModel(
      'm0_dw_multm',
      [
        { name: 'm', shape: [1, 7, 9, 8], zeroPoint: -9 },
        { name: 'n', shape: [1, 6, 5, 6], zeroPoint: 33 },
        { name: 'o', shape: [2, 5, 4, 3], zeroPoint: -128 },
        { name: 'p', shape: [1, 4, 6, 10], zeroPoint: 90 },
      ],
      [
        { from: 'm', mult: 2, padding: 'SAME', activation: 'RELU', perChannel: true },
        { from: 'm', mult: 3, stride: [2, 2], padding: 'SAME' },
        { from: 'm', mult: 2, k: [5, 5], padding: 'SAME', gain: true, perChannel: true }, // C requantization, no clamp
        { from: 'm', mult: 3, dilation: [2, 2], padding: 'SAME', huge: true, activation: 'RELU6', perChannel: true },
        { from: 'n', padding: 'SAME', perChannel: true }, // multiplier 1 over 6 channels
        { from: 'n', mult: 3, k: [7, 7], padding: 'SAME', activation: 'RELU' },
        { from: 'n', mult: 2, k: [2, 3], stride: [1, 2], hidden: true },
        { mult: 2, padding: 'SAME', perChannel: true }, // 12 channels, multiplier 2
        { from: 'o', mult: 2, padding: 'SAME', perChannel: true },
        { from: 'o', mult: 1, k: [2, 2], activation: 'RELU6' },
        { from: 'o', mult: 3, k: [3, 2], stride: [2, 1], padding: 'SAME', huge: true },
        { from: 'p', mult: 2, activation: 'RELU', perChannel: true },
        { from: 'p', mult: 3, k: [1, 1], stride: [2, 2] },
      ],
      33,
    ),
    kinds: [/tf_m0dw_multm\(/],
    overlap: false,
  },
];

/**
 * One input channel, generated: multipliers 1..15 (mostly off multiples of 4: CONV_2D's packed loop),
 * kernels 1..7, strides 1..2, SAME and VALID, and requantizations with right shifts only (the
 * assembly rows), a multiplier above 1 (gain: left shift 1 on some channels) or tiny output scales
 * (huge: left shifts near 9, accumulators past 2^30).
 */
function singleChannelModel(seed: number): Graph {
  const rand = rng(seed);
  const layers: Layer[] = Array.from({ length: 8 }, () => {
    const regime = randomInt(rand, 0, 3);
    return {
      from: 'x',
      mult: rand() < 0.8 ? randomInt(rand, 1, 15) : 4 * randomInt(rand, 1, 4),
      k: [randomInt(rand, 1, 7), randomInt(rand, 1, 7)] as [number, number],
      stride: [randomInt(rand, 1, 2), randomInt(rand, 1, 2)] as [number, number],
      padding: rand() < 0.6 ? ('SAME' as const) : ('VALID' as const),
      activation: (['NONE', 'RELU', 'RELU6'] as const)[randomInt(rand, 0, 2)],
      perChannel: rand() < 0.7,
      gain: regime === 2,
      huge: regime === 3,
    };
  });
  return depthwiseModel(
    `m0_dw_single_gen${seed}`,
    [{ name: 'x', shape: [1, randomInt(rand, 8, 16), randomInt(rand, 8, 14), 1], zeroPoint: randomInt(rand, -128, 127) }],
    layers,
    seed,
  );
}
// --prefer size: the same layers without the tap-pair table, interior rows through tf_m0dw_row8
MODELS.push({
  ...MODELS[0]!,
  note: 'the same under --prefer size: no tap-pair table (tf_m0dw_row8)',
  kinds: [/tf_m0dw_single\(/],
  prefer: 'size',
  absent: [/_w_m0_pairs\b/, /_w_m0_edges\b/],
});
for (const seed of [41, 42]) {
  MODELS.push({
    note: 'generated one-input-channel layers: out_c 1..15 and multiples of 4, right shifts, gains and tiny scales (left shifts)',
    graph: singleChannelModel(seed),
    kinds: [/tf_m0dw_single\(|tf_m0_conv\(/],
    overlap: false,
  });
}

describe('DEPTHWISE_CONV_2D Armv6-M variants on the emulated RP2040 (rp2040js)', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-dw-m0-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { graph, note, kinds, overlap, portable, prefer, absent } of MODELS) {
    it(`${graph.name}: ${note}`, async () => {
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('rp2040').isa, ...(prefer ? { prefer } : {}) });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      for (const kind of kinds) expect(text).to.match(kind);
      for (const kind of absent ?? []) expect(text).to.not.match(kind);
      // every layer runs an Armv6-M loop but those meant to run the portable one
      expect(text.match(/\(Armv6-M: /g) ?? []).to.have.length(graph.ops.length - (portable ?? 0));
      if (overlap) {
        expect(layersOverTheirInput(compiled), 'layers planned over their input').to.not.be.empty;
      }
      await expectExactOnBoard(graph, compiled, { target: 'rp2040', board: 'rp2040js', dir, seed: 7 });
    });
  }
});
