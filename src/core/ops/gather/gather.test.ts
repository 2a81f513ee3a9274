// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const Q = { scale: 0.1, zeroPoint: 3 };

/** Random params, axis, batch_dims and positions (constant or an input) with every position in range. */
function cases(rand: () => number, n: number): Omit<CCase, 'def'>[] {
  return Array.from({ length: n }, (_, k) => {
    const rank = randomInt(rand, 1, 4);
    const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
    const axis = randomInt(rand, 0, rank - 1);
    const batchDims = axis > 0 && rand() < 0.3 ? randomInt(rand, 1, axis) : 0;
    const posShape = [...shape.slice(0, batchDims), ...Array.from({ length: randomInt(rand, 0, 2) }, () => randomInt(rand, 1, 3))];
    const positions = Int32Array.from({ length: posShape.reduce((a, b) => a * b, 1) }, () => randomInt(rand, 0, shape[axis]! - 1));
    const outShape = [...shape.slice(0, axis), ...posShape.slice(batchDims), ...shape.slice(axis + 1)];
    const constant = k % 2 === 0;
    const g = singleOpGraph(
      'GATHER',
      [
        { shape, ...Q },
        { shape: posShape, dtype: 'int32', ...(constant ? { data: positions } : {}) },
      ],
      [{ shape: outShape, ...Q }],
      { axis: axis - (rand() < 0.3 ? rank : 0), batchDims },
    );
    const x = randomInt8(
      rand,
      shape.reduce((a, b) => a * b, 1),
    );
    return { ...g, inputs: constant ? [x] : [x, positions] };
  });
}

describe('GATHER', () => {
  it('picks rows along the axis (hand-checked)', () => {
    const g = singleOpGraph(
      'GATHER',
      [
        { shape: [3, 2], ...Q },
        { shape: [2], dtype: 'int32', data: Int32Array.from([2, 0]) },
      ],
      [{ shape: [2, 2], ...Q }],
      { axis: 0, batchDims: 0 },
    );
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([5, 6, 1, 2]);
    const h = singleOpGraph(
      'GATHER',
      [
        { shape: [2, 3], ...Q },
        { shape: [], dtype: 'int32', data: Int32Array.from([1]) },
      ],
      [{ shape: [2], ...Q }],
      { axis: 1, batchDims: 0 },
    );
    expect(Array.from(evaluateOp(def, h.graph, h.op, [Int8Array.from([1, 2, 3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([2, 5]);
  });

  it('writes zeros for a run-time position out of range, rejects a constant one', () => {
    const g = singleOpGraph(
      'GATHER',
      [
        { shape: [3, 2], ...Q },
        { shape: [2], dtype: 'int32' },
      ],
      [{ shape: [2, 2], ...Q }],
      { axis: 0, batchDims: 0 },
    );
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([3, 1])])[0] as Int8Array)).to.deep.equal([
      0, 0, 3, 4,
    ]);
    const h = singleOpGraph(
      'GATHER',
      [
        { shape: [3, 2], ...Q },
        { shape: [1], dtype: 'int32', data: Int32Array.from([-1]) },
      ],
      [{ shape: [1, 2], ...Q }],
      { axis: 0, batchDims: 0 },
    );
    expect(() => def.check(h.graph, h.op)).to.throw(OpError, /position -1 is out of range/);
  });

  it('emitted C matches the reference kernel (constant and run-time positions, batch_dims)', () => {
    expectCMatchesReference(cases(rng(41), 14).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(42), 14));
  });
});
