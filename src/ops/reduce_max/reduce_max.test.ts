import { expect } from 'chai';
import reduceMax from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng } from '../../../test/helpers/op_harness.ts';
import { REDUCE_CASES, count, expectCMatchesReference, expectTfliteAgrees, randomQ, reduceGraph } from '../../../test/helpers/op_checks.ts';

describe('REDUCE_MAX', () => {
  it('takes the largest raw value along the axes (hand-checked)', () => {
    const q = { scale: 0.3, zeroPoint: -128 };
    const { graph, op } = reduceGraph('REDUCE_MAX', [2, 2, 3], [0, 2], [2], q, q, false);
    const x = [-128, -128, -128, 5, -7, 3, -128, -128, -128, 4, 9, -1];
    expect(Array.from(evaluateOp(reduceMax, graph, op, [Int8Array.from(x)])[0] as Int8Array)).to.deep.equal([-128, 9]);
  });

  it('requires the output to share the input quantization', () => {
    const { graph, op } = reduceGraph('REDUCE_MAX', [2, 3], [1], [2], { scale: 0.1, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 0 }, false);
    expect(() => reduceMax.check(graph, op)).to.throw(OpError, /must have the input's scale and zero point/);
  });

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(131);
    expectCMatchesReference(REDUCE_CASES.map((c, k) => {
      const q = randomQ(rand);
      const { graph, op } = reduceGraph('REDUCE_MAX', c.in, c.axes, k % 2 ? c.keep : c.drop, q, q, k % 2 === 1);
      return { def: reduceMax, graph, op, inputs: [randomInt8(rand, count(c.in))] };
    }));
  });

  it('agrees with desktop TFLite (tfjs-tflite)', async () => {
    const rand = rng(132);
    await expectTfliteAgrees(reduceMax, REDUCE_CASES.map((c, k) => {
      const q = randomQ(rand);
      return { ...reduceGraph('REDUCE_MAX', c.in, c.axes, k % 2 ? c.keep : c.drop, q, q, k % 2 === 1), inputs: [randomInt8(rand, count(c.in))] };
    }));
  });
});
