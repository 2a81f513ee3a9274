// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import expandDims from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, randomInt8, rng, runCasesInC, singleOpGraph, tfliteInterpreterDifference } from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.1, zeroPoint: 0 };
const axis = (a: number) => ({ shape: [1], dtype: 'int32' as const, data: Int32Array.from([a]) });

describe('EXPAND_DIMS', () => {
  it('is an alias with no cost that keeps the bytes', () => {
    const { graph, op } = singleOpGraph('EXPAND_DIMS', [{ shape: [3, 2], ...Q }, axis(-1)], [{ shape: [3, 2, 1], ...Q }]);
    expect(expandDims.isAlias).to.equal(true);
    expect(Array.from(evaluateOp(expandDims, graph, op, [Int8Array.from([1, 2, 3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('checks the output shape and rejects an out-of-range or computed axis', () => {
    const wrong = singleOpGraph('EXPAND_DIMS', [{ shape: [3, 2], ...Q }, axis(0)], [{ shape: [3, 1, 2], ...Q }]);
    expect(() => expandDims.check(wrong.graph, wrong.op)).to.throw(OpError, /expected \[1,3,2\]/);
    const range = singleOpGraph('EXPAND_DIMS', [{ shape: [3, 2], ...Q }, axis(3)], [{ shape: [3, 2, 1], ...Q }]);
    expect(() => expandDims.check(range.graph, range.op)).to.throw(OpError, /axis 3 is out of range for rank 3/);
    const dynamic = singleOpGraph(
      'EXPAND_DIMS',
      [
        { shape: [3], ...Q },
        { shape: [1], dtype: 'int32' },
      ],
      [{ shape: [1, 3], ...Q }],
    );
    expect(() => expandDims.check(dynamic.graph, dynamic.op)).to.throw(OpError, /axis tensor 1 "in1" is computed at run time/);
  });

  it('emits a byte copy for the layer that cannot alias (a constant input)', () => {
    const g = singleOpGraph('EXPAND_DIMS', [{ shape: [2], ...Q, data: Int8Array.from([-128, 127]) }, axis(0)], [{ shape: [1, 2], ...Q }]);
    expect(Array.from(new Int8Array(runCasesInC([{ def: expandDims, ...g, inputs: [] }])[0]![0]!.slice().buffer))).to.deep.equal([-128, 127]);
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on a model written by our writer', async () => {
    const g = singleOpGraph('EXPAND_DIMS', [{ shape: [4, 3], ...Q }, axis(1)], [{ shape: [4, 1, 3], ...Q }]);
    expect(await tfliteInterpreterDifference(expandDims, g.graph, g.op, [randomInt8(rng(2), 12)])).to.equal(undefined);
  });
});
