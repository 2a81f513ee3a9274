// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite's GetInvSqrtQuantizedMultiplierExp: 1/sqrt(x) of a positive int32 as a quantized multiplier
 * and shift, by five Newton-Raphson steps in gemmlowp Q3.28 (used by int8 L2_NORMALIZATION on the sum
 * of squares of each row). The C twin is `inv_sqrt.h` beside this file.
 */
import { INT32_MAX, rdbpot, srdhm } from './fixedpoint.ts';
import { add32, rescale } from './gemmlowp.ts';

/** 1.5 and 1 in Q3.28; sqrt(2)/2 in Q0.31 */
const HALF_THREE_Q3 = (1 << 28) + (1 << 27);
const ONE_Q3 = 1 << 28;
const HALF_SQRT_2_Q0 = 1518500250;

export interface InvSqrtMultiplier {
  multiplier: number;
  /** left shift (TFLite's reverse_shift = -1 turns its right shift into this) */
  shift: number;
}

export function invSqrtQuantizedMultiplierExp(input: number, reverseShift: number): InvSqrtMultiplier {
  // 0 (invalid) and 1 (would overflow below) both give the largest multiplier
  if (input <= 1) return { multiplier: INT32_MAX, shift: 0 };
  let x = input;
  let outputShift = 11;
  while (x >= 1 << 29) {
    x = Math.trunc(x / 4);
    outputShift++;
  }
  // normalise to [2^27, 2^29) by whole bit pairs, so the square root stays a shift
  const leftShiftBitPairs = ((Math.clz32(x) - 1) >>> 1) - 1;
  outputShift -= leftShiftBitPairs;
  x = (x << (2 * leftShiftBitPairs)) | 0;
  const fixedInput = x >> 1;
  const halfInput = rdbpot(fixedInput, 1);
  let y = ONE_Q3;
  for (let i = 0; i < 5; i++) {
    const y3 = rescale(srdhm(srdhm(y, y), y), 9, 3);
    y = rescale(add32(srdhm(HALF_THREE_Q3, y), -srdhm(halfInput, y3)), 6, 3);
  }
  let multiplier = srdhm(y, HALF_SQRT_2_Q0);
  if (outputShift < 0) {
    multiplier = (multiplier << -outputShift) | 0;
    outputShift = 0;
  }
  return { multiplier, shift: outputShift * reverseShift };
}
