// SPDX-License-Identifier: Apache-2.0
/**
 * RESIZE_NEAREST_NEIGHBOR 16x8 (int16 activations): random layers from the int16 fuzz generator (up and down, align_corners, half_pixel_centers) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import { OPS } from '../index.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

const defOf = (kind: string) => OPS.get(kind)!;

describe('RESIZE_NEAREST_NEIGHBOR 16x8 (int16 activations) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: up and down, align_corners, half_pixel_centers', function () {
    if (!tflmRefAvailable(this)) return;
    for (const c of int16Cases('resize-nearest-int16', 60, 1)) expectTflmAgrees(defOf(c.op.kind), [c]);
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('resize-nearest-int16', 30, 2).map((c) => ({ def: defOf(c.op.kind), ...c })));
  });
});
