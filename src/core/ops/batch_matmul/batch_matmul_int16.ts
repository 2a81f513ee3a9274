// SPDX-License-Identifier: Apache-2.0
/**
 * BATCH_MATMUL 16x8 (both operands int16, zero points 0): TFLite Micro's reference BatchMatMul
 * instantiated with an int64 accumulator for int16, so the requantization is the 64-bit
 * MultiplyByQuantizedMultiplier (multiplier reduced to 16 bits, one rounding) by
 * (float)(s_lhs·s_rhs)/s_out, clamped to int16. Broadcast batches and adj_x / adj_y as for int8.
 */
import { OpError } from '../../errors.ts';
import { ACC64_LIMIT } from '../common/numerics/accumulator_bound.ts';
import { clamp } from '../common/numerics/fixedpoint.ts';
import { mbqm64 } from '../common/numerics/fixedpoint64.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from '../common/families/int16_variant.ts';
import { type BatchMatMulParams, forEachDot, geometry, matmulCView, matmulLayout } from './index.ts';

export type BatchMatMulInt16Params = Omit<BatchMatMulParams, 'lhsOffset' | 'rhsOffset' | 'outputZeroPoint'> & Int16Tagged;

export const batchMatmulInt16: Int16Variant<BatchMatMulInt16Params> = {
  check(graph, op) {
    const g = geometry(graph, op);
    requireInt16Activation(op, g.lhs, 'lhs');
    requireInt16Activation(op, g.rhs, 'rhs');
    requireInt16Activation(op, g.out, 'output');
    // |acc| <= k·2^30 ((-32768)² per product): TFLite Micro's 64-bit requantization takes |acc| < 2^47
    if (g.k * 2 ** 30 >= ACC64_LIMIT)
      throw new OpError(
        op.index,
        op.kind,
        `accumulation depth ${g.k}: the int64 accumulator reaches ${g.k} x 2^30, past the +-2^47 TFLite Micro's 64-bit requantization takes (k below 131,072)`,
      );
  },
  prepare: (graph, op) => ({ activationBits: 16, ...matmulLayout(geometry(graph, op)) }),
  evaluate(p, inputs, outputs) {
    const lhs = inputs[0] as Int16Array;
    const rhs = inputs[1] as Int16Array;
    const out = outputs[0] as Int16Array;
    let o = 0;
    forEachDot(p, (lAt, lStride, rAt, rStride) => {
      let acc = 0; // |acc| <= k·2^30: exact in a double for any k below 2^22
      for (let k = 0; k < p.k; k++, lAt += lStride, rAt += rStride) acc += lhs[lAt]! * rhs[rAt]!;
      out[o++] = clamp(mbqm64(BigInt(acc), p.multiplier, p.shift), -32768, 32767);
    });
  },
  emitC: (p, ctx) => ctx.render('batch_matmul_int16.c.hbs', { ...p, ...matmulCView(p, ctx), accBound: p.k * 2 ** 30 }),
};
