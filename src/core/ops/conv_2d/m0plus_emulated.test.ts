// SPDX-License-Identifier: Apache-2.0
/**
 * The Armv6-M variant of CONV_2D on the emulated RP2040 (rp2040js) and Cortex-M0 (QEMU micro:bit),
 * where conv_2d_m0plus.S's assembly runs (the host tests run its C twin): chains of 1x1
 * layers, and chains of other windows (im2col: kernels 1x2 to 10x8, strides 1-3, dilation, SAME and
 * VALID, odd channel and tap counts, one input channel, batches) in one model, bit-exact with the TypeScript reference. The layers cover input channels from 2 to 256 (loop counts 1 to
 * 128), odd pixel counts (the last pixel alone) and a single pixel, batches, weights at +-127 with
 * inputs at the int8 ends (the largest packed sums), per-tensor and per-channel scales, activation
 * clamps, the two-channel loop the packed one falls back to (two -128 weights in one step), and
 * generated chains whose channels mix left shifts up to 30 with right shifts (the packed loops' C
 * twin, tf_m0_requant_wide), planned with outputs over their dying inputs (m0plusOverlap).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard, layersOverTheirInput } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';

interface Layer {
  outC: number;
  activation?: FusedActivation;
  perChannel?: boolean;
  /** two weights of -128 in one step (one 2^15 sum): the packed loop refuses the layer */
  minWeight?: boolean;
  /** output scale (default: random in [0.3, 0.8]) */
  outScale?: number;
  /** biases within +-bias (default 3000) */
  bias?: number;
  /** weights at the packed step's bounds: per channel all 127, all -127, or -128 beside 127 in every step */
  bounds?: boolean;
}

/** A chain of 1x1 CONV_2D layers from an [n, h, w, c] input; every layer's output is a model output. */
function pointwiseChain(name: string, input: [number, number, number, number], layers: Layer[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const [n, h, w] = input;
  let c = input[3];
  let x = b.input({ shape: input, q: { scale: 0.05, zeroPoint: -7 }, name: 'x' });
  const outs: number[] = [];
  for (const l of layers) {
    const scales = l.perChannel ? Array.from({ length: l.outC }, () => 0.002 + rand() * 0.02) : [0.01];
    const weights = randomInt8(rand, l.outC * c, -127, 127);
    weights[0] = 127;
    weights[1] = -127;
    if (l.minWeight) weights.fill(-128, 2, 4);
    if (l.bounds) {
      for (let o = 0; o < l.outC; o++) for (let i = 0; i < c; i++) weights[o * c + i] = o % 3 === 0 ? 127 : o % 3 === 1 ? -127 : i % 2 === 0 ? -128 : 127;
    }
    const filter = b.constant({ shape: [l.outC, 1, 1, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } }, weights);
    const bias = b.constant(
      { shape: [l.outC], dtype: 'int32' },
      Int32Array.from({ length: l.outC }, () => randomInt(rand, -(l.bias ?? 3000), l.bias ?? 3000)),
    );
    const [y] = b.op(
      'CONV_2D',
      [x, filter, bias],
      [{ shape: [n, h, w, l.outC], q: { scale: l.outScale ?? 0.3 + rand() * 0.5, zeroPoint: randomInt(rand, -20, 20) } }],
      {
        padding: 'VALID',
        strideH: 1,
        strideW: 1,
        dilationH: 1,
        dilationW: 1,
        activation: l.activation ?? 'NONE',
      },
    );
    outs.push(y!);
    x = y!;
    c = l.outC;
  }
  b.output(...outs);
  return b.build();
}

interface WindowLayer {
  outC: number;
  k: [number, number];
  stride: [number, number];
  dilation?: [number, number];
  padding: 'SAME' | 'VALID';
  activation?: FusedActivation;
  /** output scale (default: random in [0.3, 0.8]) */
  outScale?: number;
  /** per-channel effective scales 2^u, u uniform in [-31, maxLog2]: TFLite shifts from -31 up to maxLog2 + 1 */
  maxLog2?: number;
}

/** A chain of CONV_2D layers of any window (im2col), random weights at +-127 included, per-channel scales. */
function windowChain(name: string, input: [number, number, number, number], layers: WindowLayer[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  let [n, h, w, c] = input;
  let x = b.input({ shape: input, q: { scale: 0.05, zeroPoint: -7 }, name: 'x' });
  let inScale = 0.05;
  const outs: number[] = [];
  for (const l of layers) {
    const [kH, kW] = l.k;
    const [dH, dW] = l.dilation ?? [1, 1];
    const [sH, sW] = l.stride;
    const out = (size: number, k: number, d: number, s: number) => (l.padding === 'SAME' ? Math.ceil(size / s) : Math.ceil((size - (k - 1) * d) / s));
    const [oh, ow] = [out(h, kH, dH, sH), out(w, kW, dW, sW)];
    const scale = 0.3 + rand() * 0.5;
    const outScale = l.outScale ?? scale;
    const scales = Array.from({ length: l.outC }, () =>
      l.maxLog2 === undefined ? 0.001 + rand() * 0.01 : (outScale * 2 ** (-31 + rand() * (l.maxLog2 + 31))) / inScale,
    );
    const weights = randomInt8(rand, l.outC * kH * kW * c, -127, 127);
    weights[0] = 127;
    weights[1] = -127;
    const filter = b.constant({ shape: [l.outC, kH, kW, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } }, weights);
    const bias = b.constant(
      { shape: [l.outC], dtype: 'int32' },
      Int32Array.from({ length: l.outC }, () => randomInt(rand, -3000, 3000)),
    );
    const [y] = b.op('CONV_2D', [x, filter, bias], [{ shape: [n, oh, ow, l.outC], q: { scale: outScale, zeroPoint: randomInt(rand, -20, 20) } }], {
      padding: l.padding,
      strideH: sH,
      strideW: sW,
      dilationH: dH,
      dilationW: dW,
      activation: l.activation ?? 'NONE',
    });
    outs.push(y!);
    x = y!;
    [h, w, c] = [oh, ow, l.outC];
    inScale = outScale;
  }
  b.output(...outs);
  return b.build();
}

const MODELS: { graph: Graph; note: string; packed: number; twoChannel: number }[] = [
  {
    note: 'input channels 2..256, 15 pixels (odd), clamps, per-channel scales, the fallbacks',
    graph: pointwiseChain(
      'm0_conv_a',
      [1, 3, 5, 2],
      [
        { outC: 4, activation: 'RELU', perChannel: true }, // k 2: one step
        { outC: 6 }, // k 4
        { outC: 256, activation: 'RELU6' }, // k 6
        { outC: 10, perChannel: true }, // k 256
        { outC: 9 + 1, minWeight: true }, // k 10, two -128 weights in one step: two-channel loop
        { outC: 12, perChannel: true }, // k 10
        { outC: 64 }, // k 12
        { outC: 7 + 1, activation: 'RELU_N1_TO_1' }, // k 64
      ],
      21,
    ),
    packed: 7,
    twoChannel: 1,
  },
  {
    note: 'weights at the packed sums bounds (all 127, all -127, -128 beside 127 in each step) against inputs at the int8 ends',
    graph: pointwiseChain(
      'm0_conv_bounds',
      [1, 3, 5, 16],
      [
        { outC: 6, bounds: true },
        { outC: 4, bounds: true, perChannel: true },
      ],
      23,
    ),
    packed: 2,
    twoChannel: 0,
  },
  {
    note: 'batches, a single pixel per image',
    graph: pointwiseChain('m0_conv_b', [3, 1, 1, 8], [{ outC: 16, perChannel: true }, { outC: 2 }, { outC: 18 }], 22),
    // one pixel over the whole input: the 16- and 18-channel layers take the FC kernel (conv_2d/as_fc.ts)
    packed: 1,
    twoChannel: 0,
  },
  {
    note: 'odd input channels: im2col with a zero-weight tap, then the 1x1 loop',
    graph: pointwiseChain('m0_conv_c', [1, 2, 3, 5], [{ outC: 14 }, { outC: 6, perChannel: true }], 23),
    packed: 2,
    twoChannel: 0,
  },
  {
    note: 'requantization ends: right shift 0, accumulators near a million and shift -15',
    graph: pointwiseChain(
      'm0_conv_d',
      [1, 3, 3, 4],
      [
        { outC: 6, outScale: 0.0008 }, // scale ratio 0.625: shift 0
        { outC: 8, outScale: 0.0015 },
        { outC: 4, bias: 1_000_000, outScale: 0.5 }, // starts near a million, shift -15
        { outC: 10, outScale: 6 },
      ],
      24,
    ),
    packed: 4,
    twoChannel: 0,
  },
  {
    note: 'im2col: one input channel 10x8 stride 2 and 3x3 stride 2, odd channels and taps, 3x3, 7x7, dilation, strides 3, VALID',
    graph: windowChain(
      'm0_conv_e',
      [1, 15, 13, 1],
      [
        { outC: 8, k: [10, 8], stride: [2, 2], padding: 'SAME', activation: 'RELU' }, // micro_speech's stem shape
        { outC: 7, k: [3, 3], stride: [1, 1], padding: 'SAME' }, // k 72, odd out_c
        { outC: 5, k: [3, 3], stride: [2, 1], padding: 'VALID' }, // k 63: a zero-weight tap
        { outC: 12, k: [1, 2], stride: [1, 1], dilation: [1, 2], padding: 'SAME', activation: 'RELU6' },
      ],
      25,
    ),
    packed: 4,
    twoChannel: 0,
  },
  {
    note: 'im2col: batches, 7x7 stride 3, 3x3 stride 2 on one channel, dilation 2 on both axes, a single output pixel',
    graph: windowChain(
      'm0_conv_f',
      [2, 14, 11, 1],
      [
        { outC: 8, k: [3, 3], stride: [2, 2], padding: 'SAME' }, // person_detect's stem shape
        { outC: 3, k: [7, 7], stride: [3, 3], padding: 'SAME' },
        { outC: 9, k: [2, 2], stride: [1, 1], dilation: [2, 2], padding: 'SAME' },
        { outC: 4, k: [3, 2], stride: [1, 1], padding: 'VALID', activation: 'RELU' }, // 3x2 -> 1x1 output
      ],
      26,
    ),
    packed: 4,
    twoChannel: 0,
  },
  {
    note: 'left shifts (effective scales above 1, mixed with right shifts per channel): the packed loops C twin',
    graph: windowChain(
      'm0_conv_g',
      [1, 6, 5, 3],
      [
        { outC: 6, k: [3, 3], stride: [1, 1], padding: 'SAME', outScale: 0.00005 }, // s_in s_w / s_out 1..11
        { outC: 5, k: [2, 2], stride: [2, 2], padding: 'VALID', outScale: 1e-7 }, // 0.5..5.5
      ],
      27,
    ),
    packed: 2,
    twoChannel: 0,
  },
  {
    note: 'left shifts on 1x1 layers: the pointwise loop C twin',
    graph: pointwiseChain(
      'm0_conv_h',
      [1, 3, 3, 4],
      [
        { outC: 6, outScale: 0.0002 },
        { outC: 4, outScale: 0.000004 },
      ],
      28,
    ),
    packed: 2,
    twoChannel: 0,
  },
];

/**
 * Random chains (kernels 1-5, stride 2 on the first layer only so that no layer shrinks to the one
 * pixel the FC kernel takes, SAME and VALID, odd channels) whose channels mix left shifts up to 30
 * with right shifts: every layer runs the packed loops' C twin with tf_m0_requant_wide.
 */
function wideChain(seed: number): Graph {
  const rand = rng(seed);
  const layers: WindowLayer[] = Array.from({ length: 3 }, (_, i) => {
    const k = randomInt(rand, 1, 3);
    return {
      outC: randomInt(rand, 2, 9),
      k: [k, rand() < 0.7 ? k : randomInt(rand, 1, 3)] as [number, number],
      stride: (i === 0 && rand() < 0.5 ? [2, 2] : [1, 1]) as [number, number],
      padding: 'SAME' as const,
      activation: (['NONE', 'RELU', 'RELU6'] as const)[randomInt(rand, 0, 2)],
      maxLog2: rand() < 0.5 ? 6 : 29,
    };
  });
  return windowChain(`m0_conv_wide${seed}`, [1, randomInt(rand, 5, 9), randomInt(rand, 5, 9), randomInt(rand, 1, 6)], layers, seed);
}
for (const seed of [31, 32, 33]) {
  MODELS.push({
    note: 'generated: per-channel left shifts up to 30 mixed with right shifts (tf_m0_requant_wide)',
    graph: wideChain(seed),
    packed: 3,
    twoChannel: 0,
  });
}

const BOARDS: { target: string; board: string; name: string; tools: string[] }[] = [
  { target: 'rp2040', board: 'rp2040js', name: 'RP2040 (rp2040js)', tools: ['arm-none-eabi-gcc'] },
  { target: 'cortex-m0', board: 'qemu-microbit', name: 'Cortex-M0 (QEMU micro:bit)', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
];

for (const { target, board, name, tools } of BOARDS) {
  describe(`CONV_2D Armv6-M variant on the emulated ${name}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-m0-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const { graph, note, packed, twoChannel } of MODELS) {
      it(`${graph.name}: ${note}`, async () => {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(/two pixels per multiply/g)?.length ?? 0).to.equal(packed);
        expect(text.match(/2 output channels per pass/g)?.length ?? 0).to.equal(twoChannel);
        if (graph.name.startsWith('m0_conv_wide')) {
          expect(text).to.include('tf_m0_conv_wide(');
          // im2col layers write their output rows over input rows no later window reads
          expect(layersOverTheirInput(compiled).length).to.be.greaterThan(0);
        }
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 5, extremes: true });
      });
    }
  });
}
