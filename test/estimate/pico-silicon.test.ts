// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { SDK_QUAD_XIP_LINE_FILL_CYCLES, priceRecordedCachedTrace, type RecordedCachedTrace } from '../../src/lab/estimate/timing/recorded_traces.ts';
import { CORTEX_M0PLUS } from '../../src/lab/estimate/timing/cores.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { flashLineFillCycles } from '../../src/lab/estimate/timing/caches.ts';
import { TIMING_DOC, errorPercent, published, readSiliconTraces } from '../helpers/silicon_traces.ts';

const DATA = readSiliconTraces<RecordedCachedTrace & { instructions: number; rp2040jsCycles: number }>('pico-tflmicro-person-trace.json');
const errorOf = (cycles: number) => errorPercent(cycles, DATA.clockHz, DATA.measuredMs);

describe("estimate: the Cortex-M0+ table and the XIP cache against pico-tflmicro's person_detection on a Raspberry Pi Pico", () => {
  const got = priceRecordedCachedTrace(DATA, CORTEX_M0PLUS, SDK_QUAD_XIP_LINE_FILL_CYCLES);

  it('re-prices the recorded trace: the instructions, and the table within 0.01 % of rp2040js over them', () => {
    expect(got.instructions).to.equal(DATA.instructions);
    expect(got.hits).to.equal(97_929_260);
    expect(Math.abs(got.hits - DATA.rp2040jsCycles) / DATA.rp2040jsCycles).to.be.below(1e-4);
    expect(got.missStalls).to.equal((6_479 + 28_967) * 58);
  });

  it('prices a miss of the SDK second stage (quad, continuous read, clk_sys / 2) well below our 03h second stage', () => {
    const pico = findBoard('pico').board.hardware!.caches!;
    expect(SDK_QUAD_XIP_LINE_FILL_CYCLES).to.equal(58);
    expect(flashLineFillCycles(pico, 0, pico.instruction.lineBytes)).to.equal(386);
  });

  it('publishes the whole-inference errors, within 10 % of the measured latency', () => {
    const hits = errorOf(got.hits);
    const withXip = errorOf(got.hits + got.missStalls);
    for (const e of [hits, withXip]) expect(TIMING_DOC, published(e)).to.include(published(e));
    expect(Math.abs(withXip)).to.be.below(10);
  });
});
