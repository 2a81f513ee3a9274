// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import splitV from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
  tfliteInterpreterDifferences,
} from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.2, zeroPoint: 5 };

function graphOf(shape: number[], sizes: number[], axis: number) {
  const a = axis < 0 ? axis + shape.length : axis;
  const known = sizes.filter((s) => s !== -1).reduce((x, y) => x + y, 0);
  return singleOpGraph(
    'SPLIT_V',
    [
      { shape, ...Q },
      { shape: [sizes.length], dtype: 'int32', data: Int32Array.from(sizes) },
      { shape: [], dtype: 'int32', data: Int32Array.from([axis]) },
    ],
    sizes.map((s) => ({ shape: shape.map((d, k) => (k === a ? (s === -1 ? d - known : s) : d)), ...Q })),
    { numSplits: sizes.length },
  );
}

describe('SPLIT_V', () => {
  it('cuts pieces of the given sizes, one of them -1 for the rest (hand-checked)', () => {
    const g = graphOf([2, 5], [1, -1, 2], 1);
    expect(evaluateOp(splitV, g.graph, g.op, [Int8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])]).map((o) => Array.from(o as Int8Array))).to.deep.equal([
      [0, 5],
      [1, 2, 6, 7],
      [3, 4, 8, 9],
    ]);
  });

  it('rejects sizes that do not add up and two -1 sizes', () => {
    const g = graphOf([6], [2, 2], 0);
    expect(() => splitV.check(g.graph, g.op)).to.throw(OpError, /size_splits \[2,2\] do not split axis 0 of 6 elements/);
    const h = graphOf([6], [-1, -1], 0);
    expect(() => splitV.check(h.graph, h.op)).to.throw(OpError, /size_splits \[-1,-1\]/);
  });

  it('emitted C matches the reference kernel on every output', () => {
    const rand = rng(61);
    const cases: CCase[] = [];
    for (let k = 0; k < 6; k++) {
      const rank = randomInt(rand, 1, 4);
      const axis = randomInt(rand, 0, rank - 1);
      const sizes = Array.from({ length: randomInt(rand, 1, 4) }, () => randomInt(rand, 1, 3));
      const shape = Array.from({ length: rank }, (_, i) => (i === axis ? sizes.reduce((a, b) => a + b, 0) : randomInt(rand, 1, 4)));
      if (k % 2 === 0) sizes[randomInt(rand, 0, sizes.length - 1)] = -1;
      cases.push({
        def: splitV,
        ...graphOf(shape, sizes, axis - (k % 3 === 0 ? rank : 0)),
        inputs: [
          randomInt8(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
        ],
      });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      evaluateOp(splitV, cc.graph, cc.op, cc.inputs).forEach((o, j) => {
        expect(firstDifference(new Uint8Array(toBytes(o)), c[k]![j]!), `case ${k} output ${j}`).to.equal(undefined);
      });
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on every output', async () => {
    const g = graphOf([1, 7, 3, 2], [2, -1, 1], 1);
    expect(await tfliteInterpreterDifferences(splitV, g.graph, g.op, [randomInt8(rng(6), 42)])).to.equal(undefined);
  });
});
