// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function graphOf(
  shape: number[],
  axis: number,
  qi: { scale: number; zeroPoint: number },
  qo: { scale: number; zeroPoint: number },
  exclusive: boolean,
  reverse: boolean,
) {
  return singleOpGraph(
    'CUMSUM',
    [
      { shape, ...qi },
      { shape: [1], dtype: 'int32', data: Int32Array.from([axis]) },
    ],
    [{ shape, ...qo }],
    { exclusive, reverse },
  );
}

function cases(rand: () => number, n: number): Omit<CCase, 'def'>[] {
  return Array.from({ length: n }, (_, k) => {
    const rank = randomInt(rand, 1, 4);
    const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 6));
    if (k === 0) shape[0] = 40; // a long scan
    const axis = randomInt(rand, -rank, rank - 1);
    const qi = randomQ(rand, -6, 0);
    const qo = { scale: qi.scale * Math.exp(rand() * 5), zeroPoint: randomInt(rand, -128, 127) };
    const g = graphOf(shape, k === 0 ? 0 : axis, qi, qo, (k & 1) === 1, (k & 2) === 2);
    return {
      ...g,
      inputs: [
        randomInt8(
          rand,
          shape.reduce((a, b) => a * b, 1),
        ),
      ],
    };
  });
}

describe('CUMSUM', () => {
  it('running sums, exclusive and reverse (hand-checked, zero point 0)', () => {
    const q = { scale: 1, zeroPoint: 0 };
    const run = (exclusive: boolean, reverse: boolean) =>
      Array.from(
        evaluateOp(def, graphOf([2, 3], 1, q, q, exclusive, reverse).graph, graphOf([2, 3], 1, q, q, exclusive, reverse).op, [
          Int8Array.from([1, 2, 3, 10, 20, 30]),
        ])[0] as Int8Array,
      );
    expect(run(false, false)).to.deep.equal([1, 3, 6, 10, 30, 60]);
    expect(run(true, false)).to.deep.equal([0, 1, 3, 0, 10, 30]);
    expect(run(false, true)).to.deep.equal([6, 5, 3, 60, 50, 30]);
    expect(run(true, true)).to.deep.equal([5, 3, 0, 50, 30, 0]);
  });

  it('rejects a non-constant axis', () => {
    const g = singleOpGraph(
      'CUMSUM',
      [
        { shape: [3], scale: 1, zeroPoint: 0 },
        { shape: [1], dtype: 'int32' },
      ],
      [{ shape: [3], scale: 1, zeroPoint: 0 }],
    );
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /computed at run time/);
  });

  it('emitted C matches the reference kernel (ranks 1-4, every axis, exclusive, reverse)', () => {
    expectCMatchesReference(cases(rng(21), 12).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(22), 12));
  });
});
