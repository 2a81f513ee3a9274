// SPDX-License-Identifier: Apache-2.0
/**
 * Estimated cycles from the emulator's exact instruction stream: the marks to trace at (from the
 * firmware's ELF), the segments cut into inferences and layers, each instruction decoded and priced
 * by its core's table plus the board's memory wait states, and the CycleEstimate made of it.
 */
import { execFileSync } from 'node:child_process';
import { TinyforgeError } from '../../../core/errors.ts';
import type { ArtGeometry, BoardCaches, BoardDescriptor, TargetDescriptor } from '../../../core/targets/targets.ts';
import { artStalls, sumArtEvents } from './art.ts';
import { cacheStalls, flashLineFillCycles, sumCacheEvents } from './caches.ts';
import type { CycleEstimate } from '../types.ts';
import type { Decoded, InsnCount } from './classes.ts';
import { type CoreTiming, type MemoryCosts, type TimedInsn, ZERO_WAIT, coreTiming, memoryCycles, takenCount } from './cores.ts';
import { decodeThumb } from './thumb.ts';
import { decodeRv32 } from './rv32.ts';
import { decodeXtensa } from './xtensa.ts';
import { statedError } from './stated_error.ts';
import { toolchainPath } from '../../toolchain/compilers.ts';
import { arenasListed } from '../../toolchain/firmware.ts';
import type { Trace, TraceSegment } from './trace.ts';

export type { CycleEstimate } from '../types.ts';

/** The addresses the trace is cut at. */
export interface TraceMarks {
  invoke: number;
  /** return points of the calls to the invoke function */
  invokeReturns: number[];
  /** entry of tf_profile_layer_end and the return points of the calls to tf_profile_layer_begin (profile builds) */
  layerEnd: number | null;
  layerBeginReturns: number[];
  /** the top of the stack (the linker's __stack_top): the data above it are the static data and the arena */
  stackTop: number | null;
  /** the model's arenas (`<prefix>_arena`): where they are, and their bytes */
  arenas: { origin: number; bytes: number }[];
}

export function allMarks(m: TraceMarks): number[] {
  return [m.invoke, ...m.invokeReturns, ...(m.layerEnd !== null ? [m.layerEnd] : []), ...m.layerBeginReturns];
}

function binutil(target: TargetDescriptor, tool: 'nm' | 'objdump'): string {
  return target.toolchain.cc.replace(/gcc$/, tool);
}

/** Finds the marks in the firmware: the invoke function, its call sites, the layer hooks' call sites. */
export function findMarks(elf: string, target: TargetDescriptor, prefix: string): TraceMarks {
  let nm: string;
  let dis: string;
  try {
    // the target's own binutils: on PATH, or beside its compiler in the descriptor's search folders
    const env = { ...process.env, PATH: toolchainPath(target) };
    nm = execFileSync(binutil(target, 'nm'), ['-S', elf], { encoding: 'utf8', maxBuffer: 1 << 26, env });
    dis = execFileSync(binutil(target, 'objdump'), ['-d', elf], { encoding: 'utf8', maxBuffer: 1 << 29, env });
  } catch (e) {
    throw new TinyforgeError(`${elf}: cannot read its symbols for the timing model (${(e as Error).message.split('\n')[0]})`);
  }
  const symbol = (name: string): number | null => {
    const line = nm.split('\n').find((l) => l.endsWith(` ${name}`));
    return line ? (parseInt(line.split(' ')[0]!, 16) & ~1) >>> 0 : null;
  };
  const returnsOf = (name: string): number[] => {
    const lines = dis.split('\n');
    const sites: number[] = [];
    // Thumb, RISC-V and Xtensa (call0/4/8/12: the windowed ABI's calls) direct calls
    const call = new RegExp(`^\\s*([0-9a-f]+):\\s.*\\b(bl|blx|jal|jalr|c\\.jal|call(?:0|4|8|12))\\b.*<${name}>\\s*$`);
    for (let i = 0; i < lines.length; i++) {
      if (!call.test(lines[i]!)) continue;
      for (let j = i + 1; j < lines.length; j++) {
        const next = /^\s*([0-9a-f]+):\s/.exec(lines[j]!);
        if (next) {
          sites.push(parseInt(next[1]!, 16));
          break;
        }
      }
    }
    return sites;
  };
  const name = `${prefix}_invoke`;
  const invoke = symbol(name);
  if (invoke === null) throw new TinyforgeError(`${elf}: no symbol ${name} for the timing model`);
  const invokeReturns = returnsOf(name);
  if (invokeReturns.length === 0) throw new TinyforgeError(`${elf}: no call to ${name} found for the timing model`);
  return {
    invoke,
    invokeReturns,
    layerEnd: symbol('tf_profile_layer_end'),
    layerBeginReturns: returnsOf('tf_profile_layer_begin'),
    stackTop: symbol('__stack_top'),
    arenas: arenasListed(nm),
  };
}

/** One inference cut from the trace: its segments, and per layer (in hook order) the segments of its body. */
interface Inference {
  segments: TraceSegment[];
  layers: TraceSegment[][];
}

/**
 * Cuts the trace into inferences (invoke entry to return) and their layer bodies (after begin to end).
 * A layer's loop whose head is the begin hook's return point enters that mark again on every turn:
 * those segments are the same layer's body until the end hook runs.
 */
export function inferences(trace: Trace, marks: TraceMarks): Inference[] {
  const returns = new Set(marks.invokeReturns);
  const begins = new Set(marks.layerBeginReturns);
  const out: Inference[] = [];
  let open: Inference | null = null;
  let body: { opener: number; segments: TraceSegment[] } | null = null;
  for (const s of trace.segments) {
    if (s.opener === marks.invoke) {
      open = { segments: [], layers: [] };
      out.push(open);
      body = null;
    } else if (returns.has(s.opener)) {
      open = null;
    }
    if (!open) continue;
    open.segments.push(s);
    if (s.opener === marks.layerEnd) body = null;
    else if (begins.has(s.opener)) {
      if (body && body.opener === s.opener && marks.layerEnd !== null) body.segments.push(s);
      else {
        body = { opener: s.opener, segments: [s] };
        open.layers.push(body.segments);
      }
    }
  }
  return out;
}

/** Decodes and prices a set of instruction counts; the instruction count too. */
export function priceInstructions(
  counts: InsnCount[],
  decode: (bytes: Uint8Array) => Decoded,
  timing: CoreTiming,
  memory: MemoryCosts,
): { cycles: number; instructions: number } {
  const sorted = [...counts].sort((a, b) => a.address - b.address);
  let cycles = 0;
  let instructions = 0;
  let prev: { insn: InsnCount; d: Decoded; fallThrough: number } | null = null;
  for (const insn of sorted) {
    const d = decode(insn.bytes);
    const adjacent = prev && prev.insn.address + prev.d.size === insn.address ? prev : null;
    const timed: TimedInsn = {
      d,
      executed: insn.executed,
      taken: insn.taken,
      previous: adjacent ? adjacent.d : null,
      afterPrevious: adjacent ? Math.min(insn.executed, adjacent.fallThrough) : 0,
      halfwordAligned: insn.address % 4 === 2,
    };
    cycles += timing.cycles(timed) + memoryCycles(timed, timing, memory);
    instructions += insn.executed;
    prev = { insn, d, fallThrough: Math.max(0, insn.executed - takenCount(timed)) };
  }
  return { cycles, instructions };
}

/** Merges segments' counts into one list of instruction counts. */
export function mergeSegments(segments: TraceSegment[], trace: Trace): { counts: InsnCount[]; referenceCycles: number | null } {
  const merged = new Map<number, { executed: number; taken: number }>();
  let reference: number | null = 0;
  for (const s of segments) {
    reference = reference === null || s.referenceCycles === null ? null : reference + s.referenceCycles;
    for (const [address, c] of s.counts) {
      const e = merged.get(address) ?? { executed: 0, taken: 0 };
      e.executed += c.executed;
      e.taken += c.taken;
      merged.set(address, e);
    }
  }
  const counts = [...merged].map(([address, c]) => ({ address, bytes: trace.bytesAt(address), executed: c.executed, taken: c.taken }));
  return { counts, referenceCycles: segments.length === 0 ? null : reference };
}

/** The decoder of a target's instruction set. */
export function decoderFor(target: TargetDescriptor): (bytes: Uint8Array) => Decoded {
  if (target.arch.startsWith('xtensa')) return decodeXtensa;
  return target.arch.startsWith('rv') || target.cpu === 'esp32c3' ? decodeRv32 : decodeThumb;
}

/** The memory the estimate is for: the real board named (same core) or the emulated board at zero wait states. */
export interface EstimateBoard {
  name: string;
  clockHz: number;
  waitStates: number;
  memory: MemoryCosts;
  /** the board's ART accelerator, replayed by the trace and priced on top of `memory` (which then assumes every fetch hits) */
  art?: ArtGeometry;
  /** the board's caches, replayed by the trace and priced on top of `memory` (likewise) */
  caches?: BoardCaches;
  /** what was assumed of the memory, for the basis line */
  note: string;
}

/**
 * The board the estimate's memory timing comes from: `fitFor` when it is a real board of this target
 * (the same core), with its flash wait states at its clock; else the emulated board, zero wait states.
 */
/** A clock other than the board descriptor's (`--clock`), with the flash wait states the board needs at it (null: unknown). */
export interface EstimateClock {
  clockHz: number;
  flashWaitStates: number | null;
}

/** Code in flash behind a cache or accelerator every fetch and literal read hits. */
const ALL_HITS: MemoryCosts = { perFetchWord: 0, perTakenBranch: 0, perFlashRead: 0, codeInFlash: true };

export function estimateBoard(
  target: TargetDescriptor,
  runOn: BoardDescriptor,
  fitFor: BoardDescriptor | undefined,
  caches: 'on' | 'off' = 'on',
  clock?: EstimateClock,
): EstimateBoard {
  const named = fitFor && !fitFor.emulated && fitFor.hardware ? fitFor : undefined;
  // the board at the requested clock: its wait states were resolved for that clock (estimate/clock.ts)
  const real = named && clock ? { ...named, clockHz: clock.clockHz } : named;
  if (!real) {
    return {
      name: runOn.name,
      clockHz: runOn.clockHz,
      waitStates: 0,
      memory: ZERO_WAIT,
      note: `${runOn.name} at ${runOn.clockHz / 1e6} MHz, zero wait states (no real board named)`,
    };
  }
  const ws = real.hardware!.flashWaitStates;
  const replayed = caches === 'on' ? real.hardware!.caches : undefined;
  if (replayed && 'unknown' in ws) return replayedCachesBoard(real, null, replayed);
  if ('unknown' in ws) {
    return {
      name: real.name,
      clockHz: real.clockHz,
      waitStates: 0,
      memory: ZERO_WAIT,
      note: `${real.name} at ${real.clockHz / 1e6} MHz, flash wait states unknown (0 applied)`,
    };
  }
  // the fastest power range's step that covers the clock (steps are listed per range, fastest range first)
  const range = ws.steps[0]?.range;
  const step = ws.steps.filter((s) => s.range === range).find((s) => s.maxHz >= real.clockHz) ?? ws.steps[ws.steps.length - 1]!;
  const n = clock?.flashWaitStates ?? step.waitStates;
  const cached = caches === 'on' && /cache|ART|accelerator/i.test(ws.accelerator);
  if (cached && ws.art) {
    const a = ws.art;
    return {
      name: real.name,
      clockHz: real.clockHz,
      waitStates: n,
      memory: ALL_HITS,
      art: a,
      note: `${real.name} at ${real.clockHz / 1e6} MHz, ${n} flash wait states behind the ART accelerator, its caches (${a.instructionLines} and ${a.dataLines} lines of 32 B) and prefetch (${a.prefetch ? 'on' : 'off'}) replayed in program order`,
    };
  }
  if (replayed) return replayedCachesBoard(real, n, replayed);
  // instruction fetches hit the cache / prefetch buffer (loops); literal pool reads hit the data cache
  const memory: MemoryCosts = cached ? ALL_HITS : { perFetchWord: n, perTakenBranch: n, perFlashRead: n, codeInFlash: true };
  return {
    name: real.name,
    clockHz: real.clockHz,
    waitStates: n,
    memory,
    note: cached
      ? `${real.name} at ${real.clockHz / 1e6} MHz, ${n} flash wait states hidden by ${ws.accelerator.split(/[;(]/)[0]!.trim()} (all hits assumed; constant-table reads not modelled)`
      : `${real.name} at ${real.clockHz / 1e6} MHz, ${n} flash wait states on every fetch word and literal load${caches === 'off' ? ' (caches and accelerator off)' : ''} (constant-table reads not modelled)`,
  };
}

/**
 * A board whose caches the trace replays: every access priced as a hit, the misses added from the
 * replay; `waitStates` null where the flash is not read behind wait states (the Pico's XIP, the
 * RA8D1's code flash at its own clock), the line fill then being the descriptor's fixed figure.
 */
function replayedCachesBoard(real: BoardDescriptor, waitStates: number | null, replayed: BoardCaches): EstimateBoard {
  const behind = waitStates === null ? `${replayed.what}` : `${waitStates} flash wait states behind ${replayed.what},`;
  return {
    name: real.name,
    clockHz: real.clockHz,
    waitStates: waitStates ?? 0,
    memory: ALL_HITS,
    caches: replayed,
    note: `${real.name} at ${real.clockHz / 1e6} MHz, ${behind} replayed in program order, a miss ${lineFillNote(replayed, waitStates ?? 0)}`,
  };
}

/** What a line fill costs, for the basis line. */
function lineFillNote(caches: BoardCaches, waitStates: number): string {
  const line = caches.instruction.lineBytes;
  const flash = `${flashLineFillCycles(caches, waitStates, line)} cycles from flash`;
  return caches.ramLineFill ? `${flash}, ${caches.ramLineFill.cycles} from cached RAM` : flash;
}

/** The stall cycles of the replayed caches over `segments`, on a board whose trace replayed them (else 0). */
function replayedCacheCycles(segments: TraceSegment[], board: EstimateBoard): number {
  if (!board.caches) return 0;
  const events = segments.flatMap((s) => (s.caches ? [s.caches] : []));
  if (events.length !== segments.length)
    throw new TinyforgeError(`the trace holds no cache events for ${board.name}: its QEMU timing plugin predates the cache replay`);
  return cacheStalls(sumCacheEvents(events), board.caches, board.waitStates);
}

/** The stall cycles of the ART accelerator over `segments`, on a board whose trace replayed it (else 0). */
function artCycles(segments: TraceSegment[], board: EstimateBoard): number {
  if (!board.art) return 0;
  const events = segments.flatMap((s) => (s.art ? [s.art] : []));
  if (events.length !== segments.length)
    throw new TinyforgeError(`the trace holds no ART events for ${board.name}: its QEMU timing plugin predates the ART replay`);
  return artStalls(sumArtEvents(events), board.waitStates, board.art.prefetch);
}

/** Builds the CycleEstimate of a traced run. `layerPositions` maps hook order to layer positions; null outside profile. */
export function cycleEstimate(
  trace: Trace,
  marks: TraceMarks,
  target: TargetDescriptor,
  board: EstimateBoard,
  options: { layerCount: number | null; layerPositions: number[] | null; which: 'first' | 'mean' },
): CycleEstimate | null {
  const timing = coreTiming(target.cpu);
  if (!timing) return null;
  const decode = decoderFor(target);
  const all = inferences(trace, marks);
  if (all.length === 0) return null;
  const chosen = options.which === 'first' ? [all[0]!] : all;
  const price = (segments: TraceSegment[]) => {
    const m = mergeSegments(segments, trace);
    return priceInstructions(m.counts, decode, timing, board.memory).cycles + artCycles(segments, board) + replayedCacheCycles(segments, board);
  };
  const perInference = price(chosen.flatMap((i) => i.segments)) / chosen.length;
  let perLayer: number[] | null = null;
  if (options.layerCount !== null && options.layerPositions) {
    perLayer = new Array<number>(options.layerCount).fill(0);
    for (const [k, position] of options.layerPositions.entries()) {
      const segments = chosen.flatMap((i) => i.layers[k] ?? []);
      perLayer[position] = Math.round(price(segments) / chosen.length);
    }
  }
  return {
    core: timing.core,
    board: board.name,
    clockHz: board.clockHz,
    flashWaitStates: board.waitStates,
    perInference: Math.round(perInference),
    perLayer,
    basis: `${timing.source}; ${statedError(timing.core)}; ${board.note}`,
  };
}

/** Instructions the trace saw in the estimate's window (first or mean inference): checked against the exact counter. */
export function tracedInstructions(trace: Trace, marks: TraceMarks, which: 'first' | 'mean'): number | null {
  const all = inferences(trace, marks);
  if (all.length === 0) return null;
  const chosen = which === 'first' ? [all[0]!] : all;
  let n = 0;
  for (const s of chosen.flatMap((i) => i.segments)) for (const c of s.counts.values()) n += c.executed;
  return n / chosen.length;
}

/** Instructions the trace saw: per inference (in order), and per inference per layer in hook order. */
export interface TracedCounts {
  inferences: number[];
  layers: number[][];
}

/** The exact instruction counts of every inference the trace saw, and of its layer bodies (between the hooks). */
export function tracedCounts(trace: Trace, marks: TraceMarks): TracedCounts {
  const executed = (segments: TraceSegment[]) => {
    let n = 0;
    for (const s of segments) for (const c of s.counts.values()) n += c.executed;
    return n;
  };
  const all = inferences(trace, marks);
  return { inferences: all.map((i) => executed(i.segments)), layers: all.map((i) => i.layers.map(executed)) };
}

/** rp2040js's own cycles over the same inferences: the reference the Cortex-M0+ table is checked against. */
export function referenceCycles(trace: Trace, marks: TraceMarks, which: 'first' | 'mean'): number | null {
  const all = inferences(trace, marks);
  if (all.length === 0) return null;
  const chosen = which === 'first' ? [all[0]!] : all;
  const m = mergeSegments(
    chosen.flatMap((i) => i.segments),
    trace,
  );
  return m.referenceCycles === null ? null : m.referenceCycles / chosen.length;
}
