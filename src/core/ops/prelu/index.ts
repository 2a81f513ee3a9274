// SPDX-License-Identifier: Apache-2.0
/**
 * PRELU, int8 with broadcasting (alpha is usually a per-channel constant): TFLite Micro's
 * BroadcastPrelu4DSlow. Non-negative inputs (q >= z_in) are rescaled by s_in/s_out; negative ones are
 * multiplied by the zero-point-corrected alpha and rescaled by s_in·s_alpha/s_out (double arithmetic
 * on the float32 scales). The result is clamped to int8. Bit-exact with tflm-ref on random alpha
 * shapes (ranks up to 5), constant or not; multipliers of 2^31 or more are refused (multiplier_fits.ts).
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatPrelu } from '../common/families/float_elementwise.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { preluInt16 } from './prelu_int16.ts';
import { type QuantizedMultiplier, clamp, f32, mbqm, quantizeMultiplierUnchecked } from '../common/numerics/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors } from '../common/families/elementwise.ts';
import { forEachPair, inPlaceOverlap, int8BinaryTensors, outputElementCount } from '../common/families/binary_elementwise.ts';
import { cTerm } from '../common/families/weighted.ts';

export interface PreluParams extends BinaryLayout {
  inputOffset: number;
  alphaOffset: number;
  outputZeroPoint: number;
  identityMultiplier: number;
  identityShift: number;
  alphaMultiplier: number;
  alphaShift: number;
}

/** TFLite Micro's PreluPrepare: double arithmetic on the float32 scales. */
function multipliers(graph: Graph, op: Op): { identity: QuantizedMultiplier; negative: QuantizedMultiplier } {
  const { a: input, b: alpha, out } = binaryTensors(graph, op, ['input', 'alpha']);
  const si = f32(input.quant!.scale[0]!);
  const sa = f32(alpha.quant!.scale[0]!);
  const so = f32(out.quant!.scale[0]!);
  return { identity: quantizeMultiplierUnchecked(si / so), negative: quantizeMultiplierUnchecked((si * sa) / so) };
}

const prelu: OpDef<PreluParams> = {
  kind: 'PRELU',
  dir: import.meta.dirname,

  check(graph, op) {
    int8BinaryTensors(graph, op, ['input', 'alpha']);
    const { identity, negative } = multipliers(graph, op);
    requireLeftShiftFits(op, identity.shift, 's_in/s_out');
    requireLeftShiftFits(op, negative.shift, 's_in·s_alpha/s_out');
  },

  prepare(graph, op) {
    const { a: input, b: alpha, out } = binaryTensors(graph, op, ['input', 'alpha']);
    const { identity, negative } = multipliers(graph, op);
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
    forEachPair(p.loops, inputs, outputs, (x, alpha) => {
      const v = x + p.inputOffset;
      const scaled = v >= 0 ? mbqm(v, p.identityMultiplier, p.identityShift) : mbqm(v * (alpha + p.alphaOffset), p.alphaMultiplier, p.alphaShift);
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

// int16 activations (16x8) go to their own kernel in prelu_int16.ts
// float32 layers: BroadcastPrelu4DSlowFloat (common/families/float_elementwise.ts)
export default withFloatVariant(withInt16Variant(prelu, preluInt16), floatPrelu);
