/**
 * What the int8 broadcasting binary ops ADD, SUB, MUL and SQUARED_DIFFERENCE share (PRELU uses the
 * checks and the walk too): the operand checks, the zero points, the "common scale" parameters (both
 * inputs shifted left and rescaled to one scale before they are combined), the fused-activation range
 * and the int8 broadcast walk. Each op keeps its own scale arithmetic (TFLite Micro mixes float and
 * double differently per op) and its own way of combining two elements.
 */
import { OpError } from '../../errors.ts';
import type { ActivationAttrs, Graph, Op, Tensor } from '../../ir/graph.ts';
import { activationRange } from './activation.ts';
import { type BroadcastLoop, forEachBroadcast } from './broadcast.ts';
import { type BinaryLayout, binaryTensors, rejectInt16 } from './elementwise.ts';
import { f32, mbqm, quantizeMultiplier } from './fixedpoint.ts';
import { cTerm, requireClampActivation, requireInt8Activation, tensorLabel } from './weighted.ts';

/** binaryTensors, with every operand an int8 activation (int16 gets the "not supported yet" message). */
export function int8BinaryTensors(graph: Graph, op: Op, names: [string, string] = ['input 1', 'input 2']): { a: Tensor; b: Tensor; out: Tensor } {
  const tensors = binaryTensors(graph, op, names);
  for (const [t, role] of [[tensors.a, names[0]], [tensors.b, names[1]], [tensors.out, 'output']] as const) {
    rejectInt16(op, t, role);
    requireInt8Activation(op, t, role);
  }
  return tensors;
}

/** The negated input zero points (added to each element) and the output zero point. */
export interface BinaryZeroPoints {
  input1Offset: number;
  input2Offset: number;
  outputZeroPoint: number;
}

export function binaryZeroPoints(graph: Graph, op: Op): BinaryZeroPoints {
  return {
    input1Offset: -graph.tensors[op.inputs[0]!]!.quant!.zeroPoint[0]!,
    input2Offset: -graph.tensors[op.inputs[1]!]!.quant!.zeroPoint[0]!,
    outputZeroPoint: graph.tensors[op.outputs[0]!]!.quant!.zeroPoint[0]!,
  };
}

/** The clamp bounds of the op's fused activation (NONE, RELU, RELU6, RELU_N1_TO_1) on the int8 output. */
export function fusedActivationBounds(graph: Graph, op: Op): { actMin: number; actMax: number } {
  const activation = requireClampActivation(op, (op.attrs as Partial<ActivationAttrs>).activation);
  const range = activationRange(activation, graph.tensors[op.outputs[0]!]!);
  return { actMin: range.min, actMax: range.max };
}

/** The scales of input 1, input 2 and the output, as the float32 values TFLite's Prepare reads. */
export function float32Scales(graph: Graph, op: Op): { s1: number; s2: number; so: number } {
  const scale = (tensor: number) => f32(graph.tensors[tensor]!.quant!.scale[0]!);
  return { s1: scale(op.inputs[0]!), s2: scale(op.inputs[1]!), so: scale(op.outputs[0]!) };
}

/** The real multipliers of a common-scale op, each computed the way that op's TFLite Prepare does. */
export interface CommonScaleReals {
  input1: number;
  input2: number;
  output: number;
}

export interface CommonScaleParams extends BinaryZeroPoints {
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
}

export function commonScaleParams(graph: Graph, op: Op, real: CommonScaleReals): CommonScaleParams {
  const m1 = quantizeMultiplier(real.input1);
  const m2 = quantizeMultiplier(real.input2);
  const mo = quantizeMultiplier(real.output);
  return {
    ...binaryZeroPoints(graph, op),
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
  };
}

/**
 * TFLite rejects an output multiplier of 1 or more: the output scale is then too small for the
 * headroom of `leftShift` bits.
 */
export function requireCommonScaleFits(op: Op, out: Tensor, outputReal: number, leftShift: number): void {
  if (!(outputReal < 1)) {
    throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} scale ${out.quant!.scale[0]} is too small for the input scales (TFLite needs 2*max(s1,s2)/(2^${leftShift}*s_out) < 1)`);
  }
}

/** An element of input 1 at the common scale: ((q + offset) << leftShift) rescaled. */
export function input1AtCommonScale(p: CommonScaleParams, leftShift: number, q: number): number {
  return mbqm((q + p.input1Offset) * (1 << leftShift), p.input1Multiplier, p.input1Shift);
}

export function input2AtCommonScale(p: CommonScaleParams, leftShift: number, q: number): number {
  return mbqm((q + p.input2Offset) * (1 << leftShift), p.input2Multiplier, p.input2Shift);
}

/**
 * Walks the broadcast of two int8 inputs over the int8 output in output order; `combine` gets the two
 * input elements and returns the output element, already clamped to int8.
 */
export function forEachInt8Pair(loops: readonly BroadcastLoop[], inputs: readonly unknown[], outputs: readonly unknown[], combine: (q1: number, q2: number) => number): void {
  const a = inputs[0] as Int8Array;
  const b = inputs[1] as Int8Array;
  const out = outputs[0] as Int8Array;
  let o = 0;
  forEachBroadcast(loops, (ia, ib) => {
    out[o++] = combine(a[ia]!, b[ib]!);
  });
}

/** One element of work per output element. */
export function outputElementCount(graph: Graph, op: Op): number {
  return graph.tensors[op.outputs[0]!]!.shape.reduce((n, d) => n * d, 1);
}

/** The output may take the bytes of the input binaryLayout found walking with it. */
export function inPlaceOverlap(p: BinaryLayout): { input: number; gap: number } | undefined {
  return p.inPlaceInput === undefined ? undefined : { input: p.inPlaceInput, gap: 0 };
}

/** The zero points as C terms (`+ 3`, `- 128`) for the templates. */
export function zeroPointsView(p: BinaryZeroPoints): { offset1: string; offset2: string; outputZeroPoint: string } {
  return { offset1: cTerm(p.input1Offset), offset2: cTerm(p.input2Offset), outputZeroPoint: cTerm(p.outputZeroPoint) };
}

/** The template fields of a common-scale op (sub.c.hbs, squared_difference.c.hbs). */
export function commonScaleView(p: CommonScaleParams, leftShift: number) {
  return {
    leftShift,
    ...zeroPointsView(p),
    input1Multiplier: p.input1Multiplier,
    input1Shift: p.input1Shift,
    input2Multiplier: p.input2Multiplier,
    input2Shift: p.input2Shift,
    outputMultiplier: p.outputMultiplier,
    outputShift: p.outputShift,
  };
}
