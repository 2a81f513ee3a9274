// SPDX-License-Identifier: Apache-2.0
import type { PreparedGraph } from '../ops/prepare.ts';
import { ARENA_ALIGNMENT } from '../ir/alignment.ts';
import { type BufferRequest, type OverlapPair, alignUp, bufferRequests, classicLiveSetFloor, liveBytesLowerBound, overlapPairs } from './lifetimes.ts';

export interface PlacedBuffer extends BufferRequest {
  offset: number;
}

/** An input and output buffer the plan lets share bytes (the input at least `gap` after the output; `exact`: at the output's start only). */
export interface PlannedOverlap {
  layer: number;
  input: string;
  output: string;
  gap: number;
  exact?: boolean;
}

export interface MemoryPlan {
  buffers: PlacedBuffer[];
  /** arena bytes: the end of the highest buffer */
  arenaBytes: number;
  /** bytes of the arena used by layer scratch buffers at their largest */
  scratchBytes: number;
  /** the largest set of bytes live at one time, less what overlapping kernels can share: no plan can be smaller */
  lowerBound: number;
  /**
   * The classic live-set floor: every tensor its own buffer, no overlaps or in-place ops, the model's
   * op order, no scratch: what a whole-tensor planner such as TFLite Micro's can reach at best.
   */
  classicFloor: number;
  /** the overlaps the kernels allow between an input and their output (see OverlapRule) */
  overlaps: PlannedOverlap[];
  alignment: number;
  /** which placement order produced this plan */
  strategy: string;
  /** tensor index → arena offset */
  tensorOffset: Map<number, number>;
  /** layer position → arena offset of its scratch buffer */
  scratchOffset: Map<number, number>;
  /**
   * the buffers placed in external RAM (PSRAM) when the arena above did not fit the internal RAM
   * (plan/regions.ts): a second arena; `buffers`, `tensorOffset` and `scratchOffset` above then hold
   * the internal buffers only
   */
  external?: ExternalArena;
}

/** The part of a split plan in external RAM: its own arena, its own offsets. */
export interface ExternalArena {
  /** the region, as the board names it */
  region: string;
  /** what a byte here costs relative to internal SRAM (the board's accessCost) */
  accessCost: number;
  arenaBytes: number;
  buffers: PlacedBuffer[];
  tensorOffset: Map<number, number>;
  scratchOffset: Map<number, number>;
  strategy: string;
}

export { ARENA_ALIGNMENT };

type Order = { name: string; compare: (a: BufferRequest, b: BufferRequest) => number };

const bySize = (a: BufferRequest, b: BufferRequest) => b.bytes - a.bytes;
const byFirstUse = (a: BufferRequest, b: BufferRequest) => a.firstUse - b.firstUse;
const byLastUseLate = (a: BufferRequest, b: BufferRequest) => b.lastUse - a.lastUse;
const byLifetime = (a: BufferRequest, b: BufferRequest) => b.lastUse - b.firstUse - (a.lastUse - a.firstUse);
const byArea = (a: BufferRequest, b: BufferRequest) => b.bytes * (b.lastUse - b.firstUse + 1) - a.bytes * (a.lastUse - a.firstUse + 1);

/** Placement orders tried; the smallest arena wins. The first is TFLite Micro's greedy planner. */
const ORDERS: Order[] = [
  { name: 'greedy by size (TFLite Micro)', compare: (a, b) => bySize(a, b) || byFirstUse(a, b) },
  { name: 'greedy by lifetime', compare: (a, b) => byLifetime(a, b) || bySize(a, b) },
  { name: 'greedy by size x lifetime', compare: (a, b) => byArea(a, b) || bySize(a, b) },
  { name: 'greedy by first use', compare: (a, b) => byFirstUse(a, b) || bySize(a, b) },
  // an overlapping output placed before its input: the input then slides in `gap` bytes above it
  { name: 'greedy by last use', compare: (a, b) => byLastUseLate(a, b) || bySize(a, b) },
];

/** Order moves tried after the fixed orders, at most; fewer on large graphs (each costs a placement). */
const SEARCH_MOVES = 2000;
const SEARCH_BUDGET = 4_000_000;

/**
 * Plans one static arena: every buffer gets the lowest offset that does not overlap a buffer already
 * placed whose lifetime intersects its own, except where a kernel lets its output overlap an input
 * that dies at it (OverlapRule: the input at least `gap` bytes after the output's start). Several
 * orders are tried, then the best is improved by moving one buffer at a time in it (a seeded,
 * deterministic local search); the smallest arena is kept.
 */
export function planArena(prepared: PreparedGraph, alignment = ARENA_ALIGNMENT): MemoryPlan {
  const requests = bufferRequests(prepared);
  const pairs = overlapPairs(prepared, requests);
  const placed = placeBuffers(requests, pairs, alignment);
  const plan: MemoryPlan = {
    buffers: placed.buffers,
    arenaBytes: placed.arenaBytes,
    scratchBytes: Math.max(0, ...placed.buffers.filter((b) => b.scratchOf !== undefined).map((b) => b.bytes)),
    lowerBound: placed.lowerBound,
    classicFloor: classicLiveSetFloor(prepared, alignment),
    overlaps: pairs.map(plannedOverlap),
    alignment,
    strategy: placed.strategy,
    tensorOffset: placed.tensorOffset,
    scratchOffset: placed.scratchOffset,
  };
  const problems = planViolations(plan);
  if (problems.length > 0) throw new Error(`internal error: the memory plan overlaps live buffers: ${problems.slice(0, 5).join('; ')}`);
  return plan;
}

/** An overlap pair as the plan records it. */
export function plannedOverlap(p: OverlapPair): PlannedOverlap {
  return { layer: p.layer, input: p.input.id, output: p.output.id, gap: p.gap, ...(p.exact ? { exact: true } : {}) };
}

/** Whether an overlap lets an input at `input` share bytes with its output at `output`. */
export function overlapAllows(o: { gap: number; exact?: boolean }, input: number, output: number): boolean {
  return o.exact ? input === output : input >= output + o.gap;
}

/** Buffers placed in one arena: planArena's, or one region's of a split plan (plan/regions.ts). */
export interface PlacedArena {
  buffers: PlacedBuffer[];
  arenaBytes: number;
  lowerBound: number;
  strategy: string;
  tensorOffset: Map<number, number>;
  scratchOffset: Map<number, number>;
}

/**
 * Places `requests` in one arena (`pairs`: the overlaps allowed between them). `search: false` tries
 * the fixed orders only: a quick size for a planner that places many candidate sets.
 */
export function placeBuffers(requests: BufferRequest[], pairs: OverlapPair[], alignment: number, search = true): PlacedArena {
  const lowerBound = liveBytesLowerBound(requests, alignment, pairs);
  const key = placementKey(requests, pairs, alignment, search, lowerBound);
  const known = placements.get(key);
  const placement = known ?? searchPlacement(requests, pairs, alignment, search, lowerBound);
  if (!known) {
    if (placements.size >= PLACEMENTS_KEPT) placements.delete(placements.keys().next().value!);
    placements.set(key, placement);
  }
  const buffers = requests.map((r, i) => ({ ...r, offset: placement.offsets[i]! })).sort((a, b) => a.firstUse - b.firstUse || a.offset - b.offset);
  const tensorOffset = new Map<number, number>();
  const scratchOffset = new Map<number, number>();
  for (const b of buffers) {
    for (const t of b.tensors) tensorOffset.set(t, b.offset);
    if (b.scratchOf !== undefined) scratchOffset.set(b.scratchOf, b.offset);
  }
  return { buffers, arenaBytes: placement.arenaBytes, lowerBound, strategy: placement.strategy, tensorOffset, scratchOffset };
}

/** A placement by request index: what placeBuffers computes from the requests' sizes and lifetimes. */
interface Placement {
  offsets: number[];
  arenaBytes: number;
  strategy: string;
}

/**
 * The placements of the last PLACEMENTS_KEPT distinct inputs, by placementKey: the same graph
 * compiled again (for another target of the same buffers, a build after its check) is placed once.
 * The key holds all that a placement reads, so a placement found here is the one computed again.
 */
const placements = new Map<string, Placement>();
const PLACEMENTS_KEPT = 64;

/** What a placement depends on: each request's size and lifetime in order, the pairs by request index, the options. */
function placementKey(requests: BufferRequest[], pairs: OverlapPair[], alignment: number, search: boolean, lowerBound: number): string {
  const index = new Map(requests.map((r, i) => [r, i]));
  const parts = [`${alignment} ${search} ${lowerBound}`];
  for (const r of requests) parts.push(`${r.bytes} ${r.firstUse} ${r.lastUse}`);
  parts.push('pairs');
  for (const p of pairs) parts.push(`${index.get(p.input)} ${index.get(p.output)} ${p.gap} ${p.exact === true}`);
  return parts.join(',');
}

function searchPlacement(requests: BufferRequest[], pairs: OverlapPair[], alignment: number, search: boolean, lowerBound: number): Placement {
  const placer = new FirstFit(requests, pairs, alignment);
  // the same orders with every buffer disjoint too: first fit is not monotone, and so the plan is
  // never larger than the classic one
  const disjoint = new FirstFit(requests, [], alignment);
  let best: { order: number[]; cost: Cost; name: string; placer: FirstFit } | undefined;
  for (const order of ORDERS) {
    const indices = requests.map((_, i) => i).sort((a, b) => order.compare(requests[a]!, requests[b]!));
    for (const [p, name] of [
      [placer, order.name],
      [disjoint, `${order.name}, no overlaps`],
    ] as const) {
      const cost = p.cost(p.place(indices));
      if (!best || less(cost, best.cost)) best = { order: indices, cost, name, placer: p };
    }
  }
  if (search && best && requests.length > 2 && best.cost.size > lowerBound) {
    const moves = Math.min(SEARCH_MOVES, Math.floor(SEARCH_BUDGET / requests.length ** 2));
    const searched = placer.search(best.order, best.cost, moves, alignUp(lowerBound, alignment));
    if (less(searched.cost, best.cost)) best = { ...searched, name: `${best.name}, then local search`, placer };
  }
  const offsets = best ? best.placer.place(best.order) : [];
  return { offsets, arenaBytes: best?.cost.size ?? 0, strategy: best?.name ?? 'empty' };
}

/** A placement's arena bytes, then the sum of its buffers' ends (lower: room left for the next move). */
type Cost = { size: number; ends: number };
const less = (a: Cost, b: Cost) => a.size < b.size || (a.size === b.size && a.ends < b.ends);

/** Forbidden intervals up to this many are sorted (lowestOutsideSorted); more are swept (lowestOutside). */
const FEW_INTERVALS = 32;

/**
 * The lowest aligned offset outside the first `count` open intervals (lows[k], highs[k]): sweeps
 * over them in any order, moving the offset past each one it lies in, until a sweep moves it no
 * more. Each move skips only offsets inside an interval, so the first offset no sweep moves is the
 * lowest outside all; no sort, which many intervals (a wide graph's buffers all live at once) make
 * dearer than the few sweeps.
 */
function lowestOutside(lows: Float64Array, highs: Float64Array, count: number, alignment: number): number {
  let offset = 0;
  for (let moved = true; moved; ) {
    moved = false;
    for (let k = 0; k < count; k++) {
      if (lows[k]! < offset && offset < highs[k]!) {
        offset = Math.ceil(highs[k]! / alignment) * alignment;
        moved = true;
      }
    }
  }
  return offset;
}

/**
 * First fit: each buffer in turn takes the lowest aligned offset outside every interval of offsets a
 * placed buffer live at the same time forbids. A disjoint neighbour forbids the open interval
 * (its offset - bytes, its end); an overlap partner forbids less: an input whose output sits at y may
 * also start at y + gap or above, an output whose input sits at x may also start at x - gap or below;
 * an `exact` partner allows its own offset alone inside that interval.
 */
export class FirstFit {
  /**
   * Per buffer, in one run of each array from first[i] to first[i + 1]: the buffers live with it
   * (`other`), how far below (before) and above (after) their offset it may not start, and whether
   * it may start exactly there (`exact`, 1)
   */
  private readonly first: Int32Array;
  private readonly other: Int32Array;
  private readonly below: Float64Array;
  private readonly above: Float64Array;
  private readonly exact: Uint8Array;
  /** each request's bytes rounded up to the alignment */
  private readonly aligned: Float64Array;
  /** the forbidden intervals of the buffer being placed (place), their order by low end (lowestOutsideSorted) */
  private readonly lows: Float64Array;
  private readonly highs: Float64Array;
  private readonly order: Int32Array;

  constructor(
    private readonly requests: BufferRequest[],
    pairs: OverlapPair[],
    private readonly alignment: number,
  ) {
    const n = requests.length;
    const index = new Map(requests.map((r, i) => [r, i]));
    // keyed input * n + output
    const pairGap = new Map<number, number>();
    const exactPairs = new Set<number>();
    for (const p of pairs) {
      const key = index.get(p.input)! * n + index.get(p.output)!;
      if (p.exact) exactPairs.add(key);
      else pairGap.set(key, p.gap);
    }
    const others: number[] = [];
    const belows: number[] = [];
    const aboves: number[] = [];
    const exacts: number[] = [];
    this.first = new Int32Array(n + 1);
    let most = 0;
    for (let i = 0; i < n; i++) {
      const r = requests[i]!;
      for (let j = 0; j < n; j++) {
        const o = requests[j]!;
        if (i === j || o.firstUse > r.lastUse || r.firstUse > o.lastUse) continue;
        const asInput = pairGap.get(i * n + j);
        const asOutput = pairGap.get(j * n + i);
        others.push(j);
        belows.push(asOutput !== undefined ? Math.min(asOutput, r.bytes) : r.bytes);
        aboves.push(asInput !== undefined ? Math.min(asInput, o.bytes) : o.bytes);
        exacts.push(exactPairs.has(i * n + j) || exactPairs.has(j * n + i) ? 1 : 0);
      }
      this.first[i + 1] = others.length;
      most = Math.max(most, 2 * (others.length - this.first[i]!));
    }
    this.other = Int32Array.from(others);
    this.below = Float64Array.from(belows);
    this.above = Float64Array.from(aboves);
    this.exact = Uint8Array.from(exacts);
    this.aligned = Float64Array.from(requests, (r) => alignUp(r.bytes, alignment));
    this.lows = new Float64Array(most);
    this.highs = new Float64Array(most);
    this.order = new Int32Array(most);
  }

  /**
   * Offsets by request index, placing the requests in `order`; from position `start` on, the ones
   * ahead of it at their offsets in `placed` (first fit places each buffer by those ahead of it only).
   */
  place(order: number[], start = 0, placed?: number[]): number[] {
    const offsets: number[] = start > 0 ? placed!.slice() : new Array(this.requests.length).fill(-1);
    for (let j = start; j < order.length && start > 0; j++) offsets[order[j]!] = -1;
    const { first, other, below, above, exact, lows, highs, alignment } = this;
    for (let j = start; j < order.length; j++) {
      const i = order[j]!;
      let count = 0;
      for (let k = first[i]!; k < first[i + 1]!; k++) {
        const at = offsets[other[k]!]!;
        if (at < 0) continue;
        // an exact partner's offset stays open: the two open intervals on either side of it
        if (exact[k]) {
          lows[count] = at - below[k]!;
          highs[count++] = at;
          lows[count] = at;
          highs[count++] = at + above[k]!;
        } else {
          lows[count] = at - below[k]!;
          highs[count++] = at + above[k]!;
        }
      }
      offsets[i] = count > FEW_INTERVALS ? lowestOutside(lows, highs, count, alignment) : this.lowestOutsideSorted(count);
    }
    return offsets;
  }

  /**
   * The lowest aligned offset outside the first `count` forbidden intervals, a few: their indices
   * sorted by low end by insertion, then one scan (once the offset is at or below a low end, it is
   * below all that follow).
   */
  private lowestOutsideSorted(count: number): number {
    const { lows, highs, order, alignment } = this;
    for (let k = 0; k < count; k++) {
      let j = k;
      for (; j > 0 && lows[order[j - 1]!]! > lows[k]!; j--) order[j] = order[j - 1]!;
      order[j] = k;
    }
    let offset = 0;
    for (let j = 0; j < count; j++) {
      const k = order[j]!;
      if (offset <= lows[k]!) break;
      // alignUp's arithmetic in line: this loop is the planner's hottest
      if (offset < highs[k]!) offset = Math.ceil(highs[k]! / alignment) * alignment;
    }
    return offset;
  }

  cost(offsets: number[]): Cost {
    let size = 0;
    let ends = 0;
    for (let i = 0; i < offsets.length; i++) {
      const end = offsets[i]! + this.aligned[i]!;
      size = Math.max(size, end);
      ends += end;
    }
    return { size, ends };
  }

  /**
   * Moves one buffer to another place in the order, keeping each move that costs no more: first each
   * buffer to the front in turn (a buffer placed early takes the low offsets its overlap partners
   * need below them), while that helps, then seeded random moves; until the arena is down to `floor`.
   */
  search(start: number[], startCost: Cost, moves: number, floor: number): { order: number[]; cost: Cost } {
    let order = start;
    let cost = startCost;
    let left = moves;
    // the offsets of `order`: a move keeps those of the buffers ahead of both its ends
    let offsets = this.place(order);
    const done = () => left <= 0 || cost.size <= floor;
    const tryMove = (from: number, to: number) => {
      left--;
      const next = [...order];
      next.splice(to, 0, next.splice(from, 1)[0]!);
      const placed = this.place(next, Math.min(from, to), offsets);
      const c = this.cost(placed);
      if (less(c, cost) || (c.size === cost.size && c.ends === cost.ends)) {
        const better = less(c, cost);
        order = next;
        cost = c;
        offsets = placed;
        return better;
      }
      return false;
    };
    for (let improved = true; improved && !done(); ) {
      improved = false;
      for (const buffer of [...order]) {
        if (done()) break;
        const from = order.indexOf(buffer);
        if (from > 0 && tryMove(from, 0)) improved = true;
      }
    }
    let seed = 0x2545f491;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    while (!done()) {
      const from = random(order.length);
      const to = random(order.length);
      if (from !== to) tryMove(from, to);
      else left--;
    }
    return { order, cost };
  }
}

/**
 * Every pair of buffers live at the same layer that share bytes without an overlap the kernel allows
 * (`a/b`); empty for a sound plan.
 */
export function planViolations(plan: Pick<MemoryPlan, 'buffers' | 'overlaps'>): string[] {
  const allowed = new Map<string, PlannedOverlap>();
  for (const o of plan.overlaps) allowed.set(`${o.input}/${o.output}`, o);
  const bad: string[] = [];
  const buffers = [...plan.buffers].sort((a, b) => a.firstUse - b.firstUse);
  for (let i = 0; i < buffers.length; i++) {
    const a = buffers[i]!;
    for (let j = i + 1; j < buffers.length && buffers[j]!.firstUse <= a.lastUse; j++) {
      const b = buffers[j]!;
      if (a.offset >= b.offset + b.bytes || b.offset >= a.offset + a.bytes) continue;
      const ab = allowed.get(`${a.id}/${b.id}`);
      const ba = allowed.get(`${b.id}/${a.id}`);
      if (ab && overlapAllows(ab, a.offset, b.offset)) continue;
      if (ba && overlapAllows(ba, b.offset, a.offset)) continue;
      bad.push(`${a.id}@${a.offset}+${a.bytes} [${a.firstUse}..${a.lastUse}] / ${b.id}@${b.offset}+${b.bytes} [${b.firstUse}..${b.lastUse}]`);
    }
  }
  return bad;
}
