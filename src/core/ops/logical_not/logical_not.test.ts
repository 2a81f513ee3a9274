// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { logicalCases } from '../../../../test/helpers/logical_cases.ts';

describe('LOGICAL_NOT', () => {
  it('flips every element (hand-checked)', () => {
    const g = singleOpGraph('LOGICAL_NOT', [{ shape: [2, 2], dtype: 'bool' }], [{ shape: [2, 2], dtype: 'bool' }]);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Uint8Array.from([1, 0, 0, 1])])[0] as Uint8Array)).to.deep.equal([0, 1, 1, 0]);
  });

  it('refuses what TFLite Micro refuses: a non-bool input or output', () => {
    const g = singleOpGraph('LOGICAL_NOT', [{ shape: [3], dtype: 'float32' }], [{ shape: [3], dtype: 'float32' }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /input .* is float32; TFLite Micro's LOGICAL_NOT supports bool only/);
    const h = singleOpGraph('LOGICAL_NOT', [{ shape: [3], dtype: 'bool' }], [{ shape: [3], dtype: 'int8' }]);
    expect(() => def.check(h.graph, h.op)).to.throw(OpError, /output .* is int8; expected bool/);
  });

  it('emitted C matches the reference kernel (ranks 1 to 6)', () => {
    expectCMatchesReference(logicalCases('LOGICAL_NOT', rng(585)).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, logicalCases('LOGICAL_NOT', rng(586)));
  });
});
