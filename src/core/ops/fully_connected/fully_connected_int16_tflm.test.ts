// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED 16x8 (int16 activations, int8 weights): random layers from the int16 fuzz generator (batches, int64 / no bias, every fused activation) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import def from './index.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

describe('FULLY_CONNECTED 16x8 (int16 activations, int8 weights) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: batches, int64 / no bias, every fused activation', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, int16Cases('fc-int16', 60, 1));
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('fc-int16', 30, 2).map((c) => ({ def, ...c })));
  });
});
