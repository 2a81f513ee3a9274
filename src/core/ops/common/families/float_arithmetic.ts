// SPDX-License-Identifier: Apache-2.0
/**
 * ADD, SUB, MUL and DIV on float32 tensors: TFLite Micro's float paths (reference Add / Sub / Mul /
 * Div and their BroadcastXxx4DSlow/6DSlow forms), one IEEE operation per output element, x1 op x2,
 * then the fused activation's clamp std::min(std::max(v, lo), hi). Broadcasting walks the output in
 * order, each input's index stepping 0 along a dimension it is broadcast on.
 */
import type { FusedActivation, Graph, Op } from '../../../ir/graph.ts';
import { forEachPair } from './binary_elementwise.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors } from './elementwise.ts';
import { type FloatKernel, type FloatTagged, C_CLAMP, cFloatLiteral, clampF, floatActivationRange, fround, requireFloat } from './float_variant.ts';
import { requireClampActivation } from './weighted.ts';

export type FloatOperator = 'ADD' | 'SUB' | 'MUL' | 'DIV';

export interface FloatArithmeticParams extends BinaryLayout, FloatTagged {
  operator: FloatOperator;
  actMin: number;
  actMax: number;
}

const COMBINE: Record<FloatOperator, (a: number, b: number) => number> = {
  ADD: (a, b) => fround(a + b),
  SUB: (a, b) => fround(a - b),
  MUL: (a, b) => fround(a * b),
  DIV: (a, b) => fround(a / b),
};

const C_OPERATOR: Record<FloatOperator, string> = { ADD: '+', SUB: '-', MUL: '*', DIV: '/' };

export function floatArithmetic(operator: FloatOperator): FloatKernel<FloatArithmeticParams> {
  return {
    check(graph: Graph, op: Op) {
      const { a, b, out } = binaryTensors(graph, op);
      requireFloat(op, [
        [a, 'input 1'],
        [b, 'input 2'],
        [out, 'output'],
      ]);
      requireClampActivation(op, op.attrs.activation);
    },
    prepare(graph, op) {
      const [actMin, actMax] = floatActivationRange(op.attrs.activation as FusedActivation | undefined);
      return { ...binaryLayout(graph, op), float32: true, operator, actMin, actMax };
    },
    macs: () => 0,
    evaluate(p, inputs, outputs) {
      const combine = COMBINE[p.operator];
      forEachPair(p.loops, inputs, outputs, (x, y) => clampF(combine(x, y), p.actMin, p.actMax));
    },
    emitC(p, ctx) {
      ctx.defineOnce('tf_fclamp', C_CLAMP);
      return ctx.render('../common/families/float_arithmetic.c.hbs', {
        ...binaryEmitView(p, ctx),
        kind: p.operator,
        operator: C_OPERATOR[p.operator],
        lo: cFloatLiteral(p.actMin),
        hi: cFloatLiteral(p.actMax),
      });
    },
  };
}

/** Whether a binary op computes in float32 (its output is float32; the check then requires the inputs too). */
export function outputIsFloat(graph: Graph, op: Op): boolean {
  return graph.tensors[op.outputs[0] ?? -1]?.dtype === 'float32';
}
