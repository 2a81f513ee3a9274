// SPDX-License-Identifier: Apache-2.0
import { type Graph, byteSize, isConstant } from '../ir/graph.ts';
import type { PreparedGraph } from '../ops/prepare.ts';

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
  /** tensors placed at an offset inside the buffer (in-place and overlapping ops); others at 0 */
  tensorOffsets?: Map<number, number>;
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
 * merge their input and output into one buffer, and ops that may overlap an input share one.
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
  const requests = mergeOverlaps(prepared, [...byRoot.values()]);
  layers.forEach((layer, position) => {
    if (layer.scratchBytes > 0) {
      requests.push({ id: `scratch${position}`, tensors: [], scratchOf: position, bytes: layer.scratchBytes, firstUse: position, lastUse: position });
    }
  });
  return requests;
}

/**
 * Ops whose output may overlap an input (OpDef.overlap: elementwise ops in place, convolutions whose
 * output overruns the input's rows only after they are read) get the two in one buffer when that
 * input dies at the op: output at 0, input `gap` bytes in (rounded up to the arena alignment), the
 * buffer max(output, gap + input) bytes instead of both. Graph outputs and variables never give
 * their bytes away.
 */
function mergeOverlaps(prepared: PreparedGraph, requests: BufferRequest[]): BufferRequest[] {
  const { graph } = prepared;
  const keep = new Set<number>([...graph.outputs, ...graph.tensors.filter((t) => t.isVariable).map((t) => t.index)]);
  const owner = (tensor: number) => requests.find((r) => r.tensors.includes(tensor));
  prepared.layers.forEach((layer, position) => {
    const overlap = layer.overlap;
    if (!overlap || layer.op.outputs.length !== 1) return;
    const inTensor = layer.op.inputs[overlap.input];
    const outTensor = layer.op.outputs[0]!;
    if (inTensor === undefined || inTensor < 0) return;
    const source = owner(inTensor);
    const target = owner(outTensor);
    if (!source || !target || source === target) return;
    // a buffer is merged once: a chain of merges would hold one rectangle over all their lifetimes
    if (source.lastUse !== position || target.firstUse !== position || target.tensorOffsets || source.tensorOffsets) return;
    if (source.tensors.some((t) => keep.has(t))) return;
    const gap = alignUp(overlap.gap, 16);
    const offsets = new Map<number, number>();
    for (const t of target.tensors) offsets.set(t, 0);
    // neither buffer was merged before (checked above), so every member starts at offset 0; the
    // source moves so that the input lands `gap` bytes into the merged buffer
    let shift = gap;
    let outputAt = 0;
    if (shift < 0) {
      outputAt = -shift;
      shift = 0;
      for (const t of target.tensors) offsets.set(t, outputAt);
    }
    for (const t of source.tensors) offsets.set(t, shift);
    const merged: BufferRequest = {
      id: `${target.id}+${source.id}`,
      tensors: [...target.tensors, ...source.tensors],
      bytes: Math.max(outputAt + target.bytes, shift + source.bytes),
      firstUse: Math.min(source.firstUse, target.firstUse),
      lastUse: Math.max(source.lastUse, target.lastUse),
      tensorOffsets: offsets,
    };
    requests.splice(requests.indexOf(source), 1);
    requests.splice(requests.indexOf(target), 1, merged);
  });
  return requests;
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

/** The largest set of bytes live at any one layer: no arena can be smaller than this. */
export function liveBytesLowerBound(requests: BufferRequest[], alignment: number): number {
  let best = 0;
  const end = Math.max(0, ...requests.map((r) => r.lastUse));
  for (let at = 0; at <= end; at++) {
    const live = requests.filter((r) => r.firstUse <= at && at <= r.lastUse).reduce((n, r) => n + alignUp(r.bytes, alignment), 0);
    best = Math.max(best, live);
  }
  return best;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

export function graphHasArena(graph: Graph): boolean {
  return graph.tensors.some((t) => !isConstant(t));
}
