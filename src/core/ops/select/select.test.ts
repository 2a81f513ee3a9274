// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt16, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

describe('SELECT', () => {
  it('picks elementwise, or whole rows with a rank-1 condition (hand-checked)', () => {
    const g = singleOpGraph('SELECT', [{ shape: [3], dtype: 'bool' }, { shape: [3] }, { shape: [3] }], [{ shape: [3] }]);
    expect(
      Array.from(evaluateOp(def, g.graph, g.op, [Uint8Array.from([1, 0, 1]), Int8Array.from([1, 2, 3]), Int8Array.from([4, 5, 6])])[0] as Int8Array),
    ).to.deep.equal([1, 5, 3]);
    const r = singleOpGraph('SELECT', [{ shape: [2], dtype: 'bool' }, { shape: [2, 2] }, { shape: [2, 2] }], [{ shape: [2, 2] }]);
    expect(
      Array.from(evaluateOp(def, r.graph, r.op, [Uint8Array.from([0, 1]), Int8Array.from([1, 2, 3, 4]), Int8Array.from([5, 6, 7, 8])])[0] as Int8Array),
    ).to.deep.equal([5, 6, 3, 4]);
  });

  it('does not broadcast', () => {
    const g = singleOpGraph('SELECT', [{ shape: [1], dtype: 'bool' }, { shape: [3] }, { shape: [1] }], [{ shape: [3] }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /SELECT does not broadcast/);
  });

  // TFLite Micro does not register SELECT (only SELECT_V2): no tflm-ref check here
  it('emitted C matches the reference kernel (int8, int16; equal shapes and rank-1 conditions)', () => {
    const rand = rng(57);
    const cases: CCase[] = [];
    for (const dtype of ['int8', 'int16'] as const) {
      for (const [c, x] of [
        [
          [2, 3, 5],
          [2, 3, 5],
        ],
        [[4], [4, 3, 2]],
        [[7], [7]],
      ] as [number[], number[]][]) {
        const n = x.reduce((a, b) => a * b, 1);
        const g = singleOpGraph(
          'SELECT',
          [
            { shape: c, dtype: 'bool' },
            { shape: x, dtype },
            { shape: x, dtype },
          ],
          [{ shape: x, dtype }],
        );
        const v = () => (dtype === 'int8' ? randomInt8(rand, n) : randomInt16(rand, n));
        cases.push({ def, ...g, inputs: [Uint8Array.from({ length: c.reduce((a, b) => a * b, 1) }, () => (rand() < 0.5 ? 1 : 0)), v(), v()] });
      }
    }
    expectCMatchesReference(cases);
  });
});
