/**
 * MUL, int8 with broadcasting: TFLite Micro's MulElementwise / BroadcastMul6DSlow. The product of
 * the zero-point-corrected inputs is requantized once by s1·s2/s_out (the float32 scales widened to
 * double before multiplying), then the fused activation clamps.
 */
import type { ActivationAttrs } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { forEachBroadcast } from '../common/broadcast.ts';
import { activationRange } from '../common/activation.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors, rejectInt16 } from '../common/elementwise.ts';
import { cTerm, requireClampActivation, requireInt8Activation } from '../common/weighted.ts';

export interface MulParams extends BinaryLayout {
  input1Offset: number;
  input2Offset: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

const mul: OpDef<MulParams> = {
  kind: 'MUL',
  dir: import.meta.dirname,

  check(graph, op) {
    const { a, b, out } = binaryTensors(graph, op);
    for (const [t, role] of [[a, 'input 1'], [b, 'input 2'], [out, 'output']] as const) {
      rejectInt16(op, t, role);
      requireInt8Activation(op, t, role);
    }
    requireClampActivation(op, (op.attrs as Partial<ActivationAttrs>).activation);
  },

  prepare(graph, op) {
    const { a, b, out } = binaryTensors(graph, op);
    const m = quantizeMultiplier((f32(a.quant!.scale[0]!) * f32(b.quant!.scale[0]!)) / f32(out.quant!.scale[0]!));
    const range = activationRange(requireClampActivation(op, (op.attrs as Partial<ActivationAttrs>).activation), out);
    return {
      ...binaryLayout(graph, op),
      input1Offset: -a.quant!.zeroPoint[0]!,
      input2Offset: -b.quant!.zeroPoint[0]!,
      outputZeroPoint: out.quant!.zeroPoint[0]!,
      multiplier: m.multiplier,
      shift: m.shift,
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
      const product = (a[ia]! + p.input1Offset) * (b[ib]! + p.input2Offset);
      out[o++] = clamp(mbqm(product, p.multiplier, p.shift) + p.outputZeroPoint, p.actMin, p.actMax);
    });
  },

  emitC(p, ctx) {
    return ctx.render('mul.c.hbs', {
      ...binaryEmitView(p, ctx),
      offset1: cTerm(p.input1Offset),
      offset2: cTerm(p.input2Offset),
      multiplier: p.multiplier,
      shift: p.shift,
      outputZeroPoint: cTerm(p.outputZeroPoint),
      actMin: p.actMin,
      actMax: p.actMax,
    });
  },
};

export default mul;
