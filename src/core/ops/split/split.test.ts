// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import split from './index.ts';
import { OpError } from '../../errors.ts';
import { toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt16,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
  tfliteInterpreterDifferences,
} from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.2, zeroPoint: 5 };

function graphOf(shape: number[], axis: number, n: number, dtype: 'int8' | 'int16' = 'int8') {
  const a = axis < 0 ? axis + shape.length : axis;
  const piece = shape.map((d, k) => (k === a ? d / n : d));
  return singleOpGraph(
    'SPLIT',
    [
      { shape: [], dtype: 'int32', data: Int32Array.from([axis]) },
      { shape, dtype, ...Q },
    ],
    Array.from({ length: n }, () => ({ shape: piece, dtype, ...Q })),
    { numSplits: n },
  );
}

describe('SPLIT', () => {
  it('cuts the input into equal pieces along the axis, one per output (hand-checked)', () => {
    const g = graphOf([2, 4], 1, 2);
    const outs = evaluateOp(split, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8])]).map((o) => Array.from(o as Int8Array));
    expect(outs).to.deep.equal([
      [1, 2, 5, 6],
      [3, 4, 7, 8],
    ]);
    const h = graphOf([3, 2], -2, 3);
    expect(evaluateOp(split, h.graph, h.op, [Int8Array.from([1, 2, 3, 4, 5, 6])]).map((o) => Array.from(o as Int8Array))).to.deep.equal([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('rejects an axis that does not divide, a computed axis and num_splits differing from the outputs', () => {
    const g = singleOpGraph(
      'SPLIT',
      [
        { shape: [], dtype: 'int32', data: Int32Array.from([0]) },
        { shape: [3], ...Q },
      ],
      [
        { shape: [1], ...Q },
        { shape: [2], ...Q },
      ],
    );
    expect(() => split.check(g.graph, g.op)).to.throw(OpError, /axis 0 \(3 elements\) does not split into 2 equal pieces/);
    const d = singleOpGraph(
      'SPLIT',
      [
        { shape: [], dtype: 'int32' },
        { shape: [4], ...Q },
      ],
      [
        { shape: [2], ...Q },
        { shape: [2], ...Q },
      ],
    );
    expect(() => split.check(d.graph, d.op)).to.throw(OpError, /axis tensor 0 "in0" is computed at run time/);
    const n = graphOf([4], 0, 2);
    n.op.attrs = { numSplits: 4 };
    expect(() => split.check(n.graph, n.op)).to.throw(OpError, /num_splits 4 but 2 outputs/);
  });

  it('emitted C matches the reference kernel on every output (int8, int16)', () => {
    const rand = rng(51);
    const cases: CCase[] = [];
    for (let k = 0; k < 8; k++) {
      const rank = randomInt(rand, 1, 4);
      const n = randomInt(rand, 1, 4);
      const axis = randomInt(rand, 0, rank - 1);
      const shape = Array.from({ length: rank }, (_, i) => (i === axis ? n * randomInt(rand, 1, 3) : randomInt(rand, 1, 4)));
      const count = shape.reduce((a, b) => a * b, 1);
      const int16 = k % 3 === 2;
      cases.push({ def: split, ...graphOf(shape, axis, n, int16 ? 'int16' : 'int8'), inputs: [int16 ? randomInt16(rand, count) : randomInt8(rand, count)] });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      evaluateOp(split, cc.graph, cc.op, cc.inputs).forEach((o, j) => {
        expect(firstDifference(new Uint8Array(toBytes(o)), c[k]![j]!), `case ${k} output ${j}`).to.equal(undefined);
      });
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on every output', async () => {
    const g = graphOf([1, 4, 6, 3], 2, 3);
    expect(await tfliteInterpreterDifferences(split, g.graph, g.op, [randomInt8(rng(5), 72)])).to.equal(undefined);
  });
});
