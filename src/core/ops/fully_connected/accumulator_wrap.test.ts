// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED rows whose int32 accumulator leaves int32 (100,000 inputs, weights -128, input zero
 * point 127: up to 3,264,000,000): the C sums in uint32_t and wraps as TFLite Micro's int32 does, on
 * every target (the target kernels are not taken), with no undefined behaviour under UBSan; rows whose
 * bound is below 2^31 keep the signed accumulator, the bound in a comment.
 */
import { expect } from 'chai';
import fc from './index.ts';
import type { FullyConnectedParams } from './contract.ts';
import { emitLayerC, evaluateOp, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { selectVariant } from '../variant.ts';
import type { KernelIsa } from '../op.ts';

function wideRow(n: number, input: number, opts: { wZp?: number; bias?: number } = {}) {
  const { graph, op } = singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [1, n], scale: 0.5, zeroPoint: 127 },
      { shape: [2, n], scale: 0.001, zeroPoint: opts.wZp ?? 0, data: Int8Array.from({ length: 2 * n }, (_, k) => (k < n ? -128 : 1)) },
      ...(opts.bias === undefined ? [] : [{ shape: [2], dtype: 'int32' as const, scale: 0.0005, data: Int32Array.from([opts.bias, -opts.bias]) }]),
    ],
    [{ shape: [1, 2], scale: 2 ** 22 * 0.0005, zeroPoint: 0 }],
    { activation: 'NONE', keepNumDims: false },
  );
  return { graph, op, inputs: [new Int8Array(n).fill(input)] };
}

describe('FULLY_CONNECTED accumulators that pass 2^31 wrap as in TFLite Micro', () => {
  it('100,000 inputs of -128, weights -128, input zero point 127: the accumulator wraps to -1,030,967,296 in the reference', () => {
    const c = wideRow(100_000, -128);
    const p = fc.prepare(c.graph, c.op) as FullyConnectedParams;
    expect(p.accWraps).to.equal(true);
    // 100,000 x (-128) x (-128 - 127) = 3,264,000,000 = -1,030,967,296 + 2^32; times 2^-22 rounds to -246
    const out = evaluateOp(fc, c.graph, c.op, c.inputs)[0] as Int8Array;
    expect(out[0]).to.equal(-128); // -246 clamped
    const unwrapped = wideRow(100_000, 127); // x - 127 = 0: nothing to wrap
    expect(Array.from(evaluateOp(fc, unwrapped.graph, unwrapped.op, unwrapped.inputs)[0] as Int8Array)).to.deep.equal([0, 0]);
  });

  it('the C (UBSan, no recovery) equals the reference on every target family, folded and with a weight zero point', function () {
    const cases = [wideRow(100_000, -128), wideRow(100_000, -100, { bias: 5_000_000 }), wideRow(70_000, -128, { wZp: 3, bias: -7 })];
    for (const c of cases) expect((fc.prepare(c.graph, c.op) as FullyConnectedParams).accWraps).to.equal(true);
    const isas: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
    for (const c of cases)
      for (const isa of isas) expect(selectVariant(fc, fc.prepare(c.graph, c.op) as FullyConnectedParams, isa).name, JSON.stringify(isa)).to.equal('portable');
    expectCMatchesReference(cases.flatMap((c) => isas.map((isa) => ({ def: fc, ...c, isa }))));
  });

  it('TFLite Micro gives the same bytes on the wrapping rows', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(fc, [wideRow(100_000, -128), wideRow(100_000, -100, { bias: 5_000_000 })]);
  });

  it('the emitted C says the bound: uint32_t past 2^31, the signed accumulator and its bound below', () => {
    const wraps = emitLayerC(fc, wideRow(100_000, -128));
    expect(wraps).to.match(/<= 3264000000, past 2\^31: summed in uint32_t/);
    expect(wraps).to.contain('uint32_t wide');
    // 65,793 x 32,640 = 2,147,483,520 < 2^31: the signed accumulator
    const fits = emitLayerC(fc, wideRow(65_793, -128));
    expect(fits).to.match(/<= 2147483520 < 2\^31: no overflow/);
    expect(fits).to.not.contain('uint32_t wide');
  });
});
