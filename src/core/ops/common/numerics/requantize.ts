// SPDX-License-Identifier: Apache-2.0
/**
 * The requantizing clamp of TFLite's quantized RELU family (ReluQuantized): the input re-expressed
 * on the output's scale, out = clamp(z_out + MBQM(q - z_in, m, shift), act_min, act_max).
 */
import type { FusedActivation, Tensor } from '../../../ir/graph.ts';
import { activationRange } from './activation.ts';
import { clamp, mbqm, quantizeMultiplier } from './fixedpoint.ts';

export interface RequantizeClamp {
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

export function requantizeClamp(q: number, p: RequantizeClamp): number {
  return clamp(p.outputZeroPoint + mbqm(q - p.inputZeroPoint, p.multiplier, p.shift), p.actMin, p.actMax);
}

/**
 * The parameters of a requantizing clamp from `input` to `output`: `real` is s_in/s_out as the op's
 * Prepare computes it, the clamp `activation`'s range on the output.
 */
export function requantizeClampParams(input: Tensor, output: Tensor, real: number, activation: FusedActivation): RequantizeClamp {
  const m = quantizeMultiplier(real);
  const range = activationRange(activation, output);
  return {
    inputZeroPoint: input.quant!.zeroPoint[0]!,
    outputZeroPoint: output.quant!.zeroPoint[0]!,
    multiplier: m.multiplier,
    shift: m.shift,
    actMin: range.min,
    actMax: range.max,
  };
}
