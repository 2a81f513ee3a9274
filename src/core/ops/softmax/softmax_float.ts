// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX float32: TFLite's reference Softmax<float> (softmax.h) per row of the last dimension: the
 * row's maximum as std::max(max, x) from -FLT_MAX, then e_c = expf((x_c - max) * beta) stored in the
 * output and summed left to right from 0.0f, then each e_c / sum. expf is libm's, so the outputs
 * are within FLOAT_LIBM_ULP.SOFTMAX of TFLite Micro's, not bit-exact (common/families/float_libm.ts).
 */
import type { SoftmaxAttrs } from '../../ir/graph.ts';
import { type FloatKernel, type FloatTagged, FLOAT_MAX, cFloatLiteral } from '../common/families/float_variant.ts';
import { expF, floatUlpBound, rowShape, rowTensorsFloat } from '../common/families/float_libm.ts';

const F = Math.fround;

export interface SoftmaxFloatParams extends FloatTagged {
  outer: number;
  depth: number;
  beta: number;
}

export const softmaxFloat: FloatKernel<SoftmaxFloatParams> = {
  check: rowTensorsFloat,
  prepare(graph, op) {
    return { float32: true, ...rowShape(graph, op), beta: F((op.attrs as unknown as SoftmaxAttrs).beta ?? 1) };
  },
  macs(graph, op) {
    const { outer, depth } = rowShape(graph, op);
    return outer * depth;
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const y = outputs[0] as Float32Array;
    for (let i = 0; i < p.outer; i++) {
      const base = i * p.depth;
      let max = -FLOAT_MAX;
      for (let c = 0; c < p.depth; c++) max = max < x[base + c]! ? x[base + c]! : max;
      let sum = 0;
      for (let c = 0; c < p.depth; c++) {
        const e = expF(F(F(x[base + c]! - max) * p.beta));
        y[base + c] = e;
        sum = F(sum + e);
      }
      for (let c = 0; c < p.depth; c++) y[base + c] = F(y[base + c]! / sum);
    }
  },
  emitC(p, ctx) {
    const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
    return `/* SOFTMAX float32 [${shape}]: ${p.outer} rows of ${p.depth}, beta ${p.beta}; expf((x - max) * beta) / sum (libm; within ${floatUlpBound('SOFTMAX')} ULP of TFLite Micro) */
#include <math.h>
static void ${ctx.fnName}(void) {
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  int i, c;
  for (i = 0; i < ${p.outer}; ++i) {
    const float *x = in + i * ${p.depth};
    float *y = out + i * ${p.depth};
    float max = ${cFloatLiteral(-FLOAT_MAX)};
    float sum = 0.0f;
    for (c = 0; c < ${p.depth}; ++c) max = (max < x[c]) ? x[c] : max;
    for (c = 0; c < ${p.depth}; ++c) {
      const float e = expf((x[c] - max) * ${cFloatLiteral(p.beta)});
      y[c] = e;
      sum += e;
    }
    for (c = 0; c < ${p.depth}; ++c) y[c] = y[c] / sum;
  }
}
`;
  },
};
