import { expect } from 'chai';
import relu6 from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTfliteAgrees, randomQ, unaryGraph } from '../../../test/helpers/op_checks.ts';

const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('RELU6', [x.length], input, output);
  return Array.from(evaluateOp(relu6, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('RELU6', () => {
  it('clamps the raw values to the input\'s 0 and 6 (hand-checked)', () => {
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

  it('rejects int16', () => {
    const i16 = singleOpGraph('RELU6', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }], [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }]);
    expect(() => relu6.check(i16.graph, i16.op)).to.throw(OpError, /int16 RELU6 is not supported yet/);
  });

  it('emitted C matches the reference kernel byte for byte (including bounds at the int8 extremes)', () => {
    const rand = rng(31);
    const quants = [{ scale: 0.03, zeroPoint: -128 }, { scale: 0.001, zeroPoint: 5 }, { scale: 1, zeroPoint: 127 }, randomQ(rand, -4, 0)];
    expectCMatchesReference(quants.map((q, k) => {
      const shape = k === 0 ? [256] : [3, 7];
      const { graph, op } = unaryGraph('RELU6', shape, q, q);
      return { def: relu6, graph, op, inputs: [k === 0 ? ALL_INT8 : randomInt8(rand, 21)] };
    }));
  });

  it('agrees with desktop TFLite (tfjs-tflite) when input and output share quantization (as the converter writes it)', async () => {
    const rand = rng(32);
    await expectTfliteAgrees(relu6, Array.from({ length: 8 }, () => {
      const q = randomQ(rand, -5, 0);
      return { ...unaryGraph('RELU6', [256], q, q), inputs: [ALL_INT8] };
    }));
  });
});
