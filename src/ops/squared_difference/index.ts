/**
 * SQUARED_DIFFERENCE, int8 with broadcasting: TFLite Micro's quantized SquaredDifference. Both inputs
 * are shifted left by 7, brought to twice the larger input scale (double arithmetic on the float32
 * scales), subtracted, squared in int32 and requantized by (2·max)^2 / (2^14·s_out). No fused
 * activation: the result is clamped to int8.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { clamp, f32, mbqm, wrapInt32 } from '../common/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout } from '../common/elementwise.ts';
import {
  type CommonScaleParams, type CommonScaleReals, commonScaleParams, commonScaleView, float32Scales, forEachInt8Pair, inPlaceOverlap,
  input1AtCommonScale, input2AtCommonScale, int8BinaryTensors, outputElementCount,
} from '../common/binary_elementwise.ts';

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
    forEachInt8Pair(p.loops, inputs, outputs, (q1, q2) => {
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

export default squaredDifference;
