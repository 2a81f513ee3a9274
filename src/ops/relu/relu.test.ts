import { expect } from 'chai';
import relu from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTfliteAgrees, randomQ, unaryGraph } from '../../../test/helpers/op_checks.ts';

const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('RELU', [x.length], input, output);
  return Array.from(evaluateOp(relu, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('RELU', () => {
  describe('reference kernel', () => {
    it('requantizes to the output scale and clamps at its zero point (hand-checked)', () => {
      // in 0.1 @ -20, out 0.05 @ -128: real 0 -> -128, 1.0 -> 20 - 128, -1 -> clamped, 14.7 -> saturates
      expect(run({ scale: 0.1, zeroPoint: -20 }, { scale: 0.05, zeroPoint: -128 }, [-20, -10, -30, 127, -19])).to.deep.equal([-128, -108, -128, 127, -126]);
    });
    it('is the identity above the zero point when input and output share quantization', () => {
      const q = { scale: 0.07, zeroPoint: 9 };
      expect(run(q, q, Array.from(ALL_INT8))).to.deep.equal(Array.from(ALL_INT8, (v) => Math.max(v, 9)));
    });
    it('keeps the zero point at the int8 extremes', () => {
      expect(run({ scale: 0.1, zeroPoint: -128 }, { scale: 0.1, zeroPoint: -128 }, [-128, 0, 127])).to.deep.equal([-128, 0, 127]);
      expect(run({ scale: 0.1, zeroPoint: 127 }, { scale: 0.1, zeroPoint: 127 }, [-128, 0, 127])).to.deep.equal([127, 127, 127]);
    });
  });

  describe('check', () => {
    it('rejects int16, other dtypes and a reshaping output', () => {
      const i16 = singleOpGraph('RELU', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }], [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }]);
      expect(() => relu.check(i16.graph, i16.op)).to.throw(OpError, /int16 RELU is not supported yet/);
      const f = singleOpGraph('RELU', [{ shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'float32' }]);
      expect(() => relu.check(f.graph, f.op)).to.throw(OpError, /is float32; only int8/);
      const shaped = singleOpGraph('RELU', [{ shape: [2, 2], scale: 1, zeroPoint: 0 }], [{ shape: [4], scale: 1, zeroPoint: 0 }]);
      expect(() => relu.check(shaped.graph, shaped.op)).to.throw(OpError, /expected the input's \[2,2\]/);
    });
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(11);
    expectCMatchesReference([[1, 4, 4, 3], [256], [1]].map((shape) => {
      const { graph, op } = unaryGraph('RELU', shape, randomQ(rand), randomQ(rand));
      return { def: relu, graph, op, inputs: [shape[0] === 256 ? ALL_INT8 : randomInt8(rand, shape.reduce((a, b) => a * b, 1))] };
    }));
  });

  it('agrees with desktop TFLite (tfjs-tflite) on every input value, random quantizations', async () => {
    const rand = rng(12);
    await expectTfliteAgrees(relu, Array.from({ length: 8 }, () => ({ ...unaryGraph('RELU', [256], randomQ(rand), randomQ(rand)), inputs: [ALL_INT8] })));
  });
});
