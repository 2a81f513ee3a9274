// SPDX-License-Identifier: Apache-2.0
/**
 * RELU 16x8: TFLite Micro's ReluQuantized<int16_t>: the input requantized to the output's scale by
 * s_in/s_out (float32 scales widened to double before dividing), clamped below at the output's zero
 * point (0) and above at 32767. Computed per element (no table).
 */
import { f32, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { activationRange } from '../common/numerics/activation.ts';
import { type RequantizeClamp, requantizeClamp } from '../common/numerics/requantize.ts';
import { unaryInt16 } from '../common/families/unary_int16.ts';

export const reluInt16 = unaryInt16<RequantizeClamp>({
  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const m = quantizeMultiplier(f32(input.quant!.scale[0]!) / f32(output.quant!.scale[0]!));
    const range = activationRange('RELU', output, 16);
    return { inputZeroPoint: 0, outputZeroPoint: 0, multiplier: m.multiplier, shift: m.shift, actMin: range.min, actMax: range.max };
  },
  value: requantizeClamp,
  cExpr: (q) => `tf_clamp(tf_mbqm(x, ${q.multiplier}, ${q.shift}), ${q.actMin}, ${q.actMax})`,
  describe: () => 'requantize to the output scale, clamp at 0',
});
