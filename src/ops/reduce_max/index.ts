/**
 * REDUCE_MAX, int8, over any constant axes: TFLite Micro's ReduceGeneric with max, starting from -128,
 * on the raw values. TFLite Micro requires the output to share the input's scale and zero point.
 */
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { f32 } from '../common/fixedpoint.ts';
import { type ReduceLayout, forEachReduction, inputCount, reduceCView, reduceLayout, reductionTensors } from '../common/reduce.ts';
import { rejectInt16 } from '../common/elementwise.ts';
import { requireInt8Activation, tensorLabel } from '../common/weighted.ts';

export interface ReduceMaxParams {
  layout: ReduceLayout;
  axes: number[];
}

const reduceMax: OpDef<ReduceMaxParams> = {
  kind: 'REDUCE_MAX',
  dir: import.meta.dirname,

  check(graph, op) {
    const { input, output } = reductionTensors(graph, op);
    rejectInt16(op, input, 'input');
    requireInt8Activation(op, input, 'input');
    requireInt8Activation(op, output, 'output');
    if (f32(input.quant!.scale[0]!) !== f32(output.quant!.scale[0]!) || input.quant!.zeroPoint[0] !== output.quant!.zeroPoint[0]) {
      throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have the input's scale and zero point (TFLite Micro requires it); got ${output.quant!.scale[0]} @ ${output.quant!.zeroPoint[0]} for ${input.quant!.scale[0]} @ ${input.quant!.zeroPoint[0]}`);
    }
  },

  prepare(graph, op) {
    const { input, axes } = reductionTensors(graph, op);
    return { layout: reduceLayout(input.shape, axes), axes };
  },

  macs: () => 0,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    forEachReduction(p.layout, (offsets) => {
      let best = -128;
      for (const i of offsets) if (x[i]! > best) best = x[i]!;
      out[o++] = best;
    });
  },

  emitC(p, ctx) {
    const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
    const output = ctx.graph.tensors[ctx.op.outputs[0]!]!;
    return ctx.render('reduce_max.c.hbs', {
      ...reduceCView(p.layout),
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inShape: input.shape.join('x'),
      outShape: output.shape.join('x'),
      axes: p.axes.join(','),
      count: p.layout.reducedCount,
    });
  },
};

export default reduceMax;
