// SPDX-License-Identifier: Apache-2.0
/**
 * ADD, SUB, MUL and DIV on int32 tensors without quantization (TFLite Micro's int32 paths: the
 * stored integers combined as they are, with broadcasting, then clamped to the fused activation's
 * range as CalculateActivationRange gives it: RELU [0, INT32_MAX], RELU6 [0, 6], RELU_N1_TO_1
 * [-1, 1]; TFLite Micro's int32 ADD alone ignores its fused activation). Signal front-ends compute their output scaling this way. TFLite Micro's C++ overflows
 * int32 (undefined in C; two's-complement wrap on every target it runs on): the C here wraps
 * explicitly through uint32. DIV truncates toward zero; a zero divisor is refused when constant and
 * gives 0 at run time (TFLite Micro traps), INT32_MIN / -1 wraps to INT32_MIN.
 */
import { OpError } from '../../../errors.ts';
import { fromBytes } from '../../../ir/buffers.ts';
import type { FusedActivation, Graph, Op } from '../../../ir/graph.ts';
import type { KernelVariant, OpDef } from '../../op.ts';
import { forEachPair } from './binary_elementwise.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors } from './elementwise.ts';
import { tensorLabel } from './weighted.ts';
import { selectVariant } from '../../variant.ts';

export type Int32Operator = 'ADD' | 'SUB' | 'MUL' | 'DIV';

export interface Int32ArithmeticParams extends BinaryLayout {
  int32: Int32Operator;
  min: number;
  max: number;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function range(activation: FusedActivation | undefined, op: Op): [number, number] {
  switch (activation ?? 'NONE') {
    case 'NONE':
      return [INT32_MIN, INT32_MAX];
    case 'RELU':
      return [0, INT32_MAX];
    case 'RELU6':
      return [0, 6];
    case 'RELU_N1_TO_1':
      return [-1, 1];
    default:
      throw new OpError(op.index, op.kind, `fused activation ${activation} is not supported on int32`);
  }
}

/** The operator on two int32 values, wrapped as two's complement (the C's uint32 arithmetic). */
export function int32Combine(operator: Int32Operator, a: number, b: number): number {
  switch (operator) {
    case 'ADD':
      return (a + b) | 0;
    case 'SUB':
      return (a - b) | 0;
    case 'MUL':
      return Math.imul(a, b);
    case 'DIV':
      return b === 0 ? 0 : a === INT32_MIN && b === -1 ? INT32_MIN : Math.trunc(a / b) | 0;
  }
}

/** Whether the op's tensors are int32 (the output decides; the check then requires the inputs too). */
export function isInt32Op(graph: Graph, op: Op): boolean {
  return graph.tensors[op.outputs[0] ?? -1]?.dtype === 'int32';
}

function checkInt32(graph: Graph, op: Op, operator: Int32Operator): void {
  const { a, b, out } = binaryTensors(graph, op);
  for (const [t, role] of [
    [a, 'input 1'],
    [b, 'input 2'],
  ] as const) {
    if (t.dtype !== 'int32') throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; the output ${tensorLabel(out)} is int32`);
    if (t.quant && (t.quant.scale.length > 1 || t.quant.zeroPoint.some((z) => z !== 0)))
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is quantized; TFLite Micro's int32 ${op.kind} takes plain integers`);
  }
  if (operator === 'DIV' && b.data && (fromBytes('int32', b.data) as Int32Array).some((v) => v === 0))
    throw new OpError(op.index, op.kind, `divisor ${tensorLabel(b)} holds a zero`);
  range(op.attrs.activation as FusedActivation | undefined, op);
}

const C_EXPRESSION: Record<Int32Operator, string> = {
  ADD: '(int32_t)((uint32_t)x1 + (uint32_t)x2)',
  SUB: '(int32_t)((uint32_t)x1 - (uint32_t)x2)',
  MUL: '(int32_t)((uint32_t)x1 * (uint32_t)x2)',
  DIV: '(x2 == 0 ? 0 : (x1 == INT32_MIN && x2 == -1) ? INT32_MIN : x1 / x2)',
};

const portableInt32: KernelVariant<Int32ArithmeticParams> = {
  name: 'portable int32',
  family: 'portable',
  applies: () => true,
  overlap: (p) => (p.inPlaceInput === undefined ? undefined : { input: p.inPlaceInput, gap: 0 }),
  emit: (p, ctx) =>
    ctx.render('../common/families/int32_arithmetic.c.hbs', {
      ...binaryEmitView(p, ctx),
      kind: p.int32,
      expression: C_EXPRESSION[p.int32],
      hasMin: p.min > INT32_MIN,
      hasMax: p.max < INT32_MAX,
      min: p.min,
      max: p.max,
    }),
};

/** `base` (the quantized kernels) with the int32 path dispatched on the output's dtype. */
export function withInt32Arithmetic<P>(base: OpDef<P>, operator: Int32Operator): OpDef<P> {
  const isInt32 = (p: unknown): p is Int32ArithmeticParams => (p as Int32ArithmeticParams | undefined)?.int32 !== undefined;
  const dispatcher: OpDef<P | Int32ArithmeticParams> = {
    ...(base as OpDef<P | Int32ArithmeticParams>),
    check: (graph, op) => (isInt32Op(graph, op) ? checkInt32(graph, op, operator) : base.check(graph, op)),
    prepare: (graph, op, kernels, facts) => {
      if (!isInt32Op(graph, op)) return base.prepare(graph, op, kernels, facts);
      const [min, max] = range(operator === 'ADD' ? 'NONE' : (op.attrs.activation as FusedActivation | undefined), op);
      return { ...binaryLayout(graph, op), int32: operator, min, max };
    },
    macs: (graph, op) => (isInt32Op(graph, op) ? 0 : base.macs(graph, op)),
    selectVariant: (p, isa, prefer, kernels) =>
      (isInt32(p) ? portableInt32 : selectVariant(base, p as P, isa, prefer, kernels)) as KernelVariant<P | Int32ArithmeticParams>,
    evaluate: (p, inputs, outputs) => {
      if (!isInt32(p)) return base.evaluate(p as P, inputs, outputs);
      forEachPair(p.loops, inputs, outputs, (x, y) => Math.min(p.max, Math.max(p.min, int32Combine(p.int32, x, y))));
    },
    emitC: (p, ctx) => (isInt32(p) ? (portableInt32.emit(p, ctx) as string) : base.emitC(p as P, ctx)),
  };
  return dispatcher as OpDef<P>;
}
