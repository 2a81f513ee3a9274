// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import pack from './index.ts';
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
  tfliteInterpreterDifference,
} from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.3, zeroPoint: 127 };

function graphOf(shape: number[], n: number, axis: number) {
  const a = axis < 0 ? axis + shape.length + 1 : axis;
  const outShape = [...shape];
  outShape.splice(a, 0, n);
  return singleOpGraph(
    'PACK',
    Array.from({ length: n }, () => ({ shape, ...Q })),
    [{ shape: outShape, ...Q }],
    { valuesCount: n, axis },
  );
}

describe('PACK', () => {
  it('stacks the inputs along a new axis (hand-checked)', () => {
    const g = graphOf([2], 3, 1);
    expect(Array.from(evaluateOp(pack, g.graph, g.op, [Int8Array.from([1, 2]), Int8Array.from([3, 4]), Int8Array.from([5, 6])])[0] as Int8Array)).to.deep.equal(
      [1, 3, 5, 2, 4, 6],
    );
    const h = graphOf([2], 2, -2);
    expect(Array.from(evaluateOp(pack, h.graph, h.op, [Int8Array.from([1, 2]), Int8Array.from([3, 4])])[0] as Int8Array)).to.deep.equal([1, 2, 3, 4]);
  });

  it('packs int32 shape values (what constant folding of a SHAPE chain needs)', () => {
    const g = singleOpGraph(
      'PACK',
      [
        { shape: [], dtype: 'int32', data: Int32Array.from([1]) },
        { shape: [], dtype: 'int32' },
      ],
      [{ shape: [2], dtype: 'int32' }],
      { valuesCount: 2, axis: 0 },
    );
    expect(Array.from(evaluateOp(pack, g.graph, g.op, [Int32Array.from([-1])])[0] as Int32Array)).to.deep.equal([1, -1]);
  });

  it('rejects inputs of different shapes and a wrong values_count', () => {
    const g = singleOpGraph(
      'PACK',
      [
        { shape: [2], ...Q },
        { shape: [3], ...Q },
      ],
      [{ shape: [2, 2], ...Q }],
      { valuesCount: 2, axis: 0 },
    );
    expect(() => pack.check(g.graph, g.op)).to.throw(OpError, /input 1 tensor 1 "in1" \[3\] differs from input 0 \[2\]/);
    const c = graphOf([2], 2, 0);
    c.op.attrs = { valuesCount: 3, axis: 0 };
    expect(() => pack.check(c.graph, c.op)).to.throw(OpError, /values_count 3 but 2 inputs/);
  });

  it('emitted C matches the reference kernel', () => {
    const rand = rng(91);
    const cases: CCase[] = [];
    for (let k = 0; k < 6; k++) {
      const rank = randomInt(rand, 0, 3);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 4));
      const n = randomInt(rand, 1, 4);
      const count = shape.reduce((a, b) => a * b, 1);
      cases.push({ def: pack, ...graphOf(shape, n, randomInt(rand, -rank - 1, rank)), inputs: Array.from({ length: n }, () => randomInt8(rand, count)) });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(pack, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on a model written by our writer', async () => {
    const rand = rng(10);
    const g = graphOf([3, 4], 3, 1);
    expect(await tfliteInterpreterDifference(pack, g.graph, g.op, [randomInt8(rand, 12), randomInt8(rand, 12), randomInt8(rand, 12)])).to.equal(undefined);
  });
});
