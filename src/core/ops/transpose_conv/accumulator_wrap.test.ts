// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV channels whose int32 accumulator can leave int32 (weights -128 over more than
 * 65,793 taps reaching one output, input zero point 127): the portable C sums in uint32_t and wraps as
 * TFLite Micro's int32 scratch does, no phase kernel is taken, and UBSan (no recovery) sees no
 * overflow; within 2^31 the signed accumulator and the phase kernels stay, the bound in a comment.
 */
import { expect } from 'chai';
import transposeConv, { type TransposeConvParams } from './index.ts';
import type { KernelIsa } from '../op.ts';
import { emitLayerC, evaluateOp, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { selectVariant } from '../variant.ts';

const ISAS: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

/** A 2x2 input of inC channels through a k x k filter (stride s, VALID); channel 0's weights -128, channel 1's 1. */
function wideTranspose(inC: number, input: number, k = 2, s = 1) {
  const out = (2 - 1) * s + k;
  const perOut = k * k * inC;
  const { graph, op } = singleOpGraph(
    'TRANSPOSE_CONV',
    [
      { shape: [4], dtype: 'int32', data: Int32Array.from([1, out, out, 2]) },
      {
        shape: [2, k, k, inC],
        scale: [0.001, 0.001],
        zeroPoint: [0, 0],
        axis: 0,
        data: Int8Array.from({ length: 2 * perOut }, (_, i) => (i < perOut ? -128 : 1)),
      },
      { shape: [1, 2, 2, inC], scale: 0.5, zeroPoint: 127 },
      { shape: [2], dtype: 'int32', data: Int32Array.from([-7, 993]) },
    ],
    [{ shape: [1, out, out, 2], scale: 2 ** 22 * 0.0005, zeroPoint: 3 }],
    { padding: 'VALID', strideH: s, strideW: s, activation: 'NONE' },
  );
  return { graph, op, inputs: [new Int8Array(4 * inC).fill(input)] };
}

describe('TRANSPOSE_CONV accumulators that pass 2^31 wrap as in TFLite Micro', () => {
  it('17,000 channels through a 2x2 filter: 4 taps x 17,000 x 128 x 255 = 2,219,520,000 wraps, in the reference as TFLite Micro', () => {
    const c = wideTranspose(17_000, -128);
    const p = transposeConv.prepare(c.graph, c.op) as TransposeConvParams;
    expect(p.accWraps).to.equal(true);
    expect(p.accBound).to.match(/<= 2219520007$/);
    // the centre output, channel 0: 2,219,520,000 - 7 wraps to -2,075,447,303; x 2^-22 rounds to -495, clamps to -128
    const out = evaluateOp(transposeConv, c.graph, c.op, c.inputs)[0] as Int8Array;
    expect(out[4 * 2]).to.equal(-128);
    for (const isa of ISAS) expect(selectVariant(transposeConv, p, isa).name, JSON.stringify(isa)).to.equal('portable');
  });

  it('the C (ASan+UBSan, no recovery) equals the reference on wrapping layers (stride 1 and 2) and a fitting one', function () {
    const wraps = [wideTranspose(17_000, -128), wideTranspose(17_000, 100), wideTranspose(4_300, -128, 4, 2)];
    for (const c of wraps) expect((transposeConv.prepare(c.graph, c.op) as TransposeConvParams).accWraps).to.equal(true);
    expectCMatchesReference([...wraps, wideTranspose(16, -128, 3, 2)].map((c) => ({ def: transposeConv, ...c })));
  });

  it('TFLite Micro gives the same bytes', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(transposeConv, [wideTranspose(17_000, -128)]);
  });

  it('within 2^31 the signed accumulator and the phase kernels stay, the bound in a comment', () => {
    const fits = wideTranspose(16, -128, 3, 2);
    const p = transposeConv.prepare(fits.graph, fits.op) as TransposeConvParams;
    expect(p.accWraps).to.equal(false);
    expect(selectVariant(transposeConv, p, { dsp: true }).name).to.equal('arm-dsp phases');
    expect(emitLayerC(transposeConv, fits)).to.match(/\|bias\| \+ sum \|w \(x - z_in\)\| <= \d+ < 2\^31: no overflow/);
    expect(emitLayerC(transposeConv, fits, { dsp: true })).to.not.contain('uint32_t acc');
    expect(emitLayerC(transposeConv, wideTranspose(17_000, 0))).to.match(/past 2\^31: summed in uint32_t/);
  });
});
