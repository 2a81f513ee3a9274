// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function graphOf(shape: number[], axis: number) {
  const rank = shape.length;
  const a = axis < 0 ? axis + rank : axis;
  return singleOpGraph(
    'ARG_MIN',
    [
      { shape, scale: 0.1, zeroPoint: 0 },
      { shape: [1], dtype: 'int32', data: Int32Array.from([axis]) },
    ],
    [{ shape: shape.filter((_, i) => i !== a), dtype: 'int32' }],
    { outputType: 'INT32' },
  );
}

function cases(rand: () => number, n: number): Omit<CCase, 'def'>[] {
  return Array.from({ length: n }, () => {
    const shape = Array.from({ length: randomInt(rand, 1, 4) }, () => randomInt(rand, 1, 6));
    // a narrow range, so ties happen
    return {
      ...graphOf(shape, randomInt(rand, -shape.length, shape.length - 1)),
      inputs: [
        randomInt8(
          rand,
          shape.reduce((a, b) => a * b, 1),
          -3,
          3,
        ),
      ],
    };
  });
}

describe('ARG_MIN', () => {
  it('gives the first index of the smallest value (hand-checked)', () => {
    const g = graphOf([2, 4], 1);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int8Array.from([3, -1, 5, -1, 7, 7, 7, 7])])[0] as Int32Array)).to.deep.equal([1, 0]);
  });

  it('rejects int16 (TFLite Micro takes int8)', () => {
    const g = singleOpGraph(
      'ARG_MIN',
      [
        { shape: [4], dtype: 'int16', scale: 0.1, zeroPoint: 0 },
        { shape: [1], dtype: 'int32', data: Int32Array.from([0]) },
      ],
      [{ shape: [], dtype: 'int32' }],
    );
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /supports int8/);
  });

  it('emitted C matches the reference kernel', () => {
    expectCMatchesReference(cases(rng(97), 10).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(98), 10));
  });
});
