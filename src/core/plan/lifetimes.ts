// SPDX-License-Identifier: Apache-2.0
import { type Graph, byteSize, isConstant } from '../ir/graph.ts';
import type { PreparedGraph, PreparedLayer } from '../ops/prepare.ts';
import { alignUp } from '../ir/alignment.ts';

/**
 * One buffer the arena must hold: a tensor (or a set of aliased tensors sharing bytes) or a layer's
 * scratch. Lifetimes are inclusive layer positions in execution order.
 */
export interface BufferRequest {
  id: string;
  /** tensors stored in this buffer (several when ops alias their output to their input) */
  tensors: number[];
  /** the layer a scratch buffer belongs to */
  scratchOf?: number;
  bytes: number;
  firstUse: number;
  lastUse: number;
}

export interface Lifetime {
  firstUse: number;
  lastUse: number;
}

/**
 * When each arena tensor must hold its bytes (inclusive layer positions). Model inputs live from the
 * start, outputs to the end, variable tensors (state kept between inferences) for the whole run.
 */
export function tensorLifetimes(prepared: PreparedGraph): Map<number, Lifetime> {
  const { graph, layers } = prepared;
  const last = Math.max(layers.length - 1, 0);
  const lifetimes = new Map<number, Lifetime>();
  const touch = (tensor: number, at: number) => {
    const t = graph.tensors[tensor];
    if (!t || isConstant(t)) return;
    const life = lifetimes.get(tensor);
    if (!life) lifetimes.set(tensor, { firstUse: at, lastUse: at });
    else {
      life.firstUse = Math.min(life.firstUse, at);
      life.lastUse = Math.max(life.lastUse, at);
    }
  };
  for (const i of graph.inputs) touch(i, 0);
  layers.forEach((layer, position) => {
    for (const i of layer.op.inputs) if (i >= 0) touch(i, position);
    for (const o of layer.op.outputs) touch(o, position);
  });
  for (const o of graph.outputs) touch(o, last);
  for (const t of graph.tensors) {
    if (t.isVariable && !isConstant(t)) {
      touch(t.index, 0);
      touch(t.index, last);
    }
  }
  return lifetimes;
}

/**
 * Works out which bytes must exist when: one request per tensor, except that alias ops (RESHAPE)
 * merge their input and output into one buffer (they are the same bytes), plus one per layer scratch.
 * Overlapping ops do not merge buffers: see `overlapPairs`.
 */
export function bufferRequests(prepared: PreparedGraph): BufferRequest[] {
  const { graph, layers } = prepared;
  const aliasRoot = aliasRoots(prepared);
  const byRoot = new Map<number, BufferRequest>();
  for (const [tensor, life] of tensorLifetimes(prepared)) {
    const root = aliasRoot.get(tensor) ?? tensor;
    let req = byRoot.get(root);
    if (!req) {
      req = { id: `t${root}`, tensors: [], bytes: 0, ...life };
      byRoot.set(root, req);
    }
    req.tensors.push(tensor);
    req.bytes = Math.max(req.bytes, byteSize(graph.tensors[tensor]!));
    req.firstUse = Math.min(req.firstUse, life.firstUse);
    req.lastUse = Math.max(req.lastUse, life.lastUse);
  }
  const requests = [...byRoot.values()];
  layers.forEach((layer, position) => {
    if (layer.scratchBytes > 0) {
      requests.push({ id: `scratch${position}`, tensors: [], scratchOf: position, bytes: layer.scratchBytes, firstUse: position, lastUse: position });
    }
  });
  return requests;
}

/**
 * An input buffer and the output buffer of the layer that reads it for the last time, which may share
 * bytes: the kernel writes its output behind its reads, so it stays correct when the input starts
 * `gap` or more bytes after the output's start (OverlapRule), or, `exact`, only at the output's start.
 */
export interface OverlapPair {
  layer: number;
  input: BufferRequest;
  output: BufferRequest;
  gap: number;
  exact?: boolean;
}

/**
 * The overlaps the layers' kernels allow (OpDef.overlap / KernelVariant.overlap) that the plan may
 * use: the input dies at the layer, the output is born there, the input is read through no other
 * operand of the layer, and graph outputs and variables never give their bytes away.
 */
export function overlapPairs(prepared: PreparedGraph, requests: BufferRequest[]): OverlapPair[] {
  const { graph } = prepared;
  const keep = new Set<number>([...graph.outputs, ...graph.tensors.filter((t) => t.isVariable).map((t) => t.index)]);
  const owner = new Map<number, BufferRequest>();
  for (const r of requests) for (const t of r.tensors) owner.set(t, r);
  const pairs: OverlapPair[] = [];
  prepared.layers.forEach((layer, position) => {
    const rule = layer.overlap;
    if (!rule || layer.isAlias || layer.op.outputs.length !== 1) return;
    const inTensor = layer.op.inputs[rule.input];
    if (inTensor === undefined || inTensor < 0) return;
    const input = owner.get(inTensor);
    const output = owner.get(layer.op.outputs[0]!);
    if (!input || !output || input === output) return;
    if (input.lastUse !== position || output.firstUse !== position) return;
    if (input.tensors.some((t) => keep.has(t))) return;
    // the rule is about one operand: the same bytes read through another one could be overwritten
    const readsTwice = layer.op.inputs.some((t, i) => i !== rule.input && t >= 0 && owner.get(t) === input);
    if (readsTwice) return;
    pairs.push({ layer: position, input, output, gap: rule.gap, ...(rule.exact ? { exact: true } : {}) });
  });
  return pairs;
}

/** Maps every tensor produced by an alias op to the tensor whose bytes it reuses. */
function aliasRoots(prepared: PreparedGraph): Map<number, number> {
  const roots = new Map<number, number>();
  const { graph } = prepared;
  for (const layer of prepared.layers) {
    if (!layer.isAlias) continue;
    const source = layer.op.inputs[0];
    if (source === undefined || isConstant(graph.tensors[source]!)) continue;
    roots.set(layer.op.outputs[0]!, roots.get(source) ?? source);
  }
  return roots;
}

/**
 * The largest set of bytes live at any one layer, less what that layer's overlap pair can share at
 * best (the input `gap` bytes into the output): no arena can be smaller than this.
 */
export function liveBytesLowerBound(requests: BufferRequest[], alignment: number, pairs: OverlapPair[] = []): number {
  let best = 0;
  const end = Math.max(0, ...requests.map((r) => r.lastUse));
  for (let at = 0; at <= end; at++) {
    const live = requests.filter((r) => r.firstUse <= at && at <= r.lastUse).reduce((n, r) => n + alignUp(r.bytes, alignment), 0);
    const shared = pairs.filter((p) => p.layer === at).reduce((n, p) => n + overlapSaving(p, alignment), 0);
    best = Math.max(best, live - shared);
  }
  return best;
}

/** Bytes an overlap pair saves at best over two disjoint buffers: the input placed `gap` into the output. */
export function overlapSaving(pair: OverlapPair, alignment: number): number {
  const input = alignUp(pair.input.bytes, alignment);
  const output = alignUp(pair.output.bytes, alignment);
  const together = Math.max(output, alignUp(Math.max(pair.gap, 0), alignment) + input);
  return Math.max(0, input + output - together);
}

/**
 * The classic live-set floor: every tensor its own buffer (aliases share theirs), no overlaps and no
 * in-place ops, the model's op order, no scratch. The least any planner that places whole tensors
 * (TFLite Micro's) can reach on this graph; its kernels' scratch comes on top.
 */
export function classicLiveSetFloor(prepared: PreparedGraph, alignment: number): number {
  // a row-band stage (plan/patch.ts) counts as the model's layers it replaces: the floor is the
  // model's, whatever this plan does
  const layers = prepared.layers.flatMap((l) => stageOriginals(l) ?? [l]).sort((a, b) => a.op.index - b.op.index);
  const tensors = bufferRequests({ ...prepared, layers }).filter((r) => r.scratchOf === undefined);
  return liveBytesLowerBound(tensors, alignment);
}

/** The model's layers a row-band stage runs (its band layers' and fused ADD's originals); undefined for other layers. */
function stageOriginals(layer: PreparedLayer): PreparedLayer[] | undefined {
  if (layer.op.kind !== 'PATCH_STAGE') return undefined;
  const p = layer.params as { layers: { original: PreparedLayer }[]; add?: { original: PreparedLayer } };
  return [...p.layers.map((b) => b.original), ...(p.add ? [p.add.original] : [])];
}

export { alignUp };

export function graphHasArena(graph: Graph): boolean {
  return graph.tensors.some((t) => !isConstant(t));
}
