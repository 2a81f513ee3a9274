// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { selectVariant } from '../variant.ts';
import conv from './index.ts';
import { type CCase, evaluateOp, firstDifference, rng } from '../../../../test/helpers/op_harness.ts';
import { randomConv, randomPointwise } from '../../../../test/helpers/rv32_cases.ts';
import { PALETTE_ISAS, paletteWeights } from '../../../../test/helpers/palette_cases.ts';
import { runCasesInC } from '../../../../test/helpers/op_harness.ts';
import { preferInSuite, suiteChoices } from '../../../../test/helpers/prefer.ts';

describe('CONV_2D with palette (LUT) weights', () => {
  preferInSuite('size', { entropy: false, int4: false });
  it('computes bit-exactly what the dense reference computes on generated layers (k x k, strides, dilation, padding, groups, 1x1), b = 2..6, every family (host C, ASan + UBSan)', () => {
    const rand = rng(2718);
    const cases: CCase[] = [];
    const seenBits = new Set<number>();
    let pointwise = 0;
    for (let attempt = 0; cases.length < 30 && attempt < 4000; attempt++) {
      const c = rand() < 0.25 ? randomPointwise(conv, rand) : randomConv(conv, rand);
      if (!c) continue;
      const filter = c.graph.tensors[c.op.inputs[1]!]!;
      const [outC, ...rest] = filter.shape as [number, number, number, number];
      const rowLength = rest.reduce((a, b) => a * b, 1);
      const bits = 2 + (cases.length % 5);
      filter.data = new Uint8Array(paletteWeights(rand, outC, rowLength, bits, rand() < 0.5).buffer);
      const isa = PALETTE_ISAS[cases.length % PALETTE_ISAS.length]!;
      const p = conv.prepare(c.graph, c.op, suiteChoices().kernels);
      if (!p.palette) continue;
      seenBits.add(p.palette.bits);
      if (p.kH === 1 && p.kW === 1 && p.strideH === 1 && p.strideW === 1) pointwise++;
      expect(selectVariant(conv, p, isa.isa, suiteChoices().prefer, suiteChoices().kernels).name).to.equal(isa.variant);
      cases.push({ ...c, isa: isa.isa });
    }
    expect(cases.length).to.equal(30);
    expect([...seenBits].sort()).to.deep.equal([2, 3, 4, 5, 6]);
    expect(pointwise).to.be.above(3);
    const results = runCasesInC(cases);
    cases.forEach((c, k) => {
      const expected = evaluateOp(conv, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });
});
