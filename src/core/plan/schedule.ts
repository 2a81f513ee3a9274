// SPDX-License-Identifier: Apache-2.0
/**
 * Op order for memory: in a branchy graph (residual, inception) the order the model lists its ops in
 * may keep a branch's tensors alive longer than needed. `planMemory` searches the topological orders
 * for the one whose largest live set (less what overlapping kernels share, plus scratch) is smallest,
 * plans the arena in it, and keeps it only when that arena is smaller than in the model's order.
 */
import type { PreparedGraph, PreparedLayer } from '../ops/prepare.ts';
import { type MemoryPlan, ARENA_ALIGNMENT, planArena } from './arena.ts';
import { alignUp, bufferRequests, overlapSaving } from './lifetimes.ts';

/** Sets of executed ops kept per step of the search (the best by peak, then live bytes), at most. */
const BEAM = 500;
/**
 * The search's work bound: each of n steps tries n layers on every kept set and copies its n-long
 * path and live set, so n^3 per kept set. Wide graphs keep fewer sets (143 parallel layers: 6), and
 * a graph too large for even one keeps the model's order. A bound on layers alone let a 143-layer
 * graph run for minutes.
 */
const SEARCH_WORK = 20_000_000;
/** Ops read and write state outside their tensors' lifetimes: their relative order must stay. */
const ORDERED_KINDS = new Set(['READ_VARIABLE', 'ASSIGN_VARIABLE', 'VAR_HANDLE', 'CALL_ONCE']);

/** The prepared graph in the op order with the smallest arena, and its plan. */
export function planMemory(prepared: PreparedGraph, alignment = ARENA_ALIGNMENT): { prepared: PreparedGraph; plan: MemoryPlan } {
  const plan = planArena(prepared, alignment);
  const order = memoryOrder(prepared, alignment);
  if (!order) return { prepared, plan };
  const reordered = reorder(prepared, order);
  const other = planArena(reordered, alignment);
  return other.arenaBytes < plan.arenaBytes ? { prepared: reordered, plan: { ...other, strategy: `${other.strategy}; ops reordered` } } : { prepared, plan };
}

/** The layers in `order` (positions into prepared.layers), renumbered; the graph lists its ops so too. */
export function reorder(prepared: PreparedGraph, order: number[]): PreparedGraph {
  const layers: PreparedLayer[] = order.map((p, position) => ({ ...prepared.layers[p]!, position }));
  return { ...prepared, graph: { ...prepared.graph, ops: layers.map((l) => l.op) }, layers };
}

/**
 * A topological order of the layers minimizing the largest live set (a beam search over the sets of
 * executed layers, ties to the model's order), or undefined when it is the model's order or the graph
 * keeps state whose order matters.
 */
export function memoryOrder(prepared: PreparedGraph, alignment = ARENA_ALIGNMENT): number[] | undefined {
  const { graph, layers } = prepared;
  const n = layers.length;
  const beam = Math.min(BEAM, Math.floor(SEARCH_WORK / n ** 3));
  if (n < 3 || beam < 1 || graph.tensors.some((t) => t.isVariable) || layers.some((l) => ORDERED_KINDS.has(l.op.kind) || l.op.outputs.length === 0))
    return undefined;
  const requests = bufferRequests(prepared).filter((r) => r.scratchOf === undefined);
  const bufferOf = new Map<number, number>();
  requests.forEach((r, b) => r.tensors.forEach((t) => bufferOf.set(t, b)));
  const bytes = requests.map((r) => alignUp(r.bytes, alignment));
  const kept = new Set(graph.outputs.map((t) => bufferOf.get(t)).filter((b) => b !== undefined));
  const initial = new Set(graph.inputs.map((t) => bufferOf.get(t)).filter((b) => b !== undefined));
  // per layer: the buffers it reads and writes, the layers it waits for, its scratch and overlap
  const reads = layers.map((l) => [...new Set(l.op.inputs.filter((t) => t >= 0 && bufferOf.has(t)).map((t) => bufferOf.get(t)!))]);
  const writes = layers.map((l) => [...new Set(l.op.outputs.filter((t) => bufferOf.has(t)).map((t) => bufferOf.get(t)!))]);
  const producer = new Map<number, number>();
  layers.forEach((l, p) => l.op.outputs.forEach((t) => producer.set(t, p)));
  const after = layers.map((l) => [...new Set(l.op.inputs.filter((t) => producer.has(t)).map((t) => producer.get(t)!))]);
  const readers = requests.map(() => [] as number[]);
  reads.forEach((bs, p) => bs.forEach((b) => readers[b]!.push(p)));
  // a layer's overlap (OverlapRule) saves bytes in any order where its input dies at it
  const saving = new Map<number, { input: number; save: number }>();
  layers.forEach((l, p) => {
    const rule = l.overlap;
    const input = l.op.inputs[rule?.input ?? -1];
    if (!rule || l.isAlias || l.op.outputs.length !== 1 || input === undefined || !bufferOf.has(input)) return;
    const [inBuffer, outBuffer] = [bufferOf.get(input)!, bufferOf.get(l.op.outputs[0]!)!];
    const readsTwice = l.op.inputs.some((t, i) => i !== rule.input && t >= 0 && bufferOf.get(t) === inBuffer);
    if (inBuffer === outBuffer || outBuffer === undefined || readsTwice) return;
    saving.set(p, { input: inBuffer, save: overlapSaving({ layer: p, input: requests[inBuffer]!, output: requests[outBuffer]!, gap: rule.gap }, alignment) });
  });

  // sets as bit masks: executed layers (`done`, also the key of a set), live buffers, and per layer
  // the layers it waits for, per buffer the layers that read it. The search tries n layers on each
  // kept set at each of n steps: nothing is allocated for a candidate that does not beat the set
  // already found for its `done` (its live set and path are made only then)
  const layerBit = layers.map((_, p) => 1n << BigInt(p));
  const bufferBit = requests.map((_, b) => 1n << BigInt(b));
  const mask = (bits: bigint[], of: number[]) => of.reduce((m, i) => m | bits[i]!, 0n);
  const waitsFor = after.map((qs) => mask(layerBit, qs));
  const readBy = readers.map((qs) => mask(layerBit, qs));
  interface State {
    done: bigint;
    live: bigint;
    liveBytes: number;
    peak: number;
    path: number[];
  }
  const dies = (b: number, done: bigint) => !kept.has(b) && (done & readBy[b]!) === readBy[b]!;
  const scratch = layers.map((l) => alignUp(l.scratchBytes, alignment));
  const start = [...initial];
  let states: State[] = [{ done: 0n, live: mask(bufferBit, start), liveBytes: start.reduce((s, b) => s + bytes[b]!, 0), peak: 0, path: [] }];
  const born: number[] = [];
  for (let step = 0; step < n; step++) {
    const next = new Map<bigint, State>();
    for (const s of states) {
      for (let p = 0; p < n; p++) {
        if (s.done & layerBit[p]! || (s.done & waitsFor[p]!) !== waitsFor[p]!) continue;
        const done = s.done | layerBit[p]!;
        let live = s.live;
        let liveBytes = s.liveBytes;
        born.length = 0;
        for (const b of writes[p]!) {
          if (live & bufferBit[b]!) continue;
          born.push(b);
          live |= bufferBit[b]!;
          liveBytes += bytes[b]!;
        }
        let during = liveBytes + scratch[p]!;
        const pair = saving.get(p);
        if (pair && dies(pair.input, done)) during -= pair.save;
        const peak = Math.max(s.peak, during);
        const old = next.get(done);
        if (old && peak >= old.peak) continue;
        for (const group of [reads[p]!, born]) {
          for (const b of group) {
            if (live & bufferBit[b]! && dies(b, done)) {
              live &= ~bufferBit[b]!;
              liveBytes -= bytes[b]!;
            }
          }
        }
        const path = s.path.slice();
        path.push(p);
        next.set(done, { done, live, liveBytes, peak, path });
      }
    }
    states = [...next.values()].sort((a, b) => a.peak - b.peak || a.liveBytes - b.liveBytes || compareOrder(a.path, b.path)).slice(0, beam);
  }
  const best = states[0];
  if (!best || best.path.every((p, i) => p === i)) return undefined;
  return best.path;
}

/** Lexicographic on layer positions: the order closest to the model's first. */
function compareOrder(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
