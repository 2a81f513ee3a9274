// SPDX-License-Identifier: Apache-2.0
/**
 * AVERAGE_POOL_2D 16x8 (int16 activations): random layers from the int16 fuzz generator (windows, strides, SAME/VALID, every fused activation) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import def from './index.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';
import { evaluateOp, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expect } from 'chai';

/**
 * One window over a whole size x size image of one value: its int32 sum leaves int32 (300x300 of
 * 32767 sums to 2,949,030,000), or its rounding step does (256x256 of -32768 sums to -2^31, minus
 * half the count). TFLite Micro's int32 accumulator wraps: -14955 and 32767 are its answers.
 */
function wrappingWindow(size: number, value: number) {
  const q = { dtype: 'int16' as const, scale: 0.001, zeroPoint: 0 };
  const { graph, op } = singleOpGraph('AVERAGE_POOL_2D', [{ shape: [1, size, size, 1], ...q }], [{ shape: [1, 1, 1, 1], ...q }], {
    padding: 'VALID',
    strideH: 1,
    strideW: 1,
    filterH: size,
    filterW: size,
    activation: 'NONE',
  });
  return { graph, op, inputs: [new Int16Array(size * size).fill(value)] };
}

describe('AVERAGE_POOL_2D 16x8 (int16 activations) against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: windows, strides, SAME/VALID, every fused activation', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, int16Cases('avg-pool-int16', 60, 1));
  });

  it('a window whose int32 sum or rounding wraps: the reference, the C (UBSan, no recovery) and TFLite Micro agree', function () {
    const cases = [wrappingWindow(300, 32767), wrappingWindow(256, -32768)];
    expect(cases.map((c) => evaluateOp(def, c.graph, c.op, c.inputs)[0]![0])).to.deep.equal([-14955, 32767]);
    expectCMatchesReference(cases.map((c) => ({ def, ...c })));
    expectTflmAgrees(def, cases);
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('avg-pool-int16', 30, 2).map((c) => ({ def, ...c })));
  });
});
