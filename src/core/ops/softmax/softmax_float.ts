// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX float32: TFLite's reference Softmax<float> (softmax.h) per row of the last dimension: the
 * row's maximum as std::max(max, x) from -FLT_MAX, then e_c = expf((x_c - max) * beta) stored in the
 * output and summed left to right from 0.0f, then each e_c / sum. expf is libm's, so the outputs
 * are within FLOAT_LIBM_ULP.SOFTMAX of TFLite Micro's, not bit-exact (common/families/float_libm.ts).
 */
import type { SoftmaxAttrs } from '../../ir/graph.ts';
import { FLOAT_MAX, cFloatLiteral } from '../common/families/float_variant.ts';
import { expF, floatUlpBound } from '../common/families/float_libm.ts';
import { type FloatRowParams, floatRowKernel } from '../common/families/float_rows.ts';

const F = Math.fround;

export interface SoftmaxFloatParams extends FloatRowParams {
  beta: number;
}

export const softmaxFloat = floatRowKernel<SoftmaxFloatParams>({
  params: (graph, op) => ({ beta: F((op.attrs as unknown as SoftmaxAttrs).beta ?? 1) }),
  row(p, x, y) {
    let max = -FLOAT_MAX;
    for (let c = 0; c < p.depth; c++) max = max < x[c]! ? x[c]! : max;
    let sum = 0;
    for (let c = 0; c < p.depth; c++) {
      const e = expF(F(F(x[c]! - max) * p.beta));
      y[c] = e;
      sum = F(sum + e);
    }
    for (let c = 0; c < p.depth; c++) y[c] = F(y[c]! / sum);
  },
  describe: (p) => `, beta ${p.beta}; expf((x - max) * beta) / sum (libm; within ${floatUlpBound('SOFTMAX')} ULP of TFLite Micro)`,
  cRow: (p) => `    float max = ${cFloatLiteral(-FLOAT_MAX)};
    float sum = 0.0f;
    for (c = 0; c < ${p.depth}; ++c) max = (max < x[c]) ? x[c] : max;
    for (c = 0; c < ${p.depth}; ++c) {
      const float e = expf((x[c] - max) * ${cFloatLiteral(p.beta)});
      y[c] = e;
      sum += e;
    }
    for (c = 0; c < ${p.depth}; ++c) y[c] = y[c] / sum;
`,
});
