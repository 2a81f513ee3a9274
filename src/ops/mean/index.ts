/**
 * MEAN, int8, over any constant axes (global average pooling from Keras and PyTorch exports is MEAN
 * over H and W): TFLite Micro's EvalIntegerMean. When input and output share scale and zero point it
 * is reference_ops::Mean: the raw sum divided by the count in C integer division (truncating, zero
 * point included). Otherwise QuantizedMeanOrSum: sum - z_in·count, requantized by s_in/s_out with
 * 1/count folded into the multiplier, plus z_out, clamped.
 */
import { f32 } from '../common/fixedpoint.ts';
import type { OpDef } from '../op.ts';
import {
  type MeanOrSumGeometry, checkInt8MeanOrSum, forEachReduction, inputCount, meanOrSumCView, meanOrSumGeometry, rawSum,
  requantizeSum,
} from '../common/reduce.ts';

export interface MeanParams extends MeanOrSumGeometry {
  /** same quantization in and out: plain truncating division of the raw sum */
  divide: boolean;
}

const mean: OpDef<MeanParams> = {
  kind: 'MEAN',
  dir: import.meta.dirname,

  check: checkInt8MeanOrSum,

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!.quant!;
    const output = graph.tensors[op.outputs[0]!]!.quant!;
    return {
      ...meanOrSumGeometry(graph, op, false),
      divide: input.zeroPoint[0]! === output.zeroPoint[0]! && f32(input.scale[0]!) === f32(output.scale[0]!),
    };
  },

  macs: inputCount,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    const count = p.layout.reducedCount;
    let o = 0;
    forEachReduction(p.layout, (offsets) => {
      const sum = rawSum(x, offsets);
      out[o++] = p.divide ? Math.trunc(sum / count) : requantizeSum(sum, p.requant, p.outputZeroPoint);
    });
  },

  emitC(p, ctx) {
    return ctx.render('mean.c.hbs', { ...meanOrSumCView(p, ctx), divide: p.divide });
  },
};

export default mean;
