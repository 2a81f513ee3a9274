// SPDX-License-Identifier: Apache-2.0
/**
 * L2_NORMALIZATION float32: TFLite's reference L2Normalization (float) per row of the last
 * dimension: the sum of x*x left to right from 0, l2 = std::max(sqrtf(sum), 1e-6f), then each x / l2.
 * Every step is exactly rounded (sqrtf too), so the outputs are TFLite Micro's bits on every target.
 */
import { OpError } from '../../errors.ts';
import { type FloatRowParams, floatRowKernel } from '../common/families/float_rows.ts';

const F = Math.fround;
const EPSILON = F(1e-6);

export type L2NormFloatParams = FloatRowParams;

export const l2NormalizationFloat = floatRowKernel<L2NormFloatParams>({
  check(graph, op) {
    const activation = (op.attrs as { activation?: string }).activation ?? 'NONE';
    if (activation !== 'NONE') throw new OpError(op.index, op.kind, `fused activation ${activation}: TFLite Micro's L2_NORMALIZATION takes none`);
    if (graph.tensors[op.inputs[0]!]!.shape.length > 4) throw new OpError(op.index, op.kind, 'input has more than 4 dimensions (TFLite Micro takes up to 4)');
  },
  row(p, x, y) {
    let sum = 0;
    for (let c = 0; c < p.depth; c++) sum = F(sum + F(x[c]! * x[c]!));
    let l2 = F(Math.sqrt(sum));
    l2 = l2 < EPSILON ? EPSILON : l2; // std::max(l2, epsilon)
    for (let c = 0; c < p.depth; c++) y[c] = F(x[c]! / l2);
  },
  describe: () => "; x / max(sqrtf(sum x*x), 1e-6f) (exactly rounded steps: TFLite Micro's bits)",
  cRow: (p) => `    float sum = 0.0f;
    float l2;
    for (c = 0; c < ${p.depth}; ++c) sum += x[c] * x[c];
    l2 = sqrtf(sum);
    l2 = (l2 < 9.99999997e-07f) ? 9.99999997e-07f : l2;
    for (c = 0; c < ${p.depth}; ++c) y[c] = x[c] / l2;
`,
});
