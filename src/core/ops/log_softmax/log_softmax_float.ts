// SPDX-License-Identifier: Apache-2.0
/**
 * LOG_SOFTMAX float32: TFLite's reference LogSoftmax (float, log_softmax.h) per row of the last
 * dimension: the row's maximum as std::max(max, x) from -FLT_MAX, sum of expf(x_c - max) left to
 * right from 0.0f, log_sum = logf(sum), then x_c - max - log_sum. expf and logf are libm's, so the
 * outputs are within FLOAT_LIBM_ULP.LOG_SOFTMAX of TFLite Micro's (common/families/float_libm.ts).
 */
import { type FloatKernel, type FloatTagged, FLOAT_MAX, cFloatLiteral } from '../common/families/float_variant.ts';
import { expF, floatUlpBound, rowShape, rowTensorsFloat } from '../common/families/float_libm.ts';

const F = Math.fround;

export interface LogSoftmaxFloatParams extends FloatTagged {
  outer: number;
  depth: number;
}

export const logSoftmaxFloat: FloatKernel<LogSoftmaxFloatParams> = {
  check: rowTensorsFloat,
  prepare(graph, op) {
    return { float32: true, ...rowShape(graph, op) };
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
      for (let c = 0; c < p.depth; c++) sum = F(sum + expF(F(x[base + c]! - max)));
      const logSum = F(Math.log(sum));
      for (let c = 0; c < p.depth; c++) y[base + c] = F(F(x[base + c]! - max) - logSum);
    }
  },
  emitC(p, ctx) {
    const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
    return `/* LOG_SOFTMAX float32 [${shape}]: ${p.outer} rows of ${p.depth}; x - max - logf(sum expf(x - max)) (libm; within ${floatUlpBound('LOG_SOFTMAX')} ULP of TFLite Micro) */
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
    float log_sum;
    for (c = 0; c < ${p.depth}; ++c) max = (max < x[c]) ? x[c] : max;
    for (c = 0; c < ${p.depth}; ++c) sum += expf(x[c] - max);
    log_sum = logf(sum);
    for (c = 0; c < ${p.depth}; ++c) y[c] = x[c] - max - log_sum;
  }
}
`;
  },
};
