import { expect } from 'chai';
import reluN1To1 from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTfliteAgrees, randomQ, unaryGraph } from '../../../test/helpers/op_checks.ts';

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

  it('rejects int16', () => {
    const i16 = singleOpGraph('RELU_N1_TO_1', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }], [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }]);
    expect(() => reluN1To1.check(i16.graph, i16.op)).to.throw(OpError, /int16 RELU_N1_TO_1 is not supported yet/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(21);
    expectCMatchesReference([[2, 3, 5], [256]].map((shape) => {
      const { graph, op } = unaryGraph('RELU_N1_TO_1', shape, randomQ(rand, -6, -1), randomQ(rand, -8, -3));
      return { def: reluN1To1, graph, op, inputs: [shape[0] === 256 ? ALL_INT8 : randomInt8(rand, 30)] };
    }));
  });

  it('agrees with desktop TFLite (tfjs-tflite) on every input value, random quantizations', async () => {
    const rand = rng(22);
    await expectTfliteAgrees(reluN1To1, Array.from({ length: 8 }, () => ({ ...unaryGraph('RELU_N1_TO_1', [256], randomQ(rand, -6, -1), randomQ(rand, -8, -3)), inputs: [ALL_INT8] })));
  });
});
