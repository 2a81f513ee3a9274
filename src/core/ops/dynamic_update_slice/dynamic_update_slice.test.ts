// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { DUS_DTYPES, type OpCase, dynamicUpdateSliceCase } from '../../../../test/helpers/tensor_op_cases.ts';

function cases(seed: number): OpCase[] {
  const rand = rng(seed);
  return DUS_DTYPES.flatMap((dtype) =>
    (['int32', 'int64'] as const).flatMap((indexType) => [false, true, false].map((constant) => dynamicUpdateSliceCase(rand, dtype, indexType, constant))),
  );
}

function grid(indexType: 'int32' | 'int64' = 'int32') {
  return singleOpGraph(
    'DYNAMIC_UPDATE_SLICE',
    [
      { shape: [3, 4], dtype: 'int32' },
      { shape: [2, 2], dtype: 'int32' },
      { shape: [2], dtype: indexType },
    ],
    [{ shape: [3, 4], dtype: 'int32' }],
  );
}
const OPERAND = Int32Array.from({ length: 12 }, (_, i) => i);
const UPDATE = Int32Array.from([-1, -2, -3, -4]);

describe('DYNAMIC_UPDATE_SLICE', () => {
  it('writes the update at the clamped start (hand-checked)', () => {
    const g = grid();
    // start [1,1]: rows 1-2, columns 1-2
    expect(Array.from(evaluateOp(def, g.graph, g.op, [OPERAND, UPDATE, Int32Array.from([1, 1])])[0] as Int32Array)).to.deep.equal([
      0, 1, 2, 3, 4, -1, -2, 7, 8, -3, -4, 11,
    ]);
    // start [-5, 9] clamps to [0, 2] (operand 4 - update 2)
    const h = grid('int64');
    expect(Array.from(evaluateOp(def, h.graph, h.op, [OPERAND, UPDATE, BigInt64Array.from([-5n, 9n])])[0] as Int32Array)).to.deep.equal([
      0, 1, -1, -2, 4, 5, -3, -4, 8, 9, 10, 11,
    ]);
  });

  it('clamps extreme run-time starts in the C too (int64 past int32)', () => {
    const g = grid('int64');
    const starts = [BigInt64Array.from([9223372036854775807n, -9223372036854775807n]), BigInt64Array.from([4294967297n, -4294967295n])];
    expectCMatchesReference(starts.map((s) => ({ def, ...g, inputs: [OPERAND, UPDATE, s] })));
  });

  it('refuses what TFLite Micro refuses: an update larger than the operand, a start per dimension missing, mixed types', () => {
    const large = singleOpGraph(
      'DYNAMIC_UPDATE_SLICE',
      [
        { shape: [2, 2], dtype: 'float32' },
        { shape: [3, 1], dtype: 'float32' },
        { shape: [2], dtype: 'int32' },
      ],
      [{ shape: [2, 2], dtype: 'float32' }],
    );
    expect(() => def.check(large.graph, large.op)).to.throw(OpError, /larger than operand/);
    const short = singleOpGraph(
      'DYNAMIC_UPDATE_SLICE',
      [
        { shape: [2, 2], dtype: 'float32' },
        { shape: [1, 1], dtype: 'float32' },
        { shape: [1], dtype: 'int32' },
      ],
      [{ shape: [2, 2], dtype: 'float32' }],
    );
    expect(() => def.check(short.graph, short.op)).to.throw(OpError, /one start per operand dimension/);
    const mixed = singleOpGraph(
      'DYNAMIC_UPDATE_SLICE',
      [
        { shape: [2, 2], dtype: 'float32' },
        { shape: [1, 1], dtype: 'int32' },
        { shape: [2], dtype: 'int32' },
      ],
      [{ shape: [2, 2], dtype: 'float32' }],
    );
    expect(() => def.check(mixed.graph, mixed.op)).to.throw(OpError, /update tensor 1 "in1" is int32 but operand/);
  });

  it('emitted C matches the reference kernel (float32, int8, int16, int32; int32 and int64 starts)', () => {
    expectCMatchesReference(cases(81).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(82));
    const g = grid('int64');
    expectTflmAgrees(def, [{ ...g, inputs: [OPERAND, UPDATE, BigInt64Array.from([9223372036854775807n, -9223372036854775807n])] }]);
  });
});
