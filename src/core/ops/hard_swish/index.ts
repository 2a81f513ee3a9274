// SPDX-License-Identifier: Apache-2.0
/**
 * HARD_SWISH, int8: TFLite Micro's reference HardSwish, x·relu6(x+3)/6 computed in 16-bit fixed
 * point. The input is moved to a "hires" scale (x·2^7), multiplied by a 16-bit output multiplier,
 * and by a "reluish" factor in [0, 1] obtained from x rescaled so that 3.0 is 2^15 (saturating);
 * the product uses a truncating doubling high multiply. The int16 arithmetic (saturations, rounding
 * shifts, wrap of the final zero-point add) is reproduced exactly; the result is tabulated at compile
 * time for the 256 input values.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { INT32_MAX, f32, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { tableOp } from '../common/families/table_op.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { hardSwishFloat } from './hard_swish_float.ts';

export interface HardSwishQuant {
  inputZeroPoint: number;
  outputZeroPoint: number;
  /** Q0.15 multiplier from the hires input scale to the output scale, and its exponent (<= 0) */
  outputMultiplier: number;
  outputExponent: number;
  /** Q0.15 multiplier from the hires input scale to the reluish scale (3.0 = 2^15), and its exponent */
  reluishMultiplier: number;
  reluishExponent: number;
}

/** Two's-complement wrap to int16, like a C assignment to int16_t. */
const int16 = (x: number): number => (x << 16) >> 16;

/** gemmlowp's SaturatingRoundingDoublingHighMul on int16. */
function srdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return int16(Math.trunc((ab + nudge) / 32768));
}

/** TFLite's SaturatingDoublingHighMul on int16: like srdhm16 but truncating (SQDMULH). */
function sdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return int16(Math.trunc((a * b) / 32768));
}

function saturatingLeftShift16(value: number, amount: number): number {
  return Math.min(32767, Math.max(-32768, value * 2 ** amount));
}

/** gemmlowp's RoundingDivideByPOT on int16 (its mask is an int16 too). */
function rdbpot16(x: number, exponent: number): number {
  const mask = int16(2 ** exponent - 1);
  const remainder = x & mask;
  const threshold = int16((mask >> 1) + (x < 0 ? 1 : 0));
  return int16((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/** TFLite's DownScaleInt32ToInt16Multiplier: round a Q0.31 multiplier to Q0.15. */
function downScaleToInt16(multiplier: number): number {
  const roundingOffset = 1 << 15;
  if (multiplier >= INT32_MAX - roundingOffset) return 32767;
  return (multiplier + roundingOffset) >> 16;
}

export function hardSwishQuant(inputScale: number, inputZeroPoint: number, outputScale: number, outputZeroPoint: number): HardSwishQuant {
  const hiresInputScale = f32(f32(1 / 128) * f32(inputScale));
  const reluishScale = f32(3 / 32768);
  const out = quantizeMultiplier(f32(hiresInputScale / f32(outputScale)));
  const reluish = quantizeMultiplier(f32(hiresInputScale / reluishScale));
  return {
    inputZeroPoint,
    outputZeroPoint,
    outputMultiplier: downScaleToInt16(out.multiplier),
    outputExponent: out.shift,
    reluishMultiplier: downScaleToInt16(reluish.multiplier),
    reluishExponent: reluish.shift,
  };
}

export function hardSwishValue(q: number, p: HardSwishQuant): number {
  const inputValue = int16(q - p.inputZeroPoint);
  const hires = int16(inputValue * (1 << 7));
  const preshiftOutputScale = srdhm16(hires, p.outputMultiplier);
  let reluish = hires;
  if (p.reluishExponent > 0) reluish = saturatingLeftShift16(reluish, p.reluishExponent - 1);
  reluish = srdhm16(reluish, p.reluishMultiplier);
  if (p.reluishExponent > 0) reluish = saturatingLeftShift16(reluish, 1);
  if (p.reluishExponent < 0) reluish = rdbpot16(reluish, -p.reluishExponent);
  // [-1, 1] to [0, 1] in Q0.15
  reluish = int16((reluish + (1 << 15)) >> 1);
  const preshiftOutput = sdhm16(reluish, preshiftOutputScale);
  const output = int16(rdbpot16(preshiftOutput, -p.outputExponent) + p.outputZeroPoint);
  return Math.min(127, Math.max(-128, output));
}

function quantOf(graph: Graph, op: Op): HardSwishQuant {
  const input = graph.tensors[op.inputs[0]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  return hardSwishQuant(input.quant!.scale[0]!, input.quant!.zeroPoint[0]!, output.quant!.scale[0]!, output.quant!.zeroPoint[0]!);
}

const hardSwish = tableOp<HardSwishQuant>({
  kind: 'HARD_SWISH',
  dir: import.meta.dirname,
  template: 'hard_swish.c.hbs',

  check(graph, op) {
    const { input, output } = int8UnaryTensors(graph, op);
    const p = quantOf(graph, op);
    if (p.outputExponent > 0) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(output)} scale ${output.quant!.scale[0]} is too small for the input scale ${input.quant!.scale[0]} (TFLite needs s_in/(128·s_out) < 1)`,
      );
    }
    if (p.reluishExponent > 30) {
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} scale ${input.quant!.scale[0]} is too large for TFLite's hard-swish scaling`);
    }
  },

  quantize: quantOf,
  value: hardSwishValue,
});

// float32: TFLite's reference HardSwish<float>, its bits (hard_swish_float.ts)
export default withFloatVariant(hardSwish, hardSwishFloat);
