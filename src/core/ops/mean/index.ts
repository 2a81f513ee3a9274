// SPDX-License-Identifier: Apache-2.0
import { ortMeanKernel, ortMeanSelects, withOrtArithmetic } from '../common/families/ort_kernels.ts';
/**
 * MEAN, int8, over any constant axes (global average pooling from Keras and PyTorch exports is MEAN
 * over H and W): TFLite Micro's EvalIntegerMean, which at the pinned commit takes ONE path for every
 * int8 MEAN: QuantizedMeanOrSum with compute_sum = false. The int32 raw sum minus z_in·count is
 * requantized by s_in/s_out with 1/count folded into the multiplier (see meanOrSumRequant), plus z_out,
 * clamped. There is no special case: not for a 4-D reduction over H and W (older TFLite Micro and
 * desktop TFLite have an integer_ops::Mean path there that divides with rounding), and not for a shared
 * input/output quantization (older versions, and reference_ops::Mean, divide the raw sum by the count
 * with C's truncating division; taking that path here put most random shared-quantization cases one
 * step off TFLite Micro, a likely cause of PyTorch MobileNetV2 exports disagreeing after global
 * pooling). Checked against tflm-ref on random shapes, axes and scales.
 */
import type { OpDef } from '../op.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatReduce } from '../common/families/float_reduce.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { meanOrSumInt16 } from '../common/families/mean_sum_int16.ts';
import { meanWordsVariants } from './words.ts';
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

export type MeanParams = MeanOrSumGeometry;

const mean: OpDef<MeanParams> = {
  kind: 'MEAN',
  dir: import.meta.dirname,

  check(graph, op) {
    checkInt8MeanOrSum(graph, op);
    requireLeftShiftFits(op, meanOrSumGeometry(graph, op, false).requant.shift, 's_in/(count·s_out)');
  },

  prepare(graph, op) {
    return meanOrSumGeometry(graph, op, false);
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

  variants: meanWordsVariants,
  emitC(p, ctx) {
    return ctx.render('mean.c.hbs', meanOrSumCView(p, ctx));
  },
};

// int16 activations (16x8) go to their own kernel (common/families/mean_sum_int16.ts)
// MEAN over H, W imported from ONNX (GlobalAveragePool): QLinearGlobalAveragePool's arithmetic (common/families/ort_kernels.ts)
// float32 layers: TFLite Micro's float Mean (common/families/float_reduce.ts)
export default withFloatVariant(withOrtArithmetic(withInt16Variant(mean, meanOrSumInt16('MEAN')), ortMeanKernel, ortMeanSelects), floatReduce('MEAN'));
