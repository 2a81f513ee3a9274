// SPDX-License-Identifier: Apache-2.0
/**
 * LEAKY_RELU, int8: TFLite Micro's QuantizeLeakyRelu. Non-negative inputs (q >= z_in) are rescaled
 * by s_in/s_out, negative ones by s_in·alpha/s_out; both multipliers are computed in float32 (as
 * TFLite Micro's Prepare does) before widening. A negative alpha rounds exact halves the other way
 * (see alphaScaled). Tabulated at compile time for the 256 input values. A layer lowered from ONNX
 * (attrs.arithmetic 'onnxruntime') takes ONNX Runtime's QLinearLeakyRelu table instead
 * (common/numerics/ort_lookup.ts: the float LeakyRelu between DequantizeLinear and QuantizeLinear).
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatLeakyRelu } from '../common/families/float_elementwise.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { leakyReluInt16 } from './leaky_relu_int16.ts';
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { clamp, f32, mbqm, quantizeMultiplierUnchecked } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { tableOp } from '../common/families/table_op.ts';
import { type OrtLookupQuant, ortLeakyRelu, ortLookupValue } from '../common/numerics/ort_lookup.ts';
import { opArithmetic } from '../common/numerics/requant_f32.ts';

export interface LeakyReluQuant {
  inputZeroPoint: number;
  outputZeroPoint: number;
  identityMultiplier: number;
  identityShift: number;
  alphaMultiplier: number;
  alphaShift: number;
  /** set for a layer lowered from ONNX: ONNX Runtime's table (the fields above are then unused) */
  ort?: OrtLookupQuant & { alpha: number };
}

/** The LeakyReluOptions alpha (the IR keeps the options' fields as they are named there). */
function alphaOf(attrs: Record<string, unknown>): unknown {
  return attrs.alpha;
}

/**
 * A negative alpha gives a negative multiplier. TFLite Micro's result there is the mirror image of
 * the positive case: -MBQM(x, -m), so an exact half (x·alpha = 7.5 steps) rounds down to 7, where
 * MBQM(x, m) would round it up to 8 (found by the fuzzer on alpha = -0.5 with one quantization in and
 * out, and checked against tflm-ref on tie-heavy quantizations; away from ties the two agree).
 */
function alphaScaled(x: number, multiplier: number, shift: number): number {
  return multiplier < 0 ? -mbqm(x, -multiplier, shift) : mbqm(x, multiplier, shift);
}

export function leakyReluValue(q: number, p: LeakyReluQuant): number {
  if (p.ort) {
    const alpha = p.ort.alpha;
    return ortLookupValue(q, p.ort, (x) => ortLeakyRelu(x, alpha));
  }
  const x = q - p.inputZeroPoint;
  const scaled = x >= 0 ? mbqm(x, p.identityMultiplier, p.identityShift) : alphaScaled(x, p.alphaMultiplier, p.alphaShift);
  return clamp(p.outputZeroPoint + scaled, -128, 127);
}

/** TFLite Micro's LeakyReluPrepare: both multipliers in float32 before widening. */
function quantOf(graph: Graph, op: Op): LeakyReluQuant {
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  const si = f32(input.quant!.scale[0]!);
  const so = f32(output.quant!.scale[0]!);
  const alpha = f32(alphaOf(op.attrs) as number);
  const identity = quantizeMultiplierUnchecked(f32(si / so));
  const negative = quantizeMultiplierUnchecked(f32(f32(si * alpha) / so));
  const ort =
    opArithmetic(op.attrs) === 'onnxruntime'
      ? { inputScale: si, inputZeroPoint: input.quant!.zeroPoint[0]!, outputScale: so, outputZeroPoint: output.quant!.zeroPoint[0]!, alpha }
      : undefined;
  return {
    ...(ort ? { ort } : {}),
    inputZeroPoint: input.quant!.zeroPoint[0]!,
    outputZeroPoint: output.quant!.zeroPoint[0]!,
    identityMultiplier: identity.multiplier,
    identityShift: identity.shift,
    alphaMultiplier: negative.multiplier,
    alphaShift: negative.shift,
  };
}

const leakyRelu = tableOp<LeakyReluQuant>({
  kind: 'LEAKY_RELU',
  dir: import.meta.dirname,
  template: 'leaky_relu.c.hbs',

  check(graph, op) {
    int8UnaryTensors(graph, op);
    const alpha = alphaOf(op.attrs);
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
      throw new OpError(op.index, op.kind, `attribute alpha = ${String(alpha)}; expected a finite number`);
    }
    const q = quantOf(graph, op);
    // ONNX Runtime's table has no fixed-point multipliers to fit
    if (q.ort) return;
    requireLeftShiftFits(op, q.identityShift, 's_in/s_out');
    requireLeftShiftFits(op, q.alphaShift, 's_in·alpha/s_out');
  },

  quantize: quantOf,
  value: leakyReluValue,
  ortNote: (q) => (q.ort ? "ONNX Runtime's QLinearLeakyRelu table (float32 x or alpha * x, requantized)" : undefined),
});

// int16 activations (16x8) go to their own kernel in leaky_relu_int16.ts
// float32 layers: x > 0 ? x : x * alpha (common/families/float_elementwise.ts)
export default withFloatVariant(withInt16Variant(leakyRelu, leakyReluInt16), floatLeakyRelu);
