// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { chooseEncoding } from './encoding_choice.ts';
import { selectVariant } from './variant.ts';
import fc from './fully_connected/index.ts';
import conv from './conv_2d/index.ts';
import type { EncodingCost, KernelIsa, OpDef } from './op.ts';
import { randomInt, rng, singleOpGraph } from '../../test/helpers/op_harness.ts';
import { sparseConvCase } from './common/sparse_cases.ts';

describe('per-layer weight storage choice (encoding_choice.ts)', () => {
  it('never picks an option both bigger and slower than another; speed never grows flash past dense; size takes the fewest bytes (random prices)', () => {
    const rand = rng(99);
    for (let trial = 0; trial < 2000; trial++) {
      const price = (): EncodingCost => ({ flashBytes: randomInt(rand, 1, 50), instructions: randomInt(rand, 1, 50) });
      const dense = { option: 'dense', cost: price() };
      const others = Array.from({ length: randomInt(rand, 0, 4) }, (_, k) => ({ option: `alt${k}`, cost: price() }));
      const all = [dense, ...others];
      for (const prefer of ['size', 'speed'] as const) {
        const chosen = chooseEncoding(dense, others, prefer);
        const dominated = all.some(
          (o) =>
            o.cost.flashBytes <= chosen.cost.flashBytes &&
            o.cost.instructions <= chosen.cost.instructions &&
            (o.cost.flashBytes < chosen.cost.flashBytes || o.cost.instructions < chosen.cost.instructions),
        );
        expect(dominated, `trial ${trial} ${prefer}`).to.equal(false);
        if (prefer === 'size') expect(chosen.cost.flashBytes).to.equal(Math.min(...all.map((o) => o.cost.flashBytes)));
        else {
          expect(chosen.cost.flashBytes).to.be.at.most(dense.cost.flashBytes);
          const fits = all.filter((o) => o.cost.flashBytes <= dense.cost.flashBytes);
          expect(chosen.cost.instructions).to.equal(Math.min(...fits.map((o) => o.cost.instructions)));
        }
      }
    }
  });

  it('a sparse layer wins under speed only when it is faster, and --prefer size switches to it when it is smaller (FC, CONV_2D on every family)', () => {
    const rand = rng(7);
    const families: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
    let sawSwitch = 0;
    for (let trial = 0; trial < 60; trial++) {
      const isa = families[trial % 4];
      const c = sparseConvCase(rand, trial % 3 === 0, isa, [0.5, 0.7, 0.9, 0.97][trial % 4]!);
      if (!c) continue;
      const def = c.def as OpDef;
      const p = def.prepare(c.graph, c.op);
      const dense = def.denseCost!(p, isa);
      for (const prefer of ['speed', 'size'] as const) {
        const v = selectVariant(def, p, isa, prefer);
        if (!v.cost) continue;
        const cost = v.cost(p, isa);
        expect(cost.flashBytes > dense.flashBytes && cost.instructions > dense.instructions, `trial ${trial}`).to.equal(false);
        if (prefer === 'speed') expect(cost.instructions <= dense.instructions && cost.flashBytes <= dense.flashBytes).to.equal(true);
        else expect(cost.flashBytes).to.be.at.most(dense.flashBytes);
      }
      if (selectVariant(def, p, isa, 'speed').storage !== selectVariant(def, p, isa, 'size').storage) sawSwitch++;
    }
    expect(sawSwitch, 'layers where size and speed disagree').to.be.greaterThan(0);
    // FC at 70% zeros on the M4: the sparse form is smaller but slower than the DSP kernel
    const w = new Int8Array(64 * 512).map(() => (rand() < 0.7 ? 0 : randomInt(rand, -127, 127) || 1));
    const { graph, op } = fcGraph(w);
    const p = fc.prepare(graph, op);
    expect(p.sparse).to.not.equal(undefined);
    expect(selectVariant(fc, p, { dsp: true }, 'speed').storage).to.equal(undefined);
    expect(selectVariant(fc, p, { dsp: true }, 'size').storage).to.equal('sparse');
    expect(conv.denseCost).to.be.a('function');
  });
});

function fcGraph(w: Int8Array) {
  return singleOpGraph(
    'FULLY_CONNECTED',
    [{ shape: [1, 512], scale: 0.05, zeroPoint: 3 }, { shape: [64, 512], scale: 0.006, zeroPoint: 0, data: w }, null],
    [{ shape: [1, 64], scale: 0.08, zeroPoint: -5 }],
    { activation: 'NONE', keepNumDims: false },
  );
}
