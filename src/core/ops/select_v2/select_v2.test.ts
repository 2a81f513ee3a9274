// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt16, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const SHAPES: [number[], number[], number[], number[]][] = [
  [
    [2, 3, 4],
    [2, 3, 4],
    [2, 3, 4],
    [2, 3, 4],
  ],
  [[1], [4, 5], [4, 5], [4, 5]],
  [
    [3, 1],
    [1, 4],
    [3, 4],
    [3, 4],
  ],
  [[2, 1, 3], [3], [1, 4, 1], [2, 4, 3]],
  [[1, 2, 1, 2, 3], [2, 2, 2, 1], [3], [1, 2, 2, 2, 3]],
  [[7], [17, 7], [1], [17, 7]],
];

const count = (s: number[]) => s.reduce((a, b) => a * b, 1);

function cases(rand: () => number, dtypes: DType[]): Omit<CCase, 'def'>[] {
  return dtypes.flatMap((dtype) =>
    SHAPES.map(([c, x, y, out]) => {
      const q = dtype === 'int8' ? { scale: 0.1, zeroPoint: -4 } : { scale: 0.001, zeroPoint: 0 };
      const g = singleOpGraph(
        'SELECT_V2',
        [
          { shape: c, dtype: 'bool' },
          { shape: x, dtype, ...q },
          { shape: y, dtype, ...q },
        ],
        [{ shape: out, dtype, ...q }],
      );
      const v = (s: number[]) => (dtype === 'int8' ? randomInt8(rand, count(s)) : randomInt16(rand, count(s)));
      return { ...g, inputs: [Uint8Array.from({ length: count(c) }, () => (rand() < 0.5 ? 1 : 0)), v(x), v(y)] };
    }),
  );
}

describe('SELECT_V2', () => {
  it('picks x where the condition holds, y elsewhere, broadcasting all three (hand-checked)', () => {
    const g = singleOpGraph('SELECT_V2', [{ shape: [2, 1], dtype: 'bool' }, { shape: [1, 3] }, { shape: [2, 3] }], [{ shape: [2, 3] }]);
    const out = evaluateOp(def, g.graph, g.op, [Uint8Array.from([1, 0]), Int8Array.from([1, 2, 3]), Int8Array.from([10, 20, 30, 40, 50, 60])])[0] as Int8Array;
    expect(Array.from(out)).to.deep.equal([1, 2, 3, 40, 50, 60]);
  });

  it('rejects a non-bool condition and mixed types', () => {
    const g = singleOpGraph('SELECT_V2', [{ shape: [2] }, { shape: [2] }, { shape: [2] }], [{ shape: [2] }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /expected bool/);
    const h = singleOpGraph('SELECT_V2', [{ shape: [2], dtype: 'bool' }, { shape: [2] }, { shape: [2], dtype: 'int16' }], [{ shape: [2] }]);
    expect(() => def.check(h.graph, h.op)).to.throw(OpError, /y .* is int16/);
  });

  it('emitted C matches the reference kernel (int8, int16, broadcasts up to rank 5)', () => {
    expectCMatchesReference(cases(rng(51), ['int8', 'int16']).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (int8, int16)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(52), ['int8', 'int16']));
  });
});
