// SPDX-License-Identifier: Apache-2.0
/**
 * REDUCE_MAX, int8, over any constant axes: TFLite Micro's ReduceGeneric with max, starting from -128,
 * on the raw values. TFLite Micro requires the output to share the input's scale and zero point.
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatReduce } from '../common/families/float_reduce.ts';
import type { OpDef } from '../op.ts';
import { type ReduceExtremumParams, checkReduceExtremum, prepareReduceExtremum, reduceExtremum, reductionCView } from '../common/families/reduce.ts';

const reduceMax: OpDef<ReduceExtremumParams> = {
  kind: 'REDUCE_MAX',
  dir: import.meta.dirname,

  check: checkReduceExtremum,
  prepare: prepareReduceExtremum,
  macs: () => 0,

  evaluate: (p, inputs, outputs) => reduceExtremum(p.layout, inputs[0] as Int8Array, outputs[0] as Int8Array, -128, (v, best) => v > best),
  emitC: (p, ctx) => ctx.render('reduce_max.c.hbs', reductionCView(p, ctx)),
};

// float32 layers: TFLite Micro's float ReduceGeneric (common/families/float_reduce.ts)
export default withFloatVariant(reduceMax, floatReduce('REDUCE_MAX'));
