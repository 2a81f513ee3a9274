// SPDX-License-Identifier: Apache-2.0
/**
 * Recorded whole-inference traces of other runtimes, priced by a core's table and its board's memory
 * model, for the estimate's checks against silicon (docs/timing.md, Validation):
 * - test/data/mlperf-v05-l4r5-traces.json: the MLPerf Tiny v0.5 reference on the emulated Cortex-M4,
 *   with the STM32L4+ ART replayed ("Cortex-M4 against silicon");
 * - test/data/pico-tflmicro-person-trace.json: pico-tflmicro's person_detection on rp2040js, with the
 *   RP2040's XIP cache replayed ("Cortex-M0+ against silicon");
 * - test/data/ra6m4-mlperf-v07-traces.json: Renesas's MLPerf Tiny v0.7 build for the EK-RA6M4 on the
 *   emulated Cortex-M33, with the C-cache on its code bus replayed, and bounded by every access
 *   hitting and every flash word paying ("Cortex-M33 against silicon");
 * - test/data/ra8d1-mlperf-v12-traces.json: Renesas's MLPerf Tiny v1.2 build for the EK-RA8D1 on the
 *   emulated Cortex-M55, with the Cortex-M85's L1 caches replayed ("Cortex-M85 against silicon").
 */
import { type ArtFetchEvents, artDataStalls, artFetchStalls } from './art.ts';
import type { RegionCacheEvents } from './caches.ts';
import { CORTEX_M4, type CoreTiming, ZERO_WAIT } from './cores.ts';
import { priceInstructions } from './index.ts';
import { decodeThumb } from './thumb.ts';

/** One model's trace: [address, instruction bytes as hex, times executed, times taken] per instruction, and its ART events. */
export interface RecordedTrace {
  measuredMs: number;
  art: ArtFetchEvents;
  counts: [number, string, number, number][];
}

/** What a recorded trace costs: cycles with every fetch hitting, the ART's stalls (prefetch off, as Mbed sets it, and on), every fetch word paying. */
export interface RecordedTracePrice {
  instructions: number;
  hits: number;
  artFetch: number;
  artFetchPrefetchOn: number;
  artData: number;
  everyFetchWord: number;
}

type RecordedCounts = [number, string, number, number][];

const countsOf = (recorded: RecordedCounts) =>
  recorded.map(([address, hex, executed, taken]) => ({ address, bytes: Uint8Array.from(Buffer.from(hex, 'hex')), executed, taken }));

/** A recorded trace priced by `table` with every access hitting (no wait state anywhere). */
const priceRecordedHits = (counts: ReturnType<typeof countsOf>, table: CoreTiming) => priceInstructions(counts, decodeThumb, table, ZERO_WAIT);

export function priceRecordedTrace(trace: RecordedTrace, waitStates: number): RecordedTracePrice {
  const bounds = priceRecordedBounds(trace.counts, CORTEX_M4, waitStates);
  return {
    ...bounds,
    artFetch: artFetchStalls(trace.art, waitStates, false),
    artFetchPrefetchOn: artFetchStalls(trace.art, waitStates),
    artData: artDataStalls(trace.art, waitStates),
  };
}

/**
 * The two bounds of a trace whose board's flash path is not modelled: `table` with every access
 * hitting, and with every flash fetch word, taken branch and flash read paying `waitStates`.
 */
export function priceRecordedBounds(
  recorded: RecordedCounts,
  table: CoreTiming,
  waitStates: number,
): { instructions: number; hits: number; everyFetchWord: number } {
  const counts = countsOf(recorded);
  const hits = priceRecordedHits(counts, table);
  const every = priceInstructions(counts, decodeThumb, table, {
    perFetchWord: waitStates,
    perTakenBranch: waitStates,
    perFlashRead: waitStates,
    codeInFlash: true,
  });
  return { instructions: hits.instructions, hits: hits.cycles, everyFetchWord: every.cycles };
}

/** A trace behind set-associative caches: its instruction counts and, per replayed region, what the caches saw. */
export interface RecordedCachedTrace {
  measuredMs: number;
  caches: RegionCacheEvents[];
  counts: RecordedCounts;
}

/** What a recorded trace behind caches costs: `table` with every access hitting, and every miss one line fill of `lineFillCycles`. */
export function priceRecordedCachedTrace(
  trace: RecordedCachedTrace,
  table: CoreTiming,
  lineFillCycles: number,
): { instructions: number; hits: number; missStalls: number } {
  const hits = priceRecordedHits(countsOf(trace.counts), table);
  const misses = trace.caches.reduce((n, r) => n + r.fetchMisses + r.readMisses + r.writeMisses, 0);
  return { instructions: hits.instructions, hits: hits.cycles, missStalls: misses * lineFillCycles };
}

/**
 * An XIP cache line fill (8 bytes) as the Pico SDK's second stage for the W25Q080 family sets the
 * SSI: one Fast Read Quad I/O (EBh) in continuous-read mode, so no command phase, at SCK = clk_sys / 2
 * (the Pico board's PICO_FLASH_SPI_CLKDIV): 8 clocks of address and mode bits, 4 dummy clocks,
 * 16 clocks of data, 28 SCK = 56 cycles, plus the 2 cycles of the XIP block's own that the Pico
 * descriptor's 03h fill counts too (targets/rp2040.json).
 */
export const SDK_QUAD_XIP_LINE_FILL_CYCLES = 28 * 2 + 2;
