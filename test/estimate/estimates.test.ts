// SPDX-License-Identifier: Apache-2.0
/**
 * What `--json` carries as estimates for a real board, built from a CycleEstimate: kinds, units and a
 * basis on every figure, per layer too; what cannot be estimated is listed with why; until the timing
 * model lands, the provisional cycle estimate says it is one.
 */
import { expect } from 'chai';
import { TinyforgeError } from '../../src/core/errors.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { resolveClock, type AppliedRunCurrent } from '../../src/lab/estimate/clock.ts';
import { buildEstimates, estimateRun, exactCounterKind, planEstimation } from '../../src/lab/estimate/estimates.ts';
import { provisionalCycleEstimate } from '../../src/lab/estimate/provisional.ts';
import { estimateLines } from '../../src/face/report/run.ts';
import type { CycleEstimate } from '../../src/lab/estimate/types.ts';

const cycles = (board: string, clockHz: number): CycleEstimate => ({
  core: 'cortex-m33',
  board,
  clockHz,
  flashWaitStates: 4,
  perInference: 16_000_000,
  perLayer: [0, 12_000_000, 4_000_000],
  basis: 'the Cortex-M33 timing tables (synthetic)',
});

describe('estimate/estimates: the estimates of --json', () => {
  it('cycles, ms and uJ for the inference and per layer, each with a unit and a basis; inferences on a battery', () => {
    const clock = resolveClock(findBoard('nucleo-u575zi-q').board);
    const { estimates, perLayer, estimatedFor } = buildEstimates(cycles('nucleo-u575zi-q', 160e6), { clock, batteryMah: 220 });
    expect(estimates.map((e) => [e.kind, e.unit])).to.deep.equal([
      ['cycles-estimated', 'cycles'],
      ['ms-estimated', 'ms'],
      ['uJ-estimated', 'uJ'],
      ['battery-inferences-estimated', 'inferences'],
    ]);
    const value = (kind: string) => estimates.find((e) => e.kind === kind)!.value;
    expect(value('cycles-estimated')).to.equal(16_000_000);
    expect(value('ms-estimated')).to.equal(100);
    // 44.69 µA/MHz x 16e6 cycles = 715.04 µC; at 3.0 V, 2,145.12 µJ; 220 mAh / 715.04 µC = 1,107,630 inferences
    expect(value('uJ-estimated')).to.be.closeTo(2145.12, 1e-6);
    expect(value('battery-inferences-estimated')).to.equal(1_107_630);
    for (const e of estimates) expect(e.basis, e.kind).to.be.a('string').with.length.greaterThan(20);
    expect(estimates[0]!.basis).to.equal('the Cortex-M33 timing tables (synthetic)');
    expect(estimates[1]!.basis).to.match(/^estimated cycles of the inference at 160 MHz \(nucleo-u575zi-q's descriptor clock, Range 1, 4 flash wait states\)/);
    expect(estimates[2]!.basis).to.match(/44\.69 uA\/MHz \(tabulated at 160 MHz, Range 1\) at 3 V: .*DS13737.*7\.15 mA x 1000 \/ 160 MHz/);
    expect(perLayer!.map((l) => l.map((e) => [e.kind, e.value]))).to.deep.equal([
      [
        ['cycles-estimated', 0],
        ['ms-estimated', 0],
        ['uJ-estimated', 0],
      ],
      [
        ['cycles-estimated', 12_000_000],
        ['ms-estimated', 75],
        ['uJ-estimated', 1608.84],
      ],
      [
        ['cycles-estimated', 4_000_000],
        ['ms-estimated', 25],
        ['uJ-estimated', 536.28],
      ],
    ]);
    expect(estimatedFor).to.deep.include({
      board: 'nucleo-u575zi-q',
      chip: 'STM32U575ZIT6Q',
      clockHz: 160e6,
      powerRange: 'Range 1',
      flashWaitStates: 4,
      batteryMah: 220,
      unavailable: [],
    });
  });

  it('no energy without a sourced supply voltage or current: listed as unavailable with why', () => {
    // every real board has both (see boards.test.ts); a board whose source lacks one gets this
    const l4 = resolveClock(findBoard('nucleo-l4r5zi').board, 80e6);
    const noVolts = { ...l4, runCurrent: { ...(l4.runCurrent as AppliedRunCurrent), volts: null } };
    const nv = buildEstimates(cycles('nucleo-l4r5zi', 80e6), { clock: noVolts, batteryMah: 220 });
    expect(nv.estimates.map((e) => e.kind)).to.deep.equal(['cycles-estimated', 'ms-estimated', 'battery-inferences-estimated']);
    expect(nv.estimatedFor.unavailable).to.deep.equal([
      { kind: 'uJ-estimated', why: "the supply voltage of nucleo-l4r5zi's run current is not in its source" },
    ]);
    // 100 µA/MHz x 16e6 cycles = 1,600 µC: 220 mAh runs 495,000
    expect(nv.estimates[2]!.value).to.equal(495_000);
    const pico = resolveClock(findBoard('pico').board);
    const noCurrent = { ...pico, runCurrent: { unknown: 'not found in the sources consulted' } };
    const nc = buildEstimates(cycles('pico', 125e6), { clock: noCurrent, batteryMah: 220 });
    expect(nc.estimates.map((e) => e.kind)).to.deep.equal(['cycles-estimated', 'ms-estimated']);
    expect(nc.estimatedFor.unavailable.map((u) => u.kind)).to.deep.equal(['uJ-estimated', 'battery-inferences-estimated']);
    expect(nc.estimatedFor.unavailable[0]!.why).to.match(/^run-mode current of pico unknown: not found/);
  });

  it('every real board gives microjoules at its own clock, from its descriptor figure and volts', () => {
    // 16e6 cycles: µJ = µA/MHz x 16 x V
    const expected: Record<string, [number, number]> = {
      'nucleo-l4r5zi': [100, 3.3],
      'nrf52840-dk': [98.44, 3.0],
      'nucleo-h7a3zi-q': [121.43, 3.3],
      'nucleo-u575zi-q': [44.69, 3.0],
      pico: [227.08, 3.3],
      pico2: [78.53, 3.3],
      'esp32-c3-devkitm-1': [143.75, 3.3],
      'esp32-s3-devkitc-1': [213.33, 3.3],
    };
    for (const [name, [perMHz, volts]] of Object.entries(expected)) {
      const { board } = findBoard(name);
      const { estimates, estimatedFor } = buildEstimates(cycles(name, board.clockHz), { clock: resolveClock(board), batteryMah: 220 });
      expect(estimatedFor.unavailable, name).to.deep.equal([]);
      const uj = estimates.find((e) => e.kind === 'uJ-estimated')!;
      expect(uj.value, name).to.be.closeTo(perMHz * 16 * volts, perMHz * 16 * volts * 1e-5);
      expect(uj.basis, name).to.include(`${perMHz} uA/MHz`);
    }
  });

  it('a cycle estimate made for another clock says so in the time basis', () => {
    const { estimates } = buildEstimates(cycles('nucleo-u575zi-q', 160e6), { clock: resolveClock(findBoard('nucleo-u575zi-q').board, 80e6), batteryMah: null });
    expect(estimates[1]!.value).to.equal(200);
    expect(estimates[1]!.basis).to.match(/\(--clock, Range 2, 3 flash wait states\); the cycles were estimated for 160 MHz's wait states/);
  });

  it('the provisional cycle estimate, used while no timing model gives one, says what it is', () => {
    const clock = resolveClock(findBoard('nucleo-l4r5zi').board);
    const qemu = provisionalCycleEstimate(
      { kind: 'instructions', source: 'SysTick x 40 under QEMU -icount shift=0', emulated: true, core: 'cortex-m4', perInference: 1000, perLayer: [600, 400] },
      clock,
    );
    expect(qemu).to.deep.include({ core: 'cortex-m4', board: 'nucleo-l4r5zi', clockHz: 120e6, flashWaitStates: 5, perInference: 1000, perLayer: [600, 400] });
    expect(qemu.basis).to.match(/^1 cycle per instruction: no timing model for cortex-m4 yet.*a lower bound/);
    const rp = provisionalCycleEstimate(
      {
        kind: 'cycles',
        source: "SysTick at clk_sys under rp2040js's Cortex-M0+ timing model",
        emulated: true,
        core: 'cortex-m0plus',
        perInference: 10,
        perLayer: null,
      },
      resolveClock(findBoard('pico').board),
    );
    expect(rp.basis).to.match(/^the emulator's own cycle count/);
    // a timing model's estimate, when the report has one, is used as it is
    const model = cycles('nucleo-l4r5zi', 120e6);
    const exact = { kind: 'instructions' as const, source: 'q', emulated: true, core: 'cortex-m4', perInference: 1, perLayer: null };
    expect(estimateRun({ clock, batteryMah: null }, exact, model).estimates[0]).to.deep.include({ value: 16_000_000, basis: model.basis });
    expect(estimateRun({ clock, batteryMah: null }, exact, null).estimates[0]!.basis).to.match(/^1 cycle per instruction/);
    // no real board: no estimates, the exact counter still labelled
    expect(estimateRun(null, exact, null)).to.deep.equal({ exact: 'instructions', estimates: [], perLayer: null, estimatedFor: null });
  });

  it("the exact counter's label: instructions, an emulator's cycles, or cycles measured on the silicon", () => {
    expect([exactCounterKind('instructions', true), exactCounterKind('cycles', true), exactCounterKind('cycles', false)]).to.deep.equal([
      'instructions',
      'cycles-emulated',
      'cycles-measured',
    ]);
  });

  it('plans the estimate for the named real board, refusing --clock and --battery without one', () => {
    expect(planEstimation({ target: 'cortex-m4', board: 'nucleo-l4r5zi', clockHz: 80e6 })?.clock).to.include({
      board: 'nucleo-l4r5zi',
      clockHz: 80e6,
      flashWaitStates: 3,
    });
    expect(planEstimation({ board: 'pico' })?.clock.board).to.equal('pico');
    expect(planEstimation({ target: 'cortex-m4' })).to.equal(null);
    expect(planEstimation({ target: 'rp2040', port: '/dev/ttyACM0' })?.clock.board, 'a port reaches the real board').to.equal('pico');
    expect(() => planEstimation({ target: 'cortex-m4', clockHz: 80e6 })).to.throw(
      TinyforgeError,
      '--clock applies to an estimate for a real board: give --board with one (cortex-m4: nucleo-l4r5zi, nrf52840-dk)',
    );
    expect(() => planEstimation({ target: 'cortex-m3', batteryMah: 220 })).to.throw(
      TinyforgeError,
      /^--battery applies to .*cortex-m3 has none; see `tinyforge boards`/,
    );
    expect(() => planEstimation({ board: 'nucleo-h7a3zi-q', clockHz: 300e6 })).to.throw(TinyforgeError, /above nucleo-h7a3zi-q's maximum, 280 MHz/);
  });

  it('the terminal lines: for which board and clock, each figure marked estimated, the unknowns with why', () => {
    const clock = resolveClock(findBoard('nucleo-l4r5zi').board, 80e6);
    const noVolts = { ...clock, runCurrent: { ...(clock.runCurrent as AppliedRunCurrent), volts: null } };
    const exact = {
      kind: 'instructions' as const,
      source: 'SysTick x 40 under QEMU -icount shift=0',
      emulated: true,
      core: 'cortex-m4',
      perInference: 8e6,
      perLayer: null,
    };
    const lines = estimateLines(estimateRun({ clock: noVolts, batteryMah: 220 }, exact, null));
    expect(lines.map(([k]) => k)).to.deep.equal(['estimated for', 'est. cycles', 'est. time', 'est. battery', 'est. energy']);
    expect(lines[0]![1]).to.equal('nucleo-l4r5zi (STM32L4R5ZIT6) at 80 MHz, Range 1 normal mode, 3 flash wait states: estimates, not measurements');
    expect(lines[2]![1]).to.match(/^100 ms \(estimated cycles of the inference at 80 MHz/);
    expect(lines[3]![1]).to.match(/^990,000 inferences on 220 mAh \(/);
    expect(lines[4]![1]).to.equal("unknown: the supply voltage of nucleo-l4r5zi's run current is not in its source");
    expect(estimateLines(estimateRun(null, exact, null))).to.deep.equal([]);
  });
});
