// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import unpack from './index.ts';
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

const Q = { scale: 0.2, zeroPoint: -128 };

function graphOf(shape: number[], axis: number) {
  const a = axis < 0 ? axis + shape.length : axis;
  const piece = shape.filter((_, k) => k !== a);
  return singleOpGraph(
    'UNPACK',
    [{ shape, ...Q }],
    Array.from({ length: shape[a]! }, () => ({ shape: piece, ...Q })),
    { num: shape[a], axis },
  );
}

describe('UNPACK', () => {
  it('splits along the axis into slices without that axis (hand-checked)', () => {
    const g = graphOf([2, 3], 1);
    expect(evaluateOp(unpack, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6])]).map((o) => Array.from(o as Int8Array))).to.deep.equal([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const h = graphOf([2, 3], -2);
    expect(evaluateOp(unpack, h.graph, h.op, [Int8Array.from([1, 2, 3, 4, 5, 6])]).map((o) => Array.from(o as Int8Array))).to.deep.equal([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('rejects a num that differs from the axis extent', () => {
    const g = graphOf([2, 3], 1);
    g.op.attrs = { num: 2, axis: 1 };
    expect(() => unpack.check(g.graph, g.op)).to.throw(OpError, /has 3 slices along axis 1, but num is 2/);
  });

  it('emitted C matches the reference kernel on every output', () => {
    const rand = rng(71);
    const cases: CCase[] = [];
    for (let k = 0; k < 6; k++) {
      const rank = randomInt(rand, 1, 4);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 4));
      cases.push({
        def: unpack,
        ...graphOf(shape, randomInt(rand, -rank, rank - 1)),
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
      evaluateOp(unpack, cc.graph, cc.op, cc.inputs).forEach((o, j) => {
        expect(firstDifference(new Uint8Array(toBytes(o)), c[k]![j]!), `case ${k} output ${j}`).to.equal(undefined);
      });
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on every output', async () => {
    const g = graphOf([2, 3, 4], 1);
    expect(await tfliteInterpreterDifferences(unpack, g.graph, g.op, [randomInt8(rng(7), 24)])).to.equal(undefined);
  });
});
