// SPDX-License-Identifier: Apache-2.0
/**
 * Singular value decomposition of a small dense matrix by one-sided Jacobi rotations (Hestenes),
 * in float64: accurate to rounding, simple, and fast enough for layer-sized matrices (thousands of
 * entries). A = U · diag(S) · Vᵀ with singular values in decreasing order.
 */
export interface Svd {
  /** m x k, row-major (k = min(m, n)) */
  u: Float64Array;
  /** k values, decreasing */
  s: Float64Array;
  /** n x k, row-major */
  v: Float64Array;
  m: number;
  n: number;
  k: number;
}

export function svd(a: ArrayLike<number>, m: number, n: number): Svd {
  if (n > m) {
    // decompose Aᵀ = V S Uᵀ and swap
    const t = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
    const r = svd(t, n, m);
    return { u: r.v, s: r.s, v: r.u, m, n, k: r.k };
  }
  // columns of W = A·V are orthogonalized pairwise; V accumulates the rotations
  const w = Float64Array.from(a as ArrayLike<number>);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p]!;
          const y = w[i * n + q]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p]!;
          const y = w[i * n + q]!;
          w[i * n + p] = c * x - s * y;
          w[i * n + q] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = v[i * n + p]!;
          const y = v[i * n + q]!;
          v[i * n + p] = c * x - s * y;
          v[i * n + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += w[i * n + j]! ** 2;
    return Math.sqrt(s);
  });
  const order = norms
    .map((s, j) => [s, j] as const)
    .sort((x, y) => y[0] - x[0])
    .map(([, j]) => j);
  const k = n;
  const u = new Float64Array(m * k);
  const vOut = new Float64Array(n * k);
  const sOut = new Float64Array(k);
  order.forEach((j, r) => {
    const sigma = norms[j]!;
    sOut[r] = sigma;
    for (let i = 0; i < m; i++) u[i * k + r] = sigma > 0 ? w[i * n + j]! / sigma : 0;
    for (let i = 0; i < n; i++) vOut[i * k + r] = v[i * n + j]!;
  });
  return { u, s: sOut, v: vOut, m, n, k };
}
