// SPDX-License-Identifier: Apache-2.0
/**
 * Recorded whole-inference traces of another runtime (test/data/mlperf-v05-l4r5-traces.json: the
 * MLPerf Tiny v0.5 reference on the emulated Cortex-M4), priced by the Cortex-M4 table and the ART
 * model, for the estimate's check against silicon (docs/timing.md, "Cortex-M4 against silicon").
 */
import { type ArtFetchEvents, artDataStalls, artFetchStalls } from './art.ts';
import { CORTEX_M4, ZERO_WAIT } from './cores.ts';
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

export function priceRecordedTrace(trace: RecordedTrace, waitStates: number): RecordedTracePrice {
  const counts = trace.counts.map(([address, hex, executed, taken]) => ({ address, bytes: Uint8Array.from(Buffer.from(hex, 'hex')), executed, taken }));
  const hits = priceInstructions(counts, decodeThumb, CORTEX_M4, ZERO_WAIT);
  const every = priceInstructions(counts, decodeThumb, CORTEX_M4, {
    perFetchWord: waitStates,
    perTakenBranch: waitStates,
    perFlashRead: waitStates,
    codeInFlash: true,
  });
  return {
    instructions: hits.instructions,
    hits: hits.cycles,
    artFetch: artFetchStalls(trace.art, waitStates, false),
    artFetchPrefetchOn: artFetchStalls(trace.art, waitStates),
    artData: artDataStalls(trace.art, waitStates),
    everyFetchWord: every.cycles,
  };
}
