// SPDX-License-Identifier: Apache-2.0
/**
 * Generated weights shaped like trained ones: a Laplacian-like distribution (values near zero common,
 * the tails rare), optionally pruned (`zeros` of them exactly zero) and clipped to [lo, hi].
 */
export function peakedWeights(rand: () => number, count: number, spread: number, zeros: number, lo = -127, hi = 127): Int8Array {
  const w = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    if (rand() < zeros) continue;
    const v = Math.round(Math.log(rand() + 1e-12) * spread * (rand() < 0.5 ? -1 : 1));
    w[i] = Math.max(lo, Math.min(hi, v === 0 ? 1 : v));
  }
  return w;
}
