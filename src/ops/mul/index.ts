/**
 * MUL, int8 with broadcasting: TFLite Micro's MulElementwise / BroadcastMul6DSlow. The product of
 * the zero-point-corrected inputs is requantized once by s1·s2/s_out (the float32 scales widened to
 * double before multiplying), then the fused activation clamps.
 */
import type { OpDef } from '../op.ts';
import { clamp, mbqm, quantizeMultiplier } from '../common/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout } from '../common/elementwise.ts';
import {
  type BinaryZeroPoints, binaryZeroPoints, float32Scales, forEachInt8Pair, fusedActivationBounds, inPlaceOverlap, int8BinaryTensors,
  outputElementCount, zeroPointsView,
} from '../common/binary_elementwise.ts';

export interface MulParams extends BinaryLayout, BinaryZeroPoints {
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

const mul: OpDef<MulParams> = {
  kind: 'MUL',
  dir: import.meta.dirname,

  check(graph, op) {
    int8BinaryTensors(graph, op);
    fusedActivationBounds(graph, op);
  },

  prepare(graph, op) {
    const { s1, s2, so } = float32Scales(graph, op);
    const m = quantizeMultiplier((s1 * s2) / so);
    return {
      ...binaryLayout(graph, op),
      ...binaryZeroPoints(graph, op),
      multiplier: m.multiplier,
      shift: m.shift,
      ...fusedActivationBounds(graph, op),
    };
  },

  macs: outputElementCount,
  overlap: inPlaceOverlap,

  evaluate(p, inputs, outputs) {
    forEachInt8Pair(p.loops, inputs, outputs, (q1, q2) => {
      const product = (q1 + p.input1Offset) * (q2 + p.input2Offset);
      return clamp(mbqm(product, p.multiplier, p.shift) + p.outputZeroPoint, p.actMin, p.actMax);
    });
  },

  emitC(p, ctx) {
    return ctx.render('mul.c.hbs', {
      ...binaryEmitView(p, ctx),
      ...zeroPointsView(p),
      multiplier: p.multiplier,
      shift: p.shift,
      actMin: p.actMin,
      actMax: p.actMax,
    });
  },
};

export default mul;
