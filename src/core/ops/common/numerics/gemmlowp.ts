// SPDX-License-Identifier: Apache-2.0
/**
 * The gemmlowp fixed-point functions TFLite Micro's int8 softmax is built from (exp on negative
 * values, 1/(1+x) by Newton-Raphson, the reciprocal of a Q12.19 sum), on raw int32 values. A value
 * with `n` integer bits is raw / 2^(31-n). The C twin is `gemmlowp.h` beside this file.
 */
import { INT32_MAX, INT32_MIN, rdbpot, srdhm } from './fixedpoint.ts';

/** gemmlowp's constants, in Q0.31 unless said otherwise. */
const EXP_MINUS_ONE_EIGHTH = 1895147668;
const ONE_THIRD = 715827883;
/** exp(-2^k) for k = -2..4, the barrel shifter of exp_on_negative_values */
const EXP_BARREL: ReadonlyArray<readonly [exponent: number, multiplier: number]> = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];
/** 48/17 and -32/17 in Q2.29: the Newton-Raphson division start */
const FORTY_EIGHT_OVER_17 = 1515870810;
const MINUS_32_OVER_17 = -1010580540;
const ONE_Q2_29 = 1 << 29;

/** int32 addition that wraps like the C twin (which adds in uint32 to stay defined). */
export function add32(a: number, b: number): number {
  return (a + b) | 0;
}

/**
 * SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturating for exponent > 0, rounding to nearest
 * (RoundingDivideByPOT) for exponent < 0.
 */
export function srmulpot(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return rdbpot(x, -exponent);
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (x * 2 ** exponent) | 0;
}

/** Rescale of a raw value from `srcIntegerBits` to `dstIntegerBits` integer bits. */
export function rescale(x: number, srcIntegerBits: number, dstIntegerBits: number): number {
  return srmulpot(x, srcIntegerBits - dstIntegerBits);
}

/** RoundingHalfSum: (a + b) / 2 rounded half away from zero. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** exp(a) for a in [-1/4, 0), Q0.31 in and out (a Taylor expansion around -1/8). */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const x = add32(a, 1 << 28);
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = srmulpot(x4, -2);
  const poly = srmulpot(add32(srdhm(add32(x4Over4, x3), ONE_THIRD), x2), -1);
  return add32(EXP_MINUS_ONE_EIGHTH, srdhm(EXP_MINUS_ONE_EIGHTH, add32(x, poly)));
}

/** exp(a) for a <= 0 given with `integerBits` integer bits; the result is Q0.31. */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusOneQuarter = add32(a & (oneQuarter - 1), -oneQuarter);
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, integerBits, 0));
  const remainder = add32(aModQuarterMinusOneQuarter, -a);
  for (const [exponent, multiplier] of EXP_BARREL) {
    if (integerBits > exponent && (remainder & (1 << (fractionalBits + exponent))) !== 0) {
      result = srdhm(result, multiplier);
    }
  }
  if (integerBits > 5 && a < -(2 ** (36 - integerBits))) result = 0;
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + a) for a in [0, 1), Q0.31 in and out (three Newton-Raphson steps). */
export function oneOverOnePlusXForXIn0To1(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  let x = add32(FORTY_EIGHT_OVER_17, srdhm(halfDenominator, MINUS_32_OVER_17));
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenominatorTimesX = add32(ONE_Q2_29, -srdhm(halfDenominator, x));
    x = add32(x, rescale(srdhm(x, oneMinusHalfDenominatorTimesX), 4, 2));
  }
  // x is 1/(1+a) / 2 in Q2.29, i.e. 1/(1+a) in Q1.30
  return rescale(x, 1, 0);
}

/**
 * TFLite's GetReciprocal: for x > 0 with `integerDigits` integer bits, returns 1/x as a Q0.31 value
 * scaled by 2^-numBitsOverUnit (the caller shifts that back).
 */
export function reciprocal(x: number, integerDigits: number): { value: number; numBitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const shiftedSumMinusOne = ((x << headroomPlusOne) - 0x80000000) | 0;
  return { value: oneOverOnePlusXForXIn0To1(shiftedSumMinusOne), numBitsOverUnit: integerDigits - headroomPlusOne };
}
