// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { priceRecordedBounds } from '../../src/lab/estimate/timing/recorded_traces.ts';
import { CORTEX_M33 } from '../../src/lab/estimate/timing/cores.ts';
import { TIMING_DOC, errorPercent, published, readSiliconTraces } from '../helpers/silicon_traces.ts';

interface Traced {
  measuredMs: number;
  instructions: number;
  counts: [number, string, number, number][];
}
const DATA = readSiliconTraces<{ waitStates: number; models: Record<string, Traced> }>('ra6m4-mlperf-v07-traces.json');
const errorOf = (cycles: number, m: Traced) => errorPercent(cycles, DATA.clockHz, m.measuredMs);

/** The recorded figures, as docs/timing.md publishes them: the table's cycles with every access hitting, and with every flash word paying. */
const EXPECTED: Record<string, { hits: number; everyFetchWord: number }> = {
  kws: { hits: 9_402_325, everyFetchWord: 29_205_937 },
  vww: { hits: 29_469_334, everyFetchWord: 90_375_934 },
  ic: { hits: 43_436_452, everyFetchWord: 137_132_581 },
  ad: { hits: 774_795, everyFetchWord: 2_524_441.5 },
};

describe("estimate: the Cortex-M33 table against Renesas's MLPerf Tiny v0.7 submission on an EK-RA6M4", () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`re-prices the recorded ${name} trace: the measured latency lies between its two bounds, and the errors are published`, () => {
      const m = DATA.models[name]!;
      const got = priceRecordedBounds(m.counts, CORTEX_M33, DATA.waitStates);
      expect(got.instructions).to.equal(m.instructions);
      expect({ hits: got.hits, everyFetchWord: got.everyFetchWord }).to.deep.equal(expected);
      const [low, high] = [errorOf(got.hits, m), errorOf(got.everyFetchWord, m)];
      // every access hitting is a lower bound (the flash's misses only add), by no more than the flash could cost
      expect(low).to.be.within(-20, 0);
      expect(high).to.be.above(0);
      for (const e of [low, high]) expect(TIMING_DOC, `${name}: ${published(e)}`).to.include(published(e));
    });
  }
});
