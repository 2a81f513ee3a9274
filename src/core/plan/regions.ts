// SPDX-License-Identifier: Apache-2.0
/**
 * The arena over two memories: internal SRAM and external RAM (PSRAM, behind the data cache). A
 * board with PSRAM (its descriptor's `hardware.memory.psram`, handed in as data) can hold an arena
 * larger than its internal SRAM, but each byte the kernels touch there costs more (the region's
 * `accessCost`: several times internal SRAM's on a cache miss). When the whole arena does not fit
 * the internal limit (`--max-ram`, else the chip's internal RAM), buffers move to PSRAM one at a
 * time, the coldest first (fewest reads and writes per byte per inference), each time one live at
 * the layer where the internal arena peaks, until the internal arena fits. Hot buffers (a
 * convolution's input, read once per output channel; scratch such as im2col columns) stay inside;
 * the model's inputs, outputs and variables always do (the application and the device harness
 * reach them in the internal arena). Weights stay in flash. The C is the same arithmetic on other
 * addresses: outputs are bit-exact whatever the split.
 */
import { elementCount } from '../ir/graph.ts';
import { TinyforgeError } from '../errors.ts';
import type { PreparedGraph } from '../ops/prepare.ts';
import { executedMacs } from '../ops/prepare.ts';
import { type MemoryPlan, type PlacedBuffer, placeBuffers, plannedOverlap, planViolations } from './arena.ts';
import { type BufferRequest, alignUp, bufferRequests, overlapPairs } from './lifetimes.ts';

/** External RAM the planner may use: a board's PSRAM region (targets.ts externalRamOf). */
export interface ExternalRam {
  name: string;
  bytes: number;
  /** what a byte there costs relative to internal SRAM */
  accessCost: number;
}

/**
 * Reads and writes per byte of a scratch buffer at least: scratch is re-read by its layer's inner
 * loops (im2col columns once per output channel), so it leaves the internal SRAM last.
 */
const SCRATCH_MIN_TOUCHES = 2;

/**
 * About how many times each byte of a buffer is read or written per inference: written once by its
 * producer, read by each consumer about its MACs per element of the tensor (a 3x3 depthwise
 * convolution 9 times, a pointwise one once per output channel, a fully connected layer once per
 * output); a scratch buffer its layer's MACs per byte, at least SCRATCH_MIN_TOUCHES.
 */
export function touchesPerByte(prepared: PreparedGraph, request: BufferRequest): number {
  if (request.scratchOf !== undefined) {
    const layer = prepared.layers[request.scratchOf];
    const macs = layer ? executedMacs(layer) : 0;
    return Math.max(SCRATCH_MIN_TOUCHES, macs / Math.max(1, request.bytes));
  }
  const { graph } = prepared;
  let touches = 1;
  for (const layer of prepared.layers) {
    const inputs = layer.op.inputs.filter((i) => request.tensors.includes(i));
    if (inputs.length === 0 || layer.isAlias) continue;
    const elements = Math.max(1, ...inputs.map((i) => elementCount(graph.tensors[i]!.shape)));
    touches += Math.max(1, executedMacs(layer) / elements);
  }
  return touches;
}

/** One buffer's region in a split plan, for reports: which memory, its bytes, its estimated traffic. */
export interface BufferPlacement {
  id: string;
  tensors: number[];
  scratchOf?: number;
  region: 'internal' | 'external';
  bytes: number;
  firstUse: number;
  lastUse: number;
  /** estimated reads and writes per byte per inference (touchesPerByte) */
  touchesPerByte: number;
}

/**
 * Every buffer of a plan with its region and estimated touches per byte (internal first, then
 * external, each by first use).
 */
export function bufferPlacements(prepared: PreparedGraph, plan: MemoryPlan): BufferPlacement[] {
  const row = (b: PlacedBuffer, region: 'internal' | 'external'): BufferPlacement => ({
    id: b.id,
    tensors: b.tensors,
    ...(b.scratchOf !== undefined ? { scratchOf: b.scratchOf } : {}),
    region,
    bytes: b.bytes,
    firstUse: b.firstUse,
    lastUse: b.lastUse,
    touchesPerByte: touchesPerByte(prepared, b),
  });
  return [...plan.buffers.map((b) => row(b, 'internal')), ...(plan.external?.buffers ?? []).map((b) => row(b, 'external'))];
}

/** Estimated bytes read and written in external RAM per inference: its buffers' bytes x touches. */
export function externalTraffic(prepared: PreparedGraph, plan: MemoryPlan): number {
  return Math.round((plan.external?.buffers ?? []).reduce((n, b) => n + b.bytes * touchesPerByte(prepared, b), 0));
}

/**
 * `plan` when its arena fits `internalBytes`; else the same buffers split between an internal arena
 * of at most `internalBytes` and one in `external`. Throws a one-line error when even the buffers
 * that must stay inside (inputs, outputs, variables) do not fit, or the rest does not fit the PSRAM.
 */
export function splitArena(prepared: PreparedGraph, plan: MemoryPlan, internalBytes: number, external: ExternalRam, source: string): MemoryPlan {
  if (plan.arenaBytes <= internalBytes) return plan;
  const { graph } = prepared;
  const alignment = plan.alignment;
  const requests = bufferRequests(prepared);
  const pairs = overlapPairs(prepared, requests);
  const pinned = new Set<BufferRequest>(
    requests.filter(
      (r) => r.scratchOf === undefined && r.tensors.some((t) => graph.inputs.includes(t) || graph.outputs.includes(t) || graph.tensors[t]!.isVariable === true),
    ),
  );
  const heat = new Map(requests.map((r) => [r, touchesPerByte(prepared, r)]));
  const inside = new Set(requests);
  const pairsWithin = (set: Set<BufferRequest>) => pairs.filter((p) => set.has(p.input) && set.has(p.output));
  const internalSize = () => placeBuffers([...inside], pairsWithin(inside), alignment, false).arenaBytes;
  const layers = Math.max(1, prepared.layers.length);
  for (let size = internalSize(); size > internalBytes; size = internalSize()) {
    // the layer where the buffers inside take the most bytes: only a buffer live there lowers the peak
    const live = new Array<number>(layers).fill(0);
    for (const r of inside) for (let at = r.firstUse; at <= r.lastUse; at++) live[at] = (live[at] ?? 0) + alignUp(r.bytes, alignment);
    const peak = live.indexOf(Math.max(...live));
    const atPeak = [...inside].filter((r) => !pinned.has(r) && r.firstUse <= peak && r.lastUse >= peak);
    const movable = atPeak.length > 0 ? atPeak : [...inside].filter((r) => !pinned.has(r));
    if (movable.length === 0) {
      const kept = [...inside].reduce((n, r) => n + r.bytes, 0);
      throw new TinyforgeError(
        `${source}: the internal arena needs ${n(size)} bytes with every buffer that may move in ${external.name}; over ${n(internalBytes)} (the model's inputs, outputs and variables stay inside: ${n(kept)} bytes)`,
      );
    }
    // the coldest per byte first; of equally cold ones the largest (it frees the most)
    movable.sort((a, b) => heat.get(a)! - heat.get(b)! || b.bytes - a.bytes || a.firstUse - b.firstUse);
    inside.delete(movable[0]!);
  }
  const outside = new Set(requests.filter((r) => !inside.has(r)));
  const internal = placeBuffers([...inside], pairsWithin(inside), alignment);
  const ext = placeBuffers([...outside], pairsWithin(outside), alignment);
  if (ext.arenaBytes > external.bytes)
    throw new TinyforgeError(`${source}: the arena's part in ${external.name} needs ${n(ext.arenaBytes)} bytes, over its ${n(external.bytes)}`);
  const kept = new Set([...pairsWithin(inside), ...pairsWithin(outside)]);
  const split: MemoryPlan = {
    ...plan,
    buffers: internal.buffers,
    arenaBytes: internal.arenaBytes,
    scratchBytes: Math.max(0, ...internal.buffers.filter((b) => b.scratchOf !== undefined).map((b) => b.bytes)),
    lowerBound: internal.lowerBound,
    overlaps: pairs.filter((p) => kept.has(p)).map(plannedOverlap),
    strategy: `${internal.strategy}; ${outside.size} buffer${outside.size === 1 ? '' : 's'} in ${external.name}`,
    tensorOffset: internal.tensorOffset,
    scratchOffset: internal.scratchOffset,
    external: {
      region: external.name,
      accessCost: external.accessCost,
      arenaBytes: ext.arenaBytes,
      buffers: ext.buffers,
      tensorOffset: ext.tensorOffset,
      scratchOffset: ext.scratchOffset,
      strategy: ext.strategy,
    },
  };
  const problems = [...planViolations(split), ...planViolations({ buffers: ext.buffers, overlaps: split.overlaps })];
  if (problems.length > 0) throw new Error(`internal error: the split memory plan overlaps live buffers: ${problems.slice(0, 5).join('; ')}`);
  return split;
}

const n = (v: number) => v.toLocaleString('en-US');
