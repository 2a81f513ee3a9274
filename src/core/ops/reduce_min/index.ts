// SPDX-License-Identifier: Apache-2.0
/**
 * REDUCE_MIN, int8, over any constant axes: TFLite Micro's ReduceGeneric with min, starting from 127,
 * on the raw values; like REDUCE_MAX (whose rules it shares) the output must have the input's scale
 * and zero point.
 */
import type { OpDef } from '../op.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatReduce } from '../common/families/float_reduce.ts';
import { type ReduceExtremumParams, checkReduceExtremum, prepareReduceExtremum, reduceExtremum, reductionCView } from '../common/families/reduce.ts';

const reduceMin: OpDef<ReduceExtremumParams> = {
  kind: 'REDUCE_MIN',
  dir: import.meta.dirname,
  check: checkReduceExtremum,
  prepare: prepareReduceExtremum,
  macs: () => 0,

  evaluate: (p, inputs, outputs) => reduceExtremum(p.layout, inputs[0] as Int8Array, outputs[0] as Int8Array, 127, (v, best) => v < best),
  emitC: (p, ctx) => ctx.render('reduce_min.c.hbs', reductionCView(p, ctx)),
};

// float32 layers: TFLite Micro's float ReduceGeneric (common/families/float_reduce.ts)
export default withFloatVariant(reduceMin, floatReduce('REDUCE_MIN'));
