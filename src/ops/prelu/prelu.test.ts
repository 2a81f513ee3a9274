import { expect } from 'chai';
import prelu from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { type Q, count, expectCMatchesReference, expectTfliteAgrees, randomQ } from '../../../test/helpers/op_checks.ts';

/** PRELU with a constant alpha (how converters write it) or a non-constant one. */
function graphOf(x: number[], alpha: number[], qx: Q, qa: Q, qo: Q, alphaValues?: Int8Array) {
  return singleOpGraph('PRELU', [{ shape: x, ...qx }, { shape: alpha, ...qa, data: alphaValues }], [{ shape: x, ...qo }]);
}

describe('PRELU', () => {
  it('passes non-negative inputs and scales negative ones by alpha (hand-checked)', () => {
    // x scale 0.5 @ 0, alpha scale 0.01 @ 0 (alpha = 0.25 and 2), out 0.5 @ 0
    const { graph, op } = graphOf([2, 2], [2], { scale: 0.5, zeroPoint: 0 }, { scale: 0.01, zeroPoint: 0 }, { scale: 0.5, zeroPoint: 0 }, Int8Array.from([25, -100]));
    const out = evaluateOp(prelu, graph, op, [Int8Array.from([8, -8, -8, -20])])[0] as Int8Array;
    // alpha by last index: 4 -> 4; -4·(-1) = 4; -4·0.25 = -1; -10·(-1) = 10 (in steps of 0.5)
    expect(Array.from(out)).to.deep.equal([8, 8, -2, 20]);
  });

  it('uses the alpha zero point and clamps at the int8 extremes', () => {
    // alpha scale 0.1 @ -128 (alpha real = 0.1·(a+128)), x 1 @ 127, out 1 @ -128
    const { graph, op } = graphOf([3], [1], { scale: 1, zeroPoint: 127 }, { scale: 0.1, zeroPoint: -128 }, { scale: 1, zeroPoint: -128 }, Int8Array.from([-118]));
    // alpha = 1.0: x real = q - 127 -> -255, -1, 0 -> out -383 (clamped), -129 (clamped), -128
    expect(Array.from(evaluateOp(prelu, graph, op, [Int8Array.from([-128, 126, 127])])[0] as Int8Array)).to.deep.equal([-128, -128, -128]);
  });

  it('rejects an alpha whose shape does not broadcast, and int16', () => {
    const q = { scale: 1, zeroPoint: 0 };
    const bad = graphOf([1, 4, 4, 3], [2], q, q, q);
    expect(() => prelu.check(bad.graph, bad.op)).to.throw(OpError, /do not broadcast/);
    const wide = singleOpGraph('PRELU', [{ shape: [1, 3], ...q }, { shape: [2, 3], ...q }], [{ shape: [1, 3], ...q }]);
    expect(() => prelu.check(wide.graph, wide.op)).to.throw(OpError, /broadcast to \[2,3\]/);
    const i16 = singleOpGraph('PRELU', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }, { shape: [2], scale: 1, zeroPoint: 0 }], [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }]);
    expect(() => prelu.check(i16.graph, i16.op)).to.throw(OpError, /int16 PRELU is not supported yet/);
  });

  const SHAPES: [number[], number[]][] = [[[1, 4, 5, 3], [3]], [[1, 4, 5, 3], [1, 1, 3]], [[2, 6], [2, 6]], [[1, 3, 3, 2], [1]]];

  it('emitted C matches the reference kernel byte for byte, constant and non-constant alpha', () => {
    const rand = rng(101);
    expectCMatchesReference(SHAPES.flatMap(([x, alpha]) => [true, false].map((constant) => {
      const alphaValues = randomInt8(rand, count(alpha));
      const { graph, op } = graphOf(x, alpha, randomQ(rand, -4, 0), randomQ(rand, -6, -2), randomQ(rand, -4, 0), constant ? alphaValues : undefined);
      return { def: prelu, graph, op, inputs: constant ? [randomInt8(rand, count(x))] : [randomInt8(rand, count(x)), alphaValues] };
    })));
  });

  it('agrees with desktop TFLite (tfjs-tflite), per-channel and scalar alpha', async () => {
    const rand = rng(102);
    await expectTfliteAgrees(prelu, SHAPES.map(([x, alpha]) => ({
      ...graphOf(x, alpha, randomQ(rand, -4, 0), randomQ(rand, -6, -2), randomQ(rand, -4, 0), randomInt8(rand, count(alpha))),
      inputs: [randomInt8(rand, count(x))],
    })));
  });
});
