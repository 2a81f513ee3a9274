// SPDX-License-Identifier: Apache-2.0
/**
 * MINIMUM 16x8 (int16 activations): random layers from the int16 fuzz generator (broadcasts) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import { OPS } from '../index.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

const defOf = (kind: string) => OPS.get(kind)!;

describe('MINIMUM 16x8 (int16 activations) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: broadcasts', function () {
    if (!tflmRefAvailable(this)) return;
    for (const c of int16Cases('minimum-int16', 60, 1)) expectTflmAgrees(defOf(c.op.kind), [c]);
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('minimum-int16', 30, 2).map((c) => ({ def: defOf(c.op.kind), ...c })));
  });
});
