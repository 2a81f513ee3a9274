// SPDX-License-Identifier: Apache-2.0
/**
 * The clock an estimate is made at: the board descriptor's, or `--clock` checked against the board's
 * options, with the power range and the wait states its steps give there, and the run current of
 * that range at that clock.
 */
import { expect } from 'chai';
import { TinyforgeError } from '../../src/core/errors.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { resolveClock, runCurrentAt } from '../../src/lab/estimate/clock.ts';

const board = (name: string) => findBoard(name).board;

describe('estimate/clock: --clock, power range and flash wait states', () => {
  it("defaults to the board's clock and its wait states", () => {
    const c = resolveClock(board('nucleo-l4r5zi'));
    expect(c).to.include({ board: 'nucleo-l4r5zi', chip: 'STM32L4R5ZIT6', clockHz: 120e6, requested: false, range: 'Range 1', flashWaitStates: 5 });
    expect(c.option?.name).to.equal('Range 1 boost mode');
    expect(c.waitStatesBasis).to.match(/^5 wait states up to 120 MHz in Range 1 \(RM0432/);
  });

  it('--clock recomputes the wait states from the steps, in the lowest range that runs the clock', () => {
    const l4 = board('nucleo-l4r5zi');
    const at = (hz: number) => resolveClock(l4, hz);
    expect([80e6, 60e6, 40e6, 30e6, 100e6].map((hz) => at(hz).flashWaitStates)).to.deep.equal([3, 2, 1, 1, 4]);
    expect(at(80e6).option?.name).to.equal('Range 1 normal mode');
    // 16 and 20 MHz run in Range 2 (the lower voltage), where they need 1 and 2 wait states (Range 1 would need none)
    expect(at(16e6)).to.include({ range: 'Range 2', flashWaitStates: 1, requested: true });
    expect(at(20e6)).to.include({ range: 'Range 2', flashWaitStates: 2 });
    const h7 = board('nucleo-h7a3zi-q');
    expect(resolveClock(h7).flashWaitStates).to.equal(6);
    expect(resolveClock(h7, 200e6)).to.include({ range: 'VOS1', flashWaitStates: 4 });
    expect(resolveClock(h7, 80e6)).to.include({ range: 'VOS3', flashWaitStates: 3 });
    const u5 = board('nucleo-u575zi-q');
    expect(resolveClock(u5)).to.include({ range: 'Range 1', flashWaitStates: 4 });
    expect(resolveClock(u5, 100e6)).to.include({ range: 'Range 2', flashWaitStates: 3 });
    expect(resolveClock(u5, 12.5e6)).to.include({ range: 'Range 4', flashWaitStates: 1 });
  });

  it("refuses a clock above the board's maximum, or one the chip does not run at, in one line", () => {
    expect(() => resolveClock(board('nucleo-l4r5zi'), 200e6)).to.throw(
      TinyforgeError,
      "--clock 200 MHz is above nucleo-l4r5zi's maximum, 120 MHz (Range 1 boost mode up to 120 MHz; Range 1 normal mode up to 80 MHz; Range 2 up to 26 MHz)",
    );
    // fixed PLL settings: only those
    expect(resolveClock(board('esp32-c3-devkitm-1'), 80e6)).to.include({ clockHz: 80e6, flashWaitStates: null });
    expect(() => resolveClock(board('esp32-c3-devkitm-1'), 100e6)).to.throw(
      TinyforgeError,
      /--clock 100 MHz is not a clock esp32-c3-devkitm-1 runs at \(PLL 160 MHz at 160 MHz/,
    );
    expect(() => resolveClock(board('nrf52840-dk'), 32e6)).to.throw(
      TinyforgeError,
      /not a clock nrf52840-dk runs at \(HFCLK \(fixed 64 MHz CPU clock\) at 64 MHz\)/,
    );
    expect(() => resolveClock(findBoard('qemu-mps2-an386').board)).to.throw(TinyforgeError, /qemu-mps2-an386 is an emulated board/);
  });

  it('wait states the descriptor does not have stay unknown, with why', () => {
    const pico = resolveClock(board('pico'), 100e6);
    expect(pico.flashWaitStates).to.equal(null);
    expect(pico.waitStatesBasis).to.match(/^not applicable as wait states/);
  });

  it('the run current of the range in use at the nearest tabulated clock at or above, else the headline figure', () => {
    const u5 = resolveClock(board('nucleo-u575zi-q'));
    expect(u5.runCurrent).to.deep.include({ microampsPerMHz: 44.69, volts: 3, at: { range: 'Range 1', hz: 160e6 } });
    expect((u5.runCurrent as { derivation: string }).derivation).to.equal('7.15 mA x 1000 / 160 MHz = 44.69 µA/MHz');
    // 60 MHz in Range 2: the 64 MHz row
    expect(resolveClock(board('nucleo-u575zi-q'), 60e6).runCurrent).to.deep.include({ at: { range: 'Range 2', hz: 64e6 }, microampsPerMHz: 43.75 });
    // Range 4 has no row: the headline figure
    expect(resolveClock(board('nucleo-u575zi-q'), 20e6).runCurrent).to.deep.include({ at: null, microampsPerMHz: 19.5, volts: 3.3 });
    expect(resolveClock(board('nucleo-l4r5zi')).runCurrent).to.deep.include({ microampsPerMHz: 100, volts: 3.3, at: null });
    // the options of a fixed-clock chip are the ranges of its rows: each PLL setting its own row
    expect(resolveClock(board('esp32-s3-devkitc-1')).runCurrent).to.deep.include({
      microampsPerMHz: 213.33,
      volts: 3.3,
      at: { range: 'PLL 240 MHz', hz: 240e6 },
    });
    expect(resolveClock(board('esp32-s3-devkitc-1'), 40e6).runCurrent).to.deep.include({ microampsPerMHz: 405, at: { range: 'XTAL 40 MHz', hz: 40e6 } });
    expect(resolveClock(board('esp32-c3-devkitm-1'), 80e6).runCurrent).to.deep.include({ microampsPerMHz: 212.5, at: { range: 'PLL 80 MHz', hz: 80e6 } });
    // no 40 MHz row on the C3: the headline (160 MHz) figure, at no tabulated point
    expect(resolveClock(board('esp32-c3-devkitm-1'), 40e6).runCurrent).to.deep.include({ microampsPerMHz: 143.75, at: null });
    expect(runCurrentAt({ unknown: 'not found' }, null, 1)).to.deep.equal({ unknown: 'not found' });
  });
});
