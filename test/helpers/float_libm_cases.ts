// SPDX-License-Identifier: Apache-2.0
/**
 * Inputs for the float32 kernels that call libm, and the ULP check their outputs get: every kind of
 * float32 (zeros of both signs, subnormals, the largest finite values, infinities, quiet NaNs), the
 * whole exponent range, and a dense sweep of the range where each function changes (|x| < 40, and
 * where LOGISTIC switches formula).
 */
import { expect } from 'chai';
import { maxUlpDistance } from '../../src/core/ops/common/numerics/float_ulp.ts';

/** bit patterns every sweep starts with */
const SPECIAL_BITS = [
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
  0x3f800000, 0xbf800000, 0x33800000, 0xb3800000,
];

/** values where a kernel's formula switches or its function turns (LOGISTIC's cutoffs, expf's overflow and underflow) */
const EDGES = [
  16.619047164916992188, -9, 88.72283, 88.72284, -87.33654, -103.97208, -103.9721, 89, -104, -150, 1e-7, -1e-7, 0.5, -0.5, 3.14159274, -3.14159274, 1.57079637,
  1e4, 1e6, 105414.35,
];

export function libmInputs(rand: () => number, n: number, opts: { nan?: boolean; positive?: boolean } = {}): Float32Array {
  const out = new Float32Array(n);
  const u = new Uint32Array(out.buffer);
  const fixed: number[] = [];
  for (const b of SPECIAL_BITS) if (opts.nan !== false || b !== 0x7fc00000) fixed.push(b);
  for (let i = 0; i < n; i++) {
    if (i < fixed.length) {
      u[i] = fixed[i]!;
      continue;
    }
    const k = i - fixed.length;
    if (k < EDGES.length * 3) {
      // each edge and its two neighbours
      const e = new Float32Array([EDGES[Math.floor(k / 3)]!]);
      const eu = new Uint32Array(e.buffer);
      eu[0] = (eu[0]! + (k % 3) - 1) >>> 0;
      out[i] = e[0]!;
      continue;
    }
    const r = rand();
    if (r < 0.55) out[i] = Math.fround((rand() * 2 - 1) * 40);
    else if (r < 0.7) out[i] = Math.fround((rand() * 2 - 1) * 2 ** Math.floor(rand() * 40 - 30));
    else {
      let b = Math.floor(rand() * 2 ** 32) >>> 0;
      if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) b = opts.nan === false ? 0x3f000000 : (b | 0x00400000) >>> 0;
      u[i] = b;
    }
  }
  if (opts.positive) for (let i = 0; i < n; i++) u[i] = u[i]! & 0x7fffffff;
  return out;
}

/** Every value of `actual` within `bound` ULPs of `expected` (NaN where NaN); returns the largest distance. */
export function expectWithinUlp(expected: Float32Array, actual: Float32Array, bound: number, label: string, floor = 0): number {
  const { ulps, index } = maxUlpDistance(expected, actual, floor);
  expect(ulps, `${label}: ${ulps} ULP at element ${index} (expected ${expected[index]}, got ${actual[index]}), bound ${bound}`).to.be.at.most(bound);
  return ulps;
}

/** Float32 view of bytes (a copy, aligned). */
export function asFloats(bytes: Uint8Array): Float32Array {
  return new Float32Array(new Uint8Array(bytes).buffer);
}
