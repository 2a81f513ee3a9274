// SPDX-License-Identifier: Apache-2.0
/**
 * DIV, int8 with broadcasting and a fused activation (TFLite Micro's reference DivElementwise). Per
 * element, x1 = q1 − z1 and x2 = q2 − z2 (both negated when x2 < 0); 1/x2 from GetReciprocal (Q0.31,
 * gemmlowp's Newton-Raphson 1/(1+x)) with its bit count; x1 normalised by its leading sign bits
 * (headroom) and multiplied by the reciprocal (SRDHM); then SRDHM by the output multiplier
 * s1/(s2·s_out) (float32 arithmetic, as TFLM computes it) and a rounding right shift by
 * headroom + reciprocal bits − output shift; + z_out, clamped to the activation range.
 *
 * TFLM surprises: (1) TFLM asserts (aborts the inference) when that right shift exceeds 31, which
 * happens for small |x1| with a large |x2| whenever the output multiplier is below 2^6: the exact
 * quotient then rounds to 0, which is what this kernel gives (shift >= 32 -> 0). Only output
 * multipliers in [2^6, 2^23) keep TFLM alive for every input pair. (2) x2 = 0 (q2 = z2) is a
 * DCHECK in TFLM (undefined): here the quotient saturates to the activation bound of x1's sign, and
 * 0/0 gives z_out (clamped).
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatArithmetic, outputIsFloat } from '../common/families/float_arithmetic.ts';
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout } from '../common/families/elementwise.ts';
import {
  type BinaryZeroPoints,
  binaryZeroPoints,
  float32Scales,
  forEachPair,
  fusedActivationBounds,
  inPlaceOverlap,
  int8BinaryTensors,
  outputElementCount,
  zeroPointsView,
} from '../common/families/binary_elementwise.ts';
import { clamp, f32, quantizeMultiplierUnchecked, rdbpot, roundHalfAway, srdhm } from '../common/numerics/fixedpoint.ts';
import { reciprocal } from '../common/numerics/gemmlowp.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { withInt32Arithmetic } from '../common/families/int32_arithmetic.ts';

export interface DivParams extends BinaryLayout, BinaryZeroPoints {
  outputMultiplier: number;
  outputShift: number;
  actMin: number;
  actMax: number;
}

/** CountLeadingSignBits of an int32 (31 for 0 and -1). */
export function countLeadingSignBits(x: number): number {
  return Math.clz32(x < 0 ? ~x : x) - 1;
}

function outputMultiplier(graph: Graph, op: Op) {
  const { s1, s2, so } = float32Scales(graph, op);
  return quantizeMultiplierUnchecked(f32(s1 / f32(s2 * so)));
}

/** One output element from the two input elements. */
export function divValue(q1: number, q2: number, p: DivParams): number {
  let x1 = q1 + p.input1Offset;
  let x2 = q2 + p.input2Offset;
  if (x2 < 0) {
    x1 = -x1;
    x2 = -x2;
  }
  if (x2 === 0) return x1 > 0 ? p.actMax : x1 < 0 ? p.actMin : clamp(p.outputZeroPoint, p.actMin, p.actMax);
  const recip = reciprocal(x2, 31);
  const headroom = countLeadingSignBits(x1);
  const unscaled = srdhm(x1 * 2 ** headroom, recip.value);
  const exponent = headroom + recip.numBitsOverUnit - p.outputShift;
  const scaled = exponent > 31 ? 0 : rdbpot(srdhm(unscaled, p.outputMultiplier), exponent);
  return clamp(p.outputZeroPoint + scaled, p.actMin, p.actMax);
}

const div: OpDef<DivParams> = {
  kind: 'DIV',
  dir: import.meta.dirname,

  check(graph, op) {
    const { out } = int8BinaryTensors(graph, op);
    fusedActivationBounds(graph, op);
    // TFLM's CalculateActivationRangeQuantized fails Prepare when a bound (6 or ±1) over the output scale overflows int32
    const activation = (op.attrs as { activation?: string }).activation;
    const bound = activation === 'RELU6' ? 6 : activation === 'RELU_N1_TO_1' ? 1 : 0;
    if (bound > 0 && !(Math.abs(roundHalfAway(f32(bound / f32(out.quant!.scale[0]!)))) <= 2 ** 31 - 1)) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(out)} scale ${out.quant!.scale[0]} is too small for the ${activation} bounds (TFLite's activation range overflows int32)`,
      );
    }
    const m = outputMultiplier(graph, op);
    // the shift of the last step must stay a right shift for every |x1| <= 255 (headroom >= 23)
    if (m.shift > 23)
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(out)} scale ${out.quant!.scale[0]} is too small for the input scales (TFLite needs s1/(s2·s_out) < 2^23)`,
      );
  },

  prepare(graph, op) {
    const m = outputMultiplier(graph, op);
    return {
      ...binaryLayout(graph, op),
      ...binaryZeroPoints(graph, op),
      outputMultiplier: m.multiplier,
      outputShift: m.shift,
      ...fusedActivationBounds(graph, op),
    };
  },

  macs: outputElementCount,
  overlap: inPlaceOverlap,

  evaluate(p, inputs, outputs) {
    forEachPair(p.loops, inputs, outputs, (q1, q2) => divValue(q1, q2, p));
  },

  emitC(p, ctx) {
    return ctx.render('div.c.hbs', {
      ...binaryEmitView(p, ctx),
      ...zeroPointsView(p),
      outputMultiplier: p.outputMultiplier,
      outputShift: p.outputShift,
      zeroPoint: p.outputZeroPoint,
      actMin: p.actMin,
      actMax: p.actMax,
    });
  },
};

// int32 tensors (signal front-ends' output scaling): plain integer arithmetic, common/families/int32_arithmetic.ts
// float32 tensors: TFLite Micro's float DIV, common/families/float_arithmetic.ts
export default withFloatVariant(withInt32Arithmetic(div, 'DIV'), floatArithmetic('DIV'), outputIsFloat);
