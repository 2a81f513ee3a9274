// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { priceRecordedBounds, priceRecordedCachedTrace, type RecordedCachedTrace } from '../../src/lab/estimate/timing/recorded_traces.ts';
import { type RegionCacheEvents, flashLineFillCycles } from '../../src/lab/estimate/timing/caches.ts';
import { CORTEX_M33 } from '../../src/lab/estimate/timing/cores.ts';
import { resolveClock } from '../../src/lab/estimate/clock.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { TIMING_DOC, errorPercent, published, readSiliconTraces } from '../helpers/silicon_traces.ts';

type Traced = RecordedCachedTrace & { instructions: number; cachesAt: Record<string, RegionCacheEvents[]> };
const DATA = readSiliconTraces<{ waitStates: number; models: Record<string, Traced> }>('ra6m4-mlperf-v07-traces.json');
const errorOf = (cycles: number, m: Traced) => errorPercent(cycles, DATA.clockHz, m.measuredMs);

/**
 * The recorded figures, as docs/timing.md publishes them: the table's cycles with every access hitting,
 * with every flash word paying, and the C-cache's line misses (8 KiB, 2-way, 32-byte lines).
 */
const EXPECTED: Record<string, { hits: number; everyFetchWord: number; misses: number }> = {
  kws: { hits: 9_402_325, everyFetchWord: 29_205_937, misses: 1_852 },
  vww: { hits: 29_469_334, everyFetchWord: 90_375_934, misses: 9_060 },
  ic: { hits: 43_436_452, everyFetchWord: 137_132_581, misses: 91_416 },
  ad: { hits: 774_795, everyFetchWord: 2_524_441.5, misses: 8_979 },
};

describe("estimate: the Cortex-M33 table and the EK-RA6M4's C-cache against Renesas's MLPerf Tiny v0.7 submission", () => {
  const { board } = findBoard('ek-ra6m4');
  const caches = board.hardware!.caches!;
  const waitStates = resolveClock(board).flashWaitStates!;
  const fill = flashLineFillCycles(caches, waitStates, caches.instruction.lineBytes);

  it('replays the board as the submission runs it: 3 wait states at 200 MHz, a 32-byte line as four 64-bit reads, 17 cycles', () => {
    expect(board.clockHz).to.equal(DATA.clockHz);
    expect(waitStates).to.equal(DATA.waitStates);
    expect(caches.instruction.lineBytes).to.equal(32);
    expect(caches.instruction.sets * caches.instruction.ways * caches.instruction.lineBytes).to.equal(8 << 10);
    expect(fill).to.equal(4 * (3 + 1) + 1);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`re-prices the recorded ${name} trace with its line misses, within 10 % of the chip, and publishes the errors`, () => {
      const m = DATA.models[name]!;
      const bounds = priceRecordedBounds(m.counts, CORTEX_M33, DATA.waitStates);
      const got = priceRecordedCachedTrace(m, CORTEX_M33, fill);
      expect(got.instructions).to.equal(m.instructions);
      expect(bounds.instructions).to.equal(m.instructions);
      expect({ hits: got.hits, everyFetchWord: bounds.everyFetchWord, misses: got.missStalls / fill }).to.deep.equal(expected);
      const [low, cached, high] = [errorOf(got.hits, m), errorOf(got.hits + got.missStalls, m), errorOf(bounds.everyFetchWord, m)];
      // the replay lies between every access hitting and every flash word paying
      expect(cached).to.be.within(low, high);
      expect(Math.abs(cached)).to.be.below(10);
      for (const e of [low, cached, high]) expect(TIMING_DOC, `${name}: ${published(e)}`).to.include(published(e));
    });

    it(`publishes ${name}'s errors with the C-cache's capacity, which the sources do not give, taken as 2, 4 and 16 KiB`, () => {
      const m = DATA.models[name]!;
      for (const [geometry, events] of Object.entries(m.cachesAt)) {
        const got = priceRecordedCachedTrace({ ...m, caches: events }, CORTEX_M33, fill);
        const cached = errorOf(got.hits + got.missStalls, m);
        expect(TIMING_DOC, `${name} at ${geometry}: ${published(cached)}`).to.include(published(cached));
      }
    });
  }

  it('the weights streamed once through the C-cache are what AD adds: within 2 % with the line fills, -16 % without', () => {
    const m = DATA.models.ad!;
    const got = priceRecordedCachedTrace(m, CORTEX_M33, fill);
    expect(Math.abs(errorOf(got.hits + got.missStalls, m))).to.be.below(2);
    expect(errorOf(got.hits, m)).to.be.below(-15);
  });
});
