// SPDX-License-Identifier: Apache-2.0
/**
 * The int16 (16x8) variant of LOGISTIC and TANH: TFLite Micro's int16 kernels, symmetric int16 in and
 * out (zero points 0), output scale 2^-15. The input is rescaled onto the sigmoid table by a small
 * multiplier and a rounding shift (sigmoid_int16.ts), then looked up and interpolated per element.
 * Each op wraps its int8 definition with this variant and keeps its C template beside it.
 */
import { OpError } from '../../../errors.ts';
import { type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from './int16_variant.ts';
import {
  type Int16ActivationScaling,
  checkedLog2,
  int16ActivationScaling,
  logisticInt16,
  scaleInt16ActivationInput,
  tanhInt16,
} from '../numerics/sigmoid_int16.ts';
import { requireInput, requireOutput, tensorLabel } from './weighted.ts';

export interface SigmoidInt16Params extends Int16Tagged, Int16ActivationScaling {
  size: number;
}

export function sigmoidInt16Variant(kind: 'LOGISTIC' | 'TANH', template: string): Int16Variant<SigmoidInt16Params> {
  const f = kind === 'LOGISTIC' ? logisticInt16 : tanhInt16;
  return {
    check(graph: Graph, op: Op) {
      const input = requireInput(graph, op, 0, 'input');
      const output = requireOutput(graph, op);
      requireInt16Activation(op, input, 'input');
      requireInt16Activation(op, output, 'output');
      if (input.shape.join(',') !== output.shape.join(',')) {
        throw new OpError(
          op.index,
          op.kind,
          `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected the input's [${input.shape.join(',')}]`,
        );
      }
      const out = checkedLog2(output.quant!.scale[0]!);
      if (!out.exact || out.log2 !== -15)
        throw new OpError(op.index, op.kind, `int16 output ${tensorLabel(output)} has scale ${output.quant!.scale[0]}; TFLite requires 2^-15`);
      const s = int16ActivationScaling(kind, input.quant!.scale[0]!);
      if (s.multiplier > 32767)
        throw new OpError(
          op.index,
          op.kind,
          `input ${tensorLabel(input)} scale ${input.quant!.scale[0]} is too large for TFLite's int16 ${kind.toLowerCase()} (above 32767/12288)`,
        );
    },
    prepare(graph: Graph, op: Op): SigmoidInt16Params {
      const input = graph.tensors[op.inputs[0]!]!;
      return { activationBits: 16, size: elementCount(input.shape), ...int16ActivationScaling(kind, input.quant!.scale[0]!) };
    },
    evaluate(p, inputs, outputs) {
      const input = inputs[0] as Int16Array;
      const output = outputs[0] as Int16Array;
      for (let i = 0; i < p.size; i++) output[i] = f(scaleInt16ActivationInput(input[i]!, p));
    },
    emitC(p, ctx) {
      return ctx.render(template, {
        ...p,
        fnName: ctx.fnName,
        input: ctx.input(0),
        output: ctx.output(0),
        round: p.shift > 0 ? 1 << (p.shift - 1) : 0,
        shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
      });
    },
  };
}
