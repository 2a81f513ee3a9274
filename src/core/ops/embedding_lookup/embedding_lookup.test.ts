// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { type EmbeddingForm, type OpCase, embeddingLookupCase } from '../../../../test/helpers/tensor_op_cases.ts';

const FORMS: EmbeddingForm[] = ['float32', 'int8', 'hybrid'];

function cases(seed: number): OpCase[] {
  const rand = rng(seed);
  return FORMS.flatMap((form) => [false, true, false, true, false].map((constantIds) => embeddingLookupCase(rand, form, constantIds)));
}

describe('EMBEDDING_LOOKUP', () => {
  it('copies the rows the ids name; hybrid rows dequantized by the value scale (hand-checked)', () => {
    const g = singleOpGraph(
      'EMBEDDING_LOOKUP',
      [
        { shape: [2], dtype: 'int32' },
        { shape: [3, 2], dtype: 'float32' },
      ],
      [{ shape: [2, 2], dtype: 'float32' }],
    );
    const out = evaluateOp(def, g.graph, g.op, [Int32Array.from([2, 0]), Float32Array.from([1, 2, 3, 4, 5, 6])])[0] as Float32Array;
    expect(Array.from(out)).to.deep.equal([5, 6, 1, 2]);
    // int8 value 4 at scale 0.5, zero point 0: (4 - 0) * 0.5 = 2
    const h = singleOpGraph(
      'EMBEDDING_LOOKUP',
      [
        { shape: [1], dtype: 'int32' },
        { shape: [2, 2], dtype: 'int8', scale: 0.5, zeroPoint: 0 },
      ],
      [{ shape: [1, 2], dtype: 'float32' }],
    );
    expect(Array.from(evaluateOp(def, h.graph, h.op, [Int32Array.from([1]), Int8Array.from([1, 2, 4, -3])])[0] as Float32Array)).to.deep.equal([2, -1.5]);
  });

  it('writes a row of zeros for a run-time id out of range, rejects a constant one', () => {
    const g = singleOpGraph(
      'EMBEDDING_LOOKUP',
      [
        { shape: [2], dtype: 'int32' },
        { shape: [2, 2], dtype: 'int8', scale: 1, zeroPoint: 0 },
      ],
      [{ shape: [2, 2], dtype: 'int8', scale: 1, zeroPoint: 0 }],
    );
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int32Array.from([5, 1]), Int8Array.from([1, 2, 3, 4])])[0] as Int8Array)).to.deep.equal([0, 0, 3, 4]);
    const h = singleOpGraph(
      'EMBEDDING_LOOKUP',
      [
        { shape: [1], dtype: 'int32', data: Int32Array.from([-1]) },
        { shape: [2, 2], dtype: 'float32' },
      ],
      [{ shape: [1, 2], dtype: 'float32' }],
    );
    expect(() => def.check(h.graph, h.op)).to.throw(OpError, /id -1 .* out of range/);
  });

  it('refuses what TFLite Micro refuses: a rank-1 value table, int16 values, a hybrid zero point', () => {
    const rank1 = singleOpGraph(
      'EMBEDDING_LOOKUP',
      [
        { shape: [1], dtype: 'int32' },
        { shape: [4], dtype: 'float32' },
      ],
      [{ shape: [1], dtype: 'float32' }],
    );
    expect(() => def.check(rank1.graph, rank1.op)).to.throw(OpError, /value tensor 1 "in1" has rank 1/);
    const i16 = singleOpGraph(
      'EMBEDDING_LOOKUP',
      [
        { shape: [1], dtype: 'int32' },
        { shape: [2, 2], dtype: 'int16', scale: 1, zeroPoint: 0 },
      ],
      [{ shape: [1, 2], dtype: 'int16', scale: 1, zeroPoint: 0 }],
    );
    expect(() => def.check(i16.graph, i16.op)).to.throw(OpError, /is int16; TFLite Micro's EMBEDDING_LOOKUP supports float32 and int8/);
    const zp = singleOpGraph(
      'EMBEDDING_LOOKUP',
      [
        { shape: [1], dtype: 'int32' },
        { shape: [2, 2], dtype: 'int8', scale: 1, zeroPoint: 3 },
      ],
      [{ shape: [1, 2], dtype: 'float32' }],
    );
    expect(() => def.check(zp.graph, zp.op)).to.throw(OpError, /zero point 3/);
  });

  it('emitted C matches the reference kernel (float32, int8, hybrid; constant and run-time ids)', () => {
    expectCMatchesReference(cases(51).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (float32, int8, hybrid)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(52));
  });
});
