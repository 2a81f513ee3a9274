// SPDX-License-Identifier: Apache-2.0
/**
 * ADD and SUB 16x8: int16 activations (zero point 0), TFLite Micro's general int16 path
 * (AddGeneralParamScale): the int8 algorithm with a left shift of 15 instead of 20 and the int16 range,
 * with broadcasting. Both ops bring their Prepare arithmetic (add/add_int16.ts, sub/sub_int16.ts); SUB
 * negates input 2.
 */
import { OpError } from '../../../errors.ts';
import type { ActivationAttrs, Graph, Op } from '../../../ir/graph.ts';
import { activationRange } from '../numerics/activation.ts';
import { type BroadcastLoop, broadcastLoops, broadcastShape } from './broadcast.ts';
import { clamp, mbqm, quantizeMultiplier } from '../numerics/fixedpoint.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from './int16_variant.ts';
import { type CommonScaleReals, float32Scales, forEachPair } from './binary_elementwise.ts';
import { broadcastCView } from './elementwise.ts';
import { requireClampActivation, requireInput, requireOutput, tensorLabel } from './weighted.ts';
import { commonScaleInt16Variants } from './common_scale_int16_variants.ts';

/** TFLite Micro's int16 left shift of both inputs before their rescale */
export const LEFT_SHIFT = 15;
const MAX_RANK = 6;

export interface CommonScaleInt16Params extends Int16Tagged {
  size: number;
  loops: BroadcastLoop[];
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
  actMin: number;
  actMax: number;
}

/**
 * The common-scale int16 kernel of ADD (sign +1) and SUB (sign -1): each op brings its own Prepare
 * arithmetic (`realMultipliers`); SUB's is float32 throughout (see sub_int16.ts).
 */
export function commonScaleInt16(
  kind: 'ADD' | 'SUB',
  sign: 1 | -1,
  realMultipliers: (graph: Graph, op: Op) => CommonScaleReals,
): Int16Variant<CommonScaleInt16Params> {
  function check(graph: Graph, op: Op): void {
    const a = requireInput(graph, op, 0, 'input 1');
    const b = requireInput(graph, op, 1, 'input 2');
    const out = requireOutput(graph, op);
    for (const [t, role] of [
      [a, 'input 1'],
      [b, 'input 2'],
      [out, 'output'],
    ] as const) {
      requireInt16Activation(op, t, role);
      if (t.shape.length > MAX_RANK)
        throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has rank ${t.shape.length}; at most ${MAX_RANK} is supported`);
    }
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape) throw new OpError(op.index, op.kind, `shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] do not broadcast`);
    if (shape.join(',') !== out.shape.join(',')) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(out)} has shape [${out.shape.join(',')}]; [${a.shape.join(',')}] + [${b.shape.join(',')}] gives [${shape.join(',')}]`,
      );
    }
    requireClampActivation(op, (op.attrs as unknown as ActivationAttrs).activation);
    if (!(realMultipliers(graph, op).output < 1)) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(out)} scale ${out.quant!.scale[0]} is too small for the input scales (TFLite needs 2*max(s1,s2)/(2^15*s_out) < 1)`,
      );
    }
  }

  function prepare(graph: Graph, op: Op): CommonScaleInt16Params {
    const a = graph.tensors[op.inputs[0]!]!;
    const b = graph.tensors[op.inputs[1]!]!;
    const out = graph.tensors[op.outputs[0]!]!;
    const r = realMultipliers(graph, op);
    const m1 = quantizeMultiplier(r.input1);
    const m2 = quantizeMultiplier(r.input2);
    const mo = quantizeMultiplier(r.output);
    const range = activationRange(requireClampActivation(op, (op.attrs as unknown as ActivationAttrs).activation), out, 16);
    return {
      activationBits: 16,
      size: out.shape.reduce((n, d) => n * d, 1),
      loops: broadcastLoops(a.shape, b.shape, out.shape),
      input1Multiplier: m1.multiplier,
      input1Shift: m1.shift,
      input2Multiplier: m2.multiplier,
      input2Shift: m2.shift,
      outputMultiplier: mo.multiplier,
      outputShift: mo.shift,
      actMin: range.min,
      actMax: range.max,
    };
  }

  return {
    check,
    prepare,
    evaluate(p, inputs, outputs) {
      forEachPair(p.loops, inputs, outputs, (q1, q2) => {
        const u1 = mbqm(q1 * (1 << LEFT_SHIFT), p.input1Multiplier, p.input1Shift);
        const u2 = mbqm(q2 * (1 << LEFT_SHIFT), p.input2Multiplier, p.input2Shift);
        return clamp(mbqm(sign > 0 ? u1 + u2 : u1 - u2, p.outputMultiplier, p.outputShift), p.actMin, p.actMax);
      });
    },
    emitC(p, ctx) {
      return ctx.render('../common/families/common_scale_int16.c.hbs', {
        ...p,
        kind,
        combine: sign > 0 ? '+' : '-',
        ...broadcastCView(p.loops),
        fnName: ctx.fnName,
        input1: ctx.input(0),
        input2: ctx.input(1),
        output: ctx.output(0),
        leftShift: LEFT_SHIFT,
        shape: ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x'),
      });
    },
    variants: commonScaleInt16Variants(kind),
  };
}
