// SPDX-License-Identifier: Apache-2.0
/**
 * ST's ART accelerator on the STM32L4 and L4+ (RM0351, RM0432, "Embedded Flash memory": read access
 * latency, instruction prefetch, instruction and data caches): what the flash wait states cost once
 * the accelerator is in front of them. The flash is read 64 bits at a time; the instruction cache
 * holds 32 lines of 4 x 64 bits (1 KB), the data cache 8 such lines (256 B); with the prefetch on,
 * the flash reads the next 64-bit word while the core executes the current one.
 *
 * The events come from the executed fetches replayed in program order through that model
 * (firmware/qemu-plugin/art_cache.c; fully associative caches, least recently used, each 64-bit word
 * filled when first read: assumed, the manuals give neither the associativity nor the fill policy):
 * - a fetch that hits the instruction cache costs nothing;
 * - a miss on the word right after the one executing was prefetched: the core waits for what is left
 *   of the read, `waitStates + 1` cycles less one per instruction it ran from the previous word (each
 *   takes at least one cycle), never less than 0;
 * - a miss on any other word (a jump) pays the wait states.
 * Data reads from flash (weights in a const array) go through the data cache, replayed the same way:
 * each 64-bit word that misses it pays the wait states (`artDataStalls`).
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

/** Stall cycles of the data reads that missed the data cache, at `waitStates`. */
export function artDataStalls(events: ArtFetchEvents, waitStates: number): number {
  return events.dataMisses * waitStates;
}
