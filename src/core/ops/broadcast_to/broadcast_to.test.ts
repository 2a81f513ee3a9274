// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, randomInt16, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const SHAPES: [number[], number[]][] = [
  [
    [1, 3],
    [4, 3],
  ],
  [
    [3, 1],
    [3, 5],
  ],
  [[2], [3, 1, 2]],
  [[1], [2, 2, 2, 2, 2]],
  [
    [5, 1, 7],
    [2, 5, 3, 7],
  ],
  [
    [1, 1],
    [1, 1],
  ],
  [[17], [2, 17]],
];

function cases(rand: () => number): Omit<CCase, 'def'>[] {
  return (['int8', 'int16', 'int32', 'bool'] as DType[]).flatMap((dtype) =>
    SHAPES.map(([shape, target]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const q = dtype === 'int8' || dtype === 'int16' ? { scale: 0.1, zeroPoint: 0 } : {};
      const x =
        dtype === 'int8'
          ? randomInt8(rand, n)
          : dtype === 'int16'
            ? randomInt16(rand, n)
            : dtype === 'int32'
              ? Int32Array.from({ length: n }, () => randomInt(rand, -2e9, 2e9))
              : Uint8Array.from({ length: n }, () => randomInt(rand, 0, 1));
      return {
        ...singleOpGraph(
          'BROADCAST_TO',
          [
            { shape, dtype, ...q },
            { shape: [target.length], dtype: 'int32', data: Int32Array.from(target) },
          ],
          [{ shape: target, dtype, ...q }],
        ),
        inputs: [x],
      };
    }),
  );
}

describe('BROADCAST_TO', () => {
  it('repeats the input along its extent-1 dimensions (hand-checked)', () => {
    const g = singleOpGraph('BROADCAST_TO', [{ shape: [2, 1] }, { shape: [3], dtype: 'int32', data: Int32Array.from([2, 2, 3]) }], [{ shape: [2, 2, 3] }]);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int8Array.from([1, 2])])[0] as Int8Array)).to.deep.equal([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
  });

  it('rejects shapes that do not broadcast', () => {
    const g = singleOpGraph('BROADCAST_TO', [{ shape: [2] }, { shape: [1], dtype: 'int32', data: Int32Array.from([3]) }], [{ shape: [3] }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /does not broadcast/);
  });

  it('emitted C matches the reference kernel (int8, int16, int32, bool)', () => {
    expectCMatchesReference(cases(rng(95)).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (int8, int16, int32, bool)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(96)));
  });
});
