// SPDX-License-Identifier: Apache-2.0
/**
 * Palettization (weight clustering) of an int8 model: each weight tensor of CONV_2D, DEPTHWISE_CONV_2D
 * and FULLY_CONNECTED is reduced to at most 2^b distinct int8 values per output channel (or per layer)
 * by 1-D k-means on its int8 values weighted by their counts. Scales, zero points and biases stay as
 * they are, so the result is a plain int8 `.tflite` every TFLite runtime runs; tinyforge's compiler
 * then stores such tensors as b-bit indices + an int8 LUT (src/core/ops/common/codecs/palette.ts).
 *
 * Deterministic: centroids start at the count-weighted quantiles (no RNG), Lloyd iterations run until
 * nothing moves, centroids round to int8. Zero, where a channel has it, stays a centroid of its own
 * (pruned weights stay exactly zero, so sparse storage still applies).
 */
import { TinyforgeError } from '../core/errors.ts';
import type { Graph, Tensor } from '../core/ir/graph.ts';
import { PALETTE_MAX_BITS, PALETTE_MIN_BITS } from '../core/ops/common/codecs/palette.ts';

export interface PalettizeOptions {
  /** index bits b (2..6) for every layer without its own entry */
  bits: number;
  /** per-layer bits, keyed by the weight tensor's name */
  layerBits?: Record<string, number>;
  /** one palette per output channel (default) or one per layer */
  perChannel?: boolean;
  /** weight tensors with fewer elements stay as they are (default 0) */
  minWeights?: number;
}

export interface PalettizedLayer {
  tensor: string;
  kind: string;
  bits: number;
  perChannel: boolean;
  /** largest number of distinct values in one palette before and after */
  distinctBefore: number;
  distinctAfter: number;
  /** root-mean-square change of the int8 values */
  rmse: number;
}

export interface PalettizeResult {
  graph: Graph;
  layers: PalettizedLayer[];
}

/** Which input holds the weights of a weighted op, and the axis of its output channels. */
const WEIGHTED: Record<string, { input: number; channelAxis: number }> = {
  CONV_2D: { input: 1, channelAxis: 0 },
  FULLY_CONNECTED: { input: 1, channelAxis: 0 },
  DEPTHWISE_CONV_2D: { input: 1, channelAxis: 3 },
};

export function checkPaletteBits(bits: number, what: string): number {
  if (!Number.isInteger(bits) || bits < PALETTE_MIN_BITS || bits > PALETTE_MAX_BITS) {
    throw new TinyforgeError(`${what} ${bits}: expected an integer from ${PALETTE_MIN_BITS} to ${PALETTE_MAX_BITS}`);
  }
  return bits;
}

/**
 * k-means of int8 values given as a 256-bin histogram (`counts[v + 128]`) to at most `k` int8
 * centroids; returns, per bin, the value it maps to.
 */
export function clusterHistogram(counts: ArrayLike<number>, k: number): Int8Array {
  const values: number[] = [];
  const weights: number[] = [];
  for (let v = 0; v < 256; v++) {
    if (counts[v]! > 0) {
      values.push(v - 128);
      weights.push(counts[v]!);
    }
  }
  const map = new Int8Array(256);
  for (let v = 0; v < 256; v++) map[v] = v - 128;
  if (values.length <= k) return map;
  const hasZero = values.includes(0);
  // zero keeps a centroid of its own; the other values share k - 1
  const free = hasZero ? k - 1 : k;
  const pool = values.map((v, i) => ({ v, w: weights[i]! })).filter((e) => !(hasZero && e.v === 0));
  const total = pool.reduce((s, e) => s + e.w, 0);
  // count-weighted quantiles: centroid j starts at the value holding the (j + 0.5)/free quantile
  let centroids: number[] = [];
  let seen = 0;
  let j = 0;
  for (const e of pool) {
    seen += e.w;
    while (j < free && seen > ((j + 0.5) / free) * total) {
      centroids.push(e.v);
      j++;
    }
  }
  while (centroids.length < free) centroids.push(pool[pool.length - 1]!.v);
  centroids = [...new Set(centroids)];
  // Lloyd iterations over the (sorted) distinct values: converge in a few dozen steps for 256 bins
  const assign = new Int32Array(pool.length);
  for (let iter = 0; iter < 100; iter++) {
    centroids.sort((a, b) => a - b);
    let changed = false;
    pool.forEach((e, i) => {
      let best = 0;
      for (let c = 1; c < centroids.length; c++) if (Math.abs(e.v - centroids[c]!) < Math.abs(e.v - centroids[best]!)) best = c;
      if (assign[i] !== best) changed = true;
      assign[i] = best;
    });
    const sum = new Float64Array(centroids.length);
    const n = new Float64Array(centroids.length);
    pool.forEach((e, i) => {
      sum[assign[i]!]! += e.v * e.w;
      n[assign[i]!]! += e.w;
    });
    const next = centroids.map((c, i) => (n[i]! > 0 ? sum[i]! / n[i]! : c));
    if (!changed && iter > 0 && next.every((c, i) => c === centroids[i])) break;
    centroids = next;
  }
  // round to int8, then map each value to its nearest rounded centroid (ties to the smaller)
  const rounded = [...new Set(centroids.map((c) => Math.max(-128, Math.min(127, Math.round(c)))))].sort((a, b) => a - b);
  if (hasZero && !rounded.includes(0)) rounded.push(0);
  for (const e of pool) {
    let best = rounded[0]!;
    for (const c of rounded) if (Math.abs(e.v - c) < Math.abs(e.v - best)) best = c;
    map[e.v + 128] = best;
  }
  return map;
}

function distinctCount(data: Int8Array, positions: number[]): number {
  const seen = new Set<number>();
  for (const i of positions) seen.add(data[i]!);
  return seen.size;
}

/** A new int8 graph whose weight tensors hold at most 2^b distinct values per channel (or layer). */
export function palettize(graph: Graph, options: PalettizeOptions): PalettizeResult {
  checkPaletteBits(options.bits, '--bits');
  const perChannel = options.perChannel ?? true;
  const layers: PalettizedLayer[] = [];
  const tensors = graph.tensors.slice();
  const done = new Set<number>();
  for (const op of graph.ops) {
    const spec = WEIGHTED[op.kind];
    const index = spec && op.inputs[spec.input];
    if (index === undefined || index < 0 || done.has(index)) continue;
    const t = graph.tensors[index]!;
    if (t.dtype !== 'int8' || !t.data) continue;
    done.add(index);
    const count = t.data.length;
    if (count < (options.minWeights ?? 0)) continue;
    const bits = checkPaletteBits(options.layerBits?.[t.name] ?? options.bits, `bits of ${t.name}`);
    const data = new Int8Array(t.data.buffer, t.data.byteOffset, count);
    const groups = channelGroups(t, spec!.channelAxis, perChannel);
    const out = new Int8Array(data);
    let before = 0;
    let after = 0;
    let squared = 0;
    for (const positions of groups) {
      const counts = new Int32Array(256);
      for (const i of positions) counts[data[i]! + 128]!++;
      const map = clusterHistogram(counts, 1 << bits);
      for (const i of positions) {
        out[i] = map[data[i]! + 128]!;
        squared += (out[i]! - data[i]!) ** 2;
      }
      before = Math.max(before, distinctCount(data, positions));
      after = Math.max(after, distinctCount(out, positions));
    }
    const copy: Tensor = { ...t, data: new Uint8Array(out.buffer) };
    tensors[index] = copy;
    layers.push({ tensor: t.name, kind: op.kind, bits, perChannel, distinctBefore: before, distinctAfter: after, rmse: Math.sqrt(squared / count) });
  }
  return { graph: { ...graph, tensors }, layers };
}

/** Element positions of each palette: every output channel's, or all of them as one group. */
function channelGroups(t: Tensor, axis: number, perChannel: boolean): number[][] {
  const count = t.data!.length;
  if (!perChannel) return [Array.from({ length: count }, (_, i) => i)];
  const channels = t.shape[axis]!;
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const groups: number[][] = Array.from({ length: channels }, () => []);
  for (let i = 0; i < count; i++) groups[Math.floor(i / inner) % channels]!.push(i);
  return groups;
}
