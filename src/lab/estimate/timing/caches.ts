// SPDX-License-Identifier: Apache-2.0
/**
 * Set-associative caches in front of slow memory, replayed from the executed instruction stream:
 * the Cortex-M7's L1 instruction and data caches (NUCLEO-H7A3ZI-Q), the STM32U5's ICACHE on the
 * Cortex-M33's code bus (NUCLEO-U575ZI-Q), the RA6M4's C-cache on the same bus (EK-RA6M4), the
 * Cortex-M85's L1 caches (EK-RA8D1), the RP2040's XIP cache in front of its QSPI flash (Pico).
 * The board descriptor gives each cache's sets, ways and line (`hardware.caches`, with its source);
 * the replay (firmware/qemu-plugin/insn_timing.c's `icache`, `dcache` and `region` options, or the RP2040 tracer's
 * `CacheReplayer` below) looks every instruction fetch and data access of the replayed regions up in
 * program order, least recently used out, and counts per region: fetched lines and their misses
 * (a lookup each time the line the core executes from changes), data reads, data writes and their
 * misses. A miss costs one line fill, priced here per region:
 * - from flash behind wait states: a read of `ws + 1` cycles per flash word of the line, plus the
 *   bus's own cycles (`flashLineFill.busCycles`);
 * - from flash behind a serial interface (XIP): a fixed count (`flashLineFill.cycles`);
 * - from cached RAM (the Cortex-M7's AXI SRAM): `ramLineFill.cycles`.
 * Critical-word-first and hit-under-miss are not credited, nor are dirty lines' write-backs charged
 * (a write buffer drains them): docs/timing.md, "Caches replayed", says what that leaves out.
 */
import type { BoardCaches, CacheGeometry } from '../../../core/targets/targets.ts';

/** What one region saw over a segment. */
export interface RegionCacheEvents {
  /** instruction lines looked up (each change of the line the core executes from), and of them misses */
  fetches: number;
  fetchMisses: number;
  reads: number;
  readMisses: number;
  writes: number;
  /** writes that allocated a line (write-allocate caches only) */
  writeMisses: number;
}

/** Per replayed region: the flash first, then the ranges of cached RAM where the board has them. */
export type CacheEvents = RegionCacheEvents[];

export const NO_EVENTS: RegionCacheEvents = { fetches: 0, fetchMisses: 0, reads: 0, readMisses: 0, writes: 0, writeMisses: 0 };

export function sumCacheEvents(list: CacheEvents[]): CacheEvents {
  const regions = Math.max(0, ...list.map((e) => e.length));
  return Array.from({ length: regions }, (_, r) => {
    const sum = { ...NO_EVENTS };
    for (const e of list) {
      const x = e[r];
      if (!x) continue;
      for (const k of Object.keys(sum) as (keyof RegionCacheEvents)[]) sum[k] += x[k];
    }
    return sum;
  });
}

/** Cycles one line fill costs from flash at `waitStates` (the board's descriptor gives the path). */
export function flashLineFillCycles(caches: BoardCaches, waitStates: number, lineBytes: number): number {
  const fill = caches.flashLineFill;
  if ('cycles' in fill) return fill.cycles;
  return Math.ceil(lineBytes / fill.flashWordBytes) * (waitStates + 1) + fill.busCycles;
}

/** The stall cycles of the replayed misses: every miss one line fill of its region. */
export function cacheStalls(events: CacheEvents, caches: BoardCaches, waitStates: number): number {
  const dataLine = (caches.data ?? caches.instruction).lineBytes;
  const flash = events[0] ?? NO_EVENTS;
  let stalls =
    flash.fetchMisses * flashLineFillCycles(caches, waitStates, caches.instruction.lineBytes) +
    (flash.readMisses + flash.writeMisses) * flashLineFillCycles(caches, waitStates, dataLine);
  // every region after the flash is cached RAM
  if (caches.ramLineFill) for (const ram of events.slice(1)) stalls += (ram.fetchMisses + ram.readMisses + ram.writeMisses) * caches.ramLineFill.cycles;
  return stalls;
}

/** One set-associative cache, least recently used out, every line filled whole on a miss. */
export class LruCache {
  private readonly tags: Float64Array;
  private readonly used: Float64Array;
  private clock = 0;

  constructor(readonly geometry: CacheGeometry) {
    this.tags = new Float64Array(geometry.sets * geometry.ways).fill(-1);
    this.used = new Float64Array(geometry.sets * geometry.ways);
  }

  /** The line an address lies in. */
  lineOf(address: number): number {
    return Math.floor(address / this.geometry.lineBytes);
  }

  /** Looks a line up and fills it on a miss (the least recently used way out). True on a hit. */
  lookup(line: number): boolean {
    const { sets, ways } = this.geometry;
    const base = (line % sets) * ways;
    this.clock++;
    let victim = base;
    for (let w = base; w < base + ways; w++) {
      if (this.tags[w] === line) {
        this.used[w] = this.clock;
        return true;
      }
      if (this.used[w]! < this.used[victim]!) victim = w;
    }
    this.tags[victim] = line;
    this.used[victim] = this.clock;
    return false;
  }
}

/**
 * The replay for the in-process emulator (rp2040js): fetches and data accesses of the regions,
 * through the board's caches, as the QEMU plugin does it for the others.
 */
export class CacheReplayer {
  private readonly instruction: LruCache;
  private readonly data: LruCache;
  private events: CacheEvents;
  private currentLine = -1;

  constructor(
    private readonly caches: BoardCaches,
    private readonly regions: { origin: number; bytes: number }[],
  ) {
    this.instruction = new LruCache(caches.instruction);
    this.data = caches.data ? new LruCache(caches.data) : this.instruction;
    this.events = regions.map(() => ({ ...NO_EVENTS }));
  }

  private regionOf(address: number): number {
    for (let r = 0; r < this.regions.length; r++) {
      const g = this.regions[r]!;
      if (address >= g.origin && address < g.origin + g.bytes) return r;
    }
    return -1;
  }

  /** An instruction of `size` bytes fetched at `address`. */
  fetch(address: number, size: number): void {
    this.fetchLine(address);
    if (size > 1) this.fetchLine(address + size - 1);
  }

  private fetchLine(address: number): void {
    const line = this.instruction.lineOf(address);
    if (line === this.currentLine) return;
    this.currentLine = line;
    const r = this.regionOf(address);
    if (r < 0) return;
    const e = this.events[r]!;
    e.fetches++;
    if (!this.instruction.lookup(line)) e.fetchMisses++;
  }

  /** A data access of `address`. */
  access(address: number, write: boolean): void {
    const r = this.regionOf(address);
    if (r < 0) return;
    const e = this.events[r]!;
    const line = this.data.lineOf(address);
    if (write) {
      e.writes++;
      if (this.caches.data?.writeAllocate && !this.data.lookup(line)) e.writeMisses++;
    } else {
      e.reads++;
      if (!this.data.lookup(line)) e.readMisses++;
    }
  }

  /** The events since the last call (the caches keep their contents). */
  take(): CacheEvents {
    const e = this.events;
    this.events = this.regions.map(() => ({ ...NO_EVENTS }));
    return e;
  }
}
