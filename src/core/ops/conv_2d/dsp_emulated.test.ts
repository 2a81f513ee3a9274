// SPDX-License-Identifier: Apache-2.0
/**
 * The DSP variant of CONV_2D on the emulated Cortex-M4 (QEMU mps2-an386), Cortex-M7 (mps2-an500) and
 * Cortex-M33 (mps2-an505), where the inline assembly runs (the host tests run arm_dsp.h's C twins):
 * chains of layers in one model per board, bit-exact with the TypeScript reference. The layers cover
 * every entry into the eight-step loop (k4 / 4 mod 8 = 0..7, k4 from 4 to 144), odd output channel
 * counts, odd pixel counts (the last pixel paired with itself), batches, every requantization mode
 * (SMMLAR with and without an activation clamp, the exact 64-bit path), per-tensor and per-channel
 * scales, and the im2col path (padding, strides, 1x1 over channels not a multiple of 4, stems whose
 * fields are copied whole); the im2col layers from k4 32 on run three pixels by a channel pair in
 * one halfword (pixel counts 0, 1 and 2 past a multiple of 3, odd channels, WIDE records), over one
 * to three extraction chunks.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph, Padding } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';

interface Layer {
  outC: number;
  k?: number;
  stride?: number;
  padding?: Padding;
  activation?: FusedActivation;
  perChannel?: boolean;
  /** large weights and bias, tiny output scale: accumulators beyond the SMMULR bound (exact path) */
  huge?: boolean;
  /** output zero point -128 at multipliers near 2^-15: FAST's rounding word overflows, the WIDE requantization runs */
  wide?: boolean;
  /** one multiplier 1.43 (shift 1, m < 3 * 2^29): FAST records of shift 1 (4m - 2^32) */
  shiftOne?: boolean;
  /**
   * every third channel pruned as trained models leave it (weights zero but for one +-1 on some, a
   * filter scale of 1e-9, a bias of +-2^30 or at the output's step): per-channel scales
   */
  pruned?: boolean;
  /** output zero point -128 (a RELU floor at the zero point: the quads' rounding records) */
  zpMin?: boolean;
}

/** A chain of CONV_2D layers from an [n, h, w, c] input; every layer's output is a model output. */
function convChain(name: string, input: [number, number, number, number], layers: Layer[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  let [n, h, w, c] = input;
  let inScale = 0.05;
  let x = b.input({ shape: input, q: { scale: inScale, zeroPoint: -7 }, name: 'x' });
  const outs: number[] = [];
  for (const l of layers) {
    const k = l.k ?? 1;
    const stride = l.stride ?? 1;
    const padding = l.padding ?? 'VALID';
    const oh = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - k) / stride) + 1;
    const ow = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - k) / stride) + 1;
    const scales = l.perChannel || l.pruned ? Array.from({ length: l.outC }, () => 0.002 + rand() * 0.02) : [0.01];
    const limit = l.huge ? 127 : 60;
    const row = k * k * c;
    const weights = randomInt8(rand, l.outC * row, -limit, limit);
    const biases = Int32Array.from({ length: l.outC }, () => randomInt(rand, l.huge ? -2e9 : -3000, l.huge ? 2e9 : 3000));
    const outScale = l.huge ? 1e-6 : l.wide ? inScale * scales[0]! * 2 ** 15.5 : l.shiftOne ? (inScale * scales[0]!) / 1.43 : 0.05 + rand() * 0.1;
    const zeroPoint = l.wide || l.zpMin ? -128 : randomInt(rand, -20, 20);
    for (let o = 1; l.pruned && o < l.outC; o += 3) {
      scales[o] = 1e-9;
      weights.fill(0, o * row, (o + 1) * row);
      if (o % 2 === 1) weights[o * row + randomInt(rand, 0, row - 1)] = rand() < 0.5 ? 1 : -1;
      biases[o] = o % 4 === 1 ? (rand() < 0.5 ? 2 ** 30 : -(2 ** 30)) : Math.round(0.5 / ((inScale * 1e-9) / outScale)) + randomInt(rand, -100, 100);
    }
    const filter = b.constant({ shape: [l.outC, k, k, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } }, weights);
    const bias = b.constant({ shape: [l.outC], dtype: 'int32' }, biases);
    inScale = outScale;
    const [y] = b.op('CONV_2D', [x, filter, bias], [{ shape: [n, oh, ow, l.outC], q: { scale: outScale, zeroPoint } }], {
      padding,
      strideH: stride,
      strideW: stride,
      dilationH: 1,
      dilationW: 1,
      activation: l.activation ?? 'NONE',
    });
    outs.push(y!);
    x = y!;
    [h, w, c] = [oh, ow, l.outC];
  }
  b.output(...outs);
  return b.build();
}

const MODELS: { graph: Graph; note: string; kinds: RegExp[]; absent?: RegExp }[] = [
  {
    note: 'pointwise k4 4..44 (every entry into the loop), odd channels, odd pixels, clamps, exact path',
    graph: convChain(
      'dsp_conv_a',
      [1, 5, 5, 4],
      [
        { outC: 7, activation: 'RELU', perChannel: true }, // k4 4, odd out_c, clamp
        { outC: 12 }, // 1x1 over 7 channels: im2col, k4 8
        { outC: 20, activation: 'RELU6' }, // k4 12
        { outC: 9, perChannel: true }, // k4 20, odd out_c
        { outC: 24, huge: true }, // 1x1 over 9: im2col k4 12, exact path
        { outC: 11, perChannel: true }, // k4 24
        { outC: 36 }, // 1x1 over 11: im2col k4 12
        { outC: 44, perChannel: true, activation: 'RELU_N1_TO_1' }, // k4 36
        { outC: 28 }, // k4 44
        { outC: 32, perChannel: true }, // k4 28
        { outC: 5, activation: 'RELU' }, // k4 32
      ],
      11,
    ),
    kinds: [/Arm DSP: pointwise/, /Arm DSP: im2col/, /exact 64-bit/],
  },
  {
    note: 'batches and odd pixel counts, im2col with padding and strides, k4 up to 144',
    graph: convChain(
      'dsp_conv_b',
      [3, 3, 3, 8],
      [
        { outC: 16, perChannel: true }, // pointwise, 27 pixels over 3 batches
        { outC: 9, k: 3, padding: 'SAME', perChannel: true }, // im2col k4 144
        { outC: 6, k: 3, stride: 2, padding: 'SAME', activation: 'RELU' }, // im2col k4 84 (entry 1)
        { outC: 8, k: 2, padding: 'VALID', perChannel: true }, // im2col k4 24
        { outC: 3, huge: true }, // pointwise k4 8, exact path
      ],
      12,
    ),
    // its 1x1 layers over 8 channels take the narrow variant (dsp_narrow.ts)
    kinds: [/Arm DSP: narrow 1x1/, /Arm DSP: im2col/, /exact 64-bit/],
  },
  {
    // one layer per kernel: the compiler inlines each body into its only caller
    note: 'one im2col layer (k4 144), then one 1x1 layer (k4 16), each kernel used once',
    graph: convChain(
      'dsp_conv_c',
      [1, 6, 7, 16],
      [
        { outC: 16, k: 3, padding: 'SAME', perChannel: true },
        { outC: 10, activation: 'RELU6' },
      ],
      13,
    ),
    kinds: [/Arm DSP: pointwise/, /Arm DSP: im2col/],
  },
  {
    note: 'the WIDE requantization (zero point -128, shifts near -15): 1x1 in pairs and interleaved, im2col, clamped and saturating; FAST at shift 1',
    graph: convChain(
      'dsp_conv_e',
      [1, 5, 3, 64],
      [
        { outC: 9, perChannel: true, wide: true }, // pairs k4 64
        { outC: 32, k: 3, padding: 'SAME', wide: true, activation: 'RELU6' }, // im2col k4 84
        { outC: 12, perChannel: true, wide: true, activation: 'RELU' }, // 1x1 k4 32, interleaved
        { outC: 8, shiftOne: true }, // 1x1 k4 12 at shift 1 (FAST)
        { outC: 6, k: 3, padding: 'SAME', shiftOne: true, activation: 'RELU6' }, // im2col k4 72 at shift 1
      ],
      15,
    ),
    kinds: [/SMMLAR \(wide\) requantization, saturating/, /SMMLAR \(wide\) requantization, clamped/, /Arm DSP: pointwise/, /Arm DSP: im2col/],
    // the shift-1 layers too: none falls back to the exact path
    absent: /exact 64-bit/,
  },
  {
    note: 'pruned channels (bias +-2^30 under a filter scale of 1e-9) requantized by equivalent records: 1x1 quads under RELU at zero point -128 (MobileNet), pairs, im2col, narrow 1x1, clamped and saturating',
    graph: convChain(
      'dsp_conv_pruned',
      [1, 6, 6, 32],
      [
        { outC: 64, pruned: true, zpMin: true, activation: 'RELU' }, // quads, rounding records
        { outC: 64, pruned: true, zpMin: true, activation: 'RELU6' },
        { outC: 30, pruned: true }, // floor below the zero point
        { outC: 16, k: 3, padding: 'SAME', pruned: true, zpMin: true, activation: 'RELU' }, // im2col
        { outC: 33, pruned: true, zpMin: true }, // NONE under -128, odd channels
        { outC: 8 },
        { outC: 24, pruned: true, zpMin: true, activation: 'RELU' }, // 1x1 over 8: the narrow kernel
      ],
      18,
    ),
    kinds: [/near-constant channels requantized by equivalent records/, /Arm DSP: pointwise/, /Arm DSP: im2col/, /equivalent records \(Arm DSP: narrow 1x1/],
    absent: /exact 64-bit/,
  },
  {
    // k4 over one extraction chunk of the halfword pairs (TF_DSP_PAIR_CHUNK_STEPS: 480 values)
    note: 'two channels in one halfword: k4 576 (2 chunks), 132, 1188 (3 chunks, exact path), odd channels',
    graph: convChain(
      'dsp_conv_d',
      [1, 4, 5, 64],
      [
        { outC: 33, k: 3, padding: 'SAME', perChannel: true },
        { outC: 132, activation: 'RELU' },
        { outC: 7, k: 3, padding: 'SAME', huge: true },
      ],
      14,
    ),
    kinds: [/in one halfword/, /Arm DSP: im2col/, /exact 64-bit/],
  },
  {
    // fields gathered whole (input channels not a multiple of 4): word copies inside the image, the
    // rows through the padding path at its edges and where the last word would read past the image
    note: 'stems: 3x3 s2 SAME over 3 channels, 3x3 VALID over 5 (the bottom-right field ends the image), 2x2 over 7, 5x5 over 1',
    graph: convChain(
      'dsp_conv_f',
      [1, 11, 9, 3],
      [
        { outC: 5, k: 3, stride: 2, padding: 'SAME', perChannel: true }, // k4 28, 6x5 out
        { outC: 7, k: 3, activation: 'RELU' }, // k4 48, VALID 4x3 out
        { outC: 1, k: 2, perChannel: true }, // k4 28, one channel, VALID 3x2 out
        { outC: 6, k: 2, padding: 'SAME', activation: 'RELU6' }, // over 1 channel: k4 4, 6 pixels
      ],
      16,
    ),
    kinds: [/Arm DSP: im2col/],
  },
  {
    note: 'stems over 1 channel: 5x5 s1 SAME, 3x3 s2 VALID over 3 (an odd pixel count), batches',
    graph: convChain(
      'dsp_conv_g',
      [2, 13, 7, 1],
      [
        { outC: 8, k: 5, padding: 'SAME', perChannel: true }, // k4 28
        { outC: 3, k: 1 }, // pointwise over 8
        { outC: 9, k: 3, stride: 2, activation: 'RELU' }, // k4 28, 6x3 out per batch
      ],
      17,
    ),
    kinds: [/Arm DSP: im2col/],
  },
];

const TARGETS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };

for (const [board, target] of Object.entries(TARGETS)) {
  describe(`CONV_2D DSP variant on the emulated board ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-dsp-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const { graph, note, kinds, absent } of MODELS) {
      it(`${graph.name}: ${note}`, async () => {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        for (const kind of kinds) expect(text).to.match(kind);
        if (absent) expect(text).not.to.match(absent);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 5 });
      });
    }
  });
}
