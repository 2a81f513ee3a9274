// SPDX-License-Identifier: Apache-2.0
/**
 * REDUCE_MAX, int8, over any constant axes: TFLite Micro's ReduceGeneric with max, starting from -128,
 * on the raw values. TFLite Micro requires the output to share the input's scale and zero point.
 */
import { OpError } from '../../errors.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatReduce } from '../common/families/float_reduce.ts';
import type { OpDef } from '../op.ts';
import { f32 } from '../common/numerics/fixedpoint.ts';
import { type ReduceLayout, reduceExtremum, reduceLayout, reductionCView, reductionTensors } from '../common/families/reduce.ts';
import { requireInt8InOut } from '../common/families/elementwise.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface ReduceMaxParams {
  layout: ReduceLayout;
  axes: number[];
}

const reduceMax: OpDef<ReduceMaxParams> = {
  kind: 'REDUCE_MAX',
  dir: import.meta.dirname,

  check(graph, op) {
    const { input, output } = reductionTensors(graph, op);
    requireInt8InOut(op, input, output);
    if (f32(input.quant!.scale[0]!) !== f32(output.quant!.scale[0]!) || input.quant!.zeroPoint[0] !== output.quant!.zeroPoint[0]) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(output)} must have the input's scale and zero point (TFLite Micro requires it); got ${output.quant!.scale[0]} @ ${output.quant!.zeroPoint[0]} for ${input.quant!.scale[0]} @ ${input.quant!.zeroPoint[0]}`,
      );
    }
  },

  prepare(graph, op) {
    const { input, axes } = reductionTensors(graph, op);
    return { layout: reduceLayout(input.shape, axes), axes };
  },

  macs: () => 0,

  evaluate: (p, inputs, outputs) => reduceExtremum(p.layout, inputs[0] as Int8Array, outputs[0] as Int8Array, -128, (v, best) => v > best),
  emitC: (p, ctx) => ctx.render('reduce_max.c.hbs', reductionCView(p, ctx)),
};

// float32 layers: TFLite Micro's float ReduceGeneric (common/families/float_reduce.ts)
export default withFloatVariant(reduceMax, floatReduce('REDUCE_MAX'));
