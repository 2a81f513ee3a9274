// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import l2Normalization from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { count, expectCMatchesReference, expectTflmAgrees, randomQ, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const OUT = { scale: 1 / 128, zeroPoint: 0 };
const run = (shape: number[], q: { scale: number; zeroPoint: number }, x: number[]) => {
  const { graph, op } = unaryGraph('L2_NORMALIZATION', shape, q, OUT);
  return Array.from(evaluateOp(l2Normalization, graph, op, [Int8Array.from(x)])[0] as Int8Array);
};

describe('L2_NORMALIZATION', () => {
  it('divides each row by its L2 norm, output in steps of 1/128 (hand-checked)', () => {
    const q = { scale: 0.5, zeroPoint: 0 };
    // (3, 4)/5 = (0.6, 0.8) -> 76.8, 102.4; (1, 0) -> 128 saturates at 127; (-1) -> -128; zeros stay 0
    expect(run([4, 2], q, [3, 4, 1, 0, 0, -7, 0, 0])).to.deep.equal([77, 102, 127, 0, 0, -128, 0, 0]);
  });

  it('takes the input zero point out, including at the int8 extremes', () => {
    expect(run([1, 2], { scale: 1, zeroPoint: -128 }, [-125, -124])).to.deep.equal([77, 102]);
    expect(run([1, 2], { scale: 1, zeroPoint: 127 }, [124, 123])).to.deep.equal([-77, -102]);
  });

  it('requires the output scale 1/128, zero point 0 and no fused activation', () => {
    const bad = unaryGraph('L2_NORMALIZATION', [2], { scale: 1, zeroPoint: 0 }, { scale: 1 / 256, zeroPoint: 0 });
    expect(() => l2Normalization.check(bad.graph, bad.op)).to.throw(OpError, /requires scale 1\/128 and zero point 0/);
    const relu = unaryGraph('L2_NORMALIZATION', [2], { scale: 1, zeroPoint: 0 }, OUT, { activation: 'RELU' });
    expect(() => l2Normalization.check(relu.graph, relu.op)).to.throw(OpError, /fused activation RELU is not supported/);
  });

  const SHAPES = [[1, 8], [3, 5, 16], [2, 2, 2, 3], [7], [4, 1]];

  it('emitted C matches the reference kernel byte for byte', () => {
    const rand = rng(171);
    expectCMatchesReference(
      SHAPES.map((shape) => ({ def: l2Normalization, ...unaryGraph('L2_NORMALIZATION', shape, randomQ(rand), OUT), inputs: [randomInt8(rand, count(shape))] })),
    );
  });

  /** Random ranks 1..4, rows of 1..40, scales over decades, any zero point; some rows all at the zero point. */
  function sweepCase(rand: () => number) {
    const rank = randomInt(rand, 1, 4);
    const shape = Array.from({ length: rank }, (_, i) => (i === rank - 1 ? randomInt(rand, 1, 40) : randomInt(rand, 1, 3)));
    const q = randomQ(rand, -9, 2);
    const x = randomInt8(rand, count(shape));
    if (rand() < 0.2) x.fill(q.zeroPoint, 0, shape[rank - 1]!);
    if (rand() < 0.2) for (let i = 0; i < x.length; i++) x[i] = Math.max(-128, Math.min(127, q.zeroPoint + (x[i]! % 3)));
    return { ...unaryGraph('L2_NORMALIZATION', shape, q, OUT), inputs: [x] };
  }

  it('agrees with TFLite Micro byte for byte (hand-checked cases, random shapes and quantizations)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(172);
    expectTflmAgrees(l2Normalization, [
      { ...unaryGraph('L2_NORMALIZATION', [4, 2], { scale: 0.5, zeroPoint: 0 }, OUT), inputs: [Int8Array.from([3, 4, 1, 0, 0, -7, 0, 0])] },
      { ...unaryGraph('L2_NORMALIZATION', [1, 2], { scale: 1, zeroPoint: -128 }, OUT), inputs: [Int8Array.from([-125, -124])] },
      { ...unaryGraph('L2_NORMALIZATION', [1, 2], { scale: 1, zeroPoint: 127 }, OUT), inputs: [Int8Array.from([124, 123])] },
      ...Array.from({ length: 60 }, () => sweepCase(rand)),
      // long rows: sums of squares up to 4096·128²
      ...[512, 4096].map((depth) => ({
        ...unaryGraph('L2_NORMALIZATION', [2, depth], { scale: 0.1, zeroPoint: -128 }, OUT),
        inputs: [randomInt8(rand, 2 * depth)],
      })),
    ]);
  });

  it('emitted C matches the reference kernel on the random sweep', () => {
    const rand = rng(173);
    expectCMatchesReference(Array.from({ length: 40 }, () => ({ def: l2Normalization, ...sweepCase(rand) })));
  });
});
