// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { count, expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function cases(rand: () => number): Omit<CCase, 'def'>[] {
  const shapes = [[5], [1, 4, 4, 8], [2, 3, 1], [2, 1, 3, 2, 2], [7, 1]];
  const dtypes: DType[] = ['int8', 'float32', 'int32', 'bool', 'int16'];
  return shapes.map((shape, k) => {
    const dtype = dtypes[k]!;
    const g = singleOpGraph(
      'SHAPE',
      [{ shape, dtype, ...(dtype === 'int8' || dtype === 'int16' ? { scale: 0.1, zeroPoint: 0 } : {}) }],
      [{ shape: [shape.length], dtype: 'int32' }],
    );
    const n = count(shape);
    const v = () => Math.floor(rand() * 200) - 100;
    const values = {
      int8: () => Int8Array.from({ length: n }, v),
      int16: () => Int16Array.from({ length: n }, v),
      int32: () => Int32Array.from({ length: n }, v),
      float32: () => Float32Array.from({ length: n }, () => rand() - 0.5),
      bool: () => Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)),
    }[dtype as 'int8']();
    return { ...g, inputs: [values] };
  });
}

describe('SHAPE', () => {
  it('gives the input dimensions as int32 (hand-checked)', () => {
    const g = singleOpGraph('SHAPE', [{ shape: [1, 4, 4, 8], dtype: 'float32' }], [{ shape: [4], dtype: 'int32' }]);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [new Float32Array(128)])[0] as Int32Array)).to.deep.equal([1, 4, 4, 8]);
  });

  it('refuses an output type but int32, as TFLite Micro does when it runs', () => {
    const g = singleOpGraph('SHAPE', [{ shape: [2, 3] }], [{ shape: [2], dtype: 'int64' }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /output .* is int64; TFLite Micro's SHAPE writes int32 only/);
  });

  it('emitted C matches the reference kernel', () => {
    expectCMatchesReference(cases(rng(601)).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(602)));
  });
});
