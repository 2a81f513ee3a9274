// SPDX-License-Identifier: Apache-2.0
/**
 * BATCH_MATMUL int8 rows whose int32 accumulator can leave int32 (both zero points -128: k·255² past
 * 2^31 from k = 33,026): the C sums in uint32_t and wraps as TFLite Micro's int32 does, UBSan (no
 * recovery) sees no overflow; below, the signed accumulator and its bound in a comment. The 16x8
 * kernel's int64 accumulator states its bound, k·2^30 < 2^47, and check refuses a depth past it.
 */
import { expect } from 'chai';
import batchMatmul, { type BatchMatMulParams } from './index.ts';
import { OpError } from '../../errors.ts';
import { emitLayerC, evaluateOp, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** [1, k] x [k, 2] (rhs a run-time input), zero points -128 (or `zp`), every value `value`. */
function wideMatmul(k: number, value: number, zp = -128, constantRhs = false) {
  const rhs = new Int8Array(2 * k).fill(value);
  const { graph, op } = singleOpGraph(
    'BATCH_MATMUL',
    [
      { shape: [1, k], scale: 0.5, zeroPoint: zp },
      { shape: [k, 2], scale: 0.5, zeroPoint: zp, data: constantRhs ? rhs : undefined },
    ],
    [{ shape: [1, 2], scale: 2 ** 24, zeroPoint: 3 }],
    { adjX: false, adjY: false, asymmetricQuantizeInputs: false },
  );
  return { graph, op, inputs: constantRhs ? [new Int8Array(k).fill(value)] : [new Int8Array(k).fill(value), rhs] };
}

function int16Matmul(k: number) {
  return singleOpGraph(
    'BATCH_MATMUL',
    [
      { shape: [1, k], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
      { shape: [k, 2], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
    ],
    [{ shape: [1, 2], dtype: 'int16', scale: 2 ** 24, zeroPoint: 0 }],
    { adjX: false, adjY: false, asymmetricQuantizeInputs: false },
  );
}

describe('BATCH_MATMUL accumulators: bounded, or wrapping as in TFLite Micro', () => {
  it('k = 40,000 of 127 with zero points -128: 40,000 x 255² = 2,601,000,000 wraps to -1,693,967,296 in the reference', () => {
    const c = wideMatmul(40_000, 127);
    const p = batchMatmul.prepare(c.graph, c.op) as BatchMatMulParams;
    expect(p.accWraps).to.equal(true);
    expect(p.accBound).to.match(/<= 2601000000$/);
    // -1,693,967,296 x 0.25 / 2^24 = -25.24 -> -25, + 3
    expect(Array.from(evaluateOp(batchMatmul, c.graph, c.op, c.inputs)[0] as Int8Array)).to.deep.equal([-22, -22]);
  });

  it('the C (ASan+UBSan, no recovery) equals the reference on wrapping and fitting layers', function () {
    const cases = [wideMatmul(40_000, 127), wideMatmul(40_000, -128, 127), wideMatmul(70_000, -128, 100, true), wideMatmul(33_025, 127)];
    expect(cases.map((c) => (batchMatmul.prepare(c.graph, c.op) as BatchMatMulParams).accWraps)).to.deep.equal([true, true, true, false]);
    expectCMatchesReference(cases.map((c) => ({ def: batchMatmul, ...c })));
  });

  it('TFLite Micro gives the same bytes', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(batchMatmul, [wideMatmul(40_000, 127)]);
  });

  it('the emitted C says the bound: int32_t below 2^31, uint32_t past it; int64 k x 2^30 for 16x8', () => {
    expect(emitLayerC(batchMatmul, wideMatmul(33_025, 127))).to.match(/<= 2147450625 < 2\^31: no overflow/);
    expect(emitLayerC(batchMatmul, wideMatmul(33_026, 127))).to.match(/<= 2147515650, past 2\^31: summed in uint32_t/);
    expect(emitLayerC(batchMatmul, int16Matmul(64))).to.contain('sum |lhs rhs| <= 64 x 2^30 = 68719476736 < 2^47');
  });

  it('16x8: check refuses a depth of 2^17, whose int64 accumulator reaches 2^47', () => {
    const ok = int16Matmul(131_071);
    batchMatmul.check(ok.graph, ok.op);
    const past = int16Matmul(131_072);
    expect(() => batchMatmul.check(past.graph, past.op)).to.throw(OpError, /past the \+-2\^47/);
  });
});
