// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV 16x8 (int16 activations, int8 weights): random layers from the int16 fuzz generator (strides 1-3, SAME/VALID, per-channel weights, int64 / int16 / no bias, every fused activation) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

describe('TRANSPOSE_CONV 16x8 (int16 activations, int8 weights) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: strides 1-3, SAME/VALID, per-channel weights, int64 / int16 / no bias, every fused activation', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, int16Cases('transpose-conv-int16', 60, 1));
  });

  const layer = (bias: 'int16' | 'int32' | 'int64' | null) =>
    singleOpGraph(
      'TRANSPOSE_CONV',
      [
        { shape: [4], dtype: 'int32', data: Int32Array.from([1, 2, 2, 1]) },
        { shape: [1, 1, 1, 1], dtype: 'int8', scale: 1, zeroPoint: 0, data: Int8Array.from([3]) },
        { shape: [1, 1, 1, 1], dtype: 'int16', scale: 0.25, zeroPoint: 0 },
        bias === null
          ? null
          : {
              shape: [1],
              dtype: bias,
              scale: 0.25,
              zeroPoint: 0,
              data: bias === 'int16' ? Int16Array.from([2]) : bias === 'int32' ? Int32Array.from([2]) : BigInt64Array.from([2n]),
            },
      ],
      [{ shape: [1, 2, 2, 1], dtype: 'int16', scale: 1, zeroPoint: 0 }],
      { padding: 'VALID', strideH: 2, strideW: 2, activation: 'NONE' },
    );

  it('hand-computed: stride 2 scatters one input into a 2x2 output; int16 and int64 biases agree, one 64-bit rounding', () => {
    // 7 * 3 = 21 (+ 2 bias = 23) at 0.25: 5.75 -> 6 (the 1x1 filter reaches only the top-left output);
    // the other outputs hold the bias alone, 2 * 0.25 = 0.5 -> 1 (the 64-bit rounding is half up)
    for (const bias of ['int16', 'int64'] as const) {
      const { graph, op } = layer(bias);
      expect(Array.from(evaluateOp(def, graph, op, [Int16Array.from([7])])[0] as Int16Array)).to.deep.equal([6, 1, 1, 1]);
    }
    const { graph, op } = layer(null);
    // 21 * 0.25 = 5.25 -> 5
    expect(Array.from(evaluateOp(def, graph, op, [Int16Array.from([7])])[0] as Int16Array)).to.deep.equal([5, 0, 0, 0]);
  });

  it('refuses an int32 bias (TFLite Micro reads a 16x8 bias as int64)', () => {
    const { graph, op } = layer('int32');
    expect(() => def.check(graph, op)).to.throw(OpError, /bias tensor 3 "in3" is int32; 16x8 TRANSPOSE_CONV takes an int64 \(or int16\) bias/);
  });

  it('hand-computed layers agree with tflm-ref', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(
      def,
      (['int16', 'int64', null] as const).map((b) => ({ ...layer(b), inputs: [Int16Array.from([7])] })),
    );
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('transpose-conv-int16', 30, 2).map((c) => ({ def, ...c })));
  });
});
