// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite's MultiplyByQuantizedMultiplier for a 64-bit accumulator (the int16x8 kernels with an int64
 * bias): the multiplier is first reduced to 16 bits, then one rounding shift. It rounds differently
 * from the 32-bit double-rounding version, so both exist. The C twin is `fixedpoint64.h`.
 */

/** MultiplyByQuantizedMultiplier(int64 x, m, shift); x within ±2^47 as TFLite assumes. */
export function mbqm64(x: bigint | number, multiplier: number, shift: number): number {
  const reduced = multiplier < 0x7fff0000 ? (multiplier + (1 << 15)) >> 16 : 0x7fff;
  const totalShift = BigInt(15 - shift);
  const rounded = BigInt(x) * BigInt(reduced) + (1n << (totalShift - 1n));
  // BigInt >> floors like C's arithmetic shift; the narrowing to int32 wraps like the C cast
  return Number(BigInt.asIntN(32, rounded >> totalShift));
}
