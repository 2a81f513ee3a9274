// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { compareCases } from '../../../../test/helpers/compare_cases.ts';

describe('LESS_EQUAL', () => {
  it('compares real values of differently quantized int8 inputs (hand-checked)', () => {
    // 0.5·(q − 0) against 0.25·(q − 4): 1.0 vs 1.0, 1.5 vs 1.0, 0.5 vs 1.0
    const { graph, op } = singleOpGraph(
      'LESS_EQUAL',
      [
        { shape: [3], scale: 0.5, zeroPoint: 0 },
        { shape: [3], scale: 0.25, zeroPoint: 4 },
      ],
      [{ shape: [3], dtype: 'bool' }],
    );
    const out = Array.from(evaluateOp(def, graph, op, [Int8Array.from([2, 3, 1]), Int8Array.from([8, 8, 8])])[0] as Uint8Array);
    const f = { EQUAL: [1, 0, 0], NOT_EQUAL: [0, 1, 1], LESS: [0, 0, 1], LESS_EQUAL: [1, 0, 1], GREATER: [0, 1, 0], GREATER_EQUAL: [1, 1, 0] }['LESS_EQUAL'];
    expect(out).to.deep.equal(f);
  });

  it('rejects a non-bool output and a scale of 1 or more', () => {
    const g = singleOpGraph(
      'LESS_EQUAL',
      [
        { shape: [3], scale: 0.5, zeroPoint: 0 },
        { shape: [3], scale: 0.5, zeroPoint: 0 },
      ],
      [{ shape: [3] }],
    );
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /expected bool/);
    const h = singleOpGraph(
      'LESS_EQUAL',
      [
        { shape: [3], scale: 1, zeroPoint: 0 },
        { shape: [3], scale: 0.5, zeroPoint: 0 },
      ],
      [{ shape: [3], dtype: 'bool' }],
    );
    expect(() => def.check(h.graph, h.op)).to.throw(OpError, /scale in \(0, 1\)/);
  });

  it('emitted C matches the reference kernel (int8, int32)', () => {
    expectCMatchesReference(compareCases(def, rng(73), ['int8', 'int32']).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (int8, int32)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, compareCases(def, rng(73 + 1), ['int8', 'int32']));
  });
});
