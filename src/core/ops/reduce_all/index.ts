// SPDX-License-Identifier: Apache-2.0
/**
 * REDUCE_ALL: the logical AND of a bool tensor over constant axes (TFLite Micro's reduce.cc,
 * EvalAllHelper: ReduceGeneric starting from true). TFLite Micro accepts a bool input and output only
 * and an int32 axis tensor; axes may be negative or repeated (resolved once each), keep_dims keeps
 * the reduced dimensions as 1. Reducing no axis copies the input.
 */
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { type ReduceLayout, forEachReduction, reduceLayout, reductionCView, reductionTensors } from '../common/families/reduce.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';

export interface ReduceAllParams {
  layout: ReduceLayout;
  axes: number[];
}

const reduceAll: OpDef<ReduceAllParams> = {
  kind: 'REDUCE_ALL',
  dir: import.meta.dirname,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    if (input.dtype !== 'bool')
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's REDUCE_ALL supports bool only`);
    const axis = requireInput(graph, op, 1, 'axis');
    if (axis.dtype !== 'int32') throw new OpError(op.index, op.kind, `axis ${tensorLabel(axis)} is ${axis.dtype}; TFLite Micro's REDUCE_ALL needs int32`);
    const { output } = reductionTensors(graph, op);
    if (output.dtype !== 'bool') throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; expected bool, the input's type`);
  },

  prepare(graph, op) {
    const { input, axes } = reductionTensors(graph, op);
    return { layout: reduceLayout(input.shape, axes), axes };
  },

  macs: () => 0,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Uint8Array;
    const out = outputs[0] as Uint8Array;
    let o = 0;
    forEachReduction(p.layout, (offsets) => {
      let all = 1;
      for (const i of offsets) all = x[i] && all ? 1 : 0;
      out[o++] = all;
    });
  },

  emitC: (p, ctx) => ctx.render('reduce_all.c.hbs', reductionCView(p, ctx)),
};

export default reduceAll;
