// SPDX-License-Identifier: Apache-2.0
/**
 * One arena for several models of one firmware that never run at the same time. A model's variable
 * tensors (SVDF, LSTM state) keep their bytes between its inferences, so each model's state gets a
 * region of its own; everything else a model holds (activations, inputs, outputs, scratch) lives only
 * while it runs, so those parts of every model's plan start at one common base:
 *
 *   [ state of model 0 | state of model 1 | ... | activations and scratch of whichever model runs ]
 *
 * The arena is the sum of the states plus the largest activation part, where separate arenas cost the
 * sum of every model's whole plan. Each model's own plan is kept as it was planned (op order, row
 * bands, budget) and only moved: its state buffers packed into its region, its other buffers shifted
 * down over the bytes the state left (no other buffer can have used them: state is live in every layer).
 */
import type { Graph } from '../ir/graph.ts';
import { type MemoryPlan, type PlacedBuffer, planViolations } from './arena.ts';
import { alignUp } from './lifetimes.ts';

/** Where one model's parts sit in the shared arena. */
export interface SharedArenaSlot {
  /** the start of the model's state region (its variable tensors) */
  stateOffset: number;
  /** bytes of its state region (0 for a model without variable tensors) */
  stateBytes: number;
  /** bytes its activations and scratch take from the shared region's start */
  scratchBytes: number;
  /** its arena planned alone (the single-model output's ARENA_BYTES) */
  aloneBytes: number;
  /** the end of the last byte it uses in the shared arena (its ARENA_BYTES in the shared output) */
  usedBytes: number;
}

export interface SharedArenaPlan {
  /** every model's plan, moved into the shared arena (offsets from the shared arena's start) */
  plans: MemoryPlan[];
  slots: SharedArenaSlot[];
  /** where the shared activation and scratch region starts: the sum of the states */
  scratchOffset: number;
  /** the shared arena's bytes: the states plus the largest activation part */
  arenaBytes: number;
  /** what separate arenas would take: the sum of every model's own */
  separateBytes: number;
  /** the offsets' alignment (the largest any plan asks) */
  alignment: number;
}

/** A buffer holding a variable tensor: its bytes must outlive an inference. */
function isState(graph: Graph, buffer: PlacedBuffer): boolean {
  return buffer.tensors.some((t) => graph.tensors[t]?.isVariable === true);
}

/**
 * One plan split into its state buffers (packed from 0, in their planned order) and the rest
 * (compacted over every byte range no non-state buffer covers, from 0): offsets relative to each part.
 */
function splitPlan(
  graph: Graph,
  plan: MemoryPlan,
): { state: Map<PlacedBuffer, number>; stateBytes: number; rest: Map<PlacedBuffer, number>; restBytes: number } {
  const a = plan.alignment;
  const state = new Map<PlacedBuffer, number>();
  let stateBytes = 0;
  for (const b of plan.buffers.filter((x) => isState(graph, x)).sort((x, y) => x.offset - y.offset)) {
    state.set(b, stateBytes);
    stateBytes += alignUp(b.bytes, a);
  }
  // the byte ranges the other buffers cover, merged; every uncovered range (where state was, or a
  // hole) is cut out: a monotone map keeps disjoint buffers disjoint and an overlap's input above its output
  const others = plan.buffers.filter((x) => !state.has(x));
  const ranges = others.map((b) => [b.offset, b.offset + alignUp(b.bytes, a)] as [number, number]).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [lo, hi] of ranges) {
    const last = merged.at(-1);
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  const moved = (offset: number) => {
    let cut = 0;
    let end = 0;
    for (const [lo, hi] of merged) {
      if (lo > offset) break;
      cut += lo - end;
      end = hi;
    }
    return offset - cut;
  };
  const rest = new Map<PlacedBuffer, number>();
  let restBytes = 0;
  for (const b of others) {
    const at = moved(b.offset);
    rest.set(b, at);
    restBytes = Math.max(restBytes, at + alignUp(b.bytes, a));
  }
  return { state, stateBytes, rest, restBytes };
}

/**
 * The shared arena of `models` (each its compiled graph and plan), in the order given: state regions
 * stacked first, model by model, the shared activation region after them.
 */
export function planSharedArena(models: { graph: Graph; plan: MemoryPlan }[]): SharedArenaPlan {
  const alignment = Math.max(16, ...models.map((m) => m.plan.alignment));
  const parts = models.map((m) => splitPlan(m.graph, m.plan));
  const stateOffsets: number[] = [];
  let scratchOffset = 0;
  for (const p of parts) {
    stateOffsets.push(scratchOffset);
    scratchOffset += alignUp(p.stateBytes, alignment);
  }
  const plans = models.map((m, k): MemoryPlan => {
    const part = parts[k]!;
    const buffers = m.plan.buffers.map((b) => {
      const inState = part.state.get(b);
      return { ...b, offset: inState !== undefined ? stateOffsets[k]! + inState : scratchOffset + part.rest.get(b)! };
    });
    const tensorOffset = new Map<number, number>();
    const scratchOffsets = new Map<number, number>();
    for (const b of buffers) {
      for (const t of b.tensors) tensorOffset.set(t, b.offset);
      if (b.scratchOf !== undefined) scratchOffsets.set(b.scratchOf, b.offset);
    }
    const plan: MemoryPlan = {
      ...m.plan,
      buffers,
      arenaBytes: Math.max(0, ...buffers.map((b) => b.offset + alignUp(b.bytes, m.plan.alignment))),
      strategy: `${m.plan.strategy}; in an arena shared by ${models.length} models`,
      tensorOffset,
      scratchOffset: scratchOffsets,
    };
    const problems = planViolations(plan);
    if (problems.length > 0) throw new Error(`internal error: the shared arena overlaps live buffers of ${m.graph.name}: ${problems.slice(0, 5).join('; ')}`);
    return plan;
  });
  const scratchBytes = Math.max(0, ...parts.map((p) => p.restBytes));
  const slots = parts.map(
    (p, k): SharedArenaSlot => ({
      stateOffset: stateOffsets[k]!,
      stateBytes: p.stateBytes,
      scratchBytes: p.restBytes,
      aloneBytes: models[k]!.plan.arenaBytes,
      usedBytes: plans[k]!.arenaBytes,
    }),
  );
  return {
    plans,
    slots,
    scratchOffset,
    arenaBytes: alignUp(scratchOffset + scratchBytes, alignment),
    separateBytes: models.reduce((n, m) => n + m.plan.arenaBytes, 0),
    alignment,
  };
}
