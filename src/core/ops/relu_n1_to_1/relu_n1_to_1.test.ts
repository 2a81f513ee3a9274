// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import reluN1To1 from './index.ts';
import { evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectDesktopTfliteAgrees, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeInt8, extremeQ, randomShape } from '../../../../test/helpers/random_cases.ts';
import { TflmRefError, tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('RELU_N1_TO_1', [x.length], input, output);
  return Array.from(evaluateOp(reluN1To1, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('RELU_N1_TO_1', () => {
  it('requantizes and clamps to [-1, 1] in real terms (hand-checked)', () => {
    // in 0.05 @ 0, out 1/64 @ 0: -2 real -> -64 clamp, -0.5 -> -32, 0.25 -> 16, 3 -> 64 clamp
    expect(run({ scale: 0.05, zeroPoint: 0 }, { scale: 1 / 64, zeroPoint: 0 }, [-40, -10, 5, 60])).to.deep.equal([-64, -32, 16, 64]);
    // the clamp bounds saturate at the int8 extremes: out 0.01 @ 100 -> [-100 + 100, 127]
    expect(run({ scale: 0.05, zeroPoint: 0 }, { scale: 0.01, zeroPoint: 100 }, [-40, 40, 0])).to.deep.equal([0, 127, 100]);
  });

  it('has no TFLite Micro kernel to compare with (tflm-ref refuses the op), so desktop TFLite is the reference', function () {
    if (!tflmRefAvailable(this)) return;
    const { graph } = unaryGraph('RELU_N1_TO_1', [4], { scale: 0.05, zeroPoint: 0 }, { scale: 0.01, zeroPoint: 0 });
    expect(() => tflmOutputs(graph, [new Uint8Array(4)])).to.throw(TflmRefError, /RELU_N1_TO_1/);
  });

  it('emitted C matches the reference kernel byte for byte on 30 random cases', () => {
    const rand = rng(21);
    expectCMatchesReference(
      Array.from({ length: 30 }, () => {
        const shape = randomShape(rand);
        const qi = extremeQ(rand, -8, 1);
        const { graph, op } = unaryGraph('RELU_N1_TO_1', shape, qi, extremeQ(rand, -9, -1));
        return {
          def: reluN1To1,
          graph,
          op,
          inputs: [
            extremeInt8(
              rand,
              shape.reduce((a, b) => a * b, 1),
              qi.zeroPoint,
            ),
          ],
        };
      }),
    );
  });

  it('agrees with desktop TFLite (tfjs-tflite) on every input value, 20 random quantizations', async () => {
    const rand = rng(22);
    await expectDesktopTfliteAgrees(
      reluN1To1,
      Array.from({ length: 20 }, () => ({ ...unaryGraph('RELU_N1_TO_1', [256], extremeQ(rand, -8, 1), extremeQ(rand, -9, -1)), inputs: [ALL_INT8] })),
    );
  });
});
