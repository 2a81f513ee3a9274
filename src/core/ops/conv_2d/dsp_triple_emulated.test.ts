// SPDX-License-Identifier: Apache-2.0
/**
 * The im2col layers' pixel triples in the assembly run (common/isa/dsp_conv/triple_run.ts tripleRunAsm) on the emulated
 * Cortex-M4 (QEMU mps2-an386), Cortex-M7 (mps2-an500, its own schedule: TF_DSP_DUAL_ISSUE) and
 * Cortex-M33 (mps2-an505), bit-exact with the TypeScript reference: kernel shapes from 1x1 at
 * stride 2 to 10x4, strides 1 and 2, SAME and VALID padding, input channels 1 to 16 (odd ones: whole
 * fields gathered), output channels odd and even, pixel counts 0, 1 and 2 past a multiple of 3 (the
 * last triple's copies), batches, every entry into the eight-step loop (k4 12 to 144, and 480, one
 * whole chunk), FAST saturated and clamped (RELU, RELU6, RELU_N1_TO_1) and WIDE requantization;
 * stems whose fields pack straight from the image (common/isa/dsp_conv/layouts.ts splitShape: k_w in_c = 4 q or 4 q + 1)
 * over 3 and 1 channels, with and without a tail, through the short loop turns (k4 <= 32), their
 * runs of whole triples inside the image from any column; RGB stems from stem bands on the M4 and
 * M33 (common/isa/dsp_conv/choice.ts stemBandTaken), their columns inside the image packed two at a time from an even one
 * (a padded left column: an odd one first), in the rounding form where the floor is at the zero point.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph, Padding } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { roundUp4 } from '../common/isa/dsp.ts';

interface Layer {
  outC: number;
  kh: number;
  kw: number;
  stride?: number;
  padding?: Padding;
  activation?: FusedActivation;
  perChannel?: boolean;
  /** output zero point -128 at multipliers near 2^-15: the WIDE requantization */
  wide?: boolean;
  /** the output zero point (else random in -20..20, or -128 under `wide`) */
  zeroPoint?: number;
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
    const padding = l.padding ?? 'VALID';
    const oh = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - l.kh) / stride) + 1;
    const ow = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - l.kw) / stride) + 1;
    const scales = l.perChannel ? Array.from({ length: l.outC }, () => 0.002 + rand() * 0.02) : [0.01];
    const filter = b.constant(
      { shape: [l.outC, l.kh, l.kw, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, l.outC * l.kh * l.kw * c, -60, 60),
    );
    const bias = b.constant(
      { shape: [l.outC], dtype: 'int32' },
      Int32Array.from({ length: l.outC }, () => randomInt(rand, -3000, 3000)),
    );
    const outScale = l.wide ? inScale * scales[0]! * 2 ** 15.5 : 0.05 + rand() * 0.1;
    const zeroPoint = l.zeroPoint ?? (l.wide ? -128 : randomInt(rand, -20, 20));
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

/** a layer in an assembly run: pixel triples, or on the M4 and M33 pixel pairs by channel quads (common/isa/dsp_conv/choice.ts quadIm2colTaken) */
const RUN = /(3 pixels x 2|2 pixels x 4) channels in one halfword \(assembly run\)/g;

/** the layers whose fields pack straight from the image (common/isa/dsp_conv/layouts.ts splitShape), or on the M4 and M33 come from a stem band (common/isa/dsp_conv/choice.ts stemBandTaken) */
const SPLIT = /fields packed from the image|im2col from a stem band of int16 values,/g;

/** stem bands' routines in the rounding form (common/isa/dsp_conv/band_run.ts bandRunAsm `round`) */
const ROUNDED = /bandRunAsm[^*]*rounding records/g;

const MODELS: { graph: Graph; note: string; runs: number; splits?: number; rounded?: number }[] = [
  {
    note: 'stems over 3 and 1 channels: 3x3 s2 SAME (k4 28), 10x4 s2 (k4 40), 3x3 (k4 12); odd channels, partial triples',
    graph: chain(
      'dsp_tr_a',
      [1, 13, 11, 3],
      [
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'SAME', perChannel: true }, // k4 28, 7x6 = 42 pixels
        { outC: 1, kh: 1, kw: 1 }, // 1x1 over 8 channels, to one channel
        { outC: 7, kh: 4, kw: 2, stride: 2, padding: 'SAME', activation: 'RELU' }, // over 1 channel: k4 8 (C pair loop)
        { outC: 1, kh: 1, kw: 1 },
        { outC: 6, kh: 3, kw: 3, padding: 'SAME', activation: 'RELU6' }, // over 1 channel: k4 12, 4x3 = 12 pixels
      ],
      21,
    ),
    runs: 2,
  },
  {
    note: "KWS's stem shape: 10x4 s2 SAME over 1 channel (k4 40), then 3x3 over 5 (k4 48), 2 batches",
    graph: chain(
      'dsp_tr_b',
      [2, 17, 7, 1],
      [
        { outC: 5, kh: 10, kw: 4, stride: 2, padding: 'SAME', perChannel: true }, // 9x4 = 36 pixels a batch
        { outC: 9, kh: 3, kw: 3, padding: 'SAME', activation: 'RELU_N1_TO_1' }, // k4 48, odd out_c
        { outC: 4, kh: 2, kw: 3, stride: 2 }, // k4 56 over 9 channels: 4x1 pixels
      ],
      22,
    ),
    runs: 3,
  },
  {
    note: 'rows straight from the image (channels a multiple of 4): 3x3 s1/s2, SAME/VALID, k4 36..144, every loop entry',
    graph: chain(
      'dsp_tr_c',
      [1, 9, 10, 4],
      [
        { outC: 16, kh: 3, kw: 3, padding: 'SAME', perChannel: true }, // k4 36 (entry 9 mod 8 = 1), 90 pixels
        { outC: 12, kh: 3, kw: 3, padding: 'SAME', activation: 'RELU' }, // k4 144 (entry 0)
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'SAME' }, // k4 108 (27 steps), 5x5 = 25 pixels
        { outC: 20, kh: 2, kw: 2, activation: 'RELU6' }, // k4 32, 4x4 = 16 pixels
        { outC: 4, kh: 1, kw: 1, stride: 2 }, // 1x1 s2 over 20: k4 20, 2x2 pixels
        { outC: 6, kh: 3, kw: 1, padding: 'SAME', perChannel: true }, // k4 12
        { outC: 10, kh: 1, kw: 3, padding: 'SAME' }, // k4 18 -> 20 over 6: fields
        { outC: 24, kh: 2, kw: 3, padding: 'SAME' }, // over 10: k4 60
      ],
      23,
    ),
    runs: 8,
  },
  {
    note: 'k4 480 (one whole chunk), k4 52..76 (entries 3..5), odd channels',
    graph: chain(
      'dsp_tr_d',
      [1, 5, 7, 48],
      [
        { outC: 13, kh: 3, kw: 3, padding: 'SAME', perChannel: true }, // k4 432
        { outC: 48, kh: 1, kw: 1, activation: 'RELU' }, // 1x1 over 13 channels: im2col, k4 16
        { outC: 3, kh: 1, kw: 10, padding: 'SAME' }, // k4 480 (120 steps)
        { outC: 5, kh: 4, kw: 5, padding: 'SAME' }, // over 3: k4 60
        { outC: 11, kh: 3, kw: 3, padding: 'SAME', activation: 'RELU6' }, // over 5: k4 48
        { outC: 2, kh: 2, kw: 3, stride: 2, padding: 'SAME' }, // over 11: k4 68
      ],
      24,
    ),
    runs: 6,
  },
  {
    note: 'the WIDE requantization (zero point -128): saturating and clamped (RELU, RELU6), over fields and rows',
    graph: chain(
      'dsp_tr_e',
      [1, 8, 7, 3],
      [
        { outC: 8, kh: 3, kw: 3, padding: 'SAME', wide: true, perChannel: true }, // k4 28
        { outC: 9, kh: 3, kw: 3, stride: 2, padding: 'SAME', wide: true, activation: 'RELU6' }, // k4 72
        { outC: 5, kh: 2, kw: 2, padding: 'SAME', wide: true, activation: 'RELU' }, // over 9: k4 36
      ],
      25,
    ),
    runs: 3,
  },
  {
    note: "stems' fields packed from the image (`split` order): over 3 and 1 channels, 3x3 to 6x4, s1/s2, SAME/VALID, odd sizes, a tail of 5 rows",
    graph: chain(
      'dsp_tr_f',
      [1, 17, 15, 3],
      [
        { outC: 6, kh: 3, kw: 3, padding: 'VALID', perChannel: true }, // 9 = 4 * 2 + 1 a row, k4 28: 15x13 pixels
        { outC: 1, kh: 1, kw: 1 },
        { outC: 5, kh: 3, kw: 5, stride: 2, padding: 'SAME', perChannel: true }, // over 1 channel, 5 a row: k4 16, 8x7 pixels
        { outC: 3, kh: 1, kw: 1 },
        { outC: 8, kh: 5, kw: 3, stride: 2, padding: 'VALID', activation: 'RELU' }, // 5 rows' last values: two tail groups, k4 48
      ],
      26,
    ),
    runs: 3,
    splits: 3,
  },
  {
    note: 'split fields without a tail (4 values a row) and the short loop turns: k4 20, 24 and 28, 2 batches',
    graph: chain(
      'dsp_tr_g',
      [2, 14, 12, 1],
      [
        { outC: 5, kh: 5, kw: 4, padding: 'SAME', perChannel: true }, // k4 20 (entry 3 of 4); whole quads would take the quad run
        { outC: 1, kh: 1, kw: 1 },
        { outC: 7, kh: 6, kw: 4, stride: 2, padding: 'VALID', perChannel: true }, // k4 24 (entry 2), 5x5 pixels
        { outC: 3, kh: 1, kw: 1 },
        { outC: 9, kh: 3, kw: 3, padding: 'SAME', activation: 'RELU6', perChannel: true }, // k4 28 (entry 1), odd out_c
      ],
      27,
    ),
    runs: 3,
    splits: 3,
  },
  {
    note: "stems' runs of whole triples inside the image (`split` order): from mid-row, rows not a multiple of 3, 3x3 over 3 channels s2 SAME, s1 SAME, s2 VALID",
    graph: chain(
      'dsp_tr_h',
      [1, 19, 25, 3],
      [
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'SAME', perChannel: true }, // 10x13 = 130 pixels: triples across rows, a last one of 1
        { outC: 3, kh: 1, kw: 1 },
        { outC: 4, kh: 3, kw: 3, padding: 'SAME', activation: 'RELU6' }, // s1: the first column padded
        { outC: 3, kh: 1, kw: 1 },
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'VALID', perChannel: true }, // 4x6 pixels
      ],
      28,
    ),
    runs: 3,
    splits: 3,
  },
  {
    note: 'RGB stems from stem bands on the M4 and M33 (common/isa/dsp_conv/choice.ts stemBandTaken): chunks of 16 pixels and a short one, the left column padded, WIDE, 2 batches',
    graph: chain(
      'dsp_tr_i',
      [2, 9, 71, 3],
      [
        { outC: 12, kh: 3, kw: 3, stride: 2, padding: 'SAME', activation: 'RELU6', perChannel: true }, // 5x36: chunks 16, 16, 4
        { outC: 3, kh: 1, kw: 1 },
        { outC: 4, kh: 3, kw: 3, stride: 2, padding: 'SAME', wide: true }, // 3x18: a lone last pixel
        { outC: 3, kh: 1, kw: 1 },
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'VALID', perChannel: true }, // 1x8
      ],
      29,
    ),
    runs: 3,
    splits: 3,
  },
  {
    note: "stem bands' rounding records (floor at the zero point): VWW's RELU6 under zero point -128 (clamped from above), RELU, a chunk's lone pixel; NONE keeps the five-instruction form",
    graph: chain(
      'dsp_tr_r',
      [1, 11, 69, 3],
      [
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'SAME', activation: 'RELU6', perChannel: true, zeroPoint: -128 }, // 6x35: chunks 16, 16, 3
        { outC: 3, kh: 1, kw: 1 },
        { outC: 4, kh: 3, kw: 3, stride: 2, padding: 'VALID', activation: 'RELU', perChannel: true }, // 2x17
        { outC: 3, kh: 1, kw: 1 },
        { outC: 8, kh: 3, kw: 3, stride: 2, padding: 'SAME' }, // 1x9, no floor
      ],
      31,
    ),
    runs: 3,
    splits: 3,
    rounded: 2,
  },
];

describe('CONV_2D DSP triple run: the split order', () => {
  it('takes filter rows of 4 q or 4 q + 1 values over input channels not a multiple of 4', async () => {
    const { splitShape } = await import('../common/isa/dsp_conv/layouts.ts');
    expect(splitShape({ inC: 3, kH: 3, kW: 3, dilationW: 1 })).to.deep.equal({ kh: 3, q: 2, tail: 1 });
    expect(splitShape({ inC: 1, kH: 10, kW: 4, dilationW: 1 })).to.deep.equal({ kh: 10, q: 1, tail: 0 });
    expect(splitShape({ inC: 1, kH: 3, kW: 3, dilationW: 1 })).to.equal(undefined); // 3 a row
    expect(splitShape({ inC: 3, kH: 3, kW: 3, dilationW: 2 })).to.equal(undefined);
    expect(splitShape({ inC: 8, kH: 3, kW: 3, dilationW: 1 })).to.equal(undefined); // rows straight from the image already
  });

  it("moves each row's last value into the tail, k4 unchanged", async () => {
    const { splitRows } = await import('../common/isa/dsp_conv/layouts.ts');
    // 3x3 over 3 channels: k 27, k4 28; values numbered 1..27 in filter order
    const plain = Int8Array.from({ length: 2 * 28 }, (_, i) => (i % 28 < 27 ? (i % 28) + 1 : 0));
    const out = splitRows(plain, 2, 28, { kh: 3, q: 2, tail: 1 });
    const row = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24, 25, 26, 9, 18, 27, 0];
    expect([...out]).to.deep.equal([...row, ...row]);
  });
});

describe('CONV_2D DSP stem bands', () => {
  it('take RGB stems whose fields start on a word', async () => {
    const { stemBandShape } = await import('../common/isa/dsp_conv/choice.ts');
    const stem = { inC: 3, kH: 3, strideW: 2, dilationH: 1, dilationW: 1 };
    expect(stemBandShape(stem)).to.equal(true);
    expect(stemBandShape({ ...stem, strideW: 1 })).to.equal(false); // 9 halves between fields
    expect(stemBandShape({ ...stem, kH: 2, strideW: 1 })).to.equal(true); // 6
    expect(stemBandShape({ ...stem, inC: 1 })).to.equal(false);
    expect(stemBandShape({ ...stem, dilationW: 2 })).to.equal(false);
  });

  it('run their one field length with no entry computed per block', async () => {
    const { bandRunAsm } = await import('../common/isa/dsp_conv/band_run.ts');
    const { runClamp } = await import('../common/isa/dsp_conv/run_asm.ts');
    const clamp = runClamp(1, -128, 127, -128);
    const halves = (text: string) => text.match(/sxtb16 r10, r10/g)!.length;
    // k4 28 in turns of 2 steps (the M4's): the first half and a branch to the loop's fourth, 3 turns
    const m4 = bandRunAsm('f', 1, clamp, { off: 36, turn: 2, zp: undefined, ldrd: false, round: true, halves: 14 });
    expect(m4).to.not.include('mov pc, r10');
    expect(m4).to.include('b 11f');
    expect(halves(m4)).to.equal(5);
    expect(m4).to.include('bne 10b');
    // no entry address computed, and the loop on a word
    expect(m4).to.not.include('adr.w');
    expect(m4).to.include('.balign 4');
    // in turns of 16 steps (the M33's): all 14 halves straight, no loop
    const m33 = bandRunAsm('f', 1, clamp, { off: 36, turn: 16, zp: undefined, ldrd: true, round: true, halves: 14 });
    expect(halves(m33)).to.equal(14);
    expect(m33).to.not.include('bne 10b');
    expect(m33).to.not.include('mov pc, r10');
    // a field length past whole turns enters at the loop's top
    expect(bandRunAsm('f', 1, clamp, { off: 36, turn: 2, zp: undefined, ldrd: false, round: true, halves: 13 })).to.not.include('11f');
    // the generic form keeps its entry
    expect(bandRunAsm('f', 1, clamp, { off: 36, turn: 2, zp: undefined, ldrd: false, round: true })).to.include('mov pc, r10');
  });

  it('lay the weights out in (kx, ky, c) order, the lanes of each 4 values as 0 2 1 3', async () => {
    const { stemBandRows } = await import('../common/isa/dsp_conv/layouts.ts');
    // 2x2 over 3 channels: k 12 = k4; values numbered 1..12 in filter order (ky, kx, c)
    const plain = Int8Array.from({ length: 12 }, (_, i) => i + 1);
    // (kx, ky, c): 1 2 3 7 8 9 | 4 5 6 10 11 12, then lanes 0 2 1 3 a group
    expect([...stemBandRows(plain, 1, 12, 2, 2, 3)]).to.deep.equal([1, 3, 2, 7, 8, 4, 9, 5, 6, 11, 10, 12]);
  });
});

describe('CONV_2D DSP triple run: scratch', () => {
  it('keeps three pixels of outputs for a last partial triple, over the row buffers', async () => {
    const { dspScratchBytes } = await import('../common/isa/dsp_conv/scratch.ts');
    const p = { inH: 5, inW: 5, inC: 3, outH: 5, outW: 5, outC: 9, kH: 3, kW: 3, batches: 1, groups: 1 } as Parameters<typeof dspScratchBytes>[0];
    const k4 = roundUp4(27);
    // 25 pixels: a last triple of one; columns, then three fields and their slack, which the three pixels' outputs fit in
    expect(dspScratchBytes(p)).to.equal(k4 * 6 + 3 * k4 + 4);
    // outputs wider than the row buffers: the scratch grows to them
    expect(dspScratchBytes({ ...p, outC: 64 })).to.equal(k4 * 6 + 3 * 64);
    // no partial triple (24 pixels): columns and row buffers only
    expect(dspScratchBytes({ ...p, outH: 4, outW: 6, outC: 64 })).to.equal(k4 * 6 + 3 * k4 + 4);
  });

  it("fits the C body a layer the run does not take (k4 12..31: pixel pairs, a lone pixel's twin outputs past the rows)", async () => {
    const { dspScratchBytes } = await import('../common/isa/dsp_conv/scratch.ts');
    // 3x3 over 1 channel (k4 12) to 200 channels, 3x3 = 9 pixels (no partial triple, one lone pair pixel)
    const p = { inH: 3, inW: 3, inC: 1, outH: 3, outW: 3, outC: 200, kH: 3, kW: 3, batches: 1, groups: 1 } as Parameters<typeof dspScratchBytes>[0];
    expect(dspScratchBytes(p)).to.be.at.least(12 * 4 + 2 * 12 + 4 + 200);
  });
});

/*
 * Every core and every -O the project compiles at: the kernels compile with -Werror (no "impossible
 * constraints"), and each assembly run's section is word aligned, which its `adr.w` needs (at -Os a
 * function is otherwise halfword aligned, and one placed 2 bytes past a word jumped off its loop).
 */
describe('CONV_2D DSP triple run: compiled for the M4, M7 and M33 at -Os, -O2 and -O3', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'arm-none-eabi-readelf']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-triple-cc-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const target of ['cortex-m4', 'cortex-m7', 'cortex-m33']) {
    it(`${target}: every run's section word aligned`, () => {
      const { toolchain } = loadTarget(target);
      const compiled = compileGraph(MODELS[2]!.graph, 'dsp_tr_cc.tflite', { isa: loadTarget(target).isa });
      const sub = mkdtempSync(join(dir, `${target}-`));
      for (const f of compiled.generated.files) writeFileSync(join(sub, f.name), f.text);
      const source = compiled.generated.files.find((f) => f.role === 'source')!.name;
      for (const level of ['-Os', '-O2', '-O3']) {
        const flags = toolchain.cflags.map((f) => (/^-O/.test(f) ? level : f));
        const obj = join(sub, `model${level}.o`);
        const cc = spawnSync(toolchain.cc, [...flags, '-Wpedantic', `-I${sub}`, '-c', join(sub, source), '-o', obj], { encoding: 'utf8' });
        expect(cc.status, `${target} ${level}: ${cc.stderr}`).to.equal(0);
        const sections = spawnSync('arm-none-eabi-readelf', ['-SW', obj], { encoding: 'utf8' }).stdout;
        const runs = sections.split('\n').filter((l) => /\.text\.tf_dsp_\w*run_/.test(l));
        expect(runs.length, `${target} ${level}: no run in\n${sections}`).to.be.greaterThan(0);
        for (const l of runs) expect(Number(l.trim().split(/\s+/).at(-1)), `${target} ${level}: ${l}`).to.be.at.least(4);
      }
    });
  }
});

const TARGETS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };

for (const [board, target] of Object.entries(TARGETS)) {
  describe(`CONV_2D DSP triple run on the emulated board ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-triple-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const { graph, note, runs, splits, rounded } of MODELS) {
      it(`${graph.name}: ${note}`, async () => {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(RUN)?.length ?? 0).to.equal(runs);
        if (splits !== undefined) expect(text.match(SPLIT)?.length ?? 0).to.equal(splits);
        // the stem bands read on the M4 and M33 only
        if (rounded !== undefined && target !== 'cortex-m7') expect(text.match(ROUNDED)?.length ?? 0).to.equal(rounded);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 7 });
      });
    }
  });
}
