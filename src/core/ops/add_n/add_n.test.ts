// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function cases(rand: () => number, n: number): Omit<CCase, 'def'>[] {
  return Array.from({ length: n }, (_, k) => {
    const shape = [randomInt(rand, 1, 3), [1, 2, 3, 5, 7, 12, 17][k % 7]!];
    const count = randomInt(rand, 2, k === 0 ? 20 : 5);
    const qi = randomQ(rand, -6, 0);
    // the output scale must exceed 2·s_in / 2^20
    const qo = { scale: qi.scale * Math.exp(rand() * 4 - 1), zeroPoint: randomInt(rand, -128, 127) };
    const g = singleOpGraph(
      'ADD_N',
      Array.from({ length: count }, () => ({ shape, ...qi })),
      [{ shape, ...qo }],
    );
    const extreme = k % 3 === 1;
    return {
      ...g,
      inputs: Array.from({ length: count }, () =>
        extreme ? Int8Array.from({ length: shape[0]! * shape[1]! }, () => (rand() < 0.5 ? -128 : 127)) : randomInt8(rand, shape[0]! * shape[1]!),
      ),
    };
  });
}

describe('ADD_N', () => {
  it("sums inputs with TFLite Micro's extra offset term (hand-checked)", () => {
    // s = 1, z = 0: plain sums, clamped
    const g = singleOpGraph(
      'ADD_N',
      [
        { shape: [3], scale: 1, zeroPoint: 0 },
        { shape: [3], scale: 1, zeroPoint: 0 },
        { shape: [3], scale: 1, zeroPoint: 0 },
      ],
      [{ shape: [3], scale: 1, zeroPoint: 0 }],
    );
    expect(
      Array.from(evaluateOp(def, g.graph, g.op, [Int8Array.from([1, 100, -5]), Int8Array.from([2, 20, -5]), Int8Array.from([3, 10, -5])])[0] as Int8Array),
    ).to.deep.equal([6, 127, -15]);
    // z = 2: 0.5·((4−2) + (4−2)) = 2 in real terms, but TFLite Micro also adds the offset term −2·0.5 = −1
    const h = singleOpGraph(
      'ADD_N',
      [
        { shape: [1], scale: 0.5, zeroPoint: 2 },
        { shape: [1], scale: 0.5, zeroPoint: 2 },
      ],
      [{ shape: [1], scale: 0.5, zeroPoint: 0 }],
    );
    expect(Array.from(evaluateOp(def, h.graph, h.op, [Int8Array.from([4]), Int8Array.from([4])])[0] as Int8Array)).to.deep.equal([2]);
  });

  it('rejects inputs quantized differently', () => {
    const g = singleOpGraph(
      'ADD_N',
      [
        { shape: [3], scale: 1, zeroPoint: 0 },
        { shape: [3], scale: 0.5, zeroPoint: 0 },
      ],
      [{ shape: [3], scale: 1, zeroPoint: 0 }],
    );
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /quantized like input 0/);
  });

  it('emitted C matches the reference kernel (2 to 20 inputs, extremes)', () => {
    expectCMatchesReference(cases(rng(11), 10).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(12), 10));
  });
});
