// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { logicalCases } from '../../../../test/helpers/logical_cases.ts';

describe('LOGICAL_AND', () => {
  it('is true where both inputs are, broadcasting (hand-checked)', () => {
    // [1,0,1] against [[1],[0]]: row 0 is x itself, row 1 all false
    const g = singleOpGraph(
      'LOGICAL_AND',
      [
        { shape: [1, 3], dtype: 'bool' },
        { shape: [2, 1], dtype: 'bool' },
      ],
      [{ shape: [2, 3], dtype: 'bool' }],
    );
    const out = evaluateOp(def, g.graph, g.op, [Uint8Array.from([1, 0, 1]), Uint8Array.from([1, 0])])[0] as Uint8Array;
    expect(Array.from(out)).to.deep.equal([1, 0, 1, 0, 0, 0]);
  });

  it('refuses what TFLite Micro refuses: a non-bool tensor, a broadcast past rank 4', () => {
    const g = singleOpGraph('LOGICAL_AND', [{ shape: [3] }, { shape: [3], dtype: 'bool' }], [{ shape: [3], dtype: 'bool' }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /input 1 .* is int8; TFLite Micro's LOGICAL_AND supports bool only/);
    const f = singleOpGraph(
      'LOGICAL_AND',
      [
        { shape: [3], dtype: 'bool' },
        { shape: [3], dtype: 'float32' },
      ],
      [{ shape: [3], dtype: 'bool' }],
    );
    expect(() => def.check(f.graph, f.op)).to.throw(OpError, /input 2 .* is float32/);
    const h = singleOpGraph(
      'LOGICAL_AND',
      [
        { shape: [2, 1, 3, 1, 2], dtype: 'bool' },
        { shape: [4, 1], dtype: 'bool' },
      ],
      [{ shape: [2, 1, 3, 4, 2], dtype: 'bool' }],
    );
    expect(() => def.check(h.graph, h.op)).to.throw(OpError, /rank 5; TFLite Micro broadcasts LOGICAL_AND up to rank 4/);
  });

  it('emitted C matches the reference kernel (equal shapes and broadcasts)', () => {
    expectCMatchesReference(logicalCases('LOGICAL_AND', rng(581)).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, logicalCases('LOGICAL_AND', rng(582)));
  });
});
