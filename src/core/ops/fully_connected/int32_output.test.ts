// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED with an int32 output: the accumulator itself (bias + sum of (w - z_w)(x - z_in)),
 * as ONNX's MatMulInteger gives it, with no requantization. Only the portable C writes it, on every
 * target.
 */
import { expect } from 'chai';
import fc from './index.ts';
import type { FullyConnectedParams } from './contract.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import type { KernelIsa } from '../op.ts';
import { selectVariant } from '../variant.ts';
import { type CCase, evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

function accumulatorFc(
  batches: number,
  weights: Int8Array,
  units: number,
  inZp: number,
  opts: { wZp?: number; bias?: number[]; activation?: FusedActivation } = {},
) {
  const k = weights.length / units;
  return singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [batches, k], scale: 1, zeroPoint: inZp },
      { shape: [units, k], scale: 1, zeroPoint: opts.wZp ?? 0, data: weights },
      opts.bias ? { shape: [units], dtype: 'int32', scale: 1, data: Int32Array.from(opts.bias) } : null,
    ],
    [{ shape: [batches, units], dtype: 'int32' }],
    { activation: opts.activation ?? 'NONE', keepNumDims: false },
  );
}

const ISAS: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: true, mve: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

describe('FULLY_CONNECTED with an int32 output (the accumulator, as ONNX MatMulInteger)', () => {
  it('gives bias + sum of (w - z_w)(x - z_in) unscaled (hand-checked: ONNX test_matmulinteger)', () => {
    // A uint8 [4,3] with zero point 12, B = [[1,4],[2,5],[3,6]]: int8 with the uint8 values shifted by 128
    const { graph, op } = accumulatorFc(4, Int8Array.from([1, 2, 3, 4, 5, 6]), 2, 12 - 128);
    const a = Int8Array.from([11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0].map((v) => v - 128));
    expect(Array.from(evaluateOp(fc, graph, op, [a])[0] as Int32Array)).to.deep.equal([-38, -83, -44, -98, -50, -113, -56, -128]);
    // a weight zero point of 1 and a bias: row 0 of A - 12 is [-1, -5, -9], B - 1 column 0 is [0, 1, 2]
    const offset = accumulatorFc(4, Int8Array.from([1, 2, 3, 4, 5, 6]), 2, 12 - 128, { wZp: 1, bias: [100, 0] });
    expect((evaluateOp(fc, offset.graph, offset.op, [a])[0] as Int32Array)[0]).to.equal(-5 - 18 + 100);
  });

  it('runs the portable C on every target family and takes no fused activation', () => {
    const { graph, op } = accumulatorFc(1, new Int8Array(64 * 32).fill(3), 32, 0);
    const p = fc.prepare(graph, op) as FullyConnectedParams;
    expect(p.int32Output).to.equal(true);
    for (const isa of ISAS) expect(selectVariant(fc, p, isa).name, JSON.stringify(isa)).to.equal('portable');
    const relu = accumulatorFc(1, Int8Array.from([1, 2]), 1, 0, { activation: 'RELU6' });
    expect(() => fc.check(relu.graph, relu.op)).to.throw(/is the int32 accumulator; it takes no fused activation \(RELU6\)/);
  });

  it('the C equals the reference byte for byte on 20 random layers (weight zero points, biases; ASan + UBSan)', function () {
    const rand = rng(11);
    const cases: CCase[] = [];
    for (let n = 0; n < 20; n++) {
      const batches = randomInt(rand, 1, 3);
      const units = randomInt(rand, 1, 40);
      const k = randomInt(rand, 1, 70);
      const wZp = n % 2 ? randomInt(rand, -20, 20) : 0;
      const { graph, op } = accumulatorFc(batches, randomInt8(rand, units * k, -100, 100), units, randomInt(rand, -128, 127), {
        wZp,
        ...(n % 3 === 0 ? { bias: Array.from({ length: units }, () => randomInt(rand, -1_000_000, 1_000_000)) } : {}),
      });
      cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * k)], isa: ISAS[n % ISAS.length] });
    }
    expectCMatchesReference(cases);
  });
});
