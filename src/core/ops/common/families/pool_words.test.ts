// SPDX-License-Identifier: Apache-2.0
/**
 * The word-at-a-time pool variants (pool_words.h, pool_variants.ts) of the Arm DSP and Armv6-M
 * families: the reciprocal division checked against TFLite Micro's rounding division for every sum
 * of every window size it is used for, and random layers (shapes, windows, strides, padding, channel
 * counts, batches, activations, zero points) byte for byte against the TypeScript reference through
 * the host build (arm_dsp.h's C twins stand in for the DSP instructions).
 */
import { expect } from 'chai';
import averagePool2d from '../../average_pool_2d/index.ts';
import maxPool2d from '../../max_pool_2d/index.ts';
import type { FusedActivation } from '../../../ir/graph.ts';
import type { KernelIsa, OpDef } from '../../op.ts';
import { selectVariant } from '../../variant.ts';
import { averageOfTaps } from './pool.ts';
import { maxWindowTaps } from './pool_variants.ts';
import {
  type CCase,
  type PoolCase,
  evaluateOp,
  firstDifference,
  poolGraph,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
} from '../../../../../test/helpers/op_harness.ts';

const ISAS: Record<string, KernelIsa> = { 'arm-dsp': { dsp: true }, armv6m: { dsp: false, armv6m: true }, rv32: { dsp: false, rv32: true } };
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** pool_words.h's tf_pool_divide in exact integers. */
function reciprocalDivide(sum: number, count: number): { q: number; product: number } {
  const r = Math.floor((2 ** 24 + count - 1) / count);
  const n = Math.abs(sum) + Math.floor(count / 2);
  const product = n * r;
  const q = Math.floor(product / 2 ** 24);
  return { q: sum < 0 ? -q : q, product };
}

function randomPoolCase(rand: () => number, def: OpDef, kind: string, isa: KernelIsa, family: string): CCase {
  for (;;) {
    // 2x2, 4x4, 1x2, 2x4 ... (2^k taps: the DSP average divides in the lanes) as well as 3x3 and up
    const fh = randomInt(rand, rand() < 0.2 ? 1 : 2, rand() < 0.15 ? 16 : 5);
    const fw = rand() < 0.7 ? fh : randomInt(rand, 1, 6);
    const global = rand() < 0.15;
    const h = global ? fh : randomInt(rand, 1, 12);
    const w = global ? fw : randomInt(rand, 1, 12);
    const depth = family !== 'arm-dsp' && rand() < 0.8 ? 4 * randomInt(rand, 1, 24) : randomInt(rand, 1, 70);
    const c: PoolCase = {
      shape: [randomInt(rand, 1, 2), h, w, depth],
      filter: [fh, fw],
      stride: [randomInt(rand, 1, 3), randomInt(rand, 1, 3)],
      padding: rand() < 0.5 ? 'SAME' : 'VALID',
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
      scale: 0.01 + rand() * 0.1,
      zeroPoint: randomInt(rand, -128, 127),
    };
    if (c.padding === 'VALID' && (fh > h || fw > w)) continue;
    const { graph, op } = poolGraph(kind, c);
    const n = c.shape.reduce((a, v) => a * v, 1);
    // full range, or only the extremes (the largest sums and the max's ties at -128 and 127)
    const values = rand() < 0.3 ? Int8Array.from({ length: n }, () => (rand() < 0.5 ? -128 : 127)) : randomInt8(rand, n);
    return { def, graph, op, inputs: [values], isa };
  }
}

describe('AVERAGE_POOL_2D and MAX_POOL_2D word variants (pool_words.h)', () => {
  it('divides by a reciprocal exactly as TFLite Micro rounds, for every sum of windows of 1..256 taps', () => {
    for (let count = 1; count <= 256; count++) {
      for (let sum = -128 * count; sum <= 127 * count; sum++) {
        const { q, product } = reciprocalDivide(sum, count);
        if (product >= 2 ** 32 || q !== averageOfTaps([sum], count)) {
          expect.fail(`count ${count}, sum ${sum}: ${q} (product ${product}), want ${averageOfTaps([sum], count)}`);
        }
      }
    }
  });

  it("round a 2x2 window's average with byte-wise halvings exactly as TFLite Micro divides, for every pair of pair sums", () => {
    // pool_words.h's tf_pool_avg4_biased on one byte: h1, l1 depend on a + b only, h2, l2 on c + d only
    for (let ab = 0; ab <= 510; ab++) {
      for (let cd = 0; cd <= 510; cd++) {
        const [h1, l1, h2, l2] = [ab >> 1, ab & 1, cd >> 1, cd & 1];
        const [h, l3] = [(h1 + h2) >> 1, (h1 + h2) & 1];
        const t = h >> 7;
        const carry = l3 ? l1 | l2 | t : l1 & l2 & t;
        const want = averageOfTaps([ab + cd - 512], 4) + 128;
        if (h + carry !== want) expect.fail(`a + b = ${ab}, c + d = ${cd}: ${h + carry}, want ${want}`);
      }
    }
  });

  it('are chosen for windows of 9 (the DSP max: 1; the DSP average: 2^k too) to 256 taps (Armv6-M: whole words of channels)', () => {
    const p = {
      batches: 1,
      inH: 7,
      inW: 7,
      depth: 64,
      outH: 1,
      outW: 1,
      filterH: 7,
      filterW: 7,
      strideH: 1,
      strideW: 1,
      padTop: 0,
      padLeft: 0,
      actMin: -128,
      actMax: 127,
    };
    for (const [family, isa] of Object.entries(ISAS)) {
      expect(selectVariant(averagePool2d, p, isa).name).to.equal(family);
      // RV32's SWAR max pays up to 30 taps only (pool_variants.ts)
      expect(selectVariant(maxPool2d, { ...p, inH: 16, inW: 16, filterH: 16, filterW: 16 }, isa).name).to.equal(family === 'rv32' ? 'portable' : family);
      expect(selectVariant(maxPool2d, { ...p, inH: 5, inW: 5, filterH: 5, filterW: 5 }, isa).name).to.equal(family);
      expect(selectVariant(averagePool2d, { ...p, inH: 17, inW: 16, filterH: 17, filterW: 16 }, isa).name).to.equal('portable');
    }
    expect(maxWindowTaps({ ...p, filterH: 20, filterW: 3 })).to.equal(21);
    // 2x2 windows: the DSP max, and the DSP average (4 taps: a lane shift); 3x2 (6 taps) keeps the portable average
    const small = { ...p, filterH: 2, filterW: 2, strideH: 2, strideW: 2, outH: 3, outW: 3 };
    expect(selectVariant(maxPool2d, small, ISAS['arm-dsp']!).name).to.equal('arm-dsp');
    expect(selectVariant(averagePool2d, small, ISAS['arm-dsp']!).name).to.equal('arm-dsp');
    expect(selectVariant(averagePool2d, { ...small, filterH: 3 }, ISAS['arm-dsp']!).name).to.equal('portable');
    // 2x2 on the families without SIMD: their own loop (tf_pool2x2_words_body), whole words of channels only
    for (const family of ['armv6m', 'rv32']) {
      expect(selectVariant(maxPool2d, small, ISAS[family]!).name).to.equal(family);
      expect(selectVariant(averagePool2d, small, ISAS[family]!).name).to.equal(family);
      expect(selectVariant(averagePool2d, { ...small, depth: 6 }, ISAS[family]!).name).to.equal('portable');
      expect(selectVariant(averagePool2d, { ...small, filterW: 3 }, ISAS[family]!).name).to.equal('portable');
    }
    expect(selectVariant(maxPool2d, { ...p, depth: 6 }, ISAS.armv6m).name).to.equal('portable');
    expect(selectVariant(maxPool2d, { ...p, depth: 6 }, ISAS['arm-dsp']!).name).to.equal('arm-dsp');
  });

  for (const [kind, def] of [
    ['AVERAGE_POOL_2D', averagePool2d],
    ['MAX_POOL_2D', maxPool2d],
  ] as const) {
    for (const [family, isa] of Object.entries(ISAS)) {
      it(`${kind}, ${family}: random layers match the reference byte for byte`, function () {
        const rand = rng(kind.length * 31 + family.length);
        const cases = Array.from({ length: 40 }, () => randomPoolCase(rand, def, kind, isa, family));
        let chosen = 0;
        for (const c of cases) if (selectVariant(def, def.prepare(c.graph, c.op), isa).name === family) chosen++;
        expect(chosen, 'layers the variant covers').to.be.greaterThan(15);
        const got = runCasesInC(cases);
        cases.forEach((c, i) => {
          const want = new Uint8Array((evaluateOp(def, c.graph, c.op, c.inputs)[0] as Int8Array).buffer);
          expect(firstDifference(want, got[i]![0]!), `case ${i}: ${JSON.stringify(c.graph.tensors[c.op.inputs[0]!]!.shape)}`).to.equal(undefined);
        });
      });
    }
  }
});
