// SPDX-License-Identifier: Apache-2.0
/**
 * The 1x1 quad routines' requantization without its SUB of 255 [h < 0] where the activation floor
 * lies at or above the output zero point (dsp.ts floorAtZeroPoint: RELU, RELU6, or NONE under zero
 * point -128): the arithmetic over every shift and zero point against TFLite Micro's rounding, the
 * routines' text (four instructions an output, the SUB kept where the floor is below the zero
 * point), the three-instruction form on records of K = 2^(32 - e) (dsp.ts roundRecords, roundLines)
 * where every channel's shift is 2 or more, and sweeps of depths, pixel counts and activations with
 * outputs crowded around the zero point (h < 0 at every rounding boundary), FAST and WIDE, shifts
 * of 1 beside larger ones (the two-step form), on the host twin and on the emulated Cortex-M4,
 * Cortex-M7 and Cortex-M33, bit-exact with the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import conv from './index.ts';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { quadLoneAsm } from '../common/isa/dsp_conv/lone_quad_run.ts';
import { quadRunAsm } from '../common/isa/dsp_conv/quad_run.ts';
import { roundLines, rqLines } from '../common/isa/dsp_conv/run_asm.ts';
import { floorAtZeroPoint, roundRecords } from '../common/isa/dsp.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { int8LayerCases, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

/** TFLite Micro's RoundingDivideByPOT(h, e): half away from zero. */
function rdbpot(h: number, e: number): number {
  const mask = 2 ** e - 1;
  const rem = ((h % 2 ** e) + 2 ** e) % 2 ** e;
  const threshold = (mask >> 1) + (h < 0 ? 1 : 0);
  return Math.floor(h / 2 ** e) + (rem > threshold ? 1 : 0);
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** rqLines' integer steps past the SMMLAR on h (int32 wrap as the core's), with or without the SUB, then the saturation and the clamp. */
function routine(h: number, e: number, zp: number, actMin: number, actMax: number, wide: boolean, floor: boolean): number {
  const rnd = wide ? 2 ** (e - 1) : 2 ** e + zp * 2 ** (e + 1);
  const shift = wide ? e + 8 : e + 9;
  const p = (rnd * 256 + shift) | 0;
  const neg = h < 0 ? 255 : 0; // h >>> 24 for |h| < 2^24
  const n = (p + (h << (wide ? 8 : 9)) - (floor ? 0 : neg)) | 0;
  const v = n >> shift;
  return wide ? clamp(clamp(v, 0, 255), actMin - zp, actMax - zp) + zp : clamp(clamp(v, -128, 127), actMin, actMax);
}

/** roundLines' steps on h: SMMLAR(h, 2^(32 - e), zp) (FAST) or SMMULR(h, 2^(32 - e)) then the zero point (WIDE), then the saturation and the clamp. */
function rounded(h: number, e: number, zp: number, actMin: number, actMax: number, wide: boolean): number {
  const k = BigInt(2 ** (32 - e));
  const v = Number((BigInt(h) * k + 2n ** 31n) >> 32n) + (wide ? 0 : zp);
  return wide ? clamp(clamp(v, 0, 255), actMin - zp, actMax - zp) + zp : clamp(clamp(v, -128, 127), actMin, actMax);
}

interface Layer {
  inC: number;
  outC: number;
  hw: [number, number];
  activation: FusedActivation;
  wide: boolean;
  zeroPoint: number;
  /** output scales that give some channel a shift of -1 (the two-step form: no rounding records) */
  shiftOne?: boolean;
}

/** Independent 1x1 layers whose outputs crowd the zero point: output scales that put most accumulators within a few steps of it. */
function floorModel(seed: number, layers: Layer[]): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(`dsp_quad_floor_${seed}`);
  const outs = layers.map((l, i) => {
    const [h, w] = l.hw;
    const inScale = 0.02 + rand() * 0.05;
    const x = b.input({ shape: [1, h, w, l.inC], q: { scale: inScale, zeroPoint: randomInt(rand, -128, 127) }, name: `x${i}` });
    const perChannel = rand() < 0.7;
    const scales = Array.from({ length: perChannel ? l.outC : 1 }, () => 0.002 + rand() * 0.02);
    const filter = b.constant(
      { shape: [l.outC, 1, 1, l.inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, l.outC * l.inC, -127, 127),
    );
    const bias = b.constant(
      { shape: [l.outC], dtype: 'int32' },
      Int32Array.from({ length: l.outC }, () => randomInt(rand, -3000, 3000)),
    );
    // WIDE: shifts near -15 (zero point -128); FAST: outputs within a few dozen steps of the zero point
    // shiftOne: the largest channel scale over the output scale in [1/4, 1/2) (shift -1)
    const outScale = l.shiftOne
      ? inScale * Math.max(...scales) * (2.1 + rand() * 1.8)
      : l.wide
        ? inScale * scales[0]! * 2 ** (14 + rand() * 3)
        : inScale * scales[0]! * Math.sqrt(l.inC) * (30 + rand() * 120);
    return b.op('CONV_2D', [x, filter, bias], [{ shape: [1, h, w, l.outC], q: { scale: outScale, zeroPoint: l.zeroPoint } }], {
      padding: 'VALID',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: l.activation,
    })[0]!;
  });
  b.output(...outs);
  return b.build();
}

const PIXELS: [number, number][] = [
  [1, 1],
  [1, 2],
  [3, 3],
  [2, 4],
  [5, 5],
];

/** Depths 16 to 132 and random, whole quads; RELU, RELU6 and NONE at zero point -128 (the floor), NONE above it (the SUB kept). */
function floorLayers(seed: number, count: number): Layer[] {
  const rand = rng(seed);
  const layers: Layer[] = [{ inC: 64, outC: 8, hw: [2, 3], activation: 'NONE', wide: false, zeroPoint: 5 }];
  const kinds: { activation: FusedActivation; zp: () => number; wide: boolean; shiftOne?: boolean }[] = [
    { activation: 'RELU', zp: () => randomInt(rand, -128, 100), wide: false },
    { activation: 'RELU6', zp: () => -128, wide: false },
    { activation: 'NONE', zp: () => -128, wide: false },
    { activation: 'RELU6', zp: () => randomInt(rand, -128, 60), wide: false },
    { activation: 'RELU', zp: () => -128, wide: true },
    { activation: 'NONE', zp: () => randomInt(rand, -127, 100), wide: false },
    { activation: 'RELU', zp: () => randomInt(rand, -128, 0), wide: false, shiftOne: true },
  ];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length]!;
    const inC = i < 8 ? 16 + 16 * i : 4 * randomInt(rand, 4, 40);
    layers.push({
      inC,
      outC: 4 * randomInt(rand, 1, 6),
      hw: PIXELS[i % PIXELS.length]!,
      activation: kind.activation,
      wide: kind.wide,
      zeroPoint: kind.zp(),
      shiftOne: kind.shiftOne ?? false,
    });
  }
  return layers;
}

function quadRoutines(text: string): string[] {
  return text.split(/(?=\/\* the channel quads of a 1x1 pairs layer)/).slice(1);
}

describe('CONV_2D DSP 1x1 quads: requantization floored at the zero point', () => {
  it('without the SUB, every h and shift gives what TFLite Micro gives once floored at the zero point', () => {
    const rand = rng(9401);
    let checked = 0;
    const wrong: string[] = [];
    for (let e = 0; e <= 22; e++) {
      for (const zp of [-128, -127, -100, -1, 0, 1, 37, 100, 127]) {
        for (const wide of [false, true]) {
          if (wide && (e < 1 || zp !== -128)) continue;
          const rnd = wide ? 2 ** (e - 1) : Math.abs(2 ** e + zp * 2 ** (e + 1));
          // the bounds FAST and WIDE are taken under (dsp.ts fastRequantHolds, wideRequantHolds)
          const hMax = Math.min(2 ** 23 - 1, Math.floor((2 ** 31 - 512 - 256 * rnd) / (wide ? 256 : 512)));
          if (hMax < 1 || (!wide && e + 9 > 31)) continue;
          const hs = [-1, -2, -3, 0, 1, -(2 ** e), -(2 ** e) - 1, -(2 ** (e + 1)), -hMax, hMax];
          for (let i = 0; i < 200; i++) hs.push(-randomInt(rand, 1, Math.min(hMax, 2 ** (e + 3))), -randomInt(rand, 1, hMax));
          for (let half = -3; half <= 3; half++) hs.push(-(2 ** Math.max(e - 1, 0)) + half, -3 * 2 ** Math.max(e - 1, 0) + half);
          for (const actMax of [127, 60, zp + 3 > 127 ? 127 : zp + 3]) {
            for (const actMin of [zp, zp + 2]) {
              if (actMin > actMax) continue;
              if (!floorAtZeroPoint(wide ? 2 : 1, actMin, zp)) wrong.push(`not floored: zp ${zp} act_min ${actMin}`);
              for (const h of hs) {
                if (h < -hMax || h > hMax) continue;
                const want = clamp(rdbpot(h, e) + zp, actMin, actMax);
                if (routine(h, e, zp, actMin, actMax, wide, false) !== want) wrong.push(`SUB kept: e ${e} zp ${zp} h ${h}`);
                if (routine(h, e, zp, actMin, actMax, wide, true) !== want) wrong.push(`floored: e ${e} zp ${zp} h ${h} [${actMin}, ${actMax}]`);
                if (e >= 2 && rounded(h, e, zp, actMin, actMax, wide) !== want) wrong.push(`rounded: e ${e} zp ${zp} h ${h} [${actMin}, ${actMax}]`);
                checked++;
              }
            }
          }
        }
      }
    }
    expect(wrong.slice(0, 5)).to.deep.equal([]);
    expect(checked).to.be.greaterThan(10000);
    // below the zero point the SUB is needed: h = -2^e - 2^(e-1) rounds to -2 there, to -1 without it
    expect(floorAtZeroPoint(1, -128, -100)).to.equal(false);
    expect(floorAtZeroPoint(0, 0, 0)).to.equal(false);
    expect(routine(-3, 1, 0, -128, 127, false, true)).to.not.equal(clamp(rdbpot(-3, 1), -128, 127));
    expect(rounded(-6, 2, 0, -128, 127, false)).to.not.equal(clamp(rdbpot(-6, 2), -128, 127));
    // the records: K = 2^(32 - e) from P's low byte (e + 9 FAST, e + 8 WIDE); none where a shift is below 2
    expect([...roundRecords(Int32Array.from([7, 5, 256 * 3 + 9 + 5, 8, 6, -256 * 40 + 9 + 2]), 1)!]).to.deep.equal([7, 5, 2 ** 27, 8, 6, 2 ** 30]);
    expect([...roundRecords(Int32Array.from([7, 5, 2 ** 12 + 8 + 5]), 2)!]).to.deep.equal([7, 5, 2 ** 27]);
    expect(roundRecords(Int32Array.from([7, 5, 256 * 3 + 9 + 5, 8, 6, 256 + 9 + 1]), 1)).to.equal(undefined);
    expect(roundRecords(Int32Array.from([7, 5, 9]), 1)).to.equal(undefined);
    expect(roundRecords(Int32Array.from([7, 5, 256 * 3 + 9 + 5]), 0)).to.equal(undefined);
  });

  it('the floored routines requantize in four instructions an output (three on rounding records), the others in five', () => {
    for (const fast of [1, 2]) {
      expect(rqLines('r0', 'r8', 'r9', fast, 'r12', true)).to.have.length(4);
      expect(rqLines('r0', 'r8', 'r9', fast, 'r12')).to.have.length(5);
      expect(roundLines('r0', 'r8', 'r9', fast, 'r12')).to.have.length(3);
      for (const [form, turn] of [
        [true, 4],
        ['dual', 8],
        [false, 16],
      ] as const) {
        const round = quadRunAsm('q', fast, { lo: true, hi: true }, { loadForm: form, turn: turn, sentinel: true, floor: true, round: true });
        expect(round).to.include('rounding records');
        expect(round).to.not.include('lsr #24');
        expect(round).to.not.include('lsl #9');
        // FAST's zero point from the frame's zp4 word into the SMMLAR's addend
        expect(round.includes('ldr r12, [sp, #28]')).to.equal(fast === 1);
        expect(round.includes('smmlar r7, r7, r11, r12')).to.equal(fast === 1);
        expect(round.includes('smmulr r7, r7, r11')).to.equal(fast === 2);
      }
      expect(quadLoneAsm('q', fast, { lo: false, hi: true }, { floor: true, round: true })).to.include(
        fast === 1 ? 'smmlar r3, r3, r7, r8' : 'smmulr r3, r3, r7',
      );
      expect(() => quadRunAsm('q', fast, { lo: false, hi: false }, { loadForm: true, turn: 4, sentinel: true, floor: false, round: true })).to.throw(/floor/);
      for (const [form, turn] of [
        [true, 4],
        ['dual', 8],
        [false, 16],
      ] as const) {
        const floored = quadRunAsm('q', fast, { lo: false, hi: true }, { loadForm: form, turn: turn, sentinel: true, floor: true });
        expect(floored).to.not.include('lsr #24');
        expect(floored).to.include('floor at the zero point');
        expect(quadRunAsm('q', fast, { lo: false, hi: true }, { loadForm: form, turn: turn, sentinel: true })).to.include('lsr #24');
      }
      expect(quadLoneAsm('q', fast, { lo: true, hi: false }, { floor: true })).to.not.include('lsr #24');
      expect(quadLoneAsm('q', fast, { lo: true, hi: false })).to.include('lsr #24');
    }
    const graph = floorModel(9501, floorLayers(9502, 7));
    const text = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa }).generated.files.find((f) => f.role === 'source')!.text;
    const routines = quadRoutines(text);
    expect(routines.some((r) => r.includes('floor at the zero point)') && !r.includes('lsr #24'))).to.equal(true);
    expect(routines.some((r) => r.includes('rounding records') && !r.includes('lsl #9'))).to.equal(true);
    expect(routines.some((r) => !r.includes('floor at the zero point') && r.includes('lsr #24'))).to.equal(true);
  });

  it('sweeps with outputs around the zero point match the reference on the host twin', () => {
    const graph = floorModel(9601, floorLayers(9602, 18));
    const rand = rng(9603);
    expectCMatchesReference(int8LayerCases(conv, graph, rand, { dsp: true }));
  });

  const BOARDS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };
  for (const [board, target] of Object.entries(BOARDS)) {
    describe(`on the emulated board ${board}`, function () {
      let dir: string;
      before(function () {
        requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
        dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-floor-'));
      });
      after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      });
      it('RELU, RELU6 and NONE at zero point -128, FAST and WIDE, odd pixel counts: bit-exact', async function () {
        const index = Object.keys(BOARDS).indexOf(board);
        const graph = floorModel(9701 + index, floorLayers(9801 + index, 18));
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.include('floor at the zero point)');
        expect(text).to.include('rounding records');
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 31 + index });
      });
    });
  }
});
