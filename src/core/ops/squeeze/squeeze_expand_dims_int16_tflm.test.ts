// SPDX-License-Identifier: Apache-2.0
/**
 * SQUEEZE and EXPAND_DIMS 16x8 (int16 activations): random layers from the int16 fuzz generator (any position) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import { OPS } from '../index.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

const defOf = (kind: string) => OPS.get(kind)!;

describe('SQUEEZE and EXPAND_DIMS 16x8 (int16 activations) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: any position', function () {
    if (!tflmRefAvailable(this)) return;
    for (const c of int16Cases('squeeze-expand-dims-int16', 60, 1)) expectTflmAgrees(defOf(c.op.kind), [c]);
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('squeeze-expand-dims-int16', 30, 2).map((c) => ({ def: defOf(c.op.kind), ...c })));
  });
});
