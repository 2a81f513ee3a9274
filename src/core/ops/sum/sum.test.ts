// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import sum from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { type Q, expectCMatchesReference, expectTflmAgrees, reduceGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomReduction } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
const run = (inShape: number[], axes: number[], outShape: number[], qi: Q, qo: Q, x: number[], keep = false) => {
  const { graph, op } = reduceGraph('SUM', inShape, axes, outShape, qi, qo, keep);
  if (tflmRefAvailable()) expectTflmAgrees(sum, [{ graph, op, inputs: [Int8Array.from(x)] }]);
  return Array.from(evaluateOp(sum, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

/** Random SUMs over any axes of ranks 1..5; scales over decades, so sums saturate at both ends too. */
function randomCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const r = randomReduction(rand);
    const qi = extremeQ(rand, -10, 3);
    const qo = rand() < 0.2 ? qi : extremeQ(rand, -10, 3);
    const { graph, op } = reduceGraph('SUM', r.in, r.axes, r.out, qi, qo, r.keepDims);
    return {
      graph,
      op,
      inputs: [
        extremeInt8(
          rand,
          r.in.reduce((a, b) => a * b, 1),
          qi.zeroPoint,
        ),
      ],
    };
  });
}

describe('SUM', () => {
  it('requantizes sum - z·n by s_in/s_out (hand-checked)', () => {
    // 0.1·(10+20+30+40) = 10 real -> 20 steps of 0.5
    expect(run([4], [0], [], { scale: 0.1, zeroPoint: 0 }, { scale: 0.5, zeroPoint: 0 }, [10, 20, 30, 40])).to.deep.equal([20]);
    // zero points at the extremes: 0.25·((−100+128) + (−120+128)) = 9 real: at z_out 127 it saturates
    expect(run([1, 2], [1], [1, 1], { scale: 0.25, zeroPoint: -128 }, { scale: 1, zeroPoint: 127 }, [-100, -120], true)).to.deep.equal([127]);
    expect(run([1, 2], [1], [1, 1], { scale: 0.25, zeroPoint: -128 }, { scale: 1, zeroPoint: -128 }, [-100, -120], true)).to.deep.equal([-119]);
    // per row
    expect(run([2, 3], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, [1, 2, 3, -4, -5, -6])).to.deep.equal([6, -15]);
  });

  it('rejects an int64 output, a non-constant axis and a multiplier past 2^31', () => {
    const bad = reduceGraph('SUM', [2, 3], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, false);
    bad.graph.tensors[2]!.dtype = 'int64';
    expect(() => sum.check(bad.graph, bad.op)).to.throw(OpError, /is int64; only int8/);
    const dyn = reduceGraph('SUM', [2, 3], [1], [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, false);
    dyn.graph.tensors[1]!.data = undefined;
    expect(() => sum.check(dyn.graph, dyn.op)).to.throw(OpError, /not a constant tensor/);
    const fine = reduceGraph('SUM', [2, 3], [1], [2], { scale: 1e5, zeroPoint: 0 }, { scale: 1e-5, zeroPoint: 0 }, false);
    expect(() => sum.check(fine.graph, fine.op)).to.throw(OpError, /left shift by \d+ bits is undefined in C/);
  });

  it('TFLite Micro (tflm-ref) agrees on 150 random cases: shapes, axes, keep_dims, extreme quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(sum, randomCases(121, 150));
  });

  it('emitted C matches the reference kernel byte for byte on 60 random cases', () => {
    expectCMatchesReference(randomCases(122, 60).map((c) => ({ def: sum, ...c })));
  });
});
