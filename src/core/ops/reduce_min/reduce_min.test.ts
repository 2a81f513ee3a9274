// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { REDUCE_CASES, count, expectCMatchesReference, expectTflmAgrees, reduceGraph } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const Q = { scale: 0.05, zeroPoint: -9 };

function cases(rand: () => number) {
  return REDUCE_CASES.flatMap((c) =>
    [true, false].map((keep) => ({
      ...reduceGraph('REDUCE_MIN', c.in, c.axes, keep ? c.keep : c.drop, Q, Q, keep),
      inputs: [randomInt8(rand, count(c.in))],
    })),
  );
}

describe('REDUCE_MIN', () => {
  it('takes the smallest raw value over the axes (hand-checked)', () => {
    const g = reduceGraph('REDUCE_MIN', [2, 3], [1], [2], Q, Q, false);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int8Array.from([5, -7, 2, 127, 126, 127])])[0] as Int8Array)).to.deep.equal([-7, 126]);
  });

  it("needs the input's quantization on the output", () => {
    const g = reduceGraph('REDUCE_MIN', [2, 3], [1], [2], Q, { scale: 0.1, zeroPoint: -9 }, false);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /must have the input's scale/);
  });

  it('emitted C matches the reference kernel (every reduction shape, keep_dims or not)', () => {
    expectCMatchesReference(cases(rng(99)).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(100)));
  });
});
