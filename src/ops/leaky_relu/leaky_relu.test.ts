import { expect } from 'chai';
import leakyRelu from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, expectTfliteWithinOneStep, randomQ, unaryGraph } from '../../../test/helpers/op_checks.ts';

const run = (input: { scale: number; zeroPoint: number }, output: { scale: number; zeroPoint: number }, alpha: number, x: number[]) => {
  const { graph, op } = unaryGraph('LEAKY_RELU', [x.length], input, output, { alpha });
  return Array.from(evaluateOp(leakyRelu, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('LEAKY_RELU', () => {
  it('scales negative inputs by alpha and requantizes (hand-checked)', () => {
    // in 0.1 @ 10, out 0.05 @ -20, alpha 0.25: x=-4 -> -1 -> -20 -20; x=+2 -> 40 - 20; x=-0.2 -> -0.05 -> -1 - 20
    expect(run({ scale: 0.1, zeroPoint: 10 }, { scale: 0.05, zeroPoint: -20 }, 0.25, [-30, 30, 8, 10])).to.deep.equal([-40, 20, -21, -20]);
    // alpha 0: a plain requantizing relu; large positives saturate
    expect(run({ scale: 0.1, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 0 }, 0, [-100, -1, 0, 127])).to.deep.equal([0, 0, 0, 127]);
  });

  it('handles alpha > 1 and zero points at the int8 extremes', () => {
    expect(run({ scale: 0.5, zeroPoint: 127 }, { scale: 0.5, zeroPoint: 127 }, 2, [127, 126, 100, -128])).to.deep.equal([127, 125, 73, -128]);
    expect(run({ scale: 0.5, zeroPoint: -128 }, { scale: 0.25, zeroPoint: -128 }, 0.1, [-128, -127, -100])).to.deep.equal([-128, -126, -72]);
  });

  it('requires a numeric alpha', () => {
    const { graph, op } = unaryGraph('LEAKY_RELU', [2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 });
    expect(() => leakyRelu.check(graph, op)).to.throw(OpError, /alpha = undefined/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(41);
    expectCMatchesReference([0.01, 0.2, 1.5].map((alpha, k) => {
      const shape = k === 0 ? [256] : [2, 9];
      const { graph, op } = unaryGraph('LEAKY_RELU', shape, randomQ(rand), randomQ(rand), { alpha });
      return { def: leakyRelu, graph, op, inputs: [k === 0 ? ALL_INT8 : randomInt8(rand, 18)] };
    }));
  });

  it('is within one step of desktop TFLite (tfjs-tflite), whose optimized int8 LEAKY_RELU rounds differently', async () => {
    // TFLite Micro's QuantizeLeakyRelu uses MultiplyByQuantizedMultiplier (double rounding: e.g.
    // 3·0.1339 = 0.40 becomes 2/4 after the high multiply, then 1); the desktop build behind tfjs-tflite
    // rounds its own way (down, on the samples seen). Bit-exactness is with TFLite Micro.
    const rand = rng(42);
    const { differing, total } = await expectTfliteWithinOneStep(leakyRelu, Array.from({ length: 8 }, () => ({
      ...unaryGraph('LEAKY_RELU', [256], randomQ(rand), randomQ(rand), { alpha: Math.fround(rand() * 0.5) }), inputs: [ALL_INT8],
    })));
    console.log(`    LEAKY_RELU: ${differing} of ${total} values one step from desktop TFLite`);
  });
});
