// SPDX-License-Identifier: Apache-2.0
import type { FusedActivation, Tensor } from '../../../ir/graph.ts';
import { roundHalfAway } from './fixedpoint.ts';

export interface ActivationRange {
  min: number;
  max: number;
}

/**
 * The quantized clamp range of a fused activation on an output tensor (TFLite's
 * CalculateActivationRangeQuantized), for int8 (or int16 with `bits` = 16).
 */
export function activationRange(activation: FusedActivation, output: Tensor, bits: 8 | 16 = 8): ActivationRange {
  const qmin = bits === 8 ? -128 : -32768;
  const qmax = bits === 8 ? 127 : 32767;
  // TFLite divides in float by the float32 scale: f / scale, both float (a double scale that is not a
  // float32 value gives a different quotient about once in 50000 scales)
  const scale = Math.fround(output.quant?.scale[0] ?? 1);
  const zero = output.quant?.zeroPoint[0] ?? 0;
  const q = (r: number) => zero + roundHalfAway(Math.fround(r / scale));
  switch (activation) {
    case 'NONE':
      return { min: qmin, max: qmax };
    case 'RELU':
      return { min: Math.max(qmin, q(0)), max: qmax };
    case 'RELU6':
      return { min: Math.max(qmin, q(0)), max: Math.min(qmax, q(6)) };
    case 'RELU_N1_TO_1':
      return { min: Math.max(qmin, q(-1)), max: Math.min(qmax, q(1)) };
    default:
      throw new Error(`fused activation ${activation} has no quantized range`);
  }
}
