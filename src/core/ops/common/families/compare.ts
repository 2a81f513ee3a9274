// SPDX-License-Identifier: Apache-2.0
/**
 * EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER and GREATER_EQUAL (TFLite Micro's comparisons.cc): a
 * broadcasting comparison writing a bool tensor (one byte, 0 or 1, per element).
 *
 * Quantized int8 inputs are not compared raw: each side is brought to a common fixed-point form
 * first, ((q - z) << 8) times a multiplier made from the input's own scale, so two tensors with
 * different quantizations compare by real value (to 8 fractional bits of headroom). TFLite Micro
 * quantizes the scale itself with QuantizeMultiplierSmallerThanOneExp, which aborts for a scale of
 * 1 or more: such models are rejected here. Surprise kept: with a scale below 2^-32 the multiplier
 * underflows to 0 and every element of that input compares as 0.
 *
 * Surprise matched: GREATER is the one comparison whose Eval accepts int16, but Prepare computes
 * the rescaling parameters for int8 only; int16 GREATER therefore compares 0 with 0 and is false
 * for every element (checked against tflm-ref at the goldens' commit).
 *
 * int32, float32 and bool (EQUAL / NOT_EQUAL) compare the stored values (float32 as C floats: -0 equals
 * +0, as in TFLite Micro). When the shapes differ TFLite Micro
 * takes its Broadcast4DSlow path, which handles at most 4 dimensions: larger ranks are rejected.
 */
import { OpError } from '../../../errors.ts';
import type { DType, Graph, Op } from '../../../ir/graph.ts';
import { DTYPE_C } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { forEachBroadcast } from './broadcast.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors, sameShape } from './elementwise.ts';
import { f32, mbqm, quantizeMultiplier } from '../numerics/fixedpoint.ts';
import { tensorLabel } from './weighted.ts';

export type CompareKind = 'EQUAL' | 'NOT_EQUAL' | 'LESS' | 'LESS_EQUAL' | 'GREATER' | 'GREATER_EQUAL';

/** The input types TFLite Micro's Eval accepts, per comparison (int64 aside). */
const DTYPES: Record<CompareKind, readonly DType[]> = {
  EQUAL: ['int8', 'int32', 'bool', 'float32'],
  NOT_EQUAL: ['int8', 'int32', 'bool', 'float32'],
  LESS: ['int8', 'int32', 'float32'],
  LESS_EQUAL: ['int8', 'int32', 'float32'],
  GREATER: ['int8', 'int16', 'int32', 'float32'],
  GREATER_EQUAL: ['int8', 'int32', 'float32'],
};

const C_OPERATOR: Record<CompareKind, string> = {
  EQUAL: '==',
  NOT_EQUAL: '!=',
  LESS: '<',
  LESS_EQUAL: '<=',
  GREATER: '>',
  GREATER_EQUAL: '>=',
};

export const COMPARE_LEFT_SHIFT = 8;

export interface CompareParams extends BinaryLayout {
  kind: CompareKind;
  dtype: DType;
  /** quantized inputs are rescaled before comparing */
  scaled: boolean;
  input1Offset: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Offset: number;
  input2Multiplier: number;
  input2Shift: number;
}

export function compareFn(kind: CompareKind): (a: number, b: number) => boolean {
  switch (kind) {
    case 'EQUAL':
      return (a, b) => a === b;
    case 'NOT_EQUAL':
      return (a, b) => a !== b;
    case 'LESS':
      return (a, b) => a < b;
    case 'LESS_EQUAL':
      return (a, b) => a <= b;
    case 'GREATER':
      return (a, b) => a > b;
    case 'GREATER_EQUAL':
      return (a, b) => a >= b;
  }
}

/** The (multiplier, shift) of QuantizeMultiplierSmallerThanOneExp(scale), or an OpError where TFLite Micro aborts. */
function scaleMultiplier(op: Op, graph: Graph, index: number, role: string): { multiplier: number; shift: number; offset: number } {
  const t = graph.tensors[index]!;
  const scale = t.quant?.scale[0];
  const zeroPoint = t.quant?.zeroPoint[0] ?? 0;
  if (scale === undefined) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype} without quantization parameters`);
  if ((t.quant?.scale.length ?? 0) > 1) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is quantized per channel; ${op.kind} needs one scale`);
  const s = f32(scale);
  const m = quantizeMultiplier(s);
  if (!(s > 0 && s < 1) || m.shift > 0) {
    throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has scale ${scale}; TFLite Micro's ${op.kind} needs a scale in (0, 1)`);
  }
  return { multiplier: m.multiplier, shift: m.shift, offset: -zeroPoint };
}

function check(graph: Graph, op: Op, kind: CompareKind): void {
  const { a, b, out } = binaryTensors(graph, op);
  const allowed = DTYPES[kind];
  if (!allowed.includes(a.dtype))
    throw new OpError(op.index, op.kind, `input 1 ${tensorLabel(a)} is ${a.dtype}; TFLite Micro's ${kind} supports ${allowed.join(', ')}`);
  if (b.dtype !== a.dtype) throw new OpError(op.index, op.kind, `input 2 ${tensorLabel(b)} is ${b.dtype}; input 1 is ${a.dtype}`);
  if (out.dtype !== 'bool') throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} is ${out.dtype}; expected bool`);
  if (!sameShape(a.shape, b.shape) && out.shape.length > 4) {
    throw new OpError(
      op.index,
      op.kind,
      `broadcasting output ${tensorLabel(out)} has rank ${out.shape.length}; TFLite Micro broadcasts comparisons up to rank 4`,
    );
  }
  if (a.dtype === 'int8') {
    scaleMultiplier(op, graph, op.inputs[0]!, 'input 1');
    scaleMultiplier(op, graph, op.inputs[1]!, 'input 2');
  }
}

function prepare(graph: Graph, op: Op, kind: CompareKind): CompareParams {
  const dtype = graph.tensors[op.inputs[0]!]!.dtype;
  const scaled = dtype === 'int8' || dtype === 'int16';
  // int16 (GREATER): TFLite Micro's Prepare fills the rescaling parameters for int8 only, so int16
  // runs the scaled comparison with multipliers 0: both sides are 0 and GREATER is always false
  const none = { multiplier: 0, shift: 0, offset: 0 };
  const m1 = dtype === 'int8' ? scaleMultiplier(op, graph, op.inputs[0]!, 'input 1') : none;
  const m2 = dtype === 'int8' ? scaleMultiplier(op, graph, op.inputs[1]!, 'input 2') : none;
  const layout = binaryLayout(graph, op);
  return {
    size: layout.size,
    loops: layout.loops,
    kind,
    dtype,
    scaled,
    input1Offset: m1.offset,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Offset: m2.offset,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
  };
}

/** An input element in the common form: MultiplyByQuantizedMultiplierSmallerThanOneExp((q + offset) << 8). */
export function scaledValue(q: number, offset: number, multiplier: number, shift: number): number {
  return mbqm((q + offset) * (1 << COMPARE_LEFT_SHIFT), multiplier, shift);
}

function evaluate(p: CompareParams, inputs: unknown[], outputs: unknown[]): void {
  const a = inputs[0] as ArrayLike<number>;
  const b = inputs[1] as ArrayLike<number>;
  const out = outputs[0] as Uint8Array;
  const f = compareFn(p.kind);
  let o = 0;
  forEachBroadcast(p.loops, (ia, ib) => {
    const x = p.scaled ? scaledValue(a[ia]!, p.input1Offset, p.input1Multiplier, p.input1Shift) : a[ia]!;
    const y = p.scaled ? scaledValue(b[ib]!, p.input2Offset, p.input2Multiplier, p.input2Shift) : b[ib]!;
    out[o++] = f(x, y) ? 1 : 0;
  });
}

export function compareOp(kind: CompareKind, dir: string): OpDef<CompareParams> {
  return {
    kind,
    dir,
    // float32 inputs compare as C floats: the same loops
    floatKernel: true,
    check: (graph, op) => check(graph, op, kind),
    prepare: (graph, op) => prepare(graph, op, kind),
    macs: () => 0,
    evaluate: (p, inputs, outputs) => evaluate(p, inputs as unknown[], outputs as unknown[]),
    emitC(p, ctx) {
      return ctx.render('../common/families/compare.c.hbs', {
        ...binaryEmitView(p, ctx),
        kind,
        dtype: p.dtype,
        ctype: DTYPE_C[p.dtype],
        scaled: p.scaled,
        op: C_OPERATOR[kind],
        m1: p.input1Multiplier,
        s1: p.input1Shift,
        z1: p.input1Offset,
        m2: p.input2Multiplier,
        s2: p.input2Shift,
        z2: p.input2Offset,
        leftShift: COMPARE_LEFT_SHIFT,
      });
    },
  };
}
