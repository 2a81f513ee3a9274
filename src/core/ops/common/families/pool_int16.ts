// SPDX-License-Identifier: Apache-2.0
/**
 * AVERAGE_POOL_2D and MAX_POOL_2D 16x8: TFLite Micro's reference int16 pools are the int8 ones on the
 * int16 range (int32 sums; the average rounds half away from zero with C's truncating division over
 * the in-bounds taps), input and output sharing one quantization (zero point 0).
 */
import type { Graph, Op } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import { type Int16Tagged, type Int16Variant } from './int16_variant.ts';
import { poolInt16Variants } from './pool_int16_variants.ts';
import { type PoolParams, averageOfTaps, checkPool, forEachPoolWindow, maxOfTaps, poolSumView, poolTaps, poolView, preparePool } from './pool.ts';

export type PoolInt16Params = PoolParams & Int16Tagged;

export function poolInt16(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', template: string): Int16Variant<PoolInt16Params> {
  return {
    check: (graph: Graph, op: Op) => checkPool(graph, op, 16),
    prepare: (graph: Graph, op: Op) => ({ ...preparePool(graph, op, 16), activationBits: 16 }),
    macs: poolTaps,
    evaluate(p, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]) {
      forEachPoolWindow(p, inputs[0] as Int16Array, outputs[0] as Int16Array, kind === 'MAX_POOL_2D' ? maxOfTaps(-32768) : averageOfTaps);
    },
    emitC(p, ctx) {
      return ctx.render(template, {
        ...poolView(p, ctx.fnName, ctx.input(0), ctx.output(0), `${kind} 16x8`, poolTaps(ctx.graph, ctx.op)),
        ...poolSumView(p, 16),
      });
    },
    variants: poolInt16Variants(kind === 'MAX_POOL_2D' ? 'max' : 'avg'),
  };
}
