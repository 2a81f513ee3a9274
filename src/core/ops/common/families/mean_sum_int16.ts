// SPDX-License-Identifier: Apache-2.0
/**
 * MEAN and SUM 16x8: TFLite Micro's EvalIntegerMean<int16_t> / QuantizedMeanOrSum<int16_t, int32_t>,
 * the int8 algorithms on int16 tensors (zero points 0): an int32 sum per output element (wrapping as
 * TFLite's int32 accumulator does), then the requantization by s_in/s_out (1/count folded into the
 * multiplier for MEAN, see meanOrSumRequant), clamped to int16.
 * Surprise (checked against tflm-ref): an int16 MEAN whose input and output share their quantization
 * does NOT take reference_ops::Mean's truncating sum/count division (nor integer_ops::Mean's rounding
 * division for 4-D H,W means): TFLite Micro at this commit always requantizes, as for int8.
 */
import { clamp, mbqm } from '../numerics/fixedpoint.ts';
import { requireLeftShiftFits } from '../numerics/multiplier_fits.ts';
import type { Graph, Op } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import { meanOrSumInt16Variants } from './mean_sum_int16_variants.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from './int16_variant.ts';
import { type MeanOrSumGeometry, forEachReduction, inputCount, meanOrSumCView, meanOrSumGeometry, reductionTensors } from './reduce.ts';

export type MeanOrSumInt16Params = MeanOrSumGeometry & Int16Tagged;

export function meanOrSumInt16(kind: 'MEAN' | 'SUM'): Int16Variant<MeanOrSumInt16Params> {
  const computeSum = kind === 'SUM';
  return {
    check(graph: Graph, op: Op) {
      const { input, output } = reductionTensors(graph, op);
      requireInt16Activation(op, input, 'input');
      requireInt16Activation(op, output, 'output');
      requireLeftShiftFits(op, meanOrSumGeometry(graph, op, computeSum).requant.shift, computeSum ? 's_in/s_out' : 's_in/(count·s_out)');
    },
    prepare(graph: Graph, op: Op) {
      return {
        activationBits: 16,
        ...meanOrSumGeometry(graph, op, computeSum),
      };
    },
    macs: inputCount,
    evaluate(p, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]) {
      const x = inputs[0] as Int16Array;
      const out = outputs[0] as Int16Array;
      let o = 0;
      forEachReduction(p.layout, (offsets) => {
        let sum = 0;
        for (const i of offsets) sum = (sum + x[i]!) | 0;
        out[o++] = clamp(mbqm(sum, p.requant.multiplier, p.requant.shift), -32768, 32767);
      });
    },
    emitC(p, ctx) {
      return ctx.render('../common/families/mean_sum_int16.c.hbs', { ...meanOrSumCView(p, ctx), kind });
    },
    variants: meanOrSumInt16Variants(kind),
  };
}
