// SPDX-License-Identifier: Apache-2.0
/**
 * Op order for memory: in a branchy graph (residual, inception) the order the model lists its ops in
 * may keep a branch's tensors alive longer than needed. `planMemory` searches the topological orders
 * for the one whose largest live set (less what overlapping kernels share, plus scratch) is smallest,
 * plans the arena in it, and keeps it only when that arena is smaller than in the model's order.
 */
import type { PreparedGraph, PreparedLayer } from '../ops/prepare.ts';
import { type MemoryPlan, ARENA_ALIGNMENT, planArena } from './arena.ts';
import { type BufferRequest, alignUp, bufferRequests, overlapSaving } from './lifetimes.ts';

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
  const saving = overlapSavings(prepared, requests, bufferOf, alignment);

  // sets as bit sets of 32-bit words: executed layers (`done`) and live buffers. The search tries n
  // layers on each kept state at each of n steps; a try is a small record (its state, the layer, its
  // peak and live bytes), found again by the hash of its executed layers (the XOR of a random number
  // per layer) and compared word by word. Only the tries kept for the next step get their own sets
  // and path, so a step allocates per kept state, not per try
  const layerWords = (n + 31) >>> 5;
  const bufferWords = (requests.length + 31) >>> 5;
  const has = (set: Uint32Array, i: number) => ((set[i >>> 5]! >>> (i & 31)) & 1) === 1;
  const add = (set: Uint32Array, i: number) => (set[i >>> 5]! |= 1 << (i & 31));
  let seed = 0x9e3779b9;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  // 52 bits per layer in two 26-bit halves: a float holds the key exactly
  const hashHigh = layers.map(() => random() >>> 6);
  const hashLow = layers.map(() => random() >>> 6);
  const keyOf = (high: number, low: number) => high * 67108864 + low;
  interface State {
    done: Uint32Array;
    high: number;
    low: number;
    live: Uint32Array;
    liveBytes: number;
    peak: number;
    path: number[];
  }
  /** layer p run after the layers of `from`; `sameKey`: another try whose executed layers hash alike */
  interface Try {
    from: State;
    p: number;
    peak: number;
    liveBytes: number;
    sameKey: Try | null;
  }
  /** whether two tries executed the same layers */
  const sameDone = (a: Try, b: Try) => {
    for (let w = 0; w < layerWords; w++) {
      const x = w === a.p >>> 5 ? (a.from.done[w]! | (1 << (a.p & 31))) >>> 0 : a.from.done[w]!;
      const y = w === b.p >>> 5 ? (b.from.done[w]! | (1 << (b.p & 31))) >>> 0 : b.from.done[w]!;
      if (x !== y) return false;
    }
    return true;
  };
  // buffer b dies once layer p runs after the layers of `s`: not an output, and every reader ran
  const dies = (b: number, s: State, p: number) => {
    if (kept.has(b)) return false;
    for (const q of readers[b]!) if (q !== p && !has(s.done, q)) return false;
    return true;
  };
  // layer p can run after the layers of `s`: not one of them, and every layer it waits for is
  const ready = (s: State, p: number) => {
    if (has(s.done, p)) return false;
    for (const q of after[p]!) if (!has(s.done, q)) return false;
    return true;
  };
  /** a buffer layer p writes that is not live before it */
  const isBorn = (s: State, p: number, b: number) => !has(s.live, b) && writes[p]!.includes(b);
  /** the buffers that die when layer p runs after `s`: those it reads, then those it writes that nobody reads after it */
  const deaths = (s: State, p: number) => [
    ...reads[p]!.filter((b) => (has(s.live, b) || isBorn(s, p, b)) && dies(b, s, p)),
    ...writes[p]!.filter((b) => isBorn(s, p, b) && !reads[p]!.includes(b) && dies(b, s, p)),
  ];
  /** the state a kept try leads to */
  const stateOf = (t: Try): State => {
    const { from, p } = t;
    const done = from.done.slice();
    add(done, p);
    const live = from.live.slice();
    for (const b of writes[p]!) add(live, b);
    for (const b of deaths(from, p)) live[b >>> 5]! &= ~(1 << (b & 31));
    const path = from.path.slice();
    path.push(p);
    return { done, high: from.high ^ hashHigh[p]!, low: from.low ^ hashLow[p]!, live, liveBytes: t.liveBytes, peak: t.peak, path };
  };
  // the model's order first among equals: paths compared position by position
  const compareTries = (a: Try, b: Try) =>
    a.peak - b.peak || a.liveBytes - b.liveBytes || (a.from === b.from ? a.p - b.p : compareOrder(a.from.path, b.from.path) || a.p - b.p);
  const scratch = layers.map((l) => alignUp(l.scratchBytes, alignment));
  const start = [...initial];
  const startLive = new Uint32Array(bufferWords);
  for (const b of start) add(startLive, b);
  let states: State[] = [
    { done: new Uint32Array(layerWords), high: 0, low: 0, live: startLive, liveBytes: start.reduce((sum, b) => sum + bytes[b]!, 0), peak: 0, path: [] },
  ];
  for (let step = 0; step < n; step++) {
    const next = new Map<number, Try>();
    for (const s of states) {
      for (let p = 0; p < n; p++) {
        if (!ready(s, p)) continue;
        let liveBytes = s.liveBytes;
        for (const b of writes[p]!) if (!has(s.live, b)) liveBytes += bytes[b]!;
        let during = liveBytes + scratch[p]!;
        const pair = saving.get(p);
        if (pair && dies(pair.input, s, p)) during -= pair.save;
        const peak = Math.max(s.peak, during);
        const key = keyOf(s.high ^ hashHigh[p]!, s.low ^ hashLow[p]!);
        const first = next.get(key);
        const candidate: Try = { from: s, p, peak, liveBytes, sameKey: null };
        let old: Try | null | undefined = first;
        while (old && !sameDone(old, candidate)) old = old.sameKey;
        if (old && peak >= old.peak) continue;
        for (const b of deaths(s, p)) candidate.liveBytes -= bytes[b]!;
        if (old) Object.assign(old, { from: s, p, peak, liveBytes: candidate.liveBytes });
        else {
          candidate.sameKey = first ?? null;
          next.set(key, candidate);
        }
      }
    }
    const tries: Try[] = [];
    for (const first of next.values()) for (let t: Try | null = first; t; t = t.sameKey) tries.push(t);
    states = tries.sort(compareTries).slice(0, beam).map(stateOf);
  }
  const best = states[0];
  if (!best || best.path.every((p, i) => p === i)) return undefined;
  return best.path;
}

/**
 * Per layer with an overlap (OverlapRule) of a distinct, once-read input: that input's buffer and the
 * bytes the overlap saves in any order where the input dies at the layer.
 */
function overlapSavings(
  prepared: PreparedGraph,
  requests: BufferRequest[],
  bufferOf: Map<number, number>,
  alignment: number,
): Map<number, { input: number; save: number }> {
  const saving = new Map<number, { input: number; save: number }>();
  prepared.layers.forEach((l, p) => {
    const rule = l.overlap;
    const input = l.op.inputs[rule?.input ?? -1];
    if (!rule || l.isAlias || l.op.outputs.length !== 1 || input === undefined || !bufferOf.has(input)) return;
    const [inBuffer, outBuffer] = [bufferOf.get(input)!, bufferOf.get(l.op.outputs[0]!)!];
    const readsTwice = l.op.inputs.some((t, i) => i !== rule.input && t >= 0 && bufferOf.get(t) === inBuffer);
    if (inBuffer === outBuffer || outBuffer === undefined || readsTwice) return;
    saving.set(p, { input: inBuffer, save: overlapSaving({ layer: p, input: requests[inBuffer]!, output: requests[outBuffer]!, gap: rule.gap }, alignment) });
  });
  return saving;
}

/** Lexicographic on layer positions: the order closest to the model's first. */
function compareOrder(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
