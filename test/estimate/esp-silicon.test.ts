// SPDX-License-Identifier: Apache-2.0
/**
 * The LX7, LX6 and RV32IMC tables against the chips: the recorded traces of esp-tflite-micro's
 * person_detection Invoke (test/data/esp-person-detect-traces.json, bench/timing-esp.ts), with
 * ESP-NN and without, priced at the README's clocks, hold the errors docs/timing.md publishes, and
 * no table is off by more than 15 % on them.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EspRecordedTrace, type EspSiliconBuild, type EspSiliconChip, priceEspTrace, timingOf } from '../../src/lab/estimate/timing/esp_silicon.ts';
import { statedError } from '../../src/lab/estimate/timing/stated_error.ts';

const DATA = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'data', 'esp-person-detect-traces.json'), 'utf8')) as {
  traces: Partial<Record<EspSiliconChip, Partial<Record<EspSiliconBuild, EspRecordedTrace>>>>;
};

/** The errors docs/timing.md and the estimate's basis publish (percent, one decimal). */
const PUBLISHED: Record<EspSiliconChip, Record<EspSiliconBuild, number>> = {
  esp32s3: { esp_nn: -8.1, reference: 2.6 },
  esp32: { esp_nn: 11.3, reference: 6.0 },
  esp32c3: { esp_nn: -5.3, reference: -2.5 },
};

describe('estimate: the ESP tables against esp-tflite-micro person_detection latencies measured on the chips', () => {
  for (const [chip, builds] of Object.entries(DATA.traces) as [EspSiliconChip, Partial<Record<EspSiliconBuild, EspRecordedTrace>>][]) {
    for (const [build, trace] of Object.entries(builds) as [EspSiliconBuild, EspRecordedTrace][]) {
      it(`${chip} ${build === 'esp_nn' ? 'with ESP-NN' : 'without ESP-NN'}: the published error, within 15 %`, () => {
        const p = priceEspTrace(chip, build, trace);
        expect(p.instructions).to.equal(trace.instructions);
        const published = PUBLISHED[chip][build];
        expect(published, 'an error published for it').to.be.a('number');
        expect(p.errorPercent).to.be.closeTo(published!, 0.05);
        expect(Math.abs(p.errorPercent)).to.be.at.most(15);
        expect(statedError(timingOf(chip).core)).to.include(`${published! > 0 ? '+' : ''}${published!.toFixed(1)} %`);
      });
    }
  }
});
