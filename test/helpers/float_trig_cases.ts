// SPDX-License-Identifier: Apache-2.0
/**
 * Inputs for the SIN and COS tests: float32 bit patterns of every kind (zeros of both signs,
 * subnormals, the edges of the reduction, values near multiples of pi/2, huge arguments, infinities,
 * NaNs).
 */
import { toBits } from '../../src/core/ops/common/families/float_unary.ts';

const SPECIAL = [
  0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc12345, 0xffc00001, 0x00000001, 0x807fffff, 0x00800000, 0x39800000, 0x3f490fda, 0x3f490fdb, 0x3fc90fdb,
  0xbfc90fdb, 0x40490fdb, 0x40c90fdb, 0x4096cbe4, 0x7f7fffff, 0xff7fffff, 0x4b000000, 0x5a800000, 0x7e800000, 0x3f800000, 0x47800000,
];

/** float bits: the specials, near multiples of pi/2 (k up to 2^20), random over every exponent, random bit patterns */
export function trigInputs(rand: () => number, n: number, nan: boolean): Float32Array {
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    const r = rand();
    if (i < SPECIAL.length) v = SPECIAL[i]!;
    else if (r < 0.3) v = (toBits((Math.PI / 2) * Math.floor(rand() * 2 ** Math.floor(rand() * 21))) + Math.floor(rand() * 5) - 2) >>> 0;
    else if (r < 0.6) v = toBits((rand() - 0.5) * 2 ** Math.floor(rand() * 60 - 20));
    else v = Math.floor(rand() * 2 ** 32);
    if ((v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0) v = nan ? (v | 0x00400000) >>> 0 : 0x40490fdb;
    u[i] = v >>> 0;
  }
  return new Float32Array(u.buffer);
}
