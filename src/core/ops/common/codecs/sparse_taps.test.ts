// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import type { KernelIsa } from '../../op.ts';
import { selectVariant } from '../../variant.ts';
import { SPARSE_TAPS_MIN_ZEROS, encodeConvTaps } from './sparse_taps.ts';
import { prunedWeights, sparseConvCase } from '../../../../../test/helpers/sparse_cases.ts';
import { type CCase, evaluateOp, firstDifference, rng, runCasesInC } from '../../../../../test/helpers/op_harness.ts';
import { suiteChoices, withChoices } from '../../../../../test/helpers/prefer.ts';

const FAMILIES: { isa: KernelIsa | undefined; name: string }[] = [
  { isa: undefined, name: 'sparse' },
  { isa: { dsp: true }, name: 'arm-dsp sparse' },
  { isa: { dsp: false, armv6m: true }, name: 'armv6m sparse' },
  { isa: { dsp: false, rv32: true }, name: 'rv32 sparse' },
];
const FORMS = ['groups', 'offsets'] as const;
/** Runs `work` with the sparse kernels forced, in one form. */
function withForcedSparse<T>(form: (typeof FORMS)[number], work: () => T): T {
  return withChoices({ kernels: { sparse: 'force', sparseForm: form } }, work);
}

describe('sparse CONV_2D and DEPTHWISE_CONV_2D (common/codecs/sparse_taps.ts)', () => {
  it('encodes tap groups of channel entries, bridging channel gaps over 255 with zero fillers', () => {
    // one output channel, 2 taps of 600 channels: tap 0 has channels 3 and 600-1, tap 1 nothing but channel 0
    const w = new Int8Array(2 * 600);
    w[3] = 5;
    w[599] = -7;
    w[600] = 9;
    for (let i = 0; i < w.length; i++) if (i !== 3 && i !== 599 && i !== 600) w[i] = 0;
    const s = encodeConvTaps(w, 1, 2, 600)!;
    expect(Array.from(s.groups)).to.deep.equal([2]);
    expect(Array.from(s.taps)).to.deep.equal([0, 1]);
    expect(Array.from(s.counts)).to.deep.equal([4, 1]);
    expect(Array.from(s.values)).to.deep.equal([5, 0, 0, -7, 9]);
    expect(Array.from(s.deltas)).to.deep.equal([3, 255, 255, 86, 0]);
    expect(encodeConvTaps(prunedWeights(rng(1), 1000, SPARSE_TAPS_MIN_ZEROS - 0.2), 10, 10, 10)).to.equal(undefined);
  });

  it('every family kernel of both forms equals the reference on random layers, sparsities 40..99%, zero points, padding, dilation (host C, ASan + UBSan)', () => {
    expectFamiliesExact(rng(1414), false);
  });

  it('... and on layers with whole channels pruned as trained models leave them (biases of +-2^30): the DSP forms on SMMLAR records', () => {
    expectFamiliesExact(rng(1415), true);
  });
});

/** Five layers per family, form and op (sparsities 40..99 %), each family kernel's C against the reference. */
function expectFamiliesExact(rand: () => number, deadChannels: boolean): void {
  {
    const cases: CCase[] = [];
    const results: Uint8Array[][] = [];
    for (const form of FORMS) {
      const formCases: CCase[] = [];
      withForcedSparse(form, () => {
        for (const { isa, name } of FAMILIES) {
          for (const isDepthwise of [false, true]) {
            let made = 0;
            while (made < 5) {
              const zeros = [0.4, 0.6, 0.8, 0.95, 0.99][made % 5]!;
              const c = sparseConvCase(rand, isDepthwise, isa, zeros, deadChannels);
              if (!c) continue;
              const p = c.def.prepare(c.graph, c.op, suiteChoices().kernels) as { sparse?: unknown; sparseOffsets?: unknown };
              if (!(form === 'groups' ? p.sparse : p.sparseOffsets)) continue;
              expect(selectVariant(c.def, p, isa, suiteChoices().prefer, suiteChoices().kernels).name).to.equal(`${name} ${form}`);
              formCases.push(c);
              made++;
            }
          }
        }
        results.push(...runCasesInC(formCases));
      });
      cases.push(...formCases);
    }
    cases.forEach((c, k) => {
      const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[k]![0]!), `case ${k} ${c.op.kind}`).to.equal(undefined);
    });
  }
}
