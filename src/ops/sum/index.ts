/**
 * SUM, int8, over any constant axes: TFLite Micro's QuantizedMeanOrSum with compute_sum: the raw sum
 * minus z_in·count, requantized by s_in/s_out, plus z_out, clamped to int8.
 */
import type { OpDef } from '../op.ts';
import {
  type MeanOrSumRequant, type ReduceLayout, forEachReduction, inputCount, meanOrSumRequant, reduceCView, reduceLayout,
  reductionTensors, requantizeSum,
} from '../common/reduce.ts';
import { rejectInt16 } from '../common/elementwise.ts';
import { cTerm, requireInt8Activation } from '../common/weighted.ts';

export interface SumParams {
  layout: ReduceLayout;
  axes: number[];
  requant: MeanOrSumRequant;
  outputZeroPoint: number;
}

const sum: OpDef<SumParams> = {
  kind: 'SUM',
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
    return {
      layout,
      axes,
      requant: meanOrSumRequant(input.quant!.scale[0]!, output.quant!.scale[0]!, input.quant!.zeroPoint[0]!, layout.reducedCount, true),
      outputZeroPoint: output.quant!.zeroPoint[0]!,
    };
  },

  macs: inputCount,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    forEachReduction(p.layout, (offsets) => {
      let total = 0;
      for (const i of offsets) total = (total + x[i]!) | 0;
      out[o++] = requantizeSum(total, p.requant, p.outputZeroPoint);
    });
  },

  emitC(p, ctx) {
    const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
    const output = ctx.graph.tensors[ctx.op.outputs[0]!]!;
    return ctx.render('sum.c.hbs', {
      ...reduceCView(p.layout),
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inShape: input.shape.join('x'),
      outShape: output.shape.join('x'),
      axes: p.axes.join(','),
      count: p.layout.reducedCount,
      multiplier: p.requant.multiplier,
      shift: p.requant.shift,
      zeroPointTimesCount: p.requant.zeroPointTimesCount,
      outputZeroPoint: cTerm(p.outputZeroPoint),
    });
  },
};

export default sum;
