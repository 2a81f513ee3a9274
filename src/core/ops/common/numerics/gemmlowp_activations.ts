// SPDX-License-Identifier: Apache-2.0
/**
 * gemmlowp's fixed-point logistic and tanh (on raw int32 values; a value with n integer bits is
 * raw / 2^(31-n)) and the way TFLite Micro feeds them int8 data: its int8 LOGISTIC and TANH kernels
 * (reference_integer_ops) rescale the input to Q4.27, call these, and round the Q0.31 result to the
 * output's fixed scale. TFLite Micro does not use a lookup table for int8 (desktop TFLite's optimized
 * kernels do, built from float math, which is why they can differ by one step).
 */
import { INT32_MAX, clamp, frexp, mbqm, rdbpot, roundHalfAway, srdhm, f32 } from './fixedpoint.ts';
import { add32, expOnNegativeValues, oneOverOnePlusXForXIn0To1, rescale, roundingHalfSum } from './gemmlowp.ts';

/** 48/17 and -32/17 in Q2.29: the Newton-Raphson division start */
const FORTY_EIGHT_OVER_17 = 1515870810;
const MINUS_32_OVER_17 = -1010580540;
const ONE_Q2_29 = 1 << 29;

/** (1 - a) / (1 + a) for a in [0, 1), Q0.31 in and out (three Newton-Raphson steps in Q2.29). */
export function oneMinusXOverOnePlusXForXIn0To1(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  let x = add32(FORTY_EIGHT_OVER_17, srdhm(halfDenominator, MINUS_32_OVER_17));
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenominatorTimesX = add32(ONE_Q2_29, -srdhm(halfDenominator, x));
    x = add32(x, rescale(srdhm(x, oneMinusHalfDenominatorTimesX), 4, 2));
  }
  return rescale(add32(x, -ONE_Q2_29), 2, 0);
}

/** gemmlowp::logistic: 1/(1+exp(-a)) for `a` with `integerBits` integer bits; Q0.31 result. */
export function logistic(a: number, integerBits: number): number {
  if (a === 0) return 1 << 30;
  // exp of minus the magnitude, then 1/(1+e) for a > 0 and its complement for a < 0
  const resultIfPositive = oneOverOnePlusXForXIn0To1(expOnNegativeValues(a > 0 ? -a | 0 : a, integerBits));
  return a > 0 ? resultIfPositive : add32(INT32_MAX, -resultIfPositive);
}

/** gemmlowp::tanh for `a` with `integerBits` integer bits; Q0.31 result. */
export function tanh(a: number, integerBits: number): number {
  if (a === 0) return 0;
  const negativeMagnitude = a < 0 ? a : -a | 0;
  // exp(2n) read as the same raw value with one more integer bit (ExactMulByPot<1>)
  const t = oneMinusXOverOnePlusXForXIn0To1(expOnNegativeValues(negativeMagnitude, integerBits + 1));
  return a < 0 ? -t | 0 : t;
}

/** The int8 input rescale of TFLite Micro's LOGISTIC and TANH: (q - zp) to Q4.27. */
export interface Int8SigmoidScaling {
  inputZeroPoint: number;
  inputMultiplier: number;
  inputLeftShift: number;
  /** |q - zp| at or past this saturates the output without computing */
  inputRangeRadius: number;
}

/** Integer bits of the rescaled input (kInputIntegerBits of both kernels). */
export const SIGMOID_INPUT_INTEGER_BITS = 4;

/**
 * TFLite Micro's CalculateArithmeticOpData for int8 LOGISTIC/TANH: input_real_multiplier =
 * scale * 2^27 in double, split by frexp (no renormalisation of a rounded-up mantissa), and
 * CalculateInputRadius. Returns undefined when the scale is so small that the left shift would be
 * negative (TFLite's shifts are undefined there).
 */
export function int8SigmoidScaling(inputScale: number, inputZeroPoint: number): Int8SigmoidScaling | undefined {
  const real = f32(inputScale) * 2 ** (31 - SIGMOID_INPUT_INTEGER_BITS);
  const { mantissa, exponent } = frexp(real);
  if (exponent < 0) return undefined;
  const radius = Math.floor((((1 << SIGMOID_INPUT_INTEGER_BITS) - 1) * 2 ** (31 - SIGMOID_INPUT_INTEGER_BITS)) / 2 ** exponent);
  return {
    inputZeroPoint,
    inputMultiplier: roundHalfAway(mantissa * 2 ** 31),
    inputLeftShift: exponent,
    inputRangeRadius: radius,
  };
}

/** reference_integer_ops::Logistic for one int8 value (output zero point -128, scale 1/256). */
export function logisticInt8(q: number, s: Int8SigmoidScaling): number {
  const input = q - s.inputZeroPoint;
  if (input <= -s.inputRangeRadius) return -128;
  if (input >= s.inputRangeRadius) return 127;
  const inputQ4 = mbqm(input, s.inputMultiplier, s.inputLeftShift);
  const outputQ0 = logistic(inputQ4, SIGMOID_INPUT_INTEGER_BITS);
  return clamp(rdbpot(outputQ0, 31 - 8) - 128, -128, 127);
}

/** reference_integer_ops::Tanh for one int8 value (output zero point 0, scale 1/128). */
export function tanhInt8(q: number, s: Int8SigmoidScaling): number {
  const input = q - s.inputZeroPoint;
  if (input <= -s.inputRangeRadius) return -128;
  if (input >= s.inputRangeRadius) return 127;
  const inputQ4 = mbqm(input, s.inputMultiplier, s.inputLeftShift);
  const outputQ0 = tanh(inputQ4, SIGMOID_INPUT_INTEGER_BITS);
  return clamp(rdbpot(outputQ0, 31 - 7), -128, 127);
}
