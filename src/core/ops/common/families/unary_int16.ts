// SPDX-License-Identifier: Apache-2.0
/**
 * The shape of an elementwise one-input 16x8 op (RELU, RELU6, LEAKY_RELU): int16 in, int16 out, each
 * output element a function of its input element alone, written once in TS (the reference) and once
 * as a C expression of `x` (the int16 input element widened to int32). An int8 op tabulates its 256
 * inputs; 65536 int16 inputs would not fit a microcontroller's flash, so the C computes the value.
 */
import { elementCount } from '../../../ir/graph.ts';
import type { Graph, Op } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from './int16_variant.ts';
import { unaryTensors } from './elementwise.ts';

export interface UnaryInt16Params<Q> extends Int16Tagged {
  size: number;
  quant: Q;
}

export interface UnaryInt16Spec<Q> {
  /** extra checks beyond "int16 in and out, same shape" */
  check?(graph: Graph, op: Op): void;
  quantize(graph: Graph, op: Op): Q;
  value(x: number, q: Q): number;
  /** the C expression of the output element (an int32 in the int16 range) from `x` */
  cExpr(q: Q): string;
  /** one line for the layer comment */
  describe(q: Q): string;
}

export function unaryInt16<Q>(spec: UnaryInt16Spec<Q>): Int16Variant<UnaryInt16Params<Q>> {
  return {
    check(graph, op) {
      const { input, output } = unaryTensors(graph, op);
      requireInt16Activation(op, input, 'input');
      requireInt16Activation(op, output, 'output');
      spec.check?.(graph, op);
    },
    prepare(graph, op) {
      return { activationBits: 16, size: elementCount(graph.tensors[op.inputs[0]!]!.shape), quant: spec.quantize(graph, op) };
    },
    evaluate(p, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]) {
      const x = inputs[0] as Int16Array;
      const out = outputs[0] as Int16Array;
      for (let i = 0; i < p.size; i++) out[i] = spec.value(x[i]!, p.quant);
    },
    emitC(p, ctx) {
      return ctx.render('../common/families/unary_int16.c.hbs', {
        fnName: ctx.fnName,
        kind: ctx.op.kind,
        input: ctx.input(0),
        output: ctx.output(0),
        size: p.size,
        shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
        what: spec.describe(p.quant),
        expr: spec.cExpr(p.quant),
      });
    },
  };
}
