// SPDX-License-Identifier: Apache-2.0
/**
 * SQUARED_DIFFERENCE 16x8: TFLite Micro's quantized SquaredDifference on int16 (zero points 0) with a
 * left shift of 0 (int8 uses 7): both inputs are brought to twice the larger input scale (each at
 * most half its value, so |difference| <= 2^15 and its square fits an int32), subtracted, squared
 * and requantized by (2·max)^2 / s_out (double arithmetic on the float32 scales), clamped to int16.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { clamp, f32, mbqm, quantizeMultiplier, quantizeMultiplierUnchecked } from '../common/numerics/fixedpoint.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, int16BinaryTensors } from '../common/families/elementwise.ts';
import { float32Scales, forEachPair } from '../common/families/binary_elementwise.ts';
import { type Int16Tagged, type Int16Variant } from '../common/families/int16_variant.ts';

const LEFT_SHIFT = 0;

export interface SquaredDifferenceInt16Params extends Int16Tagged, BinaryLayout {
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
}

function reals(graph: Graph, op: Op) {
  const { s1, s2, so } = float32Scales(graph, op);
  const twiceMax = 2 * Math.max(s1, s2);
  return { input1: s1 / twiceMax, input2: s2 / twiceMax, output: (twiceMax * twiceMax) / f32((1 << (LEFT_SHIFT * 2)) * so) };
}

export const squaredDifferenceInt16: Int16Variant<SquaredDifferenceInt16Params> = {
  check(graph, op) {
    int16BinaryTensors(graph, op);
    requireLeftShiftFits(op, quantizeMultiplierUnchecked(reals(graph, op).output).shift, '(2·max(s1,s2))²/s_out');
  },
  prepare(graph, op) {
    const r = reals(graph, op);
    const m1 = quantizeMultiplier(r.input1),
      m2 = quantizeMultiplier(r.input2),
      mo = quantizeMultiplier(r.output);
    return {
      activationBits: 16,
      ...binaryLayout(graph, op),
      input1Multiplier: m1.multiplier,
      input1Shift: m1.shift,
      input2Multiplier: m2.multiplier,
      input2Shift: m2.shift,
      outputMultiplier: mo.multiplier,
      outputShift: mo.shift,
    };
  },
  evaluate(p, inputs, outputs) {
    forEachPair(p.loops, inputs, outputs, (q1, q2) => {
      const diff = mbqm(q1 * (1 << LEFT_SHIFT), p.input1Multiplier, p.input1Shift) - mbqm(q2 * (1 << LEFT_SHIFT), p.input2Multiplier, p.input2Shift);
      return clamp(mbqm(diff * diff, p.outputMultiplier, p.outputShift), -32768, 32767);
    });
  },
  emitC(p, ctx) {
    return ctx.render('squared_difference_int16.c.hbs', { ...p, ...binaryEmitView(p, ctx) });
  },
};
