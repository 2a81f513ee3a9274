// SPDX-License-Identifier: Apache-2.0
/** Bit length of an unsigned 32-bit integer (0 for 0); the C twin is `bit_length.h` beside this file. */
export function bitLength32(x: number): number {
  return 32 - Math.clz32(x);
}
