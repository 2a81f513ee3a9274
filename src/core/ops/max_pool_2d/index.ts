// SPDX-License-Identifier: Apache-2.0
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatPool } from '../common/families/float_pool.ts';
import type { OpDef } from '../op.ts';
import { maxPoolVariants } from '../common/families/pool_variants.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { poolInt16 } from '../common/families/pool_int16.ts';
import { type PoolParams, maxOfTaps, checkPool, forEachPoolWindow, poolTaps, poolView, preparePool } from '../common/families/pool.ts';

/** MAX_POOL_2D, int8 (TFLite Micro's reference): the max of the in-bounds taps, clamped to the fused activation range. */
const maxPool2d: OpDef<PoolParams> = {
  kind: 'MAX_POOL_2D',
  dir: import.meta.dirname,
  check: checkPool,
  prepare: (graph, op) => preparePool(graph, op),
  macs: poolTaps,
  variants: maxPoolVariants,

  evaluate: (p, inputs, outputs) => forEachPoolWindow(p, inputs[0] as Int8Array, outputs[0] as Int8Array, maxOfTaps(-128)),

  emitC(p, ctx) {
    return ctx.render('max_pool_2d.c.hbs', poolView(p, ctx.fnName, ctx.input(0), ctx.output(0), 'MAX_POOL_2D', poolTaps(ctx.graph, ctx.op)));
  },
};

// int16 activations (16x8) go to the int16 pool kernel (common/families/pool_int16.ts)
// float32 layers: TFLite Micro's reference MaxPool<float> (common/families/float_pool.ts)
export default withFloatVariant(withInt16Variant(maxPool2d, poolInt16('MAX_POOL_2D', 'max_pool_2d_int16.c.hbs')), floatPool(true));
