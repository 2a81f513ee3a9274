import { expect } from 'chai';
import squaredDifference from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { BROADCAST_SHAPES, type Q, binaryGraph, count, expectCMatchesReference, expectTfliteAgrees, randomQ } from '../../../test/helpers/op_checks.ts';

function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[]): number[] {
  const { graph, op } = binaryGraph('SQUARED_DIFFERENCE', a, b, out, qa, qb, qo);
  return Array.from(evaluateOp(squaredDifference, graph, op, [Int8Array.from(x), Int8Array.from(y)])[0] as Int8Array);
}

describe('SQUARED_DIFFERENCE', () => {
  it('squares the real difference (hand-checked)', () => {
    // (0.1·30 - 0.2·(-5)) = 3 + 1 = 4 -> 16 at scale 0.25, zero point -100: 64 - 100 = -36
    expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 0 }, { scale: 0.25, zeroPoint: -100 }, [30], [-5])).to.deep.equal([-36]);
    const q = { scale: 0.5, zeroPoint: 0 };
    // (1.5 - (-0.5))^2 = 4 -> 8; equal inputs -> 0; huge -> saturates
    expect(run([3], [3], [3], q, q, q, [3, 7, 127], [-1, 7, -128])).to.deep.equal([8, 0, 127]);
  });

  it('broadcasts and handles zero points at the int8 extremes', () => {
    const qa = { scale: 0.1, zeroPoint: -128 };
    const qb = { scale: 0.1, zeroPoint: 127 };
    const qo = { scale: 1, zeroPoint: -128 };
    // a real = 0.1·(x+128), b real = 0.1·(y-127) = 0 for y = 127
    expect(run([2], [1], [2], qa, qb, qo, [-128, 2], [127])).to.deep.equal([-128, -128 + 169]);
  });

  it('rejects int16 and other dtypes', () => {
    const i16 = singleOpGraph('SQUARED_DIFFERENCE', [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }, { shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }], [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }]);
    expect(() => squaredDifference.check(i16.graph, i16.op)).to.throw(OpError, /int16 SQUARED_DIFFERENCE is not supported yet/);
  });

  it('emitted C matches the reference kernel byte for byte on broadcast shapes', () => {
    const rand = rng(81);
    expectCMatchesReference(BROADCAST_SHAPES.map(([a, b, out]) => {
      const { graph, op } = binaryGraph('SQUARED_DIFFERENCE', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 1));
      return { def: squaredDifference, graph, op, inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))] };
    }));
  });

  it('agrees with desktop TFLite (tfjs-tflite) with and without broadcasting', async () => {
    const rand = rng(82);
    await expectTfliteAgrees(squaredDifference, BROADCAST_SHAPES.slice(0, 4).map(([a, b, out]) => ({
      ...binaryGraph('SQUARED_DIFFERENCE', a, b, out, randomQ(rand, -5, 0), randomQ(rand, -5, 0), randomQ(rand, -5, 1)),
      inputs: [randomInt8(rand, count(a)), randomInt8(rand, count(b))],
    })));
  });
});
