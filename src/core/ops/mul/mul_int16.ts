// SPDX-License-Identifier: Apache-2.0
/**
 * MUL 16x8: int16 activations (zero point 0), TFLite Micro's reference_integer_ops MulElementwise /
 * BroadcastMul6DSlow instantiated for int16: the int32 product of the two inputs (at most 2^30, no
 * overflow) requantized once by s1·s2/s_out (float32 scales widened to double, as for int8), then
 * the fused activation's clamp on the int16 range.
 */
import type { ActivationAttrs, Graph, Op } from '../../ir/graph.ts';
import { activationRange } from '../common/numerics/activation.ts';
import { clamp, mbqm, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, int16BinaryTensors } from '../common/families/elementwise.ts';
import { float32Scales, forEachPair } from '../common/families/binary_elementwise.ts';
import type { Int16Tagged, Int16Variant } from '../common/families/int16_variant.ts';
import { requireClampActivation } from '../common/families/weighted.ts';

export interface MulInt16Params extends Int16Tagged, BinaryLayout {
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

/** The clamp bounds of a fused activation on an int16 output. */
export function int16ActivationBounds(graph: Graph, op: Op): { actMin: number; actMax: number } {
  const activation = requireClampActivation(op, (op.attrs as Partial<ActivationAttrs>).activation);
  const range = activationRange(activation, graph.tensors[op.outputs[0]!]!, 16);
  return { actMin: range.min, actMax: range.max };
}

export const mulInt16: Int16Variant<MulInt16Params> = {
  check(graph, op) {
    int16BinaryTensors(graph, op);
    int16ActivationBounds(graph, op);
  },
  prepare(graph, op) {
    const { s1, s2, so } = float32Scales(graph, op);
    const m = quantizeMultiplier((s1 * s2) / so);
    return { activationBits: 16, ...binaryLayout(graph, op), multiplier: m.multiplier, shift: m.shift, ...int16ActivationBounds(graph, op) };
  },
  evaluate(p, inputs, outputs) {
    forEachPair(p.loops, inputs, outputs, (q1, q2) => clamp(mbqm(q1 * q2, p.multiplier, p.shift), p.actMin, p.actMax));
  },
  emitC(p, ctx) {
    return ctx.render('mul_int16.c.hbs', { ...binaryEmitView(p, ctx), multiplier: p.multiplier, shift: p.shift, actMin: p.actMin, actMax: p.actMax });
  },
};
