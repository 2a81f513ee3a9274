/**
 * REDUCE_MIN, int8, over any constant axes: TFLite Micro's ReduceGeneric with min, starting from 127,
 * on the raw values; like REDUCE_MAX (whose rules it shares) the output must have the input's scale
 * and zero point.
 */
import type { OpDef } from '../op.ts';
import reduceMax, { type ReduceMaxParams } from '../reduce_max/index.ts';
import { forEachReduction, reduceCView } from '../common/reduce.ts';

const reduceMin: OpDef<ReduceMaxParams> = {
  kind: 'REDUCE_MIN',
  dir: import.meta.dirname,
  check: (graph, op) => reduceMax.check(graph, op),
  prepare: (graph, op) => reduceMax.prepare(graph, op),
  macs: () => 0,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    forEachReduction(p.layout, (offsets) => {
      let best = 127;
      for (const i of offsets) if (x[i]! < best) best = x[i]!;
      out[o++] = best;
    });
  },

  emitC(p, ctx) {
    const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
    const output = ctx.graph.tensors[ctx.op.outputs[0]!]!;
    return ctx.render('reduce_min.c.hbs', {
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

export default reduceMin;
