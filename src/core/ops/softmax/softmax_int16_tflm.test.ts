// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX 16x8 (int16 activations): random layers from the int16 fuzz generator (rows of 1 to 17, betas) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import def from './index.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

describe('SOFTMAX 16x8 (int16 activations) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: rows of 1 to 17, betas', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, int16Cases('softmax-int16', 60, 1));
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('softmax-int16', 30, 2).map((c) => ({ def, ...c })));
  });
});
