// SPDX-License-Identifier: Apache-2.0
/**
 * `npx tsx bench/timing-l4r5.ts`: the Cortex-M4 table and the STM32L4+ ART model over the recorded
 * traces of the MLPerf Tiny v0.5 reference runtime (test/data/mlperf-v05-l4r5-traces.json), against
 * the latencies the submission measured on a NUCLEO-L4R5ZI at 120 MHz (docs/timing.md, Validation).
 * Prints, per model, the estimate with every fetch hitting, with the ART (prefetch on), with the ART
 * as Mbed's HAL sets it (prefetch off), and with 5 wait states on every fetch word, in ms and as an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RecordedTrace, priceRecordedTrace } from '../src/lab/estimate/timing/recorded_traces.ts';

const data = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'data', 'mlperf-v05-l4r5-traces.json'), 'utf8')) as {
  clockHz: number;
  waitStates: number;
  models: Record<string, RecordedTrace>;
};
const ws = data.waitStates;
const ms = (cycles: number) => (cycles / data.clockHz) * 1000;
const cell = (cycles: number, measured: number) => {
  const e = ((ms(cycles) - measured) / measured) * 100;
  return `${ms(cycles).toFixed(2)} (${e > 0 ? '+' : ''}${e.toFixed(1)} %)`.padStart(22);
};
console.log(`Cortex-M4 table over TFLite Micro 2.3 + CMSIS-NN, NUCLEO-L4R5ZI at ${data.clockHz / 1e6} MHz, ${ws} wait states (ms, error)`);
console.log('model   instructions            all hits      ART, prefetch on     ART, prefetch off      every fetch word    measured');
for (const [name, m] of Object.entries(data.models)) {
  const p = priceRecordedTrace(m, ws);
  const hits = { instructions: p.instructions, cycles: p.hits };
  const every = p.everyFetchWord;
  const prefetchOn = p.hits + p.artFetchPrefetchOn + p.artData;
  const prefetchOff = p.hits + p.artFetch + p.artData;
  console.log(
    `${name.padEnd(6)} ${String(hits.instructions).padStart(13)} ${cell(hits.cycles, m.measuredMs)} ${cell(prefetchOn, m.measuredMs)} ${cell(prefetchOff, m.measuredMs)} ${cell(every, m.measuredMs)} ${m.measuredMs.toFixed(2).padStart(11)}`,
  );
}
