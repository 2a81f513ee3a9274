// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { type OpCase, gatherNdCase } from '../../../../test/helpers/tensor_op_cases.ts';

function cases(seed: number): OpCase[] {
  const rand = rng(seed);
  return (['int8', 'float32'] as const).flatMap((dtype) => Array.from({ length: 8 }, (_, k) => gatherNdCase(rand, dtype, k % 2 === 1)));
}

/** params [3,4] int8 0..11, run-time indices of shape [rows, 2]. */
function grid(rows: number) {
  return singleOpGraph(
    'GATHER_ND',
    [
      { shape: [3, 4], scale: 1, zeroPoint: 0 },
      { shape: [rows, 2], dtype: 'int32' },
    ],
    [{ shape: [rows], scale: 1, zeroPoint: 0 }],
  );
}
const PARAMS = Int8Array.from({ length: 12 }, (_, i) => i);

describe('GATHER_ND', () => {
  it('picks elements and slices by index rows (hand-checked)', () => {
    // [2,1] -> 2*4 + 1 = 9; [0,3] -> 3
    const g = grid(2);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [PARAMS, Int32Array.from([2, 1, 0, 3])])[0] as Int8Array)).to.deep.equal([9, 3]);
    const h = singleOpGraph(
      'GATHER_ND',
      [
        { shape: [3, 2], dtype: 'float32' },
        { shape: [2, 1], dtype: 'int32', data: Int32Array.from([2, 0]) },
      ],
      [{ shape: [2, 2], dtype: 'float32' }],
    );
    expect(Array.from(evaluateOp(def, h.graph, h.op, [Float32Array.from([1, 2, 3, 4, 5, 6])])[0] as Float32Array)).to.deep.equal([5, 6, 1, 2]);
  });

  it('checks only the flat position, as TFLite Micro: [0,5] of [3,4] reads element 5; past the end gives zeros', () => {
    const g = grid(3);
    // [0,5] -> 5 (inside params); [2,4] -> 12 (past the end: zeros); [-1,4] -> 0
    expect(Array.from(evaluateOp(def, g.graph, g.op, [PARAMS, Int32Array.from([0, 5, 2, 4, -1, 4])])[0] as Int8Array)).to.deep.equal([5, 0, 0]);
    expectCMatchesReference([{ def, ...g, inputs: [PARAMS, Int32Array.from([0, 5, 2, 4, -1, 4])] }]);
    const big = Int32Array.from([2147483647, 2147483647, -2147483648, 3, 1, -1]);
    expectCMatchesReference([{ def, ...g, inputs: [PARAMS, big] }]);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [PARAMS, big])[0] as Int8Array)).to.deep.equal([0, 0, 3]);
  });

  it('TFLite Micro reads [0,5] of [3,4] as element 5 too', function () {
    if (!tflmRefAvailable(this)) return;
    const g = grid(2);
    const out = tflmOutputs(g.graph, [new Uint8Array(PARAMS.buffer), new Uint8Array(Int32Array.from([0, 5, 1, -2]).buffer)]);
    expect(Array.from(new Int8Array(out[0]!.buffer, out[0]!.byteOffset, 2))).to.deep.equal([5, 2]);
  });

  it('refuses what TFLite Micro refuses, and a constant index out of range', () => {
    const deep = singleOpGraph(
      'GATHER_ND',
      [
        { shape: [2, 2], dtype: 'float32' },
        { shape: [1, 3], dtype: 'int32' },
      ],
      [{ shape: [1], dtype: 'float32' }],
    );
    expect(() => def.check(deep.graph, deep.op)).to.throw(OpError, /3 coordinates per row, more than params' rank 2/);
    const i16 = singleOpGraph(
      'GATHER_ND',
      [
        { shape: [2, 2], dtype: 'int16', scale: 1, zeroPoint: 0 },
        { shape: [1, 1], dtype: 'int32' },
      ],
      [{ shape: [1, 2], dtype: 'int16', scale: 1, zeroPoint: 0 }],
    );
    expect(() => def.check(i16.graph, i16.op)).to.throw(OpError, /int16; TFLite Micro's GATHER_ND supports int8 and float32/);
    const bad = singleOpGraph(
      'GATHER_ND',
      [
        { shape: [2, 2], dtype: 'float32' },
        { shape: [1, 2], dtype: 'int32', data: Int32Array.from([2, 0]) },
      ],
      [{ shape: [1], dtype: 'float32' }],
    );
    expect(() => def.check(bad.graph, bad.op)).to.throw(OpError, /index \[2,0\] .* out of range/);
  });

  it('emitted C matches the reference kernel (int8, float32; constant and run-time indices)', () => {
    expectCMatchesReference(cases(61).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (int8, float32)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(62));
  });
});
