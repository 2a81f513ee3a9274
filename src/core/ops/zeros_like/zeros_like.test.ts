// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { allocBuffer, type TensorBuffer } from '../../ir/buffers.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function cases(rand: () => number): Omit<CCase, 'def'>[] {
  return (['int8', 'int32', 'int64', 'int8'] as DType[]).map((dtype) => {
    const shape = [randomInt(rand, 1, 3), randomInt(rand, 1, 7)];
    const n = shape[0]! * shape[1]!;
    const q = dtype === 'int8' ? { scale: 0.1, zeroPoint: randomInt(rand, -100, 100) } : {};
    const x: TensorBuffer =
      dtype === 'int8'
        ? randomInt8(rand, n)
        : dtype === 'int32'
          ? Int32Array.from(randomInt8(rand, n), (v) => v * 99991)
          : BigInt64Array.from(randomInt8(rand, n), (v) => BigInt(v) * 12345678901n);
    return { ...singleOpGraph('ZEROS_LIKE', [{ shape, dtype, ...q }], [{ shape, dtype, ...q }]), inputs: [x] };
  });
}

describe('ZEROS_LIKE', () => {
  it('writes raw zeros, not the zero point (hand-checked)', () => {
    const g = singleOpGraph('ZEROS_LIKE', [{ shape: [3], scale: 0.1, zeroPoint: 5 }], [{ shape: [3], scale: 0.1, zeroPoint: 5 }]);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Int8Array.from([1, 2, 3])])[0] as Int8Array)).to.deep.equal([0, 0, 0]);
  });

  it('rejects int16', () => {
    const g = singleOpGraph('ZEROS_LIKE', [{ shape: [3], dtype: 'int16' }], [{ shape: [3], dtype: 'int16' }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /supports int8, int32, int64/);
    expect(allocBuffer('int16', 1).length).to.equal(1);
  });

  it('emitted C matches the reference kernel (int8, int32, int64)', () => {
    expectCMatchesReference(cases(rng(31)).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (int8, int32, int64)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(32)));
  });
});
