/**
 * ARG_MIN along one constant axis: TFLite Micro's ArgMinMax with std::less, the first index of the
 * smallest raw value (ties keep the earlier index). int8 input (TFLite Micro's integer type; float32
 * and uint8 aside), int32 or int64 output. The rules and layout are ARG_MAX's.
 */
import { OpError } from '../../errors.ts';
import { DTYPE_C } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import argMax, { type ArgMaxParams } from '../arg_max/index.ts';
import { tensorLabel } from '../common/weighted.ts';

const argMin: OpDef<ArgMaxParams> = {
  kind: 'ARG_MIN',
  dir: import.meta.dirname,

  check(graph, op) {
    argMax.check(graph, op);
    const input = graph.tensors[op.inputs[0]!]!;
    if (input.dtype !== 'int8') throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's ARG_MIN supports int8 (and float32, uint8)`);
  },

  prepare: (graph, op) => argMax.prepare(graph, op),
  macs: () => 0,

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int32Array | BigInt64Array;
    for (let o = 0; o < p.outer; o++) {
      for (let i = 0; i < p.inner; i++) {
        const base = o * p.axisSize * p.inner + i;
        let best = x[base]!;
        let index = 0;
        for (let k = 1; k < p.axisSize; k++) {
          const v = x[base + k * p.inner]!;
          if (v < best) {
            best = v;
            index = k;
          }
        }
        if (out instanceof BigInt64Array) out[o * p.inner + i] = BigInt(index);
        else out[o * p.inner + i] = index;
      }
    }
  },

  emitC(p, ctx) {
    const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
    return ctx.render('arg_min.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inCtype: DTYPE_C[p.inputType],
      outCtype: DTYPE_C[p.outputType],
      inShape: input.shape.join('x'),
      stride: p.axisSize * p.inner,
    });
  },
};

export default argMin;
