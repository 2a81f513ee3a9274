// SPDX-License-Identifier: Apache-2.0
/**
 * RSQRT, int8 and int16 (TFLite Micro's elementwise.cc). For v = q − z_in > 0: 1/sqrt(v) as a
 * quantized multiplier (GetInvSqrtQuantizedMultiplierExp, Newton-Raphson in Q3.28), brought to an
 * integer scaled by 2^20 (MBQM of 1), then requantized by 1/(sqrt(s_in)·s_out) (double) with the
 * 2^20 taken back out of the shift (the multiplier's sqrt and product are float32 in TFLM, only the
 * reciprocal is double); z_out added and clamped. v = 0 gives the type's maximum. int8 is
 * tabulated for the 256 input values; int16 (zero points 0) runs the arithmetic per element.
 *
 * TFLM surprise: an input below the zero point (a negative real value) makes TFLM's Invoke fail
 * ("Rsqrt is only defined for positive values"). A compiled model cannot fail mid-inference, so here
 * such inputs give the type's maximum, like 0.
 */
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import { clamp, f32, mbqm, quantizeMultiplierUnchecked } from '../common/numerics/fixedpoint.ts';
import { invSqrtQuantizedMultiplierExp } from '../common/numerics/inv_sqrt.ts';
import { unaryTensors } from '../common/families/elementwise.ts';
import { tableOp } from '../common/families/table_op.ts';
import { type Int16Tagged, requireInt16Activation, withInt16Variant } from '../common/families/int16_variant.ts';
import { requireInt8Activation, tensorLabel } from '../common/families/weighted.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { rsqrtFloat } from './rsqrt_float.ts';

/** the shift TFLM keeps the intermediate 1/sqrt integer at */
const K_SHIFT = 20;

export interface RsqrtQuant {
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
}

export function rsqrtQuant(graph: Graph, op: Op): RsqrtQuant {
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  const si = f32(input.quant!.scale[0]!);
  const so = f32(output.quant!.scale[0]!);
  // TFLM: 1. / static_cast<double>(std::sqrt(input_scale) * output_scale): sqrtf and the product in float
  // checkRsqrt says when the shift is out of the range TFLite handles, in its own words
  const m = quantizeMultiplierUnchecked(1 / f32(f32(Math.sqrt(si)) * so));
  return { inputZeroPoint: input.quant!.zeroPoint[0]!, outputZeroPoint: output.quant!.zeroPoint[0]!, multiplier: m.multiplier, shift: m.shift };
}

/** One element, int8 (lo -128, hi 127) or int16. */
export function rsqrtValue(q: number, p: RsqrtQuant, lo = -128, hi = 127): number {
  const value = q - p.inputZeroPoint;
  if (value <= 0) return hi;
  const inv = invSqrtQuantizedMultiplierExp(value, -1);
  const data = mbqm(1, inv.multiplier, inv.shift + K_SHIFT);
  return clamp(mbqm(data, p.multiplier, p.shift - K_SHIFT) + p.outputZeroPoint, lo, hi);
}

function checkRange(graph: Graph, op: Op): void {
  const p = rsqrtQuant(graph, op);
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  // the final MBQM shifts a ~2^20 value: left by at most 10 without overflow, right by at most 31 (TFLM asserts)
  if (p.shift - K_SHIFT > 10 || p.shift - K_SHIFT < -31) {
    throw new OpError(
      op.index,
      op.kind,
      `scales of input ${tensorLabel(input)} (${input.quant!.scale[0]}) and output ${tensorLabel(output)} (${output.quant!.scale[0]}) give 1/(sqrt(s_in)·s_out) = 2^${p.shift}, outside the range TFLite's int rsqrt handles (2^-11..2^30)`,
    );
  }
}

/** int8 (bits 8) or int16 (bits 16) in and out, and scales TFLite's int rsqrt handles. */
function checkRsqrt(graph: Graph, op: Op, bits: 8 | 16): void {
  const { input, output } = unaryTensors(graph, op);
  const requireActivation = bits === 8 ? requireInt8Activation : requireInt16Activation;
  requireActivation(op, input, 'input');
  requireActivation(op, output, 'output');
  checkRange(graph, op);
}

const rsqrtInt8 = tableOp<RsqrtQuant>({
  kind: 'RSQRT',
  dir: import.meta.dirname,
  template: 'rsqrt.c.hbs',
  check: (graph, op) => checkRsqrt(graph, op, 8),
  quantize: rsqrtQuant,
  value: (q, p) => rsqrtValue(q, p),
});

interface RsqrtInt16Params extends Int16Tagged, RsqrtQuant {
  size: number;
}

const rsqrt = withInt16Variant(rsqrtInt8, {
  check: (graph, op) => checkRsqrt(graph, op, 16),
  prepare(graph, op): RsqrtInt16Params {
    return { activationBits: 16, size: elementCount(graph.tensors[op.inputs[0]!]!.shape), ...rsqrtQuant(graph, op) };
  },
  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int16Array;
    const output = outputs[0] as Int16Array;
    for (let i = 0; i < p.size; i++) output[i] = rsqrtValue(input[i]!, p, -32768, 32767);
  },
  emitC(p, ctx) {
    return ctx.render('rsqrt_int16.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      finalShift: p.shift - K_SHIFT,
      kShift: K_SHIFT,
      shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
    });
  },
});

// float32: 1.f / sqrtf(x), TFLite Micro's bits (rsqrt_float.ts)
export default withFloatVariant(rsqrt, rsqrtFloat);
