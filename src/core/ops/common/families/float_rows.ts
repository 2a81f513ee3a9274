// SPDX-License-Identifier: Apache-2.0
/**
 * float32 kernels that work row by row along the last dimension (SOFTMAX, LOG_SOFTMAX,
 * L2_NORMALIZATION): the input and output of one shape (`rowTensorsFloat`), `outer` rows of `depth`
 * (`rowShape`), one MAC per element, and the loop over the rows in TypeScript and in C. Each op gives
 * what one row computes: `row` in TypeScript (float32 rounding at every step) and `cRow`, the C
 * statements over `x` and `y` (the row's input and output, `depth` floats each) with `c` the loop
 * index, in the same order.
 */
import type { Graph, Op } from '../../../ir/graph.ts';
import type { FloatKernel, FloatTagged } from './float_variant.ts';
import { rowShape, rowTensorsFloat } from './float_libm.ts';

export interface FloatRowParams extends FloatTagged {
  outer: number;
  depth: number;
}

export interface FloatRowOp<P extends FloatRowParams> {
  /** the op's own checks, after the shared ones */
  check?(graph: Graph, op: Op): void;
  /** the op's parameters beyond the rows */
  params?(graph: Graph, op: Op): Omit<P, keyof FloatRowParams>;
  /** one row: x in, y out (views of `depth` elements) */
  row(p: P, x: Float32Array, y: Float32Array): void;
  /** the C comment's text after "<rows> rows of <depth>" */
  describe(p: P): string;
  /** the C statements of one row (indented four spaces), over x, y and c */
  cRow(p: P): string;
}

export function floatRowKernel<P extends FloatRowParams>(row: FloatRowOp<P>): FloatKernel<P> {
  return {
    check(graph, op) {
      rowTensorsFloat(graph, op);
      row.check?.(graph, op);
    },
    prepare: (graph, op) => ({ float32: true, ...rowShape(graph, op), ...row.params?.(graph, op) }) as P,
    macs(graph, op) {
      const { outer, depth } = rowShape(graph, op);
      return outer * depth;
    },
    evaluate(p, inputs, outputs) {
      const x = inputs[0] as Float32Array;
      const y = outputs[0] as Float32Array;
      for (let i = 0; i < p.outer; i++) {
        const base = i * p.depth;
        row.row(p, x.subarray(base, base + p.depth), y.subarray(base, base + p.depth));
      }
    },
    emitC(p, ctx) {
      const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
      return `/* ${ctx.op.kind} float32 [${shape}]: ${p.outer} rows of ${p.depth}${row.describe(p)} */
#include <math.h>
static void ${ctx.fnName}(void) {
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  int i, c;
  for (i = 0; i < ${p.outer}; ++i) {
    const float *x = in + i * ${p.depth};
    float *y = out + i * ${p.depth};
${row.cRow(p)}  }
}
`;
    },
  };
}
