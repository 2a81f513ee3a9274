/**
 * BATCH_MATMUL 16x8 (both operands int16, zero points 0): TFLite Micro's reference BatchMatMul
 * instantiated with an int64 accumulator for int16, so the requantization is the 64-bit
 * MultiplyByQuantizedMultiplier (multiplier reduced to 16 bits, one rounding) by
 * (float)(s_lhs·s_rhs)/s_out, clamped to int16. Broadcast batches and adj_x / adj_y as for int8.
 */
import { broadcastLoops, forEachBroadcast } from '../common/broadcast.ts';
import { broadcastCView } from '../common/elementwise.ts';
import { clamp } from '../common/fixedpoint.ts';
import { mbqm64 } from '../common/fixedpoint64.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from '../common/int16_variant.ts';
import { fcTensorMultiplier } from '../common/weighted.ts';
import { type BatchMatMulParams, geometry } from './index.ts';

export type BatchMatMulInt16Params = Omit<BatchMatMulParams, 'lhsOffset' | 'rhsOffset' | 'outputZeroPoint'> & Int16Tagged;

export const batchMatmulInt16: Int16Variant<BatchMatMulInt16Params> = {
  check(graph, op) {
    const g = geometry(graph, op);
    requireInt16Activation(op, g.lhs, 'lhs');
    requireInt16Activation(op, g.rhs, 'rhs');
    requireInt16Activation(op, g.out, 'output');
  },
  prepare(graph, op) {
    const g = geometry(graph, op);
    const { multiplier, shift } = fcTensorMultiplier(g.lhs.quant!.scale[0]!, g.rhs.quant!.scale[0]!, g.out.quant!.scale[0]!);
    return {
      activationBits: 16,
      loops: broadcastLoops(g.lhsBatch, g.rhsBatch, g.outBatch),
      batches: g.outBatch.reduce((a, b) => a * b, 1),
      m: g.m, k: g.k, n: g.n, adjX: g.adjX, adjY: g.adjY, multiplier, shift,
    };
  },
  evaluate(p, inputs, outputs) {
    const lhs = inputs[0] as Int16Array;
    const rhs = inputs[1] as Int16Array;
    const out = outputs[0] as Int16Array;
    let o = 0;
    forEachBroadcast(p.loops, (la, rb) => {
      const lBase = la * p.m * p.k;
      const rBase = rb * p.k * p.n;
      for (let m = 0; m < p.m; m++) {
        for (let n = 0; n < p.n; n++) {
          let acc = 0; // |acc| <= k·2^30: exact in a double for any k below 2^22
          for (let k = 0; k < p.k; k++) {
            acc += lhs[lBase + (p.adjX ? k * p.m + m : m * p.k + k)]! * rhs[rBase + (p.adjY ? n * p.k + k : k * p.n + n)]!;
          }
          out[o++] = clamp(mbqm64(BigInt(acc), p.multiplier, p.shift), -32768, 32767);
        }
      }
    });
  },
  emitC(p, ctx) {
    const lhs = ctx.graph.tensors[ctx.op.inputs[0]!]!;
    const rhs = ctx.graph.tensors[ctx.op.inputs[1]!]!;
    return ctx.render('batch_matmul_int16.c.hbs', {
      ...p,
      ...broadcastCView(p.loops),
      fnName: ctx.fnName,
      lhs: ctx.input(0),
      rhs: ctx.input(1),
      output: ctx.output(0),
      lhsShape: lhs.shape.join('x'),
      rhsShape: rhs.shape.join('x'),
      outShape: ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x'),
      lhsSize: p.m * p.k,
      rhsSize: p.k * p.n,
      lhsIndex: p.adjX ? `k * ${p.m} + m` : `m * ${p.k} + k`,
      rhsIndex: p.adjY ? `n * ${p.k} + k` : `k * ${p.n} + n`,
      macs: p.batches * p.m * p.n * p.k,
    });
  },
};
