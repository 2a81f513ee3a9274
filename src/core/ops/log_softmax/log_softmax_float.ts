// SPDX-License-Identifier: Apache-2.0
/**
 * LOG_SOFTMAX float32: TFLite's reference LogSoftmax (float, log_softmax.h) per row of the last
 * dimension: the row's maximum as std::max(max, x) from -FLT_MAX, sum of expf(x_c - max) left to
 * right from 0.0f, log_sum = logf(sum), then x_c - max - log_sum. expf and logf are libm's, so the
 * outputs are within FLOAT_LIBM_ULP.LOG_SOFTMAX of TFLite Micro's (common/families/float_libm.ts).
 */
import { FLOAT_MAX, cFloatLiteral } from '../common/families/float_variant.ts';
import { expF, floatUlpBound } from '../common/families/float_libm.ts';
import { type FloatRowParams, floatRowKernel } from '../common/families/float_rows.ts';

const F = Math.fround;

export type LogSoftmaxFloatParams = FloatRowParams;

export const logSoftmaxFloat = floatRowKernel<LogSoftmaxFloatParams>({
  row(p, x, y) {
    let max = -FLOAT_MAX;
    for (let c = 0; c < p.depth; c++) max = max < x[c]! ? x[c]! : max;
    let sum = 0;
    for (let c = 0; c < p.depth; c++) sum = F(sum + expF(F(x[c]! - max)));
    const logSum = F(Math.log(sum));
    for (let c = 0; c < p.depth; c++) y[c] = F(F(x[c]! - max) - logSum);
  },
  describe: () => `; x - max - logf(sum expf(x - max)) (libm; within ${floatUlpBound('LOG_SOFTMAX')} ULP of TFLite Micro)`,
  cRow: (p) => `    float max = ${cFloatLiteral(-FLOAT_MAX)};
    float sum = 0.0f;
    float log_sum;
    for (c = 0; c < ${p.depth}; ++c) max = (max < x[c]) ? x[c] : max;
    for (c = 0; c < ${p.depth}; ++c) sum += expf(x[c] - max);
    log_sum = logf(sum);
    for (c = 0; c < ${p.depth}; ++c) y[c] = x[c] - max - log_sum;
`,
});
