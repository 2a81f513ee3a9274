// SPDX-License-Identifier: Apache-2.0
/**
 * The im2col layers over input channels a multiple of 4 and whole channel quads in pixel pairs by
 * four channels (common/isa/dsp_conv/choice.ts quadIm2colTaken: the 1x1 layers' quadRunAsm, conv_2d_dsp_im2col_quads.h
 * tf_dsp_im2col_quad_run_body; at dilation 1 from bands, bandRunAsm) on the emulated Cortex-M4 (QEMU
 * mps2-an386, pipelined loads, four steps a turn) and Cortex-M33 (mps2-an505, LDM steps, eight a
 * turn; bands in the LDRD form, sixteen a turn), bit-exact with the TypeScript
 * reference: 3x3, 2x2, 1x3, 5x5 and 1x1 at stride 2 kernels, strides 1 and 2, SAME and VALID
 * padding, dilation 2 (rows gathered), odd pixel counts (a last lone pixel), 2 batches, k4 12 to
 * 480 (every entry into the loop's turn), filter rows of one word over 1 or 2 input channels
 * (KWS's 10x4 stem), per-tensor and per-channel scales, FAST saturated and
 * clamped (RELU, RELU6, RELU_N1_TO_1) and WIDE requantization; on the Cortex-M7 (mps2-an500) the
 * same layers keep the triple run's dual-issue schedule.
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
  kh: number;
  kw: number;
  stride?: number;
  dilation?: number;
  padding?: Padding;
  activation?: FusedActivation;
  perChannel?: boolean;
  /** output zero point -128 at multipliers near 2^-15: the WIDE requantization */
  wide?: boolean;
  /** the WIDE multipliers at this output zero point (FAST's rounding word overflows from |zp| ~ 64 at these shifts): without an activation, a floor below it (signed WIDE) */
  wideZp?: number;
}

/** A chain of CONV_2D layers from an [n, h, w, c] input; every layer's output is a model output. */
function chain(name: string, input: [number, number, number, number], layers: Layer[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  let [n, h, w, c] = input;
  let inScale = 0.05;
  let x = b.input({ shape: input, q: { scale: inScale, zeroPoint: -7 }, name: 'x' });
  const outs: number[] = [];
  for (const l of layers) {
    const stride = l.stride ?? 1;
    const dilation = l.dilation ?? 1;
    const padding = l.padding ?? 'VALID';
    const ekh = (l.kh - 1) * dilation + 1;
    const ekw = (l.kw - 1) * dilation + 1;
    const oh = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - ekh) / stride) + 1;
    const ow = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - ekw) / stride) + 1;
    const scales = l.perChannel ? Array.from({ length: l.outC }, () => 0.002 + rand() * 0.02) : [0.01];
    const filter = b.constant(
      { shape: [l.outC, l.kh, l.kw, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, l.outC * l.kh * l.kw * c, -60, 60),
    );
    const bias = b.constant(
      { shape: [l.outC], dtype: 'int32' },
      Int32Array.from({ length: l.outC }, () => randomInt(rand, -3000, 3000)),
    );
    const wide = l.wide || l.wideZp !== undefined;
    const outScale = wide ? inScale * scales[0]! * 2 ** 15.5 : 0.05 + rand() * 0.1;
    const zeroPoint = l.wideZp ?? (l.wide ? -128 : randomInt(rand, -20, 20));
    inScale = outScale;
    const [y] = b.op('CONV_2D', [x, filter, bias], [{ shape: [n, oh, ow, l.outC], q: { scale: outScale, zeroPoint } }], {
      padding,
      strideH: stride,
      strideW: stride,
      dilationH: dilation,
      dilationW: dilation,
      activation: l.activation ?? 'NONE',
    });
    outs.push(y!);
    x = y!;
    [h, w, c] = [oh, ow, l.outC];
  }
  b.output(...outs);
  return b.build();
}

const SIGNED_WIDE = /WIDE, zero point -?\d+ before the SSAT/g;
const QUAD = /2 pixels x 4 channels in one halfword \(assembly run\)/g;
const BAND = /im2col from a band of columns, 2 pixels x 4 channels/g;
const TRIPLE = /3 pixels x 2 channels in one halfword \(assembly run\)/g;

const MODELS: { graph: Graph; note: string; quads: number }[] = [
  {
    note: '3x3 s1/s2 SAME/VALID over 4..16 channels, k4 36..144, odd pixel counts',
    graph: chain(
      'dsp_q2_a',
      [1, 9, 11, 4],
      [
        { outC: 16, kh: 3, kw: 3, padding: 'SAME', perChannel: true }, // k4 36 (9 steps), 99 pixels: a lone last
        { outC: 12, kh: 3, kw: 3, padding: 'SAME', activation: 'RELU' }, // k4 144
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'SAME', activation: 'RELU6' }, // k4 108, 5x6 pixels
        { outC: 20, kh: 2, kw: 2, padding: 'VALID' }, // k4 32, 4x5 pixels
        { outC: 4, kh: 1, kw: 1, stride: 2 }, // 1x1 s2 over 20: k4 20, 2x3 pixels
        { outC: 6, kh: 3, kw: 3, padding: 'SAME' }, // out_c not whole quads: the triple run
        { outC: 8, kh: 1, kw: 3, padding: 'SAME', activation: 'RELU_N1_TO_1' }, // over 6: fields, the triple run
      ],
      41,
    ),
    quads: 5,
  },
  {
    note: 'k4 12..60 (every entry of four and eight steps a turn), dilation 2, 2 batches',
    graph: chain(
      'dsp_q2_b',
      [2, 10, 9, 4],
      [
        { outC: 8, kh: 3, kw: 1, padding: 'SAME', perChannel: true }, // k4 12 (3 steps)
        { outC: 4, kh: 2, kw: 3, padding: 'SAME' }, // over 8: k4 48 (12 steps)
        { outC: 12, kh: 5, kw: 3, padding: 'SAME', perChannel: true }, // over 4: k4 60 (15 steps)
        { outC: 4, kh: 3, kw: 3, dilation: 2, padding: 'SAME', activation: 'RELU' }, // over 12: k4 108, dilated
        { outC: 8, kh: 2, kw: 5, stride: 2, padding: 'VALID' }, // over 4: k4 40 (10 steps), 5x3 pixels
        { outC: 4, kh: 3, kw: 3, dilation: 2, padding: 'SAME', activation: 'RELU6' }, // over 8: k4 72, 5x3 pixels: a lone last
      ],
      42,
    ),
    quads: 6,
  },
  {
    note: 'k4 480 (one whole chunk), 432, wider maps at stride 2, 52..84',
    graph: chain(
      'dsp_q2_c',
      [1, 7, 13, 48],
      [
        { outC: 12, kh: 3, kw: 3, padding: 'SAME', perChannel: true }, // k4 432
        { outC: 48, kh: 1, kw: 1, activation: 'RELU' }, // 1x1: the pointwise quad run, its routine shared
        { outC: 8, kh: 1, kw: 10, padding: 'SAME' }, // k4 480 (120 steps)
        { outC: 16, kh: 3, kw: 3, stride: 2, padding: 'SAME', activation: 'RELU6' }, // over 8: k4 72, 4x7 pixels
        { outC: 4, kh: 3, kw: 3, stride: 2, padding: 'VALID', perChannel: true }, // over 16: k4 144, 1x3 pixels
      ],
      43,
    ),
    quads: 4,
  },
  {
    note: 'the WIDE requantization (zero point -128): saturating and clamped (RELU, RELU6)',
    graph: chain(
      'dsp_q2_d',
      [1, 8, 7, 4],
      [
        { outC: 8, kh: 3, kw: 3, padding: 'SAME', wide: true, perChannel: true }, // k4 36, 56 pixels
        { outC: 12, kh: 3, kw: 3, stride: 2, padding: 'SAME', wide: true, activation: 'RELU6' }, // k4 72, 4x4
        { outC: 4, kh: 2, kw: 2, padding: 'SAME', wide: true, activation: 'RELU' }, // over 12: k4 48, 16 pixels
      ],
      44,
    ),
    quads: 3,
  },
  {
    note: 'past one chunk (k4 576, 3x3 over 64 channels) where the weights bound the extraction',
    graph: chain(
      'dsp_q2_e',
      [1, 5, 6, 64],
      [
        { outC: 8, kh: 3, kw: 3, padding: 'SAME', perChannel: true }, // k4 576 (144 steps), 30 pixels
        { outC: 4, kh: 3, kw: 3, stride: 2, padding: 'SAME', activation: 'RELU' }, // over 8: k4 72
      ],
      45,
    ),
    quads: 2,
  },
  {
    note: "bands: odd row lengths (a lone pixel a row), pads on both sides, 1x1 and 3x3 at stride 2, ResNet-8's block, 2 batches",
    graph: chain(
      'dsp_q2_f',
      [2, 11, 9, 8],
      [
        { outC: 8, kh: 3, kw: 3, padding: 'SAME', perChannel: true, activation: 'RELU' }, // 11x9: a lone pixel each row
        { outC: 16, kh: 3, kw: 3, stride: 2, padding: 'VALID' }, // k4 72, 5x4
        { outC: 16, kh: 1, kw: 1, stride: 2, padding: 'VALID', activation: 'RELU6' }, // 1x1 s2: 3x2
        { outC: 12, kh: 3, kw: 3, padding: 'SAME', perChannel: true }, // k4 144, 3x2
        { outC: 4, kh: 2, kw: 4, stride: 2, padding: 'SAME', wide: true }, // k4 96, 2x1
      ],
      46,
    ),
    quads: 5,
  },
  {
    note: 'signed WIDE (a floor below the zero point): saturating and clamped from above, bands and pixel columns, past one chunk',
    graph: chain(
      'dsp_q2_g',
      [1, 7, 7, 64],
      [
        { outC: 8, kh: 3, kw: 3, padding: 'SAME', wideZp: 90, perChannel: true }, // k4 576: ResNet-8's last 3x3
        { outC: 12, kh: 3, kw: 3, stride: 2, padding: 'SAME', wideZp: -100 }, // over 8: k4 72, 4x4
        { outC: 4, kh: 3, kw: 3, dilation: 2, padding: 'SAME', wideZp: 120, activation: 'RELU_N1_TO_1' }, // over 12: pixel columns
        { outC: 8, kh: 2, kw: 2, padding: 'VALID', wideZp: -127 }, // over 4: k4 16, 3x3
      ],
      47,
    ),
    quads: 4,
  },
  {
    note: "one-word filter rows (k_w in_c 4): KWS's 10x4 stem at stride 2 over 1 channel, a lone last pixel",
    graph: chain('dsp_q2_h', [1, 49, 10, 1], [{ outC: 8, kh: 10, kw: 4, stride: 2, padding: 'SAME', perChannel: true }], 48),
    quads: 1,
  },
  {
    note: 'one-word filter rows: 5x4 over 1 channel (k4 20) and 3x2 over 2 (k4 12), WIDE and RELU6, 2 batches',
    graph: chain(
      'dsp_q2_i',
      [2, 9, 7, 1],
      [
        { outC: 12, kh: 5, kw: 4, padding: 'VALID', activation: 'RELU6', perChannel: true }, // k4 20, 5x4 pixels
        { outC: 4, kh: 1, kw: 1 }, // over 12: the pointwise run
      ],
      49,
    ),
    quads: 1,
  },
  {
    note: 'one-word filter rows over 2 channels (3x2 SAME, WIDE), then 3x3 at stride 2',
    graph: chain(
      'dsp_q2_j',
      [1, 9, 7, 2],
      [
        { outC: 8, kh: 3, kw: 2, padding: 'SAME', wide: true, perChannel: true }, // k4 12
        { outC: 4, kh: 3, kw: 3, stride: 2, padding: 'SAME', wide: true, activation: 'RELU' }, // over 8: k4 72
      ],
      50,
    ),
    quads: 2,
  },
  {
    note: "every entry of the bands' turns (k4 / 4 = 3..18 steps over 4 channels: 16 half-step entries on the M33, 4 on the M4)",
    graph: chain(
      'dsp_q2_k',
      [1, 18, 6, 4],
      [
        [3, 1],
        [2, 2],
        [5, 1],
        [3, 2],
        [7, 1],
        [4, 2],
        [3, 3],
        [5, 2],
        [11, 1],
        [4, 3],
        [13, 1],
        [7, 2],
        [5, 3],
        [4, 4],
        [17, 1],
        [6, 3],
      ].map(([kh, kw], i) => ({
        outC: 4,
        kh: kh!,
        kw: kw!,
        padding: 'SAME' as Padding,
        perChannel: i % 2 === 0,
        activation: i % 3 === 0 ? ('RELU' as FusedActivation) : 'NONE',
      })),
      51,
    ),
    quads: 16,
  },
];

describe('CONV_2D DSP im2col quads: which layers and cores take them', () => {
  it('takes channels a multiple of 4 in and whole quads out on the M4 and M33, not on the M7', async () => {
    const { quadIm2colTaken } = await import('../common/isa/dsp_conv/choice.ts');
    const p = { inC: 16, outC: 16, actMin: -128, actMax: 127, outputZeroPoint: 3 } as Parameters<typeof quadIm2colTaken>[0];
    const isa = (core: string) => ({ ...loadTarget('cortex-m4').isa, core });
    expect(quadIm2colTaken(p, 144, 1, isa('cortex-m4'))).to.equal(true);
    expect(quadIm2colTaken({ ...p, outputZeroPoint: -128 }, 144, 2, isa('cortex-m33'))).to.equal(true); // WIDE: act_min >= zp
    expect(quadIm2colTaken(p, 144, 1, isa('cortex-m7'))).to.equal(false);
    expect(quadIm2colTaken(p, 144, 1, undefined)).to.equal(false);
    expect(quadIm2colTaken({ ...p, inC: 3 }, 28, 1, isa('cortex-m4'))).to.equal(false); // fields: the triple run
    expect(quadIm2colTaken({ ...p, inC: 1, kW: 4 }, 40, 1, isa('cortex-m4'))).to.equal(true); // one-word filter rows: KWS's stem
    expect(quadIm2colTaken({ ...p, inC: 2, kW: 2 }, 12, 1, isa('cortex-m33'))).to.equal(true);
    expect(quadIm2colTaken({ ...p, inC: 1, kW: 3 }, 12, 1, isa('cortex-m4'))).to.equal(false);
    expect(quadIm2colTaken({ ...p, inC: 2, kW: 4 }, 24, 1, isa('cortex-m4'))).to.equal(false); // 8-byte rows at any byte: the packing's LDRD
    expect(quadIm2colTaken({ ...p, outC: 18 }, 144, 1, isa('cortex-m4'))).to.equal(false);
    expect(quadIm2colTaken(p, 576, 1, isa('cortex-m4'))).to.equal(false); // past one chunk, weights unknown
    expect(quadIm2colTaken(p, 576, 1, isa('cortex-m4'), new Int8Array(16 * 576).fill(-113))).to.equal(true); // 113 * 576 < 2^16
    expect(quadIm2colTaken(p, 576, 1, isa('cortex-m4'), new Int8Array(16 * 576).fill(114))).to.equal(false);
    expect(quadIm2colTaken(p, 144, 0, isa('cortex-m4'))).to.equal(false); // EXACT requantization
  });

  it('reads bands on the M4 and the M33 (LDRD form, sixteen steps a turn), not under --prefer size, elsewhere never', async () => {
    const { bandRunTaken, bandLoads, bandTurn } = await import('../common/isa/dsp_conv/choice.ts');
    const p = { inC: 16, outC: 16, kH: 3, kW: 3, strideW: 1, dilationH: 1, dilationW: 1, actMin: -128, actMax: 127, outputZeroPoint: 3 } as Parameters<
      typeof bandRunTaken
    >[0];
    const isa = (core: string) => ({ ...loadTarget('cortex-m4').isa, core });
    expect(bandRunTaken(p, 144, 1, isa('cortex-m4'), undefined)).to.equal(true);
    expect(bandRunTaken({ ...p, strideW: 2 }, 144, 1, isa('cortex-m4'), undefined)).to.equal(true);
    expect(bandRunTaken(p, 144, 1, isa('cortex-m33'), undefined)).to.equal(true);
    expect(bandRunTaken({ ...p, strideW: 2 }, 144, 1, isa('cortex-m33'), undefined)).to.equal(true);
    expect(bandRunTaken(p, 144, 1, isa('cortex-m33'), 'size')).to.equal(false);
    expect(bandRunTaken(p, 144, 1, isa('cortex-m7'), undefined)).to.equal(false);
    expect(bandRunTaken({ ...p, inC: 1, kW: 4 }, 40, 1, isa('cortex-m4'), undefined)).to.equal(false); // one-word rows: pixel columns
    expect(bandLoads(isa('cortex-m4'))).to.equal('pipelined');
    expect(bandLoads(isa('cortex-m33'))).to.equal('ldrd');
    expect(bandLoads(isa('cortex-m7'))).to.equal(undefined);
    expect([bandTurn(isa('cortex-m4')), bandTurn(isa('cortex-m33'))]).to.deep.equal([4, 16]);
  });

  it("fits the pixel pair, two filter rows and a lone pixel's outputs in the scratch", async () => {
    const { dspScratchBytes } = await import('../common/isa/dsp_conv/scratch.ts');
    const p = { inH: 3, inW: 3, inC: 4, outH: 3, outW: 3, outC: 256, kH: 3, kW: 1, batches: 1, groups: 1 } as Parameters<typeof dspScratchBytes>[0];
    expect(dspScratchBytes(p)).to.be.at.least(12 * 4 + 2 * 4 + 256);
  });
});

const TARGETS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an505': 'cortex-m33', 'qemu-mps2-an500': 'cortex-m7' };

for (const [board, target] of Object.entries(TARGETS)) {
  describe(`CONV_2D DSP im2col quads on the emulated board ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-quad2-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const { graph, note, quads } of MODELS) {
      it(`${graph.name}: ${note}`, async () => {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        const dual = target === 'cortex-m7';
        expect(text.match(QUAD)?.length ?? 0).to.equal(dual ? 0 : quads);
        // bands on the M4 and M33 (every layer of dsp_q2_k), the M33's in the LDRD form
        if (graph.name === 'dsp_q2_k') expect(text.match(BAND)?.length ?? 0).to.equal(dual ? 0 : quads);
        if (target === 'cortex-m33' && graph.name === 'dsp_q2_k') expect(text).to.include('weights by LDRD');
        if (graph.name === 'dsp_q2_g') expect(text.match(SIGNED_WIDE)?.length ?? 0, 'signed WIDE routines').to.be.at.least(dual ? 0 : 2);
        if (dual) expect(text.match(TRIPLE)?.length ?? 0).to.be.at.least(1);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 7 });
      });
    }
  });
}
