// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro's fixed-point arithmetic, bit for bit (DESIGN.md §2). The C side lives in
 * `fixedpoint.h` beside this file; both are tested against each other.
 */

import { TinyforgeError } from '../../../errors.ts';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** C's `round()`: half away from zero (JS Math.round rounds half up). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** frexp: x = m * 2^e with |m| in [0.5, 1), m = 0 for x = 0. */
export function frexp(x: number): { mantissa: number; exponent: number } {
  if (x === 0 || !Number.isFinite(x)) return { mantissa: x, exponent: 0 };
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let m = x * Math.pow(2, -e);
  // log2 can be off by one near powers of two; normalise exactly
  while (Math.abs(m) < 0.5) {
    m *= 2;
    e -= 1;
  }
  while (Math.abs(m) >= 1) {
    m /= 2;
    e += 1;
  }
  return { mantissa: m, exponent: e };
}

export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** Largest left shift every kernel's requantization takes: `(uint32_t)x << shift` is undefined in C from 32 on. */
export const MAX_MULTIPLIER_SHIFT = 31;

/**
 * A requantizing multiplier no kernel can apply (2^31 or more: a left shift of 32 or more bits,
 * undefined in C and CPU-dependent in TFLite Micro; or not a finite number). Thrown without the op:
 * prepareGraph names it.
 */
export class MultiplierRangeError extends TinyforgeError {
  constructor(readonly realMultiplier: number) {
    super(
      Number.isFinite(realMultiplier)
        ? `a rescale of the op is ${realMultiplier.toPrecision(4)} (2^31 or more): its left shift by ${frexp(realMultiplier).exponent} bits is undefined in C; the output scale is far too fine for the scales of the inputs and weights`
        : `a rescale of the op is ${realMultiplier}: the scales of its tensors do not give a finite multiplier`,
    );
    this.name = 'MultiplierRangeError';
  }
}

/**
 * TFLite's QuantizeMultiplier: M = q_fixed * 2^(shift - 31), q_fixed in [2^30, 2^31), for a real
 * multiplier every kernel can apply (shift <= MAX_MULTIPLIER_SHIFT), else a MultiplierRangeError.
 * Ops that check the shift themselves with their own message (or shrink it after, like MEAN) call
 * quantizeMultiplierUnchecked.
 */
export function quantizeMultiplier(realMultiplier: number): QuantizedMultiplier {
  const q = quantizeMultiplierUnchecked(realMultiplier);
  if (q.shift > MAX_MULTIPLIER_SHIFT || !Number.isFinite(realMultiplier)) throw new MultiplierRangeError(realMultiplier);
  return q;
}

/** QuantizeMultiplier for any finite multiplier: the caller checks the shift. */
export function quantizeMultiplierUnchecked(realMultiplier: number): QuantizedMultiplier {
  if (realMultiplier === 0) return { multiplier: 0, shift: 0 };
  const { mantissa, exponent } = frexp(realMultiplier);
  let shift = exponent;
  let qFixed = roundHalfAway(mantissa * 2147483648);
  if (qFixed === 2147483648) {
    qFixed /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: qFixed, shift };
}

const TWO_POW_31 = 2147483648;

/** SaturatingRoundingDoublingHighMul. */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const product = a * b;
  if (Math.abs(product) <= Number.MAX_SAFE_INTEGER) {
    const nudge = product >= 0 ? 1073741824 : 1 - 1073741824;
    return Math.trunc((product + nudge) / TWO_POW_31);
  }
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1073741824n : 1n - 1073741824n;
  return Number((ab + nudge) / 2147483648n);
}

/** RoundingDivideByPOT. */
export function rdbpot(x: number, exponent: number): number {
  const mask = ((1 << exponent) - 1) | 0;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** MultiplyByQuantizedMultiplier with TFLite Micro's default double rounding. */
export function mbqm(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(wrapInt32(x * 2 ** left), multiplier), right);
}

/**
 * Whether MultiplyByQuantizedMultiplier(acc, multiplier, shift) + zp stays within int32 for |acc| <=
 * bound (Infinity: any int32): always with a right shift (|result| <= 2^30), else by the bound.
 */
export function zeroPointAddFits(multiplier: number, shift: number, bound: number, zp: number): boolean {
  if (shift <= -1) return true;
  const x = bound * 2 ** Math.max(shift, 0);
  if (!(x < 2 ** 31)) return false;
  return Math.floor((x * multiplier) / 2 ** 31) + 1 + Math.abs(zp) < 2 ** 31;
}

/** Two's-complement wrap of an integer-valued number (exact below 2^53), like C int32 arithmetic. */
export function wrapInt32(x: number): number {
  return x | 0;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** C `float` rounding of a double, so float32 steps of TFLite are reproduced. */
export const f32 = Math.fround;
