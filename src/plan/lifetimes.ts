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
}

/**
 * Works out which bytes must exist when. Model inputs live from the start, outputs to the end,
 * variable tensors (state kept between inferences) for the whole run; alias ops (RESHAPE) merge their
 * input and output into one buffer.
 */
export function bufferRequests(prepared: PreparedGraph): BufferRequest[] {
  const { graph, layers } = prepared;
  const last = Math.max(layers.length - 1, 0);
  const aliasRoot = aliasRoots(prepared);
  const byRoot = new Map<number, BufferRequest>();
  const touch = (tensor: number, at: number) => {
    const t = graph.tensors[tensor];
    if (!t || isConstant(t)) return;
    const root = aliasRoot.get(tensor) ?? tensor;
    let req = byRoot.get(root);
    if (!req) {
      req = { id: `t${root}`, tensors: [], bytes: 0, firstUse: at, lastUse: at };
      byRoot.set(root, req);
    }
    if (!req.tensors.includes(tensor)) req.tensors.push(tensor);
    req.bytes = Math.max(req.bytes, byteSize(t));
    req.firstUse = Math.min(req.firstUse, at);
    req.lastUse = Math.max(req.lastUse, at);
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
  const requests = [...byRoot.values()];
  layers.forEach((layer, position) => {
    if (layer.scratchBytes > 0) {
      requests.push({ id: `scratch${position}`, tensors: [], scratchOf: position, bytes: layer.scratchBytes, firstUse: position, lastUse: position });
    }
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
