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
  type MeanOrSumRequant, type ReduceLayout, forEachReduction, inputCount, meanOrSumRequant, reduceCView, reduceLayout,
  reductionTensors, requantizeSum,
} from '../common/reduce.ts';
import { rejectInt16 } from '../common/elementwise.ts';
import { cTerm, requireInt8Activation } from '../common/weighted.ts';

export interface MeanParams {
  layout: ReduceLayout;
  axes: number[];
  /** same quantization in and out: plain truncating division of the raw sum */
  divide: boolean;
  requant: MeanOrSumRequant;
  outputZeroPoint: number;
}

const mean: OpDef<MeanParams> = {
  kind: 'MEAN',
  dir: import.meta.dirname,

  check(graph, op) {
    const { input, output } = reductionTensors(graph, op);
    rejectInt16(op, input, 'input');
    requireInt8Activation(op, input, 'input');
    requireInt8Activation(op, output, 'output');
  },

  prepare(graph, op) {
    const { input, output, axes } = reductionTensors(graph, op);
    const layout = reduceLayout(input.shape, axes);
    const [si, zi] = [input.quant!.scale[0]!, input.quant!.zeroPoint[0]!];
    const [so, zo] = [output.quant!.scale[0]!, output.quant!.zeroPoint[0]!];
    return {
      layout,
      axes,
      divide: zi === zo && f32(si) === f32(so),
      requant: meanOrSumRequant(si, so, zi, layout.reducedCount, false),
      outputZeroPoint: zo,
    };
  },

  macs: inputCount,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    const count = p.layout.reducedCount;
    let o = 0;
    forEachReduction(p.layout, (offsets) => {
      let sum = 0;
      for (const i of offsets) sum = (sum + x[i]!) | 0;
      out[o++] = p.divide ? Math.trunc(sum / count) : requantizeSum(sum, p.requant, p.outputZeroPoint);
    });
  },

  emitC(p, ctx) {
    const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
    const output = ctx.graph.tensors[ctx.op.outputs[0]!]!;
    return ctx.render('mean.c.hbs', {
      ...reduceCView(p.layout),
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inShape: input.shape.join('x'),
      outShape: output.shape.join('x'),
      axes: p.axes.join(','),
      count: p.layout.reducedCount,
      divide: p.divide,
      multiplier: p.requant.multiplier,
      shift: p.requant.shift,
      zeroPointTimesCount: p.requant.zeroPointTimesCount,
      outputZeroPoint: cTerm(p.outputZeroPoint),
    });
  },
};

export default mean;
