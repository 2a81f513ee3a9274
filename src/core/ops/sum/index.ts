// SPDX-License-Identifier: Apache-2.0
/**
 * SUM, int8, over any constant axes: TFLite Micro's QuantizedMeanOrSum with compute_sum: the raw sum
 * minus z_in·count, requantized by s_in/s_out, plus z_out, clamped to int8.
 */
import type { OpDef } from '../op.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatReduce } from '../common/families/float_reduce.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { meanOrSumInt16 } from '../common/families/mean_sum_int16.ts';
import {
  type MeanOrSumGeometry,
  checkInt8MeanOrSum,
  forEachReduction,
  inputCount,
  meanOrSumCView,
  meanOrSumGeometry,
  rawSum,
  requantizeSum,
} from '../common/families/reduce.ts';

export type SumParams = MeanOrSumGeometry;

const sum: OpDef<SumParams> = {
  kind: 'SUM',
  dir: import.meta.dirname,

  check(graph, op) {
    checkInt8MeanOrSum(graph, op);
    requireLeftShiftFits(op, meanOrSumGeometry(graph, op, true).requant.shift, 's_in/s_out');
  },

  prepare(graph, op) {
    return meanOrSumGeometry(graph, op, true);
  },

  macs: inputCount,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    forEachReduction(p.layout, (offsets) => {
      out[o++] = requantizeSum(rawSum(x, offsets), p.requant, p.outputZeroPoint);
    });
  },

  emitC(p, ctx) {
    return ctx.render('sum.c.hbs', meanOrSumCView(p, ctx));
  },
};

// int16 activations (16x8) go to their own kernel (common/families/mean_sum_int16.ts)
// float32 layers: TFLite Micro's float ReduceGeneric (common/families/float_reduce.ts)
export default withFloatVariant(withInt16Variant(sum, meanOrSumInt16('SUM')), floatReduce('SUM'));
