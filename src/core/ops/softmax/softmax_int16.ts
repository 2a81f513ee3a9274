// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX 16x8: int16 input and output (zero points 0, output scale 1/32768), TFLite Micro's
 * SoftmaxInt16: the input difference from the row maximum is scaled so that [-65535, 0] spans
 * [-10, 0], looked up in an interpolating exp table, summed, the sum's reciprocal looked up in a
 * 1/(1+x) table, and each exp rescaled by it. Both 513-entry tables are TFLite's gen_lut output,
 * computed here in float32 at compile time and emitted as const arrays.
 */
import { ACC32_LIMIT } from '../common/numerics/accumulator_bound.ts';
import { OpError } from '../../errors.ts';
import { type Graph, type Op, type SoftmaxAttrs, elementCount } from '../../ir/graph.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { type Int16Tagged, type Int16Variant, requireInt16Activation } from '../common/families/int16_variant.ts';
import { expF32, genLutInt16, lutLookupInt16, oneOverOnePlusXF32 } from '../common/numerics/lut_int16.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface SoftmaxInt16Params extends Int16Tagged {
  outer: number;
  depth: number;
  inputMultiplier: number;
  inputShift: number;
}

let tables: { exp: Int16Array; reciprocal: Int16Array } | undefined;

/** exp over [-10, 0] and 1/(1+x) over [0, 1], both to [-1, 1] in int16 (the same for every layer). */
export function softmaxInt16Tables(): { exp: Int16Array; reciprocal: Int16Array } {
  tables ??= {
    exp: genLutInt16(expF32, -10, 0, -1, 1),
    reciprocal: genLutInt16(oneOverOnePlusXF32, 0, 1, -1, 1),
  };
  return tables;
}

function check(graph: Graph, op: Op): void {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  requireInt16Activation(op, input, 'input');
  requireInt16Activation(op, output, 'output');
  if (input.shape.length < 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is a scalar; softmax needs at least one axis`);
  if (output.shape.join(',') !== input.shape.join(',')) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected the input's [${input.shape.join(',')}]`,
    );
  }
  const scale = f32(output.quant!.scale[0]!);
  if (!(Math.abs(scale - 1 / 32768) <= f32(0.001 / 32768))) {
    throw new OpError(op.index, op.kind, `int16 output ${tensorLabel(output)} has scale ${scale}; TFLite requires 1/32768`);
  }
  const beta = (op.attrs as unknown as SoftmaxAttrs).beta ?? 1;
  if (!(beta > 0)) throw new OpError(op.index, op.kind, `beta is ${beta}; it must be positive`);
  // TFLite Micro sums the Q0.15 exps (each <= 32767) in int32: past 65,538 a row can wrap it negative,
  // and its normalisation then shifts by -1 (undefined in C and in TFLite Micro)
  const depth = input.shape[input.shape.length - 1]!;
  if (depth * 32767 > ACC32_LIMIT)
    throw new OpError(
      op.index,
      op.kind,
      `rows of ${depth}: the int32 sum of exps reaches ${depth} x 32767, past 2^31, where TFLite Micro's int16 softmax is undefined (at most 65,538)`,
    );
}

function prepare(graph: Graph, op: Op): SoftmaxInt16Params {
  const input = graph.tensors[op.inputs[0]!]!;
  const depth = input.shape[input.shape.length - 1]!;
  const beta = f32((op.attrs as unknown as SoftmaxAttrs).beta ?? 1);
  // [-65535, 0] of the scaled difference is [-10, 0]
  const q = quantizeMultiplier((f32(input.quant!.scale[0]!) * beta) / (10 / 65535));
  return {
    activationBits: 16,
    outer: depth === 0 ? 0 : elementCount(input.shape) / depth,
    depth,
    inputMultiplier: q.multiplier,
    inputShift: q.shift,
  };
}

export const softmaxInt16: Int16Variant<SoftmaxInt16Params> = {
  check,
  prepare,
  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int16Array;
    const output = outputs[0] as Int16Array;
    const { exp, reciprocal } = softmaxInt16Tables();
    const exps = new Int16Array(p.depth);
    for (let row = 0; row < p.outer; row++) {
      const base = row * p.depth;
      let max = -32768;
      for (let c = 0; c < p.depth; c++) max = Math.max(max, input[base + c]!);
      let sum = 0;
      for (let c = 0; c < p.depth; c++) {
        const scaled = mbqm(input[base + c]! - max, p.inputMultiplier, p.inputShift);
        exps[c] = lutLookupInt16(clamp(scaled + 32767, -32768, 32767), exp);
        sum = (sum + exps[c]!) | 0;
      }
      const headroomPlusOne = Math.clz32(sum);
      const shiftedSum = Math.floor((sum * 2 ** (headroomPlusOne - 1) + (1 << 13)) / 2 ** 14);
      const recip = lutLookupInt16(clamp(shiftedSum - ((1 << 15) + (1 << 16)), -32768, 32767), reciprocal);
      const rightShift = 31 - headroomPlusOne;
      for (let c = 0; c < p.depth; c++) {
        const result = Math.floor((exps[c]! * recip + 2 ** (rightShift - 1)) / 2 ** rightShift);
        output[base + c] = clamp(result, 0, 32767);
      }
    }
  },
  emitC(p, ctx) {
    const { exp, reciprocal } = softmaxInt16Tables();
    return ctx.render('softmax_int16.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
      input: ctx.input(0),
      output: ctx.output(0),
      expLut: ctx.addConst('exp_lut', 'int16_t', exp),
      reciprocalLut: ctx.addConst('recip_lut', 'int16_t', reciprocal),
    });
  },
};
