/**
 * PRELU, int8 with broadcasting (alpha is usually a per-channel constant): TFLite Micro's
 * BroadcastPrelu4DSlow. Non-negative inputs (q >= z_in) are rescaled by s_in/s_out; negative ones are
 * multiplied by the zero-point-corrected alpha and rescaled by s_in·s_alpha/s_out (double arithmetic
 * on the float32 scales). The result is clamped to int8.
 */
import type { OpDef } from '../op.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors } from '../common/elementwise.ts';
import { forEachInt8Pair, inPlaceOverlap, int8BinaryTensors, outputElementCount } from '../common/binary_elementwise.ts';
import { cTerm } from '../common/weighted.ts';

export interface PreluParams extends BinaryLayout {
  inputOffset: number;
  alphaOffset: number;
  outputZeroPoint: number;
  identityMultiplier: number;
  identityShift: number;
  alphaMultiplier: number;
  alphaShift: number;
}

const prelu: OpDef<PreluParams> = {
  kind: 'PRELU',
  dir: import.meta.dirname,

  check(graph, op) {
    int8BinaryTensors(graph, op, ['input', 'alpha']);
  },

  prepare(graph, op) {
    const { a: input, b: alpha, out } = binaryTensors(graph, op, ['input', 'alpha']);
    const si = f32(input.quant!.scale[0]!);
    const sa = f32(alpha.quant!.scale[0]!);
    const so = f32(out.quant!.scale[0]!);
    const identity = quantizeMultiplier(si / so);
    const negative = quantizeMultiplier((si * sa) / so);
    return {
      ...binaryLayout(graph, op),
      inputOffset: -input.quant!.zeroPoint[0]!,
      alphaOffset: -alpha.quant!.zeroPoint[0]!,
      outputZeroPoint: out.quant!.zeroPoint[0]!,
      identityMultiplier: identity.multiplier,
      identityShift: identity.shift,
      alphaMultiplier: negative.multiplier,
      alphaShift: negative.shift,
    };
  },

  macs: outputElementCount,
  overlap: inPlaceOverlap,

  evaluate(p, inputs, outputs) {
    forEachInt8Pair(p.loops, inputs, outputs, (x, alpha) => {
      const v = x + p.inputOffset;
      const scaled = v >= 0
        ? mbqm(v, p.identityMultiplier, p.identityShift)
        : mbqm(v * (alpha + p.alphaOffset), p.alphaMultiplier, p.alphaShift);
      return clamp(scaled + p.outputZeroPoint, -128, 127);
    });
  },

  emitC(p, ctx) {
    return ctx.render('prelu.c.hbs', {
      ...binaryEmitView(p, ctx),
      inputOffset: cTerm(p.inputOffset),
      alphaOffset: cTerm(p.alphaOffset),
      outputZeroPoint: cTerm(p.outputZeroPoint),
      identityMultiplier: p.identityMultiplier,
      identityShift: p.identityShift,
      alphaMultiplier: p.alphaMultiplier,
      alphaShift: p.alphaShift,
    });
  },
};

export default prelu;
