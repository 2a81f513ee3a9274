// SPDX-License-Identifier: Apache-2.0
/**
 * LEAKY_RELU 16x8: TFLite Micro's QuantizeLeakyRelu<int16_t>, the int8 algorithm on the int16 range:
 * x >= 0 is rescaled by s_in/s_out, x < 0 by s_in·alpha/s_out, both multipliers computed in float32
 * (as TFLite Micro's Prepare does) before widening; zero points are 0. Computed per element.
 */
import { OpError } from '../../errors.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { unaryInt16 } from '../common/families/unary_int16.ts';

interface LeakyInt16Quant {
  identityMultiplier: number;
  identityShift: number;
  alphaMultiplier: number;
  alphaShift: number;
}

export const leakyReluInt16 = unaryInt16<LeakyInt16Quant>({
  check(_graph, op) {
    const alpha = op.attrs.alpha;
    if (typeof alpha !== 'number' || !Number.isFinite(alpha))
      throw new OpError(op.index, op.kind, `attribute alpha = ${String(alpha)}; expected a finite number`);
  },
  quantize(graph, op) {
    const si = f32(graph.tensors[op.inputs[0]!]!.quant!.scale[0]!);
    const so = f32(graph.tensors[op.outputs[0]!]!.quant!.scale[0]!);
    const alpha = f32(op.attrs.alpha as number);
    const identity = quantizeMultiplier(f32(si / so));
    const negative = quantizeMultiplier(f32(f32(si * alpha) / so));
    return { identityMultiplier: identity.multiplier, identityShift: identity.shift, alphaMultiplier: negative.multiplier, alphaShift: negative.shift };
  },
  value: (x, q) => clamp(x >= 0 ? mbqm(x, q.identityMultiplier, q.identityShift) : mbqm(x, q.alphaMultiplier, q.alphaShift), -32768, 32767),
  cExpr: (q) => `tf_clamp(x >= 0 ? tf_mbqm(x, ${q.identityMultiplier}, ${q.identityShift}) : tf_mbqm(x, ${q.alphaMultiplier}, ${q.alphaShift}), -32768, 32767)`,
  describe: () => 'two requantizations by sign',
});
