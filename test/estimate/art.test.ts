// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  ART_L4PLUS,
  artDataStalls,
  artEventsConsistent,
  artFetchStalls,
  artStalls,
  sumArtEvents,
  type ArtFetchEvents,
} from '../../src/lab/estimate/timing/art.ts';
import { pluginArgument, readPluginTrace } from '../../src/lab/estimate/timing/trace.ts';
import { priceRecordedTrace } from '../../src/lab/estimate/timing/recorded_traces.ts';
import { TIMING_DOC, errorPercent, published, readSiliconTraces } from '../helpers/silicon_traces.ts';

interface TracedModel {
  measuredMs: number;
  instructions: number;
  art: ArtFetchEvents;
  counts: [number, string, number, number][];
}
const DATA = readSiliconTraces<{ waitStates: number; models: Record<string, TracedModel> }>('mlperf-v05-l4r5-traces.json');

/**
 * The recorded figures, as docs/timing.md publishes them: cycles with every fetch hitting, the ART's
 * instruction-side stalls, its data-side stalls, every fetch word paying.
 */
const EXPECTED: Record<string, { hits: number; art: number; data: number; every: number }> = {
  kws: { hits: 15_634_878, art: 3_699_972, data: 1_013_252, every: 64_806_330.5 },
  vww: { hits: 51_261_708, art: 12_623_980, data: 3_548_748, every: 211_176_265.5 },
  ic: { hits: 66_192_235, art: 5_724_204, data: 5_724_780, every: 261_732_310 },
  ad: { hits: 864_701, art: 17_107, data: 238_578, every: 4_276_908.5 },
};

const errorOf = (cycles: number, m: TracedModel) => errorPercent(cycles, DATA.clockHz, m.measuredMs);

describe('estimate: the Cortex-M4 table and the ART model against the MLPerf Tiny v0.5 reference on a NUCLEO-L4R5ZI', () => {
  it('holds the L4+ ART geometry', () => {
    expect(ART_L4PLUS.instructionLines * ART_L4PLUS.lineBytes).to.equal(1024);
    expect(ART_L4PLUS.dataLines * ART_L4PLUS.lineBytes).to.equal(256);
    expect(ART_L4PLUS.lineBytes).to.equal(4 * ART_L4PLUS.flashWordBytes);
  });

  it('prices the events: hits free, jumps and data misses the wait states, a prefetched word what is left of its read', () => {
    const events: ArtFetchEvents = { fetches: 10, hits: 4, jumps: 2, sequential: [0, 1, 2, 1], dataReads: 5, dataHits: 3, dataMisses: 2 };
    expect(artEventsConsistent(events)).to.equal(true);
    // 2 jumps x 5 + 1 x (6 - 1) + 2 x (6 - 2) + 1 x (6 - 3)
    expect(artFetchStalls(events, 5)).to.equal(10 + 5 + 8 + 3);
    expect(artFetchStalls(events, 0)).to.equal(0);
    // 2 misses x 5, and 1 cycle of fetch contention for each of the 5 reads
    expect(artDataStalls(events, 5)).to.equal(10 + 5);
    // without the prefetch every miss pays the wait states
    expect(artFetchStalls(events, 5, false)).to.equal(6 * 5);
    expect(artFetchStalls({ ...events, fetches: 1, hits: 0, jumps: 0, sequential: [0, 0, 0, 0, 0, 0, 0, 1] }, 5)).to.equal(0);
  });

  it('asks the plugin for the replay and reads its events per segment', () => {
    expect(
      pluginArgument('/p.so', [0x100, 0x200], '/t', {
        geometry: { instructionLines: 32, dataLines: 8, prefetch: true },
        flash: { origin: 0, bytes: 0x400000 },
      }),
    ).to.equal('/p.so,mark=0x100,mark=0x200,out=/t,art=32:8,flash=0x0:0x400000');
    expect(pluginArgument('/p.so', [0x100], '/t')).to.equal('/p.so,mark=0x100,out=/t');
    const dir = mkdtempSync(join(tmpdir(), 'tf-art-'));
    try {
      const file = join(dir, 'trace.txt');
      writeFileSync(file, ['T 0 0x100:0068 0x102:7047', 'S 0x100', 'C 0 3 3', 'A 4 1 1 0,1,1 3 2 1', 'S 0x200', 'C 0 1 1', 'A 2 2 0 0,0 0 0 0', ''].join('\n'));
      const trace = readPluginTrace(file);
      expect(trace.segments.map((seg) => seg.art)).to.deep.equal([
        { fetches: 4, hits: 1, jumps: 1, sequential: [0, 1, 1], dataReads: 3, dataHits: 2, dataMisses: 1 },
        { fetches: 2, hits: 2, jumps: 0, sequential: [0, 0], dataReads: 0, dataHits: 0, dataMisses: 0 },
      ]);
      const sum = sumArtEvents(trace.segments.map((seg) => seg.art!));
      expect(sum).to.deep.equal({ fetches: 6, hits: 3, jumps: 1, sequential: [0, 1, 1], dataReads: 3, dataHits: 2, dataMisses: 1 });
      expect(artEventsConsistent(sum)).to.equal(true);
      // a jump 5, a prefetched word after 1 and after 2 instructions 5 + 4, a data miss 5, 3 reads' contention
      expect(artStalls(sum, 5, true)).to.equal(5 + 5 + 4 + 5 + 3);
      // a trace whose last block line QEMU did not finish is one clear error, not a TypeError
      writeFileSync(file, ['T 0 0x100:0068 0x102:7047', 'T 1 0x104:00', 'T 2 0x106'].join('\n'));
      expect(() => readPluginTrace(file)).to.throw(/trace is cut short \(block 2\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`re-prices the recorded ${name} trace and publishes its errors, within 10 % with the ART as the board ran it`, () => {
      const m = DATA.models[name]!;
      expect(artEventsConsistent(m.art), 'ART events').to.equal(true);
      const got = priceRecordedTrace(m, DATA.waitStates);
      expect(got.instructions).to.equal(m.instructions);
      expect({ hits: got.hits, art: got.artFetchPrefetchOn, data: got.artData, every: got.everyFetchWord }).to.deep.equal(expected);
      // the published errors (docs/timing.md) are these figures, rounded to 0.1 %
      const asRun = got.artFetch + got.artData; // the prefetch off, as Mbed's HAL leaves it
      for (const cycles of [got.hits, got.hits + got.artFetchPrefetchOn + got.artData, got.hits + asRun, got.everyFetchWord]) {
        const e = errorOf(cycles, m);
        expect(TIMING_DOC, `${name}: ${published(e)}`).to.include(published(e));
      }
      expect(Math.abs(errorOf(got.hits + asRun, m))).to.be.below(10);
    });
  }
});
