// SPDX-License-Identifier: Apache-2.0
/**
 * Time, charge, energy and battery arithmetic on estimated cycles, and the `--clock` and `--battery`
 * values a user types.
 */
import { expect } from 'chai';
import { TinyforgeError } from '../../src/core/errors.ts';
import { batteryOption, chargeMicrocoulombs, cyclesToMs, energyMicrojoules, inferencesPerBattery, runCurrentMilliamps } from '../../src/lab/estimate/energy.ts';
import { clockOption, formatHz } from '../../src/lab/estimate/clock.ts';
import type { CycleEstimate } from '../../src/lab/estimate/types.ts';
import { checkProjectConfig } from '../../src/face/cli/project_config.ts';

/** A synthetic estimate: 8,000,000 cycles over three layers. */
const estimate: CycleEstimate = {
  core: 'cortex-m4',
  board: 'nucleo-l4r5zi',
  clockHz: 80_000_000,
  flashWaitStates: 3,
  perInference: 8_000_000,
  perLayer: [0, 6_000_000, 2_000_000],
  basis: 'synthetic',
};

describe('estimate/energy: ms, µJ and inferences per battery', () => {
  it('cycles at a clock are milliseconds', () => {
    expect(cyclesToMs(estimate.perInference, estimate.clockHz)).to.equal(100);
    expect(cyclesToMs(120_000_000, 120_000_000)).to.equal(1000);
    expect(estimate.perLayer!.map((c) => cyclesToMs(c, estimate.clockHz))).to.deep.equal([0, 75, 25]);
    expect(() => cyclesToMs(1, 0)).to.throw(RangeError);
  });

  it('µA/MHz times cycles is the charge, whatever the clock; times volts the energy', () => {
    // 100 µA/MHz at 80 MHz is 8 mA for 0.1 s: 800 µC; at 3 V, 2,400 µJ
    expect(runCurrentMilliamps(100, 80e6)).to.equal(8);
    expect(chargeMicrocoulombs(8_000_000, 100)).to.equal(800);
    expect(energyMicrojoules(8_000_000, 100, 3)).to.equal(2400);
    // the same cycles at half the clock take twice as long at half the current: the same charge
    const at40 = runCurrentMilliamps(100, 40e6) * 1000 * (cyclesToMs(8_000_000, 40e6) / 1000);
    expect(at40).to.be.closeTo(800, 1e-9);
    const perLayer = estimate.perLayer!.map((c) => energyMicrojoules(c, 44.69, 3.0));
    expect(perLayer.reduce((a, b) => a + b, 0)).to.be.closeTo(energyMicrojoules(estimate.perInference, 44.69, 3.0), 1e-9);
  });

  it('a battery of N mAh runs N·3.6e6 µC worth of inferences', () => {
    // 220 mAh = 792,000,000 µC; 800 µC each: 990,000 inferences
    expect(inferencesPerBattery(8_000_000, 100, 220)).to.equal(990_000);
    expect(inferencesPerBattery(0, 100, 220)).to.equal(Infinity);
  });

  it('--battery takes mAh or Ah, and refuses anything else in one line naming the option', () => {
    expect(batteryOption('220mAh')).to.equal(220);
    expect(batteryOption('220 mAh')).to.equal(220);
    expect(batteryOption('2.2Ah')).to.equal(2200);
    expect(batteryOption('1000')).to.equal(1000);
    for (const bad of ['', '0mAh', '-5mAh', '220 mA', 'lots', '1e3mAh', '20000Ah']) {
      expect(() => batteryOption(bad), bad).to.throw(TinyforgeError, /^--battery must be a capacity above 0 in mAh or Ah \(220mAh, 2\.2Ah\), got '/);
    }
  });

  it('--clock takes Hz or a unit, and refuses anything else in one line naming the option', () => {
    expect(clockOption('80000000')).to.equal(80e6);
    expect(clockOption('80MHz')).to.equal(80e6);
    expect(clockOption('80 mhz')).to.equal(80e6);
    expect(clockOption('32.768kHz')).to.equal(32768);
    expect(clockOption('1GHz')).to.equal(1e9);
    for (const bad of ['', '0', '0MHz', 'fast', '-80MHz', '80 MIPS']) {
      expect(() => clockOption(bad), bad).to.throw(TinyforgeError, /^--clock must be a frequency in Hz or with a unit \(80000000, 80MHz\), got '/);
    }
    expect([formatHz(80e6), formatHz(12.5e6), formatHz(32768), formatHz(500)]).to.deep.equal(['80 MHz', '12.5 MHz', '32.768 kHz', '500 Hz']);
  });

  it('tinyforge.json takes clock and battery as the flags do, a mistake naming the file and the key', () => {
    expect(checkProjectConfig({ clock: '80MHz', battery: '220mAh' }, 'tinyforge.json')).to.include({ file: 'tinyforge.json', clock: 80e6, battery: 220 });
    expect(checkProjectConfig({ clock: 64000000, battery: 1000 }, 'tinyforge.json')).to.include({ clock: 64e6, battery: 1000 });
    expect(checkProjectConfig({}, 'tinyforge.json')).to.not.have.any.keys('clock', 'battery');
    expect(() => checkProjectConfig({ clock: 'fast' }, 'tinyforge.json')).to.throw(
      TinyforgeError,
      "tinyforge.json: clock: must be a frequency in Hz or with a unit (80000000, 80MHz), got 'fast'",
    );
    expect(() => checkProjectConfig({ battery: [220] }, 'tinyforge.json')).to.throw(
      TinyforgeError,
      /^tinyforge\.json: battery: must be a number or a string such as "220mAh"/,
    );
  });
});
