// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro's float-built int8 lookup tables (PopulateLookupTable of ELU, and of the ops built the
 * same way): at Prepare, for every int8 value v, dequantize in float32 (s_in·(v − z_in)), apply the
 * op's float function, multiply by the float32 inverse output scale, round half away from zero
 * (TfLiteRound, i.e. roundf), add the output zero point, convert to int32 and clamp to int8. Every
 * step is float32, reproduced with Math.fround; the device only looks the table up.
 */
import type { Graph, Op } from '../../../ir/graph.ts';
import { f32 } from './fixedpoint.ts';

export interface FloatTableQuant {
  inputScale: number;
  inputZeroPoint: number;
  outputScale: number;
  outputZeroPoint: number;
}

/** A unary layer's per-tensor input and output quantization, which its table is built over. */
export function floatTableQuant(graph: Graph, op: Op): FloatTableQuant {
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  return {
    inputScale: input.quant!.scale[0]!,
    inputZeroPoint: input.quant!.zeroPoint[0]!,
    outputScale: output.quant!.scale[0]!,
    outputZeroPoint: output.quant!.zeroPoint[0]!,
  };
}

/** roundf: half away from zero, on a float32 value (exact in double). */
export function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * static_cast<int32_t> of a float as TFLM's x86-64 build executes it (cvttss2si): truncation, and
 * the "integer indefinite" INT32_MIN for NaN and anything outside int32, which the clamp then turns
 * into -128 (so a result far above the range lands at the bottom, as in TFLM).
 */
export function floatToInt32(x: number): number {
  if (!(x > -2147483649 && x < 2147483648)) return -2147483648;
  return Math.trunc(x);
}

/** The float32 value of the int8 input q, as TFLM dequantizes it for a table. */
export function dequantizeF32(q: number, p: FloatTableQuant): number {
  return f32(f32(p.inputScale) * (q - p.inputZeroPoint));
}

/** The table entry for input q, given the op's float32 function. */
export function floatTableValue(q: number, p: FloatTableQuant, transform: (x: number) => number): number {
  const inverseScale = f32(1 / f32(p.outputScale));
  const transformed = f32(transform(dequantizeF32(q, p)));
  const rescaled = roundf(f32(transformed * inverseScale));
  const quantized = floatToInt32(f32(rescaled + p.outputZeroPoint));
  return Math.max(-128, Math.min(127, quantized));
}

/** libm's expf as TFLM calls it: the double exponential rounded to float32. */
export const expf = (x: number): number => f32(Math.exp(x));
