// SPDX-License-Identifier: Apache-2.0
import type { PreparedGraph } from '../ops/prepare.ts';
import { type BufferRequest, alignUp, bufferRequests, liveBytesLowerBound } from './lifetimes.ts';

export interface PlacedBuffer extends BufferRequest {
  offset: number;
}

export interface MemoryPlan {
  buffers: PlacedBuffer[];
  /** arena bytes: the end of the highest buffer */
  arenaBytes: number;
  /** bytes of the arena used by layer scratch buffers at their largest */
  scratchBytes: number;
  /** the largest set of bytes live at one time: no plan can be smaller */
  lowerBound: number;
  alignment: number;
  /** which placement order produced this plan */
  strategy: string;
  /** tensor index → arena offset */
  tensorOffset: Map<number, number>;
  /** layer position → arena offset of its scratch buffer */
  scratchOffset: Map<number, number>;
}

/** Arena offsets are aligned so any tensor can be read with word loads. */
export const ARENA_ALIGNMENT = 16;

type Order = { name: string; compare: (a: BufferRequest, b: BufferRequest) => number };

const bySize = (a: BufferRequest, b: BufferRequest) => b.bytes - a.bytes;
const byFirstUse = (a: BufferRequest, b: BufferRequest) => a.firstUse - b.firstUse;
const byLifetime = (a: BufferRequest, b: BufferRequest) => b.lastUse - b.firstUse - (a.lastUse - a.firstUse);
const byArea = (a: BufferRequest, b: BufferRequest) => b.bytes * (b.lastUse - b.firstUse + 1) - a.bytes * (a.lastUse - a.firstUse + 1);

/** Placement orders tried; the smallest arena wins. The first is TFLite Micro's greedy planner. */
const ORDERS: Order[] = [
  { name: 'greedy by size (TFLite Micro)', compare: (a, b) => bySize(a, b) || byFirstUse(a, b) },
  { name: 'greedy by lifetime', compare: (a, b) => byLifetime(a, b) || bySize(a, b) },
  { name: 'greedy by size x lifetime', compare: (a, b) => byArea(a, b) || bySize(a, b) },
  { name: 'greedy by first use', compare: (a, b) => byFirstUse(a, b) || bySize(a, b) },
];

/**
 * Plans one static arena: every buffer gets the lowest offset that does not overlap a buffer already
 * placed whose lifetime intersects its own. Several orders are tried and the smallest result kept.
 */
export function planArena(prepared: PreparedGraph, alignment = ARENA_ALIGNMENT): MemoryPlan {
  const requests = bufferRequests(prepared);
  let best: { placed: PlacedBuffer[]; size: number; name: string } | undefined;
  for (const order of ORDERS) {
    const placed = placeGreedy([...requests].sort(order.compare), alignment);
    const size = placed.reduce((n, b) => Math.max(n, b.offset + alignUp(b.bytes, alignment)), 0);
    if (!best || size < best.size) best = { placed, size, name: order.name };
  }
  const placed = (best?.placed ?? []).sort((a, b) => a.firstUse - b.firstUse || a.offset - b.offset);
  const tensorOffset = new Map<number, number>();
  const scratchOffset = new Map<number, number>();
  for (const b of placed) {
    for (const t of b.tensors) tensorOffset.set(t, b.offset + (b.tensorOffsets?.get(t) ?? 0));
    if (b.scratchOf !== undefined) scratchOffset.set(b.scratchOf, b.offset);
  }
  return {
    buffers: placed,
    arenaBytes: best?.size ?? 0,
    scratchBytes: Math.max(0, ...placed.filter((b) => b.scratchOf !== undefined).map((b) => b.bytes)),
    lowerBound: liveBytesLowerBound(requests, alignment),
    alignment,
    strategy: best?.name ?? 'empty',
    tensorOffset,
    scratchOffset,
  };
}

function placeGreedy(ordered: BufferRequest[], alignment: number): PlacedBuffer[] {
  const placed: PlacedBuffer[] = [];
  for (const req of ordered) {
    const conflicts = placed.filter((p) => p.firstUse <= req.lastUse && req.firstUse <= p.lastUse).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const c of conflicts) {
      if (offset + req.bytes <= c.offset) break;
      offset = Math.max(offset, alignUp(c.offset + c.bytes, alignment));
    }
    placed.push({ ...req, offset });
  }
  return placed;
}
