// SPDX-License-Identifier: Apache-2.0
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatPool } from '../common/families/float_pool.ts';
import type { OpDef } from '../op.ts';
import { avgPoolVariants } from '../common/families/pool_variants.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { ortAveragePoolKernel, withOrtArithmetic } from '../common/families/ort_kernels.ts';
import { poolInt16 } from '../common/families/pool_int16.ts';
import { type PoolParams, averageOfTaps, checkPool, forEachPoolWindow, poolSumView, poolTaps, poolView, preparePool } from '../common/families/pool.ts';

/**
 * AVERAGE_POOL_2D, int8 (TFLite Micro's reference): the mean of the in-bounds taps only, rounded
 * half away from zero with C integer division, clamped to the fused activation range.
 */
const averagePool2d: OpDef<PoolParams> = {
  kind: 'AVERAGE_POOL_2D',
  dir: import.meta.dirname,
  check: checkPool,
  prepare: (graph, op) => preparePool(graph, op),
  macs: poolTaps,
  variants: avgPoolVariants,

  evaluate: (p, inputs, outputs) => forEachPoolWindow(p, inputs[0] as Int8Array, outputs[0] as Int8Array, averageOfTaps),

  emitC(p, ctx) {
    return ctx.render('average_pool_2d.c.hbs', {
      ...poolView(p, ctx.fnName, ctx.input(0), ctx.output(0), 'AVERAGE_POOL_2D', poolTaps(ctx.graph, ctx.op)),
      ...poolSumView(p, 8),
    });
  },
};

// int16 activations (16x8) go to the int16 pool kernel (common/families/pool_int16.ts)
// layers imported from ONNX: QLinearAveragePool's float32 arithmetic (common/families/ort_kernels.ts)
// float32 layers: TFLite Micro's reference AveragePool<float> (common/families/float_pool.ts)
export default withFloatVariant(
  withOrtArithmetic(withInt16Variant(averagePool2d, poolInt16('AVERAGE_POOL_2D', 'average_pool_2d_int16.c.hbs')), ortAveragePoolKernel),
  floatPool(false),
);
