// SPDX-License-Identifier: Apache-2.0
/**
 * Estimates through the CLI on an emulated run for a real board (`--target cortex-m4 --board
 * nucleo-l4r5zi`): `--json` carries them beside the exact counter, labelled, per layer in `profile`;
 * the HTML report shows them per layer, marked as estimates. (`run --board nucleo-l4r5zi`, terminal and
 * `--json`, is checked in test/cli/boards.test.ts, which runs it anyway.)
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const MODEL = () => sharedModelPath('hello_world_int8');
const BOARD = ['--target', 'cortex-m4', '--board', 'nucleo-l4r5zi'];

type Estimate = { kind: string; value: number; unit: string; basis: string };

function expectShape(estimates: Estimate[], kinds: string[]) {
  expect(estimates.map((e) => e.kind)).to.deep.equal(kinds);
  const units: Record<string, string> = {
    'cycles-estimated': 'cycles',
    'ms-estimated': 'ms',
    'uJ-estimated': 'uJ',
    'battery-inferences-estimated': 'inferences',
  };
  for (const e of estimates) {
    expect(Object.keys(e)).to.deep.equal(['kind', 'value', 'unit', 'basis']);
    expect(e.unit, e.kind).to.equal(units[e.kind]);
    expect(e.value, e.kind).to.be.a('number').at.least(0);
    expect(e.basis, e.kind).to.be.a('string').with.length.greaterThan(20);
  }
}

describe('CLI: estimates for a real board on an emulated run', function () {
  const dir = mkdtempSync(join(tmpdir(), 'tf-estimates-'));
  const html = join(dir, 'report.html');
  let profile: Record<string, any>;
  let profileTable: string;

  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const r = tinyforge(['profile', MODEL(), ...BOARD, '--clock', '80MHz', '--battery', '220mAh', '--json', '--html', html]);
    expect(r.status, r.stderr).to.equal(0);
    profile = JSON.parse(r.stdout);
    writeFileSync(join(dir, 'profile.json'), r.stdout);
    // the terminal table of the same run, from the JSON's report (no second emulator run)
    const t = tinyforge(['report', join(dir, 'profile.json'), '--html', join(dir, 'again.html')]);
    expect(t.status, t.stderr).to.equal(0);
    profileTable = readFileSync(join(dir, 'again.html'), 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('profile --json: the exact counter labelled, the estimates beside it, per layer too', () => {
    expect(profile.board).to.equal('qemu-mps2-an386');
    expect(profile.counter).to.deep.equal({ kind: 'instructions', source: 'SysTick x 40 under QEMU -icount shift=0', exact: 'instructions' });
    expect(profile.perInference).to.be.a('number').greaterThan(0);
    expectShape(profile.estimates, ['cycles-estimated', 'ms-estimated', 'uJ-estimated', 'battery-inferences-estimated']);
    const [cycles, ms, uj, battery] = profile.estimates as Estimate[];
    // the timing model's cycles (more than the instructions: loads, multiplies and taken branches cost more), for that board at that clock
    expect(cycles!.value).to.be.greaterThan(profile.perInference);
    expect(cycles!.basis).to.match(/Cortex-M4 TRM/);
    expect(cycles!.basis).to.match(/nucleo-l4r5zi at 80 MHz, 3 flash wait states/);
    expect(profile.cycleEstimate).to.deep.include({ core: 'cortex-m4', board: 'nucleo-l4r5zi', clockHz: 80e6, flashWaitStates: 3 });
    expect(ms!.value).to.be.closeTo((cycles!.value / 80e6) * 1000, 1e-6);
    expect(ms!.basis).to.match(/at 80 MHz \(--clock, Range 1 normal mode, 3 flash wait states\)/);
    // DS12023's 100 µA/MHz at the board's 3.3 V VDD (targets/cortex-m4.json)
    expect(uj!.value).to.be.closeTo(((100 * cycles!.value) / 1e6) * 3.3, 1e-3);
    expect(uj!.basis).to.match(/^estimated cycles of the inference x 100 uA\/MHz at 3\.3 V: .*DS12023/);
    expect(battery!.value).to.equal(Math.floor((220 * 3.6e6) / ((100 * cycles!.value) / 1e6)));
    expect(profile.estimatedFor).to.deep.include({
      board: 'nucleo-l4r5zi',
      chip: 'STM32L4R5ZIT6',
      clockHz: 80e6,
      clockRequested: true,
      flashWaitStates: 3,
      batteryMah: 220,
    });
    expect(profile.estimatedFor.unavailable).to.deep.equal([]);
    profile.layers.forEach((l: { index: number; estimates: Estimate[] }, i: number) => {
      expectShape(l.estimates, ['cycles-estimated', 'ms-estimated', 'uJ-estimated']);
      expect(l.estimates[0]!.value, `layer ${l.index}`).to.equal(Math.round(profile.cycleEstimate.perLayer[i]));
    });
  });

  it('the HTML report shows the estimates per layer, marked as estimates for the board', function () {
    const text = readFileSync(html, 'utf8');
    // memory is measured against the named chip (its largest regions, as the fit checks), not the emulator's 4 MiB
    expect(profile.capacity).to.deep.equal({ flash: 2 * 1024 * 1024, ram: 640 * 1024, board: 'nucleo-l4r5zi' });
    expect(text).to.include('Flash and RAM against the capacity of nucleo-l4r5zi');
    expect(text).to.include('<th class="est">est. cycles</th><th class="est">est. ms</th><th class="est">est. &micro;J</th>');
    expect(text).to.match(/Estimated columns \(est\.\) are estimates for nucleo-l4r5zi \(STM32L4R5ZIT6\) at 80 MHz, not measurements/);
    expect(text).to.match(/data-kind="uJ-estimated">[\d.,]+<\/td>/);
    const cells = [...text.matchAll(/<td class="n est" data-kind="ms-estimated">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(cells).to.have.length(profile.layers.length);
    const fc = profile.layers.findIndex((l: { alias: boolean }) => !l.alias);
    expect(Number(cells[fc]!.replace(/,/g, ''))).to.be.closeTo(profile.layers[fc].estimates[1].value, profile.layers[fc].estimates[1].value * 0.001);
    // `report` draws the same from the JSON file
    expect(profileTable).to.include('data-kind="ms-estimated"');
    // in a browser: drawn, no script error, the estimate cells there
    let browser: string | null = null;
    try {
      browser = findTool('chromium', 'apt-get install chromium');
    } catch {
      skipAbsent('chromium not installed', 'the HTML was checked by parsing only', this);
    }
    if (!browser) return;
    const dom = spawnSync(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${html}`], {
      encoding: 'utf8',
      timeout: HANG_GUARD_MS,
    }).stdout;
    expect(dom).to.not.match(/data-errors=/);
    expect(dom).to.match(/<body[^>]*data-rendered="3"/);
    expect(dom).to.match(/<td class="n est" data-kind="ms-estimated">[\d.,]+<\/td>/);
  });
});
