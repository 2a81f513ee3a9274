// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import reduceMax from './index.ts';
import { OpError } from '../../errors.ts';
import { type CCase, evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees, reduceGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomReduction } from '../../../../test/helpers/random_cases.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** Random REDUCE_MAXes over any axes of ranks 1..5 (input and output share one quantization). */
function randomCases(seed: number, n: number): Omit<CCase, 'def'>[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const r = randomReduction(rand);
    const q = extremeQ(rand, -10, 3);
    const { graph, op } = reduceGraph('REDUCE_MAX', r.in, r.axes, r.out, q, q, r.keepDims);
    return {
      graph,
      op,
      inputs: [
        extremeInt8(
          rand,
          r.in.reduce((a, b) => a * b, 1),
          q.zeroPoint,
        ),
      ],
    };
  });
}

describe('REDUCE_MAX', () => {
  it('takes the largest raw value along the axes (hand-checked)', function () {
    const q = { scale: 0.3, zeroPoint: -128 };
    const { graph, op } = reduceGraph('REDUCE_MAX', [2, 2, 3], [0, 2], [2], q, q, false);
    const x = Int8Array.from([-128, -128, -128, 5, -7, 3, -128, -128, -128, 4, 9, -1]);
    expect(Array.from(evaluateOp(reduceMax, graph, op, [x])[0] as Int8Array)).to.deep.equal([-128, 9]);
    if (tflmRefAvailable(this)) expectTflmAgrees(reduceMax, [{ graph, op, inputs: [x] }]);
  });

  it('requires the output to share the input quantization, as TFLite Micro does', function () {
    const { graph, op } = reduceGraph('REDUCE_MAX', [2, 3], [1], [2], { scale: 0.1, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 0 }, false);
    expect(() => reduceMax.check(graph, op)).to.throw(OpError, /must have the input's scale and zero point/);
    if (tflmRefAvailable(this)) expect(() => tflmOutputs(graph, [new Uint8Array(6)])).to.throw();
  });

  it('TFLite Micro (tflm-ref) agrees on 150 random cases: shapes, axes, keep_dims, quantizations', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(reduceMax, randomCases(131, 150));
  });

  it('emitted C matches the reference kernel byte for byte on 60 random cases', () => {
    expectCMatchesReference(randomCases(132, 60).map((c) => ({ def: reduceMax, ...c })));
  });
});
