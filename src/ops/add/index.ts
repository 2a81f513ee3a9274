import { OpError } from '../../errors.ts';
import type { ActivationAttrs, FusedActivation, Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { activationRange } from '../common/activation.ts';
import { type BroadcastLoop, broadcastLoops, broadcastShape, forEachBroadcast } from '../common/broadcast.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/fixedpoint.ts';
import { requireInput, requireInt8Activation, requireOutput, tensorLabel } from '../common/weighted.ts';
import { withInt16Variant } from '../common/int16_variant.ts';
import { addInt16, anyOperandInt16 } from './add_int16.ts';

/** TFLite's int8 ADD brings both inputs to a common scale with 20 bits of headroom. */
const LEFT_SHIFT = 20;
const MAX_RANK = 6;

export interface AddParams {
  size: number;
  /** the broadcast walk; one loop of `size` when the shapes are equal */
  loops: BroadcastLoop[];
  input1Offset: number;
  input2Offset: number;
  outputOffset: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
  actMin: number;
  actMax: number;
}

const SUPPORTED_ACTIVATIONS = new Set<FusedActivation>(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);

/**
 * ADD, int8 with broadcasting (TFLite Micro's reference AddFunc): both inputs are shifted left by 20,
 * scaled to twice the larger input scale, summed, and rescaled to the output.
 */
const add: OpDef<AddParams> = {
  kind: 'ADD',
  dir: import.meta.dirname,

  check(graph, op) {
    const a = requireInput(graph, op, 0, 'input 1');
    const b = requireInput(graph, op, 1, 'input 2');
    const out = requireOutput(graph, op);
    for (const [t, role] of [[a, 'input 1'], [b, 'input 2'], [out, 'output']] as const) {
      if (t.dtype === 'int16') throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is int16; int16 ADD is not supported yet`);
      requireInt8Activation(op, t, role);
      if (t.shape.length > MAX_RANK) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has rank ${t.shape.length}; at most ${MAX_RANK} is supported`);
    }
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape) throw new OpError(op.index, op.kind, `shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] do not broadcast`);
    if (shape.length !== out.shape.length || shape.some((d, i) => d !== out.shape[i])) {
      throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} has shape [${out.shape.join(',')}]; [${a.shape.join(',')}] + [${b.shape.join(',')}] gives [${shape.join(',')}]`);
    }
    const activation = (op.attrs as unknown as ActivationAttrs).activation ?? 'NONE';
    if (!SUPPORTED_ACTIVATIONS.has(activation)) throw new OpError(op.index, op.kind, `unsupported fused activation ${activation}`);
    const { outputReal } = realMultipliers(graph, op);
    if (!(outputReal < 1)) {
      throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} scale ${out.quant!.scale[0]} is too small for the input scales (TFLite needs 2*max(s1,s2)/(2^20*s_out) < 1)`);
    }
  },

  prepare(graph, op) {
    const a = graph.tensors[op.inputs[0]!]!;
    const b = graph.tensors[op.inputs[1]!]!;
    const out = graph.tensors[op.outputs[0]!]!;
    const { input1Real, input2Real, outputReal } = realMultipliers(graph, op);
    const m1 = quantizeMultiplier(input1Real);
    const m2 = quantizeMultiplier(input2Real);
    const mo = quantizeMultiplier(outputReal);
    const range = activationRange((op.attrs as unknown as ActivationAttrs).activation ?? 'NONE', out);
    return {
      size: out.shape.reduce((n, d) => n * d, 1),
      loops: broadcastLoops(a.shape, b.shape, out.shape),
      input1Offset: -a.quant!.zeroPoint[0]!,
      input2Offset: -b.quant!.zeroPoint[0]!,
      outputOffset: out.quant!.zeroPoint[0]!,
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

  evaluate(p, inputs, outputs) {
    const a = inputs[0] as Int8Array;
    const b = inputs[1] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    forEachBroadcast(p.loops, (ia, ib) => {
      const u1 = mbqm((a[ia]! + p.input1Offset) * (1 << LEFT_SHIFT), p.input1Multiplier, p.input1Shift);
      const u2 = mbqm((b[ib]! + p.input2Offset) * (1 << LEFT_SHIFT), p.input2Multiplier, p.input2Shift);
      const raw = mbqm(u1 + u2, p.outputMultiplier, p.outputShift) + p.outputOffset;
      out[o++] = clamp(raw, p.actMin, p.actMax);
    });
  },

  // each element is read before it is written: when input 0 walks with the output (not broadcast)
  // the output can take its bytes
  overlap: (p) => (p.loops.length <= 1 && p.loops.every((l) => l.strideA === 1) ? { input: 0, gap: 0 } : undefined),
  emitC(p, ctx) {
    const index = (stride: (l: BroadcastLoop) => number) =>
      p.loops.map((l, k) => ({ k, s: stride(l) })).filter(({ s }) => s !== 0).map(({ k, s }) => (s === 1 ? `i${k}` : `i${k} * ${s}`)).join(' + ') || '0';
    return ctx.render('add.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input1: ctx.input(0),
      input2: ctx.input(1),
      output: ctx.output(0),
      leftShift: LEFT_SHIFT,
      shape: ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x'),
      loops: p.loops.map((l, k) => ({ k, extent: l.extent })),
      loopVars: p.loops.map((_, k) => `i${k}`).join(', '),
      index1: index((l) => l.strideA),
      index2: index((l) => l.strideB),
    });
  },
};

/**
 * TFLite Micro's CalculateOpDataAdd: the scales are floats, the arithmetic on them double; the max
 * is taken on the floats before widening.
 */
function realMultipliers(graph: Graph, op: Op): { input1Real: number; input2Real: number; outputReal: number } {
  const s1 = f32(graph.tensors[op.inputs[0]!]!.quant!.scale[0]!);
  const s2 = f32(graph.tensors[op.inputs[1]!]!.quant!.scale[0]!);
  const so = f32(graph.tensors[op.outputs[0]!]!.quant!.scale[0]!);
  const twiceMaxInputScale = 2 * Math.max(s1, s2);
  return {
    input1Real: s1 / twiceMaxInputScale,
    input2Real: s2 / twiceMaxInputScale,
    outputReal: twiceMaxInputScale / ((1 << LEFT_SHIFT) * so),
  };
}

// int16 activations (16x8) go to their own kernel in add_int16.ts
export default withInt16Variant(add, addInt16, anyOperandInt16);
