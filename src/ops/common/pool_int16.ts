/**
 * AVERAGE_POOL_2D and MAX_POOL_2D 16x8: TFLite Micro's reference int16 pools are the int8 ones on the
 * int16 range (int32 sums; the average rounds half away from zero with C's truncating division over
 * the in-bounds taps), input and output sharing one quantization (zero point 0).
 */
import type { Graph, Op } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { clamp } from './fixedpoint.ts';
import { type Int16Tagged, type Int16Variant } from './int16_variant.ts';
import { type PoolParams, checkPool, poolTaps, poolView, poolWindow, preparePool } from './pool.ts';

export type PoolInt16Params = PoolParams & Int16Tagged;

function forEachWindow(p: PoolParams, input: Int16Array, output: Int16Array, reduce: (taps: number[], count: number) => number): void {
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    const image = b * p.inH * p.inW * p.depth;
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        const { y0, y1, x0, x1, count } = poolWindow(p, oy, ox);
        for (let c = 0; c < p.depth; c++) {
          const taps: number[] = [];
          for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) taps.push(input[image + (y * p.inW + x) * p.depth + c]!);
          output[o++] = clamp(reduce(taps, count), p.actMin, p.actMax);
        }
      }
    }
  }
}

export function poolInt16(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', template: string): Int16Variant<PoolInt16Params> {
  return {
    check: (graph: Graph, op: Op) => checkPool(graph, op, 16),
    prepare: (graph: Graph, op: Op) => ({ ...preparePool(graph, op, 16), activationBits: 16 }),
    macs: poolTaps,
    evaluate(p, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]) {
      forEachWindow(p, inputs[0] as Int16Array, outputs[0] as Int16Array, kind === 'MAX_POOL_2D'
        ? (taps) => taps.reduce((m, v) => Math.max(m, v), -32768)
        : (taps, count) => {
          const sum = taps.reduce((s, v) => s + v, 0);
          const half = Math.trunc(count / 2);
          return Math.trunc(sum > 0 ? (sum + half) / count : (sum - half) / count);
        });
    },
    emitC(p, ctx) {
      return ctx.render(template, poolView(p, ctx.fnName, ctx.input(0), ctx.output(0), `${kind} 16x8`, poolTaps(ctx.graph, ctx.op)));
    },
  };
}
