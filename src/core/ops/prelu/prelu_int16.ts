// SPDX-License-Identifier: Apache-2.0
/**
 * PRELU 16x8: TFLite Micro's BroadcastPrelu4DSlow with an int16 input and output (zero point 0) and
 * an int8 alpha (TFLite Micro's Prepare insists on an int8 alpha whatever the input type; its zero
 * point is honoured). x >= 0 is rescaled by s_in/s_out, x < 0 is multiplied by the zero-point-
 * corrected alpha (|x·alpha| <= 2^23) and rescaled by s_in·s_alpha/s_out (double arithmetic on the
 * float32 scales, as for int8), then clamped to int16.
 */
import { OpError } from '../../errors.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { forEachPair } from '../common/families/binary_elementwise.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors } from '../common/families/elementwise.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from '../common/families/int16_variant.ts';
import { cTerm, requireInt8Activation, tensorLabel } from '../common/families/weighted.ts';

export interface PreluInt16Params extends Int16Tagged, BinaryLayout {
  alphaOffset: number;
  identityMultiplier: number;
  identityShift: number;
  alphaMultiplier: number;
  alphaShift: number;
}

export const preluInt16: Int16Variant<PreluInt16Params> = {
  check(graph, op) {
    const { a, b, out } = binaryTensors(graph, op, ['input', 'alpha']);
    requireInt16Activation(op, a, 'input');
    if (b.dtype !== 'int8')
      throw new OpError(op.index, op.kind, `alpha ${tensorLabel(b)} is ${b.dtype}; TFLite Micro's PRELU takes an int8 alpha (also with an int16 input)`);
    requireInt8Activation(op, b, 'alpha');
    requireInt16Activation(op, out, 'output');
    if (out.shape.length > 4)
      throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} has rank ${out.shape.length}; TFLite Micro's PRELU takes at most 4`);
  },
  prepare(graph, op) {
    const { a: input, b: alpha, out } = binaryTensors(graph, op, ['input', 'alpha']);
    const si = f32(input.quant!.scale[0]!);
    const sa = f32(alpha.quant!.scale[0]!);
    const so = f32(out.quant!.scale[0]!);
    const identity = quantizeMultiplier(si / so);
    const negative = quantizeMultiplier((si * sa) / so);
    return {
      activationBits: 16,
      ...binaryLayout(graph, op),
      alphaOffset: -alpha.quant!.zeroPoint[0]!,
      identityMultiplier: identity.multiplier,
      identityShift: identity.shift,
      alphaMultiplier: negative.multiplier,
      alphaShift: negative.shift,
    };
  },
  evaluate(p, inputs, outputs) {
    // input 0 is the int16 input, input 1 the int8 alpha
    forEachPair(p.loops, inputs, outputs, (v, alpha) => {
      const scaled = v >= 0 ? mbqm(v, p.identityMultiplier, p.identityShift) : mbqm(v * (alpha + p.alphaOffset), p.alphaMultiplier, p.alphaShift);
      return clamp(scaled, -32768, 32767);
    });
  },
  emitC(p, ctx) {
    return ctx.render('prelu_int16.c.hbs', {
      ...binaryEmitView(p, ctx),
      alphaOffset: cTerm(p.alphaOffset),
      identityMultiplier: p.identityMultiplier,
      identityShift: p.identityShift,
      alphaMultiplier: p.alphaMultiplier,
      alphaShift: p.alphaShift,
    });
  },
};
