// SPDX-License-Identifier: Apache-2.0
/**
 * L2_NORMALIZATION rows whose sum of squares can leave int32 (depth·255² past 2^31 from depth 33,026):
 * the C sums in uint32_t and hands the inverse square root the int32 TFLite Micro's sum wraps to; UBSan
 * (no recovery) sees no overflow. Below, the signed sum and its bound in a comment.
 */
import { expect } from 'chai';
import l2Normalization, { type L2NormalizationParams } from './index.ts';
import { emitLayerC, evaluateOp } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const OUT = { scale: 1 / 128, zeroPoint: 0 };

function wideRow(depth: number, fill: (i: number) => number, zeroPoint = -128, rows = 1) {
  const { graph, op } = unaryGraph('L2_NORMALIZATION', [rows, depth], { scale: 0.5, zeroPoint }, OUT);
  return { graph, op, inputs: [Int8Array.from({ length: rows * depth }, (_, i) => fill(i))] };
}

describe('L2_NORMALIZATION sums of squares: bounded, or wrapping as in TFLite Micro', () => {
  it('40,000 values of 127, zero point -128: 2,601,000,000 wraps negative, and the inverse square root takes it as 0 (127 out)', () => {
    const c = wideRow(40_000, () => 127);
    const p = l2Normalization.prepare(c.graph, c.op) as L2NormalizationParams;
    expect(p.accWraps).to.equal(true);
    expect(p.accBound).to.match(/<= 2601000000$/);
    const out = evaluateOp(l2Normalization, c.graph, c.op, c.inputs)[0] as Int8Array;
    expect(out.every((v) => v === 127)).to.equal(true);
  });

  it('the C (ASan+UBSan, no recovery) equals the reference: wrapping negative, wrapping positive, mixed, and fitting rows', function () {
    const cases = [
      wideRow(40_000, () => 127),
      wideRow(70_000, () => -128, 127),
      wideRow(90_000, (i) => (i % 3 === 0 ? 127 : i % 3 === 1 ? -128 : 5), -128, 2),
      wideRow(33_025, () => 127),
    ];
    expect(cases.map((c) => (l2Normalization.prepare(c.graph, c.op) as L2NormalizationParams).accWraps)).to.deep.equal([true, true, true, false]);
    expectCMatchesReference(cases.map((c) => ({ def: l2Normalization, ...c })));
  });

  it('TFLite Micro gives the same bytes where its sum wraps positive (a negative one trips its DCHECK_GE(input, 0): tflm-ref aborts)', function () {
    if (!tflmRefAvailable(this)) return;
    // 70,000 x 255² = 4,551,750,000 wraps to 256,782,704; the 40,000-row sum wraps negative, where the
    // release build's inverse square root takes input <= 1 (the largest multiplier), as the C does
    expectTflmAgrees(l2Normalization, [wideRow(70_000, () => -128, 127), wideRow(33_025, () => 127)]);
  });

  it('the emitted C says the bound: int32_t to depth 33,025, uint32_t past it', () => {
    expect(
      emitLayerC(
        l2Normalization,
        wideRow(33_025, () => 0),
      ),
    ).to.match(/sum \(x - z_in\)\^2 <= 2147450625 < 2\^31: no overflow/);
    expect(
      emitLayerC(
        l2Normalization,
        wideRow(33_026, () => 0),
      ),
    ).to.match(/<= 2147515650, past 2\^31: summed in uint32_t/);
    // zero point 0: at most 128² a term
    expect(
      emitLayerC(
        l2Normalization,
        wideRow(16, () => 0, 0),
      ),
    ).to.contain('<= 262144 < 2^31');
  });
});
