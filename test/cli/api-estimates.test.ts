// SPDX-License-Identifier: Apache-2.0
/**
 * The package API's run and profile: a real board alone implies its target (as --board does on the
 * CLI), and the report carries the same estimates as `--json` (ms and µJ at the board's clock).
 */
import { expect } from 'chai';
import { profile, run } from '../../src/index.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';

describe('API: run and profile estimate ms and µJ for a real board', function () {
  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
  });

  it('run: --board nucleo-l4r5zi alone runs the Cortex-M4 code and estimates its ms, µJ and battery', async () => {
    const report = await run(sharedModelPath('hello_world_int8'), { board: 'nucleo-l4r5zi', batteryMah: 220 });
    expect(report.target).to.equal('cortex-m4');
    expect(report.matchesReference).to.equal(true);
    expect(report.estimatedFor?.board).to.equal('nucleo-l4r5zi');
    const kinds = report.estimates.map((e) => e.kind);
    expect(kinds).to.include.members(['cycles-estimated', 'ms-estimated', 'uJ-estimated', 'battery-inferences-estimated']);
    const ms = report.estimates.find((e) => e.kind === 'ms-estimated')!.value;
    const cycles = report.estimates.find((e) => e.kind === 'cycles-estimated')!.value;
    expect(ms).to.be.closeTo((cycles / report.estimatedFor!.clockHz) * 1000, 1e-6);
  });

  it('profile: per-layer estimates beside the whole inference, at the clock asked for', async () => {
    const report = await profile(sharedModelPath('hello_world_int8'), { board: 'nucleo-l4r5zi', clockHz: 80_000_000 });
    expect(report.estimatedFor?.clockHz).to.equal(80_000_000);
    expect(report.perLayerEstimates).to.have.length(report.layers.length);
    expect(report.estimates.map((e) => e.kind)).to.include('ms-estimated');
  });
});
