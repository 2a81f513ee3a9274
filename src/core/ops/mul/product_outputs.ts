// SPDX-License-Identifier: Apache-2.0
/**
 * What the MUL variants that plan their own output stage (dsp.ts, rv32.ts) start from: an int8 MUL's
 * output depends on its inputs only through the product x = (q1 + offset1)(q2 + offset2), so a stage is
 * exact when it gives TFLite's output for every distinct product of the 65,536 input pairs.
 */
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import type { MulParams } from './index.ts';

const TWO_31 = 2 ** 31;

/** the largest |q + offset| over int8 q */
export const maxAbsOffset = (offset: number) => Math.max(Math.abs(-128 + offset), Math.abs(127 + offset));

/**
 * TFLite's output (requantized, activation-clamped) per distinct product of the layer's input pairs,
 * and the largest |product|; undefined when the stages' shared premise fails: the product shifted left
 * `headroom` bits past the layer's left shift must stay within int32 (the fast stages need one bit:
 * SRDHM's doubling), the right shift at most 31, the multiplier non-negative. `headroom` null:
 * no bound on the product (RV32's wide stage takes TFLite's int32 wrap of p << left as it is).
 */
export function outputsByProduct(p: MulParams, headroom: number | null = 1): { expected: Map<number, number>; xMax: number } | undefined {
  const left = Math.max(p.shift, 0);
  const right = Math.max(-p.shift, 0);
  const xMax = maxAbsOffset(p.input1Offset) * maxAbsOffset(p.input2Offset);
  if ((headroom !== null && xMax * 2 ** (left + headroom) >= TWO_31) || right > 31 || p.multiplier < 0) return undefined;
  const expected = new Map<number, number>();
  for (let q1 = -128; q1 < 128; q1++) {
    for (let q2 = -128; q2 < 128; q2++) {
      const x = (q1 + p.input1Offset) * (q2 + p.input2Offset);
      if (!expected.has(x)) expected.set(x, clamp(mbqm(x, p.multiplier, p.shift) + p.outputZeroPoint, p.actMin, p.actMax));
    }
  }
  return { expected, xMax };
}
