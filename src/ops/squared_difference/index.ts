/**
 * SQUARED_DIFFERENCE, int8 with broadcasting: TFLite Micro's quantized SquaredDifference. Both inputs
 * are shifted left by 7, brought to twice the larger input scale (double arithmetic on the float32
 * scales), subtracted, squared in int32 and requantized by (2·max)^2 / (2^14·s_out). No fused
 * activation: the result is clamped to int8.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { forEachBroadcast } from '../common/broadcast.ts';
import { clamp, f32, mbqm, quantizeMultiplier, wrapInt32 } from '../common/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors, rejectInt16 } from '../common/elementwise.ts';
import { cTerm, requireInt8Activation } from '../common/weighted.ts';

/** 255^2 · 2^14 still fits an int32 */
const LEFT_SHIFT = 7;

export interface SquaredDifferenceParams extends BinaryLayout {
  input1Offset: number;
  input2Offset: number;
  outputZeroPoint: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
}

/** TFLite Micro's PrepareQuantized: double arithmetic, except the float product 2^14·s_out. */
function realMultipliers(graph: Graph, op: Op): { input1: number; input2: number; output: number } {
  const s1 = f32(graph.tensors[op.inputs[0]!]!.quant!.scale[0]!);
  const s2 = f32(graph.tensors[op.inputs[1]!]!.quant!.scale[0]!);
  const so = f32(graph.tensors[op.outputs[0]!]!.quant!.scale[0]!);
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
    const { a, b, out } = binaryTensors(graph, op);
    for (const [t, role] of [[a, 'input 1'], [b, 'input 2'], [out, 'output']] as const) {
      rejectInt16(op, t, role);
      requireInt8Activation(op, t, role);
    }
  },

  prepare(graph, op) {
    const { a, b, out } = binaryTensors(graph, op);
    const real = realMultipliers(graph, op);
    const m1 = quantizeMultiplier(real.input1);
    const m2 = quantizeMultiplier(real.input2);
    const mo = quantizeMultiplier(real.output);
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
      const diff = x1 - x2;
      out[o++] = clamp(mbqm(wrapInt32(diff * diff), p.outputMultiplier, p.outputShift) + p.outputZeroPoint, -128, 127);
    });
  },

  emitC(p, ctx) {
    return ctx.render('squared_difference.c.hbs', {
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
    });
  },
};

export default squaredDifference;
