// SPDX-License-Identifier: Apache-2.0
/**
 * SQUARED_DIFFERENCE, int8 with broadcasting: TFLite Micro's quantized SquaredDifference. Both inputs
 * are shifted left by 7, brought to twice the larger input scale (double arithmetic on the float32
 * scales), subtracted, squared in int32 and requantized by (2·max)^2 / (2^14·s_out). No fused
 * activation: the result is clamped to int8.
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatSquaredDifference } from '../common/families/float_elementwise.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { anyOperandInt16, withInt16Variant } from '../common/families/int16_variant.ts';
import { squaredDifferenceInt16 } from './squared_difference_int16.ts';
import { clamp, f32, mbqm, quantizeMultiplierUnchecked, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout } from '../common/families/elementwise.ts';
import {
  type CommonScaleParams,
  type CommonScaleReals,
  commonScaleParams,
  commonScaleView,
  float32Scales,
  forEachPair,
  inPlaceOverlap,
  input1AtCommonScale,
  input2AtCommonScale,
  int8BinaryTensors,
  outputElementCount,
} from '../common/families/binary_elementwise.ts';

/** 255^2 · 2^14 still fits an int32 */
const LEFT_SHIFT = 7;

export interface SquaredDifferenceParams extends BinaryLayout, CommonScaleParams {}

/** TFLite Micro's PrepareQuantized: double arithmetic, except the float product 2^14·s_out. */
function realMultipliers(graph: Graph, op: Op): CommonScaleReals {
  const { s1, s2, so } = float32Scales(graph, op);
  const twiceMaxInputScale = 2 * Math.max(s1, s2);
  return {
    input1: s1 / twiceMaxInputScale,
    input2: s2 / twiceMaxInputScale,
    output: (twiceMaxInputScale * twiceMaxInputScale) / f32((1 << (LEFT_SHIFT * 2)) * so),
  };
}

const squaredDifference: OpDef<SquaredDifferenceParams> = {
  kind: 'SQUARED_DIFFERENCE',
  dir: import.meta.dirname,

  check(graph, op) {
    int8BinaryTensors(graph, op);
    requireLeftShiftFits(op, quantizeMultiplierUnchecked(realMultipliers(graph, op).output).shift, '(2·max(s1,s2))²/(2^14·s_out)');
  },

  prepare(graph, op) {
    return {
      ...binaryLayout(graph, op),
      ...commonScaleParams(graph, op, realMultipliers(graph, op)),
    };
  },

  macs: outputElementCount,
  overlap: inPlaceOverlap,

  evaluate(p, inputs, outputs) {
    forEachPair(p.loops, inputs, outputs, (q1, q2) => {
      const diff = input1AtCommonScale(p, LEFT_SHIFT, q1) - input2AtCommonScale(p, LEFT_SHIFT, q2);
      return clamp(mbqm(wrapInt32(diff * diff), p.outputMultiplier, p.outputShift) + p.outputZeroPoint, -128, 127);
    });
  },

  emitC(p, ctx) {
    return ctx.render('squared_difference.c.hbs', {
      ...binaryEmitView(p, ctx),
      ...commonScaleView(p, LEFT_SHIFT),
    });
  },
};

// int16 activations (16x8) go to their own kernel in squared_difference_int16.ts
// float32 layers: (x1 - x2) squared (common/families/float_elementwise.ts)
export default withFloatVariant(withInt16Variant(squaredDifference, squaredDifferenceInt16, anyOperandInt16), floatSquaredDifference);
