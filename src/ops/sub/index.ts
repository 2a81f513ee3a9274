/**
 * SUB, int8 with broadcasting: TFLite Micro's SubElementwise / BroadcastQuantSubSlow. Like ADD, both
 * inputs are shifted left by 20 and brought to twice the larger input scale, subtracted, and
 * rescaled to the output; unlike TFLite Micro's ADD, SUB's Prepare divides the scales in float32
 * before widening (s_i / (2·max) and 2·max / (2^20·s_out) are float quotients).
 */
import { OpError } from '../../errors.ts';
import type { ActivationAttrs, Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { forEachBroadcast } from '../common/broadcast.ts';
import { activationRange } from '../common/activation.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors, rejectInt16 } from '../common/elementwise.ts';
import { cTerm, requireClampActivation, requireInt8Activation, tensorLabel } from '../common/weighted.ts';

/** TFLite's int8 SUB keeps 20 bits of headroom, as ADD does. */
const LEFT_SHIFT = 20;

export interface SubParams extends BinaryLayout {
  input1Offset: number;
  input2Offset: number;
  outputZeroPoint: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
  actMin: number;
  actMax: number;
}

/** TFLite Micro's CalculateOpDataSub (int8): every quotient is a float32 quotient. */
function realMultipliers(graph: Graph, op: Op): { input1: number; input2: number; output: number } {
  const s1 = f32(graph.tensors[op.inputs[0]!]!.quant!.scale[0]!);
  const s2 = f32(graph.tensors[op.inputs[1]!]!.quant!.scale[0]!);
  const so = f32(graph.tensors[op.outputs[0]!]!.quant!.scale[0]!);
  const twiceMaxInputScale = f32(2 * Math.max(s1, s2));
  return {
    input1: f32(s1 / twiceMaxInputScale),
    input2: f32(s2 / twiceMaxInputScale),
    output: f32(twiceMaxInputScale / f32((1 << LEFT_SHIFT) * so)),
  };
}

const sub: OpDef<SubParams> = {
  kind: 'SUB',
  dir: import.meta.dirname,

  check(graph, op) {
    const { a, b, out } = binaryTensors(graph, op);
    for (const [t, role] of [[a, 'input 1'], [b, 'input 2'], [out, 'output']] as const) {
      rejectInt16(op, t, role);
      requireInt8Activation(op, t, role);
    }
    requireClampActivation(op, (op.attrs as Partial<ActivationAttrs>).activation);
    if (!(realMultipliers(graph, op).output < 1)) {
      throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} scale ${out.quant!.scale[0]} is too small for the input scales (TFLite needs 2*max(s1,s2)/(2^20*s_out) < 1)`);
    }
  },

  prepare(graph, op) {
    const { a, b, out } = binaryTensors(graph, op);
    const real = realMultipliers(graph, op);
    const m1 = quantizeMultiplier(real.input1);
    const m2 = quantizeMultiplier(real.input2);
    const mo = quantizeMultiplier(real.output);
    const range = activationRange(requireClampActivation(op, (op.attrs as Partial<ActivationAttrs>).activation), out);
    return {
      ...binaryLayout(graph, op),
      input1Offset: -a.quant!.zeroPoint[0]!,
      input2Offset: -b.quant!.zeroPoint[0]!,
      outputZeroPoint: out.quant!.zeroPoint[0]!,
      input1Multiplier: m1.multiplier,
      input1Shift: m1.shift,
      input2Multiplier: m2.multiplier,
      input2Shift: m2.shift,
      outputMultiplier: mo.multiplier,
      outputShift: mo.shift,
      actMin: range.min,
      actMax: range.max,
    };
  },

  macs(graph, op) {
    return graph.tensors[op.outputs[0]!]!.shape.reduce((n, d) => n * d, 1);
  },

  overlap(p) {
    return p.inPlaceInput === undefined ? undefined : { input: p.inPlaceInput, gap: 0 };
  },

  evaluate(p, inputs, outputs) {
    const a = inputs[0] as Int8Array;
    const b = inputs[1] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    forEachBroadcast(p.loops, (ia, ib) => {
      const x1 = mbqm((a[ia]! + p.input1Offset) * (1 << LEFT_SHIFT), p.input1Multiplier, p.input1Shift);
      const x2 = mbqm((b[ib]! + p.input2Offset) * (1 << LEFT_SHIFT), p.input2Multiplier, p.input2Shift);
      out[o++] = clamp(mbqm(x1 - x2, p.outputMultiplier, p.outputShift) + p.outputZeroPoint, p.actMin, p.actMax);
    });
  },

  emitC(p, ctx) {
    return ctx.render('sub.c.hbs', {
      ...binaryEmitView(p, ctx),
      leftShift: LEFT_SHIFT,
      offset1: cTerm(p.input1Offset),
      offset2: cTerm(p.input2Offset),
      input1Multiplier: p.input1Multiplier,
      input1Shift: p.input1Shift,
      input2Multiplier: p.input2Multiplier,
      input2Shift: p.input2Shift,
      outputMultiplier: p.outputMultiplier,
      outputShift: p.outputShift,
      outputZeroPoint: cTerm(p.outputZeroPoint),
      actMin: p.actMin,
      actMax: p.actMax,
    });
  },
};

export default sub;
