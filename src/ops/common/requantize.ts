/**
 * The requantizing clamp of TFLite's quantized RELU family (ReluQuantized): the input re-expressed
 * on the output's scale, out = clamp(z_out + MBQM(q - z_in, m, shift), act_min, act_max).
 */
import { clamp, mbqm } from './fixedpoint.ts';

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
