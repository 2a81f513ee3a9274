// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CORTEX_M0,
  CORTEX_M0PLUS,
  CORTEX_M3,
  CORTEX_M33,
  CORTEX_M4,
  CORTEX_M55,
  CORTEX_M7,
  CORTEX_M85,
  RV32IMC_ESP32C3,
  XTENSA_LX6_ESP32,
  XTENSA_LX7_ESP32S3,
} from '../../src/lab/estimate/timing/cores.ts';
import { statedError } from '../../src/lab/estimate/timing/stated_error.ts';

const TIMING_DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'timing.md'), 'utf8');

describe('estimate: the stated error of each core table', () => {
  it('names a figure for every validated core, and every figure is written up in docs/timing.md', () => {
    for (const core of [CORTEX_M0PLUS, CORTEX_M4, CORTEX_M33, CORTEX_M7, CORTEX_M85, RV32IMC_ESP32C3, XTENSA_LX6_ESP32, XTENSA_LX7_ESP32S3]) {
      const said = statedError(core.core);
      expect(said, core.core).to.match(/\d+(\.\d+)? %/);
      expect(said, core.core).to.match(/\(docs\/timing\.md\)$/);
      for (const figure of said.match(/[+-]?\d+(\.\d+)? %/g)!) expect(TIMING_DOC, `${core.core}: ${figure}`).to.include(figure);
    }
  });

  it('the ESP tables name the chips they were held to', () => {
    for (const core of [RV32IMC_ESP32C3, XTENSA_LX6_ESP32, XTENSA_LX7_ESP32S3])
      expect(statedError(core.core), core.core).to.match(/with ESP-NN.*without.*person_detection latencies measured on an ESP32/);
  });

  it('says so where no error was measured', () => {
    for (const core of [CORTEX_M0, CORTEX_M3]) expect(statedError(core.core), core.core).to.equal('error not measured (docs/timing.md)');
    expect(statedError('a core with no table')).to.equal('error not measured (docs/timing.md)');
  });

  it('says what would validate the table no measurement has checked (Cortex-M55)', () => {
    for (const core of [CORTEX_M55]) {
      const said = statedError(core.core);
      expect(said, core.core).to.match(/^error not validated: .* would validate it\) \(docs\/timing\.md\)$/);
      const name = core.core.replace('cortex-m', 'Cortex-M');
      expect(TIMING_DOC, core.core).to.match(new RegExp(`\\| ${name}[^\\n]*not validated`));
    }
  });
});
