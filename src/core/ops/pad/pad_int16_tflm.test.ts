// SPDX-License-Identifier: Apache-2.0
/**
 * PAD and PADV2 16x8 (int16 activations): random layers from the int16 fuzz generator (ranks 1-4, constant values) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import pad from './index.ts';
import padv2 from '../padv2/index.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

describe('PAD and PADV2 16x8 (int16 activations) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: ranks 1-4, constant values', function () {
    if (!tflmRefAvailable(this)) return;
    const cases = int16Cases('pad-int16', 60, 1);
    for (const c of cases) expectTflmAgrees(c.op.kind === 'PADV2' ? padv2 : pad, [c]);
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('pad-int16', 30, 2).map((c) => ({ def: c.op.kind === 'PADV2' ? padv2 : pad, ...c })));
  });
});
