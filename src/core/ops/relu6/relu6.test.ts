// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import relu6 from './index.ts';
import { evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTflmAgrees, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomShape } from '../../../../test/helpers/random_cases.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

/** The reference kernel's output; every hand-checked case is also checked against tflm-ref. */
const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('RELU6', [x.length], input, output);
  if (tflmRefAvailable()) expectTflmAgrees(relu6, [{ graph, op, inputs: [Int8Array.from(x)] }]);
  return Array.from(evaluateOp(relu6, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('RELU6', () => {
  it("clamps the raw values to the input's 0 and 6 (hand-checked)", () => {
    const q = { scale: 0.05, zeroPoint: -28 };
    // 6 / 0.05 = 120 -> six = 92
    expect(run(q, q, [-128, -28, -27, 91, 92, 93, 127])).to.deep.equal([-28, -28, -27, 91, 92, 92, 92]);
  });

  it('saturates 6.0 at 127 when it is out of range, and follows TFLite Micro in ignoring the output quantization', () => {
    const q = { scale: 0.01, zeroPoint: 0 };
    expect(run(q, q, [-5, 100, 127])).to.deep.equal([0, 100, 127]);
    // TFLite Micro clamps raw input values whatever the output tensor says (desktop TFLite would requantize)
    expect(run(q, { scale: 0.5, zeroPoint: 10 }, [-5, 100])).to.deep.equal([0, 100]);
  });

  it('TFLite Micro (tflm-ref) agrees on every input value for 100 random quantizations, shared or not', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(31);
    expectTflmAgrees(
      relu6,
      Array.from({ length: 100 }, () => {
        const qi = extremeQ(rand, -9, 2);
        return { ...unaryGraph('RELU6', [256], qi, rand() < 0.5 ? qi : extremeQ(rand, -9, 2)), inputs: [ALL_INT8] };
      }),
    );
  });

  it('emitted C matches the reference kernel byte for byte on 30 random cases (bounds at the int8 extremes)', () => {
    const rand = rng(32);
    expectCMatchesReference(
      Array.from({ length: 30 }, () => {
        const shape = randomShape(rand);
        const q = extremeQ(rand, -9, 2);
        const { graph, op } = unaryGraph('RELU6', shape, q, q);
        return {
          def: relu6,
          graph,
          op,
          inputs: [
            extremeInt8(
              rand,
              shape.reduce((a, b) => a * b, 1),
              q.zeroPoint,
            ),
          ],
        };
      }),
    );
  });
});
