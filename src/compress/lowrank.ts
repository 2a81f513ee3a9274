// SPDX-License-Identifier: Apache-2.0
/**
 * Low-rank factorization of dense layers and 1x1 convolutions: W [out, in] ≈ (U·√S)(√S·Vᵀ) with the
 * top r singular values, so one layer of out·in weights becomes two of r·in and out·r, a saving
 * whenever r < out·in / (out + in). The first new layer keeps the original's input side (strides,
 * padding) without an activation; the second takes the original's bias and fused activation. The
 * rank is given, or the smallest one keeping a share of the spectrum's energy Σσ². Fine-tuning
 * afterwards recovers most of what truncation lost.
 */
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, type Op, type Tensor, elementCount } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';
import { svd } from './svd.ts';

export interface LowRankOptions {
  /** a fixed rank for every layer */
  rank?: number;
  /** keep the smallest rank whose singular values hold this share of Σσ² (e.g. 0.9) */
  energy?: number;
  /** layers with fewer weights are left alone (default 1024) */
  minWeights?: number;
}

export interface FactorizedLayer {
  name: string;
  kind: string;
  /** [out, in] of the original weights */
  shape: [number, number];
  rank: number;
  weightsBefore: number;
  weightsAfter: number;
  /** the share of Σσ² the kept rank holds */
  energy: number;
}

/** The rank a layer gets: the given one, or the energy-based one. */
export function chooseRank(singular: ArrayLike<number>, options: LowRankOptions): number {
  const k = singular.length;
  if (options.rank !== undefined) {
    if (!(Number.isInteger(options.rank) && options.rank >= 1)) throw new TinyforgeError(`rank ${options.rank} must be a positive integer`);
    return Math.min(options.rank, k);
  }
  const energy = options.energy ?? 0.9;
  if (!(energy > 0 && energy <= 1)) throw new TinyforgeError(`energy ${energy} must be in (0, 1]`);
  const total = Array.from(singular).reduce((n, s) => n + s * s, 0);
  let kept = 0;
  for (let r = 0; r < k; r++) {
    kept += singular[r]! ** 2;
    if (kept >= energy * total * (1 - 1e-12)) return r + 1;
  }
  return k;
}

function isFactorizable(graph: Graph, op: Op): boolean {
  const w = graph.tensors[op.inputs[1]!];
  if (!w?.data || w.dtype !== 'float32') return false;
  if (op.kind === 'FULLY_CONNECTED') return w.shape.length === 2;
  return op.kind === 'CONV_2D' && w.shape[1] === 1 && w.shape[2] === 1;
}

/** Factorizes every dense / 1x1 conv layer where it saves weights; returns the new graph and what changed. */
export function factorizeGraph(graph: Graph, options: LowRankOptions): { graph: Graph; layers: FactorizedLayer[] } {
  if (options.rank === undefined && options.energy === undefined) throw new TinyforgeError('low-rank factorization needs a rank or an energy share');
  const tensors: Tensor[] = graph.tensors.map((t) => ({ ...t, shape: [...t.shape] }));
  const ops: Op[] = [];
  const layers: FactorizedLayer[] = [];
  let nextOpIndex = Math.max(...graph.ops.map((o) => o.index)) + 1;
  const addTensor = (t: Omit<Tensor, 'index'>) => {
    const index = tensors.length;
    tensors.push({ ...t, index });
    return index;
  };
  for (const op of graph.ops) {
    if (!isFactorizable(graph, op) || elementCount(graph.tensors[op.inputs[1]!]!.shape) < (options.minWeights ?? 1024)) {
      ops.push({ ...op, inputs: [...op.inputs], outputs: [...op.outputs], attrs: { ...op.attrs } });
      continue;
    }
    const w = graph.tensors[op.inputs[1]!]!;
    const out = w.shape[0]!;
    const inn = w.shape[w.shape.length - 1]!;
    const values = fromBytes('float32', w.data!) as Float32Array;
    const d = svd(values, out, inn);
    const rank = chooseRank(d.s, options);
    const before = out * inn;
    const after = rank * (out + inn);
    if (after >= before) {
      ops.push({ ...op, inputs: [...op.inputs], outputs: [...op.outputs], attrs: { ...op.attrs } });
      continue;
    }
    const total = Array.from(d.s).reduce((n, s) => n + s * s, 0);
    const kept = Array.from(d.s.subarray(0, rank)).reduce((n, s) => n + s * s, 0);
    const first = new Float32Array(rank * inn);
    const second = new Float32Array(out * rank);
    for (let r = 0; r < rank; r++) {
      const root = Math.sqrt(d.s[r]!);
      for (let j = 0; j < inn; j++) first[r * inn + j] = root * d.v[j * d.k + r]!;
      for (let o = 0; o < out; o++) second[o * rank + r] = d.u[o * d.k + r]! * root;
    }
    const conv = op.kind === 'CONV_2D';
    const outT = graph.tensors[op.outputs[0]!]!;
    const w1 = addTensor({ name: `${w.name}/lowrank_a`, shape: conv ? [rank, 1, 1, inn] : [rank, inn], dtype: 'float32', data: new Uint8Array(first.buffer) });
    const b1 = addTensor({ name: `${w.name}/lowrank_a_bias`, shape: [rank], dtype: 'float32', data: new Uint8Array(new Float32Array(rank).buffer) });
    const w2 = addTensor({ name: `${w.name}/lowrank_b`, shape: conv ? [out, 1, 1, rank] : [out, rank], dtype: 'float32', data: new Uint8Array(second.buffer) });
    const middle = addTensor({ name: `${outT.name}/lowrank`, shape: [...outT.shape.slice(0, -1), rank], dtype: 'float32' });
    ops.push({ index: nextOpIndex++, kind: op.kind, inputs: [op.inputs[0]!, w1, b1], outputs: [middle], attrs: { ...op.attrs, activation: 'NONE' } });
    const secondAttrs = conv ? { ...op.attrs, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: 'VALID' } : { ...op.attrs };
    ops.push({
      index: op.index,
      kind: op.kind,
      inputs: [middle, w2, ...(op.inputs.length > 2 ? [op.inputs[2]!] : [])],
      outputs: [...op.outputs],
      attrs: secondAttrs,
    });
    layers.push({ name: outT.name, kind: op.kind, shape: [out, inn], rank, weightsBefore: before, weightsAfter: after, energy: total > 0 ? kept / total : 1 });
  }
  if (layers.length === 0)
    throw new TinyforgeError(`${graph.name}: no dense or 1x1 conv layer gets smaller at this rank (factorizing needs rank < out·in/(out+in))`);
  return { graph: { ...graph, tensors, ops, inputs: [...graph.inputs], outputs: [...graph.outputs] }, layers };
}
