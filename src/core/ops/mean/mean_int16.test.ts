// SPDX-License-Identifier: Apache-2.0
/**
 * MEAN 16x8 (int16 activations): random layers from the int16 fuzz generator (any axes, keep_dims or not, shared and different quantization) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import { expect } from 'chai';
import def from './index.ts';
import { evaluateOp, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

describe('MEAN 16x8 (int16 activations) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: any axes, keep_dims or not, shared and different quantization', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, int16Cases('mean-int16', 60, 1));
  });

  const global = () =>
    singleOpGraph(
      'MEAN',
      [
        { shape: [1, 2, 2, 1], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
        { shape: [2], dtype: 'int32', data: Int32Array.from([1, 2]) },
      ],
      [{ shape: [1, 1, 1, 1], dtype: 'int16', scale: 0.5, zeroPoint: 0 }],
      { keepDims: true },
    );

  it('hand-computed: with one quantization in and out it still requantizes, rounding (no truncating division)', () => {
    const { graph, op } = global();
    // sum 6 / 4 = 1.5 -> 2 (truncation would give 1); -6 / 4 -> -2; 32767 * 4 / 4 stays 32767
    expect(Array.from(evaluateOp(def, graph, op, [Int16Array.from([1, 2, 2, 1])])[0] as Int16Array)).to.deep.equal([2]);
    expect(Array.from(evaluateOp(def, graph, op, [Int16Array.from([-1, -2, -2, -1])])[0] as Int16Array)).to.deep.equal([-2]);
    expect(Array.from(evaluateOp(def, graph, op, [Int16Array.from([32767, 32767, 32767, 32767])])[0] as Int16Array)).to.deep.equal([32767]);
  });

  it('the hand-computed layer agrees with tflm-ref', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(
      def,
      [
        [1, 2, 2, 1],
        [-1, -2, -2, -1],
        [32767, 32767, 32767, 32767],
        [-32768, -32768, -32768, -32767],
      ].map((v) => ({ ...global(), inputs: [Int16Array.from(v)] })),
    );
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('mean-int16', 30, 2).map((c) => ({ def, ...c })));
  });
});
