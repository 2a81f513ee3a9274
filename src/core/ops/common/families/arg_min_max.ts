// SPDX-License-Identifier: Apache-2.0
/**
 * ARG_MIN / ARG_MAX shared work: TFLite Micro's ArgMinMax keeps the first index whose raw value
 * beats every earlier one along the constant axis (ties keep the earlier index); the two ops only
 * differ in the comparison (std::less / std::greater) and the template that spells it in C.
 */
import type { DType } from '../../../ir/graph.ts';
import { DTYPE_C } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';

export interface ArgMinMaxParams {
  outer: number;
  axisSize: number;
  inner: number;
  axis: number;
  inputType: DType;
  outputType: DType;
}

/** the reference kernel; `beats(v, best)` is true when v replaces the best value so far */
export function evaluateArgMinMax(
  p: ArgMinMaxParams,
  x: Int8Array | Int16Array | Int32Array | Float32Array,
  out: Int32Array | BigInt64Array,
  beats: (v: number, best: number) => boolean,
): void {
  for (let o = 0; o < p.outer; o++) {
    for (let i = 0; i < p.inner; i++) {
      const base = o * p.axisSize * p.inner + i;
      let best = x[base]!;
      let index = 0;
      for (let k = 1; k < p.axisSize; k++) {
        const v = x[base + k * p.inner]!;
        if (beats(v, best)) {
          best = v;
          index = k;
        }
      }
      if (out instanceof BigInt64Array) out[o * p.inner + i] = BigInt(index);
      else out[o * p.inner + i] = index;
    }
  }
}

/** renders the op's own template (arg_min.c.hbs / arg_max.c.hbs) with the shared view */
export function emitArgMinMax(template: string, p: ArgMinMaxParams, ctx: LayerEmitContext): string {
  const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  return ctx.render(template, {
    ...p,
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    inCtype: DTYPE_C[p.inputType],
    outCtype: DTYPE_C[p.outputType],
    inShape: input.shape.join('x'),
    stride: p.axisSize * p.inner,
  });
}
