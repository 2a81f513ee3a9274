// SPDX-License-Identifier: Apache-2.0
/**
 * Numpy-style broadcasting of two operands (TFLite's BroadcastBinaryFunction semantics), reduced to
 * the fewest loops: dimensions of extent 1 are dropped and neighbours whose strides chain are merged,
 * so e.g. [1,8,8,16] + [1,1,1,16] becomes two loops [64, 16] and equal shapes become one flat loop.
 */

/** The broadcast shape of `a` and `b`, or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** One loop of a broadcast walk: its trip count and each operand's element stride (0 = repeated). */
export interface BroadcastLoop {
  extent: number;
  strideA: number;
  strideB: number;
}

/**
 * The loops (outermost first) that walk the output of shape `out` in order, with the matching
 * element offsets into `a` and `b`. An empty list means a single element.
 */
export function broadcastLoops(a: readonly number[], b: readonly number[], out: readonly number[]): BroadcastLoop[] {
  const rank = out.length;
  const stridesOf = (shape: readonly number[]): number[] => {
    const dims = out.map((_, i) => shape[shape.length - rank + i] ?? 1);
    const strides = new Array<number>(rank).fill(0);
    let s = 1;
    for (let i = rank - 1; i >= 0; i--) {
      strides[i] = dims[i] === 1 ? 0 : s;
      s *= dims[i]!;
    }
    return strides;
  };
  const sa = stridesOf(a),
    sb = stridesOf(b);
  const loops: BroadcastLoop[] = [];
  for (let i = 0; i < rank; i++) {
    if (out[i] === 1) continue;
    loops.push({ extent: out[i]!, strideA: sa[i]!, strideB: sb[i]! });
  }
  // merge a loop into the one inside it when both operands step through them contiguously
  for (let i = loops.length - 2; i >= 0; i--) {
    const outer = loops[i]!,
      inner = loops[i + 1]!;
    if (outer.strideA === inner.strideA * inner.extent && outer.strideB === inner.strideB * inner.extent) {
      loops.splice(i, 2, { extent: outer.extent * inner.extent, strideA: inner.strideA, strideB: inner.strideB });
    }
  }
  return loops;
}

/** Calls `visit(offsetA, offsetB)` for every output element in order. */
export function forEachBroadcast(loops: readonly BroadcastLoop[], visit: (offsetA: number, offsetB: number) => void): void {
  const walk = (level: number, offA: number, offB: number): void => {
    if (level === loops.length) {
      visit(offA, offB);
      return;
    }
    const { extent, strideA, strideB } = loops[level]!;
    for (let i = 0; i < extent; i++) walk(level + 1, offA + i * strideA, offB + i * strideB);
  };
  walk(0, 0, 0);
}
