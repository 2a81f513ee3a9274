// SPDX-License-Identifier: Apache-2.0
/**
 * ST's ART accelerator on the STM32L4 and L4+ (RM0351, RM0432, "Embedded Flash memory": read access
 * latency, instruction prefetch, instruction and data caches): what the flash wait states cost once
 * the accelerator is in front of them. The flash is read 64 bits at a time; the instruction cache
 * holds 32 lines of 4 x 64 bits (1 KB), the data cache 8 such lines (256 B); with the prefetch on,
 * the flash reads the next 64-bit word while the core executes the current one.
 *
 * The events come from the executed fetches replayed in program order through that model
 * (firmware/qemu-plugin/insn_timing.c, its `art` replay; fully associative caches, least recently used, each 64-bit word
 * filled when first read: assumed, the manuals give neither the associativity nor the fill policy):
 * - a fetch that hits the instruction cache costs nothing;
 * - a miss on the word right after the one executing was prefetched: the core waits for what is left
 *   of the read, `waitStates + 1` cycles less one per instruction it ran from the previous word (each
 *   takes at least one cycle), never less than 0;
 * - a miss on any other word (a jump) pays the wait states.
 * Data reads from flash (weights in a const array) go through the data cache, replayed the same way:
 * each 64-bit word that misses it pays the wait states (`artDataStalls`). Every data read of the
 * flash also pays one cycle of contention with the instruction fetch, which reaches the flash over
 * the same accelerator: the Cortex-M4 TRM's "LDR Rx,[PC,#imm] might add a cycle because of
 * contention with the fetch unit" (3.3.2), taken for every load from the code's flash, not only the
 * pc-relative ones (assumed: docs/timing.md, "Cortex-M4 against silicon", gives the evidence).
 */

/** The ART's geometry on the STM32L4+ (RM0432). */
export const ART_L4PLUS = {
  /** bytes per flash read */
  flashWordBytes: 8,
  /** instruction cache lines, each 4 flash words */
  instructionLines: 32,
  /** data cache lines, each 4 flash words */
  dataLines: 8,
  lineBytes: 32,
} as const;

/** The events of one window (the plugin's counts). */
export interface ArtFetchEvents {
  /** 64-bit words fetched (each change of the word the core executes from) */
  fetches: number;
  /** of them, found in the instruction cache */
  hits: number;
  /** misses on a word that is not the next one (taken branches, calls, returns) */
  jumps: number;
  /** misses on the next word, by the instructions the core ran from the word before it (index 0, 1, ...; the last bin holds that many or more) */
  sequential: number[];
  /** reads of the flash data range, of them hits and misses in the data cache */
  dataReads: number;
  dataHits: number;
  dataMisses: number;
}

/**
 * Stall cycles the ART leaves at `waitStates` flash wait states, for these fetch events; with the
 * prefetch off (FLASH_ACR PRFTEN clear: STM32CubeL4's and Mbed's `PREFETCH_ENABLE 0U`), a miss on
 * the next word pays the wait states as any other miss.
 */
export function artFetchStalls(events: ArtFetchEvents, waitStates: number, prefetch = true): number {
  let stalls = events.jumps * waitStates;
  events.sequential.forEach((n, ran) => {
    stalls += n * (prefetch ? Math.max(0, waitStates + 1 - ran) : waitStates);
  });
  return stalls;
}

/** Checks the events add up (every fetch is a hit, a jump miss or a sequential miss; every data read a hit or a miss). */
export function artEventsConsistent(events: ArtFetchEvents): boolean {
  const misses = events.jumps + events.sequential.reduce((a, b) => a + b, 0);
  return events.hits + misses === events.fetches && events.dataHits + events.dataMisses === events.dataReads;
}

/** Cycles a data read of the flash adds for its contention with the instruction fetch (hit or miss). */
export const FLASH_READ_CONTENTION = 1;

/** Stall cycles of the flash data reads: the wait states of those that missed the data cache, and the fetch contention of each. */
export function artDataStalls(events: ArtFetchEvents, waitStates: number): number {
  return events.dataMisses * waitStates + events.dataReads * FLASH_READ_CONTENTION;
}

/** The events of several segments together. */
export function sumArtEvents(list: ArtFetchEvents[]): ArtFetchEvents {
  const sum: ArtFetchEvents = { fetches: 0, hits: 0, jumps: 0, sequential: [], dataReads: 0, dataHits: 0, dataMisses: 0 };
  for (const e of list) {
    sum.fetches += e.fetches;
    sum.hits += e.hits;
    sum.jumps += e.jumps;
    e.sequential.forEach((n, k) => (sum.sequential[k] = (sum.sequential[k] ?? 0) + n));
    sum.dataReads += e.dataReads;
    sum.dataHits += e.dataHits;
    sum.dataMisses += e.dataMisses;
  }
  return sum;
}

/** Every stall cycle the ART leaves: the instruction side's and the data side's. */
export function artStalls(events: ArtFetchEvents, waitStates: number, prefetch: boolean): number {
  return artFetchStalls(events, waitStates, prefetch) + artDataStalls(events, waitStates);
}
