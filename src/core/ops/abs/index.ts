// SPDX-License-Identifier: Apache-2.0
/**
 * ABS, int8 and int16 (TFLite Micro's elementwise.cc). int8: |q − z_in| + z_out, clamped, when the
 * float32 scales are equal; otherwise |q − z_in| requantized by MultiplyByQuantizedMultiplier with
 * s_in/s_out (the division in float32, as TFLM's Prepare does it), + z_out, clamped. Tabulated for
 * the 256 input values. int16 (symmetric, zero points 0): the same arithmetic per element at run
 * time.
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatAbs } from '../common/families/float_elementwise.ts';
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { unaryTensors } from '../common/families/elementwise.ts';
import { tableOp } from '../common/families/table_op.ts';
import { type Int16Tagged, requireInt16Activation, withInt16Variant } from '../common/families/int16_variant.ts';
import { requireInt8Activation } from '../common/families/weighted.ts';

export interface AbsQuant {
  inputZeroPoint: number;
  outputZeroPoint: number;
  needsRescale: boolean;
  multiplier: number;
  shift: number;
}

export function absQuant(graph: Graph, op: Op): AbsQuant {
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  const si = f32(input.quant!.scale[0]!);
  const so = f32(output.quant!.scale[0]!);
  const needsRescale = si !== so;
  // TFLM: static_cast<double>(input_scale / output_scale), the division in float
  const m = needsRescale ? quantizeMultiplier(f32(si / so)) : { multiplier: 0, shift: 0 };
  return { inputZeroPoint: input.quant!.zeroPoint[0]!, outputZeroPoint: output.quant!.zeroPoint[0]!, needsRescale, multiplier: m.multiplier, shift: m.shift };
}

/** One element, int8 (lo -128, hi 127) or int16. */
export function absValue(q: number, p: AbsQuant, lo = -128, hi = 127): number {
  const value = Math.abs(q - p.inputZeroPoint);
  if (!p.needsRescale) return clamp(value + p.outputZeroPoint, lo, hi);
  return clamp(mbqm(value, p.multiplier, p.shift) + p.outputZeroPoint, lo, hi);
}

/** int8 (bits 8) or int16 (bits 16) in and out, and a rescale TFLite Micro can run. */
function checkAbs(graph: Graph, op: Op, bits: 8 | 16): void {
  const { input, output } = unaryTensors(graph, op);
  const requireActivation = bits === 8 ? requireInt8Activation : requireInt16Activation;
  requireActivation(op, input, 'input');
  requireActivation(op, output, 'output');
  const p = absQuant(graph, op);
  if (p.needsRescale && p.shift > 30)
    throw new OpError(op.index, op.kind, `output scale ${output.quant!.scale[0]} is too small for the input scale ${input.quant!.scale[0]}`);
}

const absInt8 = tableOp<AbsQuant>({
  kind: 'ABS',
  dir: import.meta.dirname,
  template: 'abs.c.hbs',
  check: (graph, op) => checkAbs(graph, op, 8),
  quantize: absQuant,
  value: (q, p) => absValue(q, p),
});

interface AbsInt16Params extends Int16Tagged, AbsQuant {
  size: number;
}

// float32 layers: std::abs on the bits (common/families/float_elementwise.ts)
const abs = withInt16Variant(absInt8, {
  check: (graph, op) => checkAbs(graph, op, 16),
  prepare(graph, op): AbsInt16Params {
    return { activationBits: 16, size: elementCount(graph.tensors[op.inputs[0]!]!.shape), ...absQuant(graph, op) };
  },
  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int16Array;
    const output = outputs[0] as Int16Array;
    for (let i = 0; i < p.size; i++) output[i] = absValue(input[i]!, p, -32768, 32767);
  },
  emitC(p, ctx) {
    return ctx.render('abs_int16.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
    });
  },
});

export default withFloatVariant(abs, floatAbs);
