import type { OpDef } from '../op.ts';
import { withInt16Variant } from '../common/int16_variant.ts';
import { poolInt16 } from '../common/pool_int16.ts';
import { type PoolParams, checkPool, poolTaps, poolView, poolWindow, preparePool } from '../common/pool.ts';
import { clamp } from '../common/fixedpoint.ts';

/**
 * AVERAGE_POOL_2D, int8 (TFLite Micro's reference): the mean of the in-bounds taps only, rounded
 * half away from zero with C integer division, clamped to the fused activation range.
 */
const averagePool2d: OpDef<PoolParams> = {
  kind: 'AVERAGE_POOL_2D',
  dir: import.meta.dirname,
  check: checkPool,
  prepare: preparePool,
  macs: poolTaps,

  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int8Array;
    const output = outputs[0] as Int8Array;
    let o = 0;
    for (let b = 0; b < p.batches; b++) {
      const image = b * p.inH * p.inW * p.depth;
      for (let oy = 0; oy < p.outH; oy++) {
        for (let ox = 0; ox < p.outW; ox++) {
          const { y0, y1, x0, x1, count } = poolWindow(p, oy, ox);
          for (let c = 0; c < p.depth; c++) {
            let sum = 0;
            for (let y = y0; y < y1; y++) {
              for (let x = x0; x < x1; x++) sum += input[image + (y * p.inW + x) * p.depth + c]!;
            }
            const half = Math.trunc(count / 2);
            const avg = Math.trunc(sum > 0 ? (sum + half) / count : (sum - half) / count);
            output[o++] = clamp(avg, p.actMin, p.actMax);
          }
        }
      }
    }
  },

  emitC(p, ctx) {
    return ctx.render('average_pool_2d.c.hbs', poolView(p, ctx.fnName, ctx.input(0), ctx.output(0), 'AVERAGE_POOL_2D', poolTaps(ctx.graph, ctx.op)));
  },
};

// int16 activations (16x8) go to the int16 pool kernel (common/pool_int16.ts)
export default withInt16Variant(averagePool2d, poolInt16('AVERAGE_POOL_2D', 'average_pool_2d_int16.c.hbs'));
