// SPDX-License-Identifier: Apache-2.0
/**
 * L2_NORMALIZATION float32: TFLite's reference L2Normalization (float) per row of the last
 * dimension: the sum of x*x left to right from 0, l2 = std::max(sqrtf(sum), 1e-6f), then each x / l2.
 * Every step is exactly rounded (sqrtf too), so the outputs are TFLite Micro's bits on every target.
 */
import { OpError } from '../../errors.ts';
import { type FloatKernel, type FloatTagged } from '../common/families/float_variant.ts';
import { rowShape, rowTensorsFloat } from '../common/families/float_libm.ts';

const F = Math.fround;
const EPSILON = F(1e-6);

export interface L2NormFloatParams extends FloatTagged {
  outer: number;
  depth: number;
}

export const l2NormalizationFloat: FloatKernel<L2NormFloatParams> = {
  check(graph, op) {
    rowTensorsFloat(graph, op);
    const activation = (op.attrs as { activation?: string }).activation ?? 'NONE';
    if (activation !== 'NONE') throw new OpError(op.index, op.kind, `fused activation ${activation}: TFLite Micro's L2_NORMALIZATION takes none`);
    if (graph.tensors[op.inputs[0]!]!.shape.length > 4) throw new OpError(op.index, op.kind, 'input has more than 4 dimensions (TFLite Micro takes up to 4)');
  },
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
      let sum = 0;
      for (let c = 0; c < p.depth; c++) sum = F(sum + F(x[base + c]! * x[base + c]!));
      let l2 = F(Math.sqrt(sum));
      l2 = l2 < EPSILON ? EPSILON : l2; // std::max(l2, epsilon)
      for (let c = 0; c < p.depth; c++) y[base + c] = F(x[base + c]! / l2);
    }
  },
  emitC(p, ctx) {
    const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
    return `/* L2_NORMALIZATION float32 [${shape}]: ${p.outer} rows of ${p.depth}; x / max(sqrtf(sum x*x), 1e-6f) (exactly rounded steps: TFLite Micro's bits) */
#include <math.h>
static void ${ctx.fnName}(void) {
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  int i, c;
  for (i = 0; i < ${p.outer}; ++i) {
    const float *x = in + i * ${p.depth};
    float *y = out + i * ${p.depth};
    float sum = 0.0f;
    float l2;
    for (c = 0; c < ${p.depth}; ++c) sum += x[c] * x[c];
    l2 = sqrtf(sum);
    l2 = (l2 < 9.99999997e-07f) ? 9.99999997e-07f : l2;
    for (c = 0; c < ${p.depth}; ++c) y[c] = x[c] / l2;
  }
}
`;
  },
};
