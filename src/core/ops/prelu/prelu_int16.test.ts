// SPDX-License-Identifier: Apache-2.0
/**
 * PRELU 16x8 (int16 activations, int8 alpha): random layers from the int16 fuzz generator (per-channel and scalar alphas with zero points) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

describe('PRELU 16x8 (int16 activations, int8 alpha) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: per-channel and scalar alphas with zero points', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, int16Cases('prelu-int16', 60, 1));
  });

  it('refuses an int16 alpha (TFLite Micro takes an int8 alpha whatever the input type)', () => {
    const { graph, op } = singleOpGraph(
      'PRELU',
      [
        { shape: [2, 3], dtype: 'int16', scale: 0.01, zeroPoint: 0 },
        { shape: [3], dtype: 'int16', scale: 0.01, zeroPoint: 0, data: Int16Array.from([1, 2, 3]) },
      ],
      [{ shape: [2, 3], dtype: 'int16', scale: 0.01, zeroPoint: 0 }],
    );
    expect(() => def.check(graph, op)).to.throw(OpError, /alpha tensor 1 "in1" is int16; TFLite Micro's PRELU takes an int8 alpha/);
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('prelu-int16', 30, 2).map((c) => ({ def, ...c })));
  });
});
