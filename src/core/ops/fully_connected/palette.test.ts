// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { selectVariant } from '../variant.ts';
import fc from './index.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { decodePalette, encodePalette, paletteBytes } from '../common/codecs/palette.ts';
import { PALETTE_ISAS as ISAS, paletteWeights } from '../../../../test/helpers/palette_cases.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { preferInSuite, suiteChoices } from '../../../../test/helpers/prefer.ts';

describe('FULLY_CONNECTED with palette (LUT) weights', () => {
  preferInSuite('size', { entropy: false, int4: false });
  it('encodes losslessly, picks the smaller of per-layer and per-channel LUTs, and only when smaller than dense and int4', () => {
    const rand = rng(7);
    for (let k = 0; k < 60; k++) {
      const bits = randomInt(rand, 2, 6);
      const rows = randomInt(rand, 1, 20);
      const columns = randomInt(rand, 1, 600);
      const w = paletteWeights(rand, rows, columns, bits, rand() < 0.5);
      const e = encodePalette(w, rows, columns);
      if (!e) continue;
      expect(Array.from(decodePalette(e))).to.deep.equal(Array.from(w));
      expect(e.bits).to.be.within(2, 6);
      expect(e.bytes).to.equal(paletteBytes(rows, columns, e.bits, e.perChannel));
      expect(e.bytes).to.be.below(rows * columns);
      if (w.every((v) => v >= -8 && v <= 7)) expect(e.bytes).to.be.below(rows * Math.ceil(columns / 2));
    }
    // random int8 weights (no palette) never take it
    expect(encodePalette(randomInt8(rand, 16 * 300), 16, 300)).to.equal(undefined);
    // values that fit int4 need b <= 3 to beat packing: 16 values in [-8, 7] stay off the palette
    const int4 = Int8Array.from({ length: 8 * 256 }, (_, i) => ((i * 7) % 16) - 8);
    expect(encodePalette(int4, 8, 256)).to.equal(undefined);
    const fourValues = Int8Array.from({ length: 8 * 256 }, (_, i) => [-7, -2, 1, 6][(i * 5) % 4]!);
    expect(encodePalette(fourValues, 8, 256)!.bits).to.equal(2);
  });

  it('computes bit-exactly what the dense reference computes on generated layers, b = 2..6, every family (host C, ASan + UBSan)', () => {
    const rand = rng(1414);
    const cases: CCase[] = [];
    const seenBits = new Set<number>();
    let attempts = 0;
    while (cases.length < 30 && attempts++ < 2000) {
      const isa = ISAS[cases.length % ISAS.length]!;
      const bits = 2 + (cases.length % 5);
      const perChannel = rand() < 0.5;
      const batches = randomInt(rand, 1, 3);
      const out = randomInt(rand, 1, 24);
      // rows long enough for the LUT to pay at the larger b
      const inF = randomInt(rand, bits <= 3 ? 9 : 40, bits >= 5 ? 700 : 400);
      const weights = paletteWeights(rand, out, inF, bits, perChannel);
      const perChannelQuant = rand() < 0.5;
      const { graph, op } = singleOpGraph(
        'FULLY_CONNECTED',
        [
          { shape: [batches, inF], scale: 0.05, zeroPoint: rand() < 0.3 ? 0 : randomInt(rand, -128, 127) },
          {
            shape: [out, inF],
            data: weights,
            scale: perChannelQuant ? Array.from({ length: out }, () => 0.0005 + rand() * 0.002) : 0.001,
            zeroPoint: perChannelQuant ? new Array(out).fill(0) : 0,
          },
          rand() < 0.7 ? { shape: [out], dtype: 'int32', data: Int32Array.from({ length: out }, () => randomInt(rand, -30000, 30000)) } : null,
        ],
        [{ shape: [batches, out], scale: rand() < 0.2 ? 0.0002 : 0.05 + rand() * 0.5, zeroPoint: randomInt(rand, -20, 20) }],
        { activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[randomInt(rand, 0, 3)] as FusedActivation, keepNumDims: false },
      );
      const p = fc.prepare(graph, op, suiteChoices().kernels);
      if (!p.palette) continue;
      seenBits.add(p.palette.bits);
      expect(selectVariant(fc, p, isa.isa, suiteChoices().prefer, suiteChoices().kernels).name, isa.name).to.equal(isa.variant);
      cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * inF)], isa: isa.isa });
    }
    expect(cases.length).to.equal(30);
    expect([...seenBits].sort()).to.deep.equal([2, 3, 4, 5, 6]);
    const results = runCasesInC(cases);
    cases.forEach((c, k) => {
      const expected = evaluateOp(fc, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('gives its cost: the stored bytes and instructions that grow with the weights', () => {
    const rand = rng(3);
    const { graph, op } = singleOpGraph(
      'FULLY_CONNECTED',
      [{ shape: [1, 256], scale: 0.05, zeroPoint: 3 }, { shape: [64, 256], data: paletteWeights(rand, 64, 256, 2, true), scale: 0.001, zeroPoint: 0 }, null],
      [{ shape: [1, 64], scale: 0.1, zeroPoint: 0 }],
      { activation: 'NONE', keepNumDims: false },
    );
    const p = fc.prepare(graph, op, suiteChoices().kernels);
    const v = selectVariant(fc, p, { dsp: true }, suiteChoices().prefer, suiteChoices().kernels);
    const cost = v.cost!(p, { dsp: true });
    expect(cost.flashBytes)
      .to.equal(p.palette!.bytes)
      .and.below((64 * 256) / 3);
    expect(cost.instructions).to.be.above(64 * 256);
  });
});
