// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { priceRecordedCachedTrace, type RecordedCachedTrace } from '../../src/lab/estimate/timing/recorded_traces.ts';
import { CORTEX_M85 } from '../../src/lab/estimate/timing/cores.ts';
import { flashLineFillCycles } from '../../src/lab/estimate/timing/caches.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { TIMING_DOC, errorPercent, published, readSiliconTraces } from '../helpers/silicon_traces.ts';

type Traced = RecordedCachedTrace & { instructions: number };
const DATA = readSiliconTraces<{ models: Record<string, Traced> }>('ra8d1-mlperf-v12-traces.json');
const errorOf = (cycles: number, m: Traced) => errorPercent(cycles, DATA.clockHz, m.measuredMs);

/** The recorded figures, as docs/timing.md publishes them: the table's cycles with every access hitting, and the line misses. */
const EXPECTED: Record<string, { hits: number; misses: number }> = {
  kws: { hits: 1_765_960, misses: 95 },
  vww: { hits: 6_248_585, misses: 11_701 },
  ic: { hits: 4_462_200, misses: 12_899 },
  ad: { hits: 69_555, misses: 8_527 },
};

describe("estimate: the Cortex-M85 table and the EK-RA8D1's caches against Renesas's MLPerf Tiny v1.2 submission", () => {
  const board = findBoard('ek-ra8d1').board.hardware!.caches!;
  const fill = flashLineFillCycles(board, 0, board.data!.lineBytes);

  it('prices a line from the code flash as two 128-bit reads at ICLK with 4 wait states: 20 core cycles', () => {
    expect(fill).to.equal(2 * (4 + 1) * 2);
    expect(board.data!.sets * board.data!.ways * board.data!.lineBytes).to.equal(32 << 10);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`re-prices the recorded ${name} trace and publishes its errors`, () => {
      const m = DATA.models[name]!;
      const got = priceRecordedCachedTrace(m, CORTEX_M85, fill);
      expect(got.instructions).to.equal(m.instructions);
      expect({ hits: got.hits, misses: got.missStalls / fill }).to.deep.equal(expected);
      for (const cycles of [got.hits, got.hits + got.missStalls]) {
        const e = errorOf(cycles, m);
        expect(TIMING_DOC, `${name}: ${published(e)}`).to.include(published(e));
      }
    });
  }

  it('the weights streamed through the D-cache are what AD costs: within 10 % with the line fills, -70 % without', () => {
    const m = DATA.models.ad!;
    const got = priceRecordedCachedTrace(m, CORTEX_M85, fill);
    expect(Math.abs(errorOf(got.hits + got.missStalls, m))).to.be.below(10);
    expect(errorOf(got.hits, m)).to.be.below(-70);
  });
});
