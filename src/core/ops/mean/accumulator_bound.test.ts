// SPDX-License-Identifier: Apache-2.0
/**
 * MEAN int8's word kernels (mean_words.h) are taken only where their int32 sums provably stay below
 * 2^31 (words.ts, meanWordsBound: taps·128 for the channel sums, taps·255 for the biased run total);
 * past it every family runs the portable kernel, which sums in uint32_t and wraps as TFLite Micro's
 * int32 sum does, without undefined behaviour under UBSan.
 */
import { expect } from 'chai';
import mean from './index.ts';
import type { MeanParams } from './index.ts';
import { emitLayerC } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, reduceGraph } from '../../../../test/helpers/op_checks.ts';
import type { KernelIsa } from '../op.ts';
import { selectVariant } from '../variant.ts';

const ISAS: [string, KernelIsa][] = [
  ['arm-dsp', { dsp: true }],
  ['armv6m', { dsp: false, armv6m: true }],
  ['rv32', { dsp: false, rv32: true }],
];
const QI = { scale: 0.5, zeroPoint: 127 };
const QO = { scale: 0.25, zeroPoint: -3 };

/** [1, taps, 4] over the taps (the words body) */
const spatial = (taps: number) => reduceGraph('MEAN', [1, taps, 4], [1], [1, 4], QI, QO, false);
/** [1, n] to one value (the runs body) */
const whole = (n: number) => reduceGraph('MEAN', [1, n], [1], [1], QI, QO, false);

const variantOf = (c: ReturnType<typeof spatial>, isa: KernelIsa) => selectVariant(mean, mean.prepare(c.graph, c.op) as MeanParams, isa).name;

describe('MEAN int8 word kernels: taken within their int32 bound only', () => {
  it('the words body to 16,777,215 taps (x 128 < 2^31), the runs body to 8,421,504 elements (x 255 < 2^31); past them the portable kernel', () => {
    for (const [family, isa] of ISAS) {
      expect(variantOf(spatial(16_777_215), isa)).to.equal(`${family} words`);
      expect(variantOf(spatial(16_777_216), isa)).to.equal('portable');
      expect(variantOf(whole(8_421_504), isa)).to.equal(`${family} runs`);
      expect(variantOf(whole(8_421_505), isa)).to.equal('portable');
    }
  });

  it('the emitted C states the bound', () => {
    expect(emitLayerC(mean, spatial(300), { dsp: true })).to.contain('channel sums: 300 x 128 <= 38400 < 2^31: no overflow');
    expect(emitLayerC(mean, whole(1000), { dsp: false, rv32: true })).to.contain('biased run total: 1000 x 255 <= 255000 < 2^31: no overflow');
  });

  it('all-extreme data on the word kernels (ASan+UBSan, no recovery) equals the reference', function () {
    const cases = [
      { ...spatial(70_000), inputs: [new Int8Array(280_000).fill(-128)] },
      { ...whole(300_001), inputs: [new Int8Array(300_001).fill(127)] },
    ];
    expectCMatchesReference(ISAS.flatMap(([, isa]) => cases.map((c) => ({ def: mean, ...c, isa }))));
  });

  it('8,421,505 values of -128 (zero point 127): the sum passes -2^31 and wraps; the portable C, summing in uint32_t, equals the wrapping reference', function () {
    // the fewest values whose sum leaves int32: 8,421,505 x -255 = -2,147,483,775
    const n = 8_421_505;
    const c = whole(n);
    expect(variantOf(c, { dsp: true })).to.equal('portable');
    expectCMatchesReference([{ def: mean, ...c, inputs: [new Int8Array(n).fill(-128)], isa: { dsp: true } }]);
  });
});
