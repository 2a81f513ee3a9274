// SPDX-License-Identifier: Apache-2.0
/**
 * What the int8 broadcasting binary ops ADD, SUB, MUL and SQUARED_DIFFERENCE share (PRELU uses the
 * checks and the walk too): the operand checks, the zero points, the "common scale" parameters (both
 * inputs shifted left and rescaled to one scale before they are combined), the fused-activation range
 * and the int8 broadcast walk. Each op keeps its own scale arithmetic (TFLite Micro mixes float and
 * double differently per op) and its own way of combining two elements.
 */
import { OpError } from '../../../errors.ts';
import type { ActivationAttrs, Graph, Op, Tensor } from '../../../ir/graph.ts';
import { activationRange } from '../numerics/activation.ts';
import { type BroadcastLoop, forEachBroadcast } from './broadcast.ts';
import { type BinaryLayout, binaryTensors, broadcastCView, rejectInt16 } from './elementwise.ts';
import { f32, mbqm, quantizeMultiplier, rdbpot } from '../numerics/fixedpoint.ts';
import { cArrayBody, renderOpTemplate } from '../render.ts';
import type { LayerEmitContext } from '../../op.ts';
import { cTerm, requireClampActivation, requireInt8Activation, tensorLabel } from './weighted.ts';

/** binaryTensors, with every operand an int8 activation (int16 gets the "not supported yet" message). */
export function int8BinaryTensors(graph: Graph, op: Op, names: [string, string] = ['input 1', 'input 2']): { a: Tensor; b: Tensor; out: Tensor } {
  const tensors = binaryTensors(graph, op, names);
  for (const [t, role] of [
    [tensors.a, names[0]],
    [tensors.b, names[1]],
    [tensors.out, 'output'],
  ] as const) {
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

/**
 * TFLite Micro's CalculateOpDataSub (int8 and int16 alike, `leftShift` 20 or 15): the inputs brought to
 * twice the larger input scale, every quotient a float32 quotient.
 */
export function subRealMultipliers(graph: Graph, op: Op, leftShift: number): CommonScaleReals {
  const { s1, s2, so } = float32Scales(graph, op);
  const twiceMaxInputScale = f32(2 * Math.max(s1, s2));
  return {
    input1: f32(s1 / twiceMaxInputScale),
    input2: f32(s2 / twiceMaxInputScale),
    output: f32(twiceMaxInputScale / f32((1 << leftShift) * so)),
  };
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
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(out)} scale ${out.quant!.scale[0]} is too small for the input scales (TFLite needs 2*max(s1,s2)/(2^${leftShift}*s_out) < 1)`,
    );
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
 * Walks the broadcast of two inputs over the output in output order; `combine` gets the two input
 * elements and returns the output element, already clamped to the output's type.
 */
export function forEachPair(
  loops: readonly BroadcastLoop[],
  inputs: readonly unknown[],
  outputs: readonly unknown[],
  combine: (q1: number, q2: number) => number,
): void {
  const a = inputs[0] as ArrayLike<number>;
  const b = inputs[1] as ArrayLike<number>;
  const out = outputs[0] as { [i: number]: number };
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

/** The template fields of a common-scale op (squared_difference.c.hbs). */
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

// ---------------------------------------------------------------------------------------------
// The common-scale kernels in C (ADD, SUB): input terms from tables, one SMMLAR requantization

/**
 * How the kernel gets one input's share of the combined sum from its int8 value q: the share
 * depends on q alone, so it is a 256-entry table indexed by (uint8_t)q, or, when the table is
 * bias ± q·2^shift (the input with the larger scale is: its multiplier is exactly 1/2), that
 * expression with no table at all.
 */
export type CommonScaleTerm = { kind: 'table'; values: Int32Array } | { kind: 'shift'; bias: number; shift: number; negative: boolean };

/**
 * The output stage. `smmlar`: the sum is pre-scaled by 2^(left shift + 1) in the terms and
 * out = sat8(((SMMULR(sum, m) + rnd [- (h < 0)]) >> rsh) + zeroPointAfter), clamped to the
 * activation: rnd folds RDBPOT's half and, unless that overflows, the zero point. `exact`:
 * TFLite's MultiplyByQuantizedMultiplier step by step.
 */
export type CommonScaleOutput =
  | { kind: 'smmlar'; multiplier: number; rnd: number; rsh: number; signFix: boolean; zeroPointAfter: number }
  | { kind: 'exact'; multiplier: number; shift: number; zeroPoint: number };

export interface CommonScaleKernel {
  terms: [CommonScaleTerm, CommonScaleTerm];
  output: CommonScaleOutput;
  actMin: number;
  actMax: number;
}

const TWO_31 = 2 ** 31;

/**
 * SaturatingRoundingDoublingHighMul for |a|, |b| < 2^31 (not both INT32_MIN) without BigInt:
 * floor((a·b + 2^30) / 2^31), which equals TFLite's nudged truncation, with every partial product
 * an exact double.
 */
export function srdhmSplit(a: number, b: number): number {
  const bh = Math.floor(b / 65536);
  const bl = b - bh * 65536;
  const p = a * bh;
  const ph = Math.floor(p / 32768);
  const pl = p - ph * 32768;
  return ph + Math.floor((pl * 65536 + a * bl + 1073741824) / TWO_31);
}

/** The int8 value of table index u: the kernel indexes by (uint8_t)q. */
const int8Of = (u: number) => (u << 24) >> 24;

function termOf(values: Float64Array): CommonScaleTerm {
  const bias = values[0]!;
  const d = values[1]! - bias;
  const shift = Math.log2(Math.abs(d));
  // q * 2^shift (and its negation) must fit int32 for every q on its own: shift <= 23
  if (Number.isInteger(shift) && shift <= 23 && values.every((v, u) => v === bias + int8Of(u) * d)) {
    return { kind: 'shift', bias, shift, negative: d < 0 };
  }
  return { kind: 'table', values: Int32Array.from(values) };
}

/**
 * Plans the C of a common-scale op whose sum is input1AtCommonScale(q1) + sign2 ·
 * input2AtCommonScale(q2), rescaled by the output multiplier. The SMMLAR stage is taken only when
 * it gives TFLite's result for all 65536 input pairs (checked here, exhaustively) without any int32
 * overflow; rounding ties of negative values are the only place it can differ, so variants that
 * round them down or restore RDBPOT's sign term are tried next, each with the zero point folded
 * into the rounding constant or added after the shift, before the exact stage.
 */
export function planCommonScale(p: CommonScaleParams, leftShift: number, sign2: 1 | -1, actMin: number, actMax: number): CommonScaleKernel {
  const raw1 = new Float64Array(256);
  const raw2 = new Float64Array(256);
  for (let u = 0; u < 256; u++) {
    raw1[u] = input1AtCommonScale(p, leftShift, int8Of(u));
    raw2[u] = sign2 * input2AtCommonScale(p, leftShift, int8Of(u));
  }
  const output = smmlarStage(p, raw1, raw2, actMin, actMax);
  const scale = output ? 2 ** (Math.max(p.outputShift, 0) + 1) : 1;
  const terms: [CommonScaleTerm, CommonScaleTerm] = [termOf(raw1.map((v) => v * scale)), termOf(raw2.map((v) => v * scale))];
  // one constant for the whole sum: into a table when there is one (its entries stay sums of
  // real pairs, q = 0 on the other side, so they fit int32 as the sums do)
  const [t1, t2] = terms;
  if (t1.kind === 'table' && t2.kind === 'shift') {
    t1.values.forEach((v, u) => {
      t1.values[u] = v + t2.bias;
    });
    t2.bias = 0;
  } else if (t1.kind === 'shift' && t2.kind === 'table') {
    t2.values.forEach((v, u) => {
      t2.values[u] = v + t1.bias;
    });
    t1.bias = 0;
  } else if (t1.kind === 'shift' && t2.kind === 'shift') {
    t1.bias += t2.bias;
    t2.bias = 0;
  }
  return {
    terms,
    output: output ?? { kind: 'exact', multiplier: p.outputMultiplier, shift: p.outputShift, zeroPoint: p.outputZeroPoint },
    actMin,
    actMax,
  };
}

function smmlarStage(p: CommonScaleParams, raw1: Float64Array, raw2: Float64Array, actMin: number, actMax: number): CommonScaleOutput | undefined {
  const left = Math.max(p.outputShift, 0);
  const e = Math.max(-p.outputShift, 0);
  const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  // SMMULR(2x, m) is SRDHM(x, m): the pre-scaled sum must fit
  if ((maxAbs(raw1) + maxAbs(raw2)) * 2 ** (left + 1) >= TWO_31 || e > 31) return undefined;
  const m = p.outputMultiplier;
  const zp = p.outputZeroPoint;
  const h = new Int32Array(65536);
  let hMin = Infinity;
  let hMax = -Infinity;
  for (let u1 = 0; u1 < 256; u1++) {
    for (let u2 = 0; u2 < 256; u2++) {
      const v = srdhmSplit((raw1[u1]! + raw2[u2]!) * 2 ** left, m);
      h[u1 * 256 + u2] = v;
      hMin = Math.min(hMin, v);
      hMax = Math.max(hMax, v);
    }
  }
  const half = e > 0 ? 2 ** (e - 1) : 0;
  // the zero point folded into the rounding constant, or (when that overflows: an output scale
  // far above the inputs') added after the shift
  const candidates: { rnd: number; signFix: boolean; zeroPointAfter: number }[] = [];
  for (const after of [0, zp]) {
    const rnd = half + (zp - after) * 2 ** e;
    candidates.push({ rnd, signFix: false, zeroPointAfter: after });
    if (e > 0) candidates.push({ rnd: rnd - 1, signFix: false, zeroPointAfter: after }, { rnd, signFix: true, zeroPointAfter: after });
  }
  const sat = (x: number) => clampTo(clampTo(x, -128, 127), actMin, actMax);
  for (const c of candidates) {
    if (hMin + c.rnd - 1 < -TWO_31 || hMax + c.rnd >= TWO_31) continue;
    let agrees = true;
    for (let k = 0; k < 65536 && agrees; k++) {
      const v = h[k]!;
      const expected = clampTo(rdbpot(v, e) + zp, actMin, actMax);
      agrees = sat(((v + c.rnd - (c.signFix && v < 0 ? 1 : 0)) >> e) + c.zeroPointAfter) === expected;
    }
    if (agrees) return { kind: 'smmlar', multiplier: m, rsh: e, ...c };
  }
  return undefined;
}

/** An int32 C literal (INT32_MIN has none). */
const cInt32 = (v: number) => (v === -2147483648 ? '(-2147483647 - 1)' : String(v));

const clampTo = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** The layer's C: tables as consts, the term and output functions, the unrolled broadcast walk. */
export function renderCommonScale(kernel: CommonScaleKernel, loops: readonly BroadcastLoop[], kind: string, ctx: LayerEmitContext): string {
  const f = ctx.fnName;
  // the tables live beside the kernel in .rodata, not with the weights: they are the kernel's own
  // constants, counted as code flash
  const tables: Int32Array[] = [];
  const termBody = (t: CommonScaleTerm): string => {
    if (t.kind === 'table') {
      let i = tables.findIndex((v) => v.every((x, k) => x === t.values[k]));
      if (i < 0) i = tables.push(t.values) - 1;
      return `${f}_lut${i + 1}[(uint8_t)q]`;
    }
    const scaled = t.shift === 0 ? 'q' : `q * ${2 ** t.shift}`;
    if (t.bias === 0) return t.negative ? `-(${scaled})` : scaled;
    return `${cInt32(t.bias)} ${t.negative ? '-' : '+'} ${scaled}`;
  };
  const [term1, term2] = kernel.terms.map(termBody) as [string, string];
  const inner = loops[loops.length - 1] ?? { extent: 1, strideA: 0, strideB: 0 };
  const outer = broadcastCView(loops.slice(0, -1));
  const o = kernel.output;
  const lane = (j: number) => `${inner.strideA === 0 ? 'ta' : `${f}_t1(a[${j}])`} + ${inner.strideB === 0 ? 'tb' : `${f}_t2(b[${j}])`}`;
  // Armv6-M has too few registers for four lanes in flight (and merging their byte stores into a
  // word costs more than it saves there)
  const unroll = ctx.isa?.armv6m ? 1 : 4;
  const blocks = Math.floor(inner.extent / unroll) * unroll;
  const describe = (t: CommonScaleTerm) => (t.kind === 'table' ? 'table' : `${t.negative ? '-' : ''}q*2^${t.shift}`);
  const out = ctx.graph.tensors[ctx.op.outputs[0]!]!;
  return renderOpTemplate(import.meta.dirname, 'common_scale.c.hbs', {
    kind,
    shape: out.shape.join('x'),
    size: out.shape.reduce((n, d) => n * d, 1),
    terms: `${describe(kernel.terms[0])}, ${describe(kernel.terms[1])}`,
    stage:
      o.kind === 'exact'
        ? 'exact requantization'
        : `SMMLAR requantization${o.signFix ? ' with the sign term' : ''}${o.zeroPointAfter ? ', zero point after the shift' : ''}`,
    fnName: f,
    tables: tables.map((values, i) => ({ name: `${f}_lut${i + 1}`, body: cArrayBody(Array.from(values, cInt32), 8) })),
    input1: ctx.input(0),
    input2: ctx.input(1),
    output: ctx.output(0),
    term1,
    term2,
    smmlar: o.kind === 'smmlar',
    signFix: o.kind === 'smmlar' && o.signFix,
    multiplier: o.multiplier,
    rnd: o.kind === 'smmlar' ? cInt32(o.rnd) : '0',
    rsh: o.kind === 'smmlar' ? o.rsh : 0,
    rshPositive: o.kind === 'smmlar' && o.rsh > 0,
    zeroPointAfter: o.kind === 'smmlar' ? o.zeroPointAfter : 0,
    shift: o.kind === 'exact' ? o.shift : 0,
    zeroPoint: o.kind === 'exact' ? o.zeroPoint : 0,
    clampLo: kernel.actMin > -128,
    clampHi: kernel.actMax < 127,
    actMin: kernel.actMin,
    actMax: kernel.actMax,
    outer: outer.loops,
    loopVars: outer.loopVars,
    indexA: outer.indexA,
    indexB: outer.indexB,
    hoistA: inner.strideA === 0,
    hoistB: inner.strideB === 0,
    blocks,
    unroll,
    lanes: Array.from({ length: unroll }, (_, j) => ({ j, sum: lane(j) })),
    stepA: inner.strideA * unroll,
    stepB: inner.strideB * unroll,
    tail: inner.extent - blocks,
    tailSum: lane(0),
    tailStepA: inner.strideA,
    tailStepB: inner.strideB,
    closers: outer.loops.map(() => ({})),
  });
}
