// SPDX-License-Identifier: Apache-2.0
/**
 * BATCH_MATMUL, float32: TFLite Micro's reference BatchMatMul<float>. TFLite Micro passes the
 * operands swapped (rhs first, both read row by row after its transposes), so each output
 * out[..., m, n] is one float32 sum started at 0.0f taking rhs[k, n] * lhs[m, k] for k = 0, 1, ...
 * in order; no bias, no activation. Broadcast batches and adj_x / adj_y as for int8 (the shared
 * geometry in index.ts).
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { type FloatKernel, type FloatTagged, fround, requireFloat } from '../common/families/float_variant.ts';
import { type MatmulWalk, forEachDot, geometry, matmulCView, matmulWalk } from './index.ts';

export type BatchMatMulFloatParams = MatmulWalk & FloatTagged;

function check(graph: Graph, op: Op): void {
  const g = geometry(graph, op);
  requireFloat(op, [
    [g.lhs, 'lhs'],
    [g.rhs, 'rhs'],
    [g.out, 'output'],
  ]);
}

export const batchMatmulFloat: FloatKernel<BatchMatMulFloatParams> = {
  check,
  prepare: (graph, op) => ({ float32: true, ...matmulWalk(geometry(graph, op)) }),
  evaluate(p, inputs, outputs) {
    const lhs = inputs[0] as Float32Array;
    const rhs = inputs[1] as Float32Array;
    const out = outputs[0] as Float32Array;
    let o = 0;
    forEachDot(p, (lAt, lStride, rAt, rStride) => {
      let total = 0;
      for (let k = 0; k < p.k; k++, lAt += lStride, rAt += rStride) total = fround(total + fround(rhs[rAt]! * lhs[lAt]!));
      out[o++] = total;
    });
  },
  emitC: (p, ctx) => ctx.render('batch_matmul_float.c.hbs', { ...p, ...matmulCView(p, ctx) }),
};
