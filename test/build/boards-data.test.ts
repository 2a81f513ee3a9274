// SPDX-License-Identifier: Apache-2.0
/**
 * The real boards as data (targets/*.json, `hardware`): each loads, validates and says what its fit
 * checks and (later) timing estimates use, every figure with its source or stored as unknown; the
 * schema refuses the mistakes a hand-written descriptor makes, naming the field.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import {
  TARGETS_DIR,
  type BoardHardware,
  findBoard,
  memoryFor,
  parseTargetDescriptor,
  placeOnBoards,
  resolveTargetAndBoard,
} from '../../src/core/targets/targets.ts';

/** The boards of issue #15, with the target each belongs to and its chip's largest flash and RAM regions. */
const REAL_BOARDS = [
  { board: 'nucleo-l4r5zi', target: 'cortex-m4', chip: /^STM32L4R5/, flash: 2 << 20, ram: 640 << 10, flashing: 'swd-stlink' },
  { board: 'nucleo-h7a3zi-q', target: 'cortex-m7', chip: /^STM32H7A3/, flash: 2 << 20, ram: 1 << 20, flashing: 'swd-stlink' },
  { board: 'nucleo-u575zi-q', target: 'cortex-m33', chip: /^STM32U575/, flash: 2 << 20, ram: 768 << 10, flashing: 'swd-stlink' },
  // issue #75: the MLPerf Tiny v0.7 board the Cortex-M33 table is checked on, its C-cache replayed
  { board: 'ek-ra6m4', target: 'cortex-m33', chip: /^R7FA6M4/, flash: 1 << 20, ram: 256 << 10, flashing: 'swd-jlink' },
  { board: 'pico', target: 'rp2040', chip: /^RP2040$/, flash: 2 << 20, ram: 264 << 10, flashing: 'uf2' },
  { board: 'pico2', target: 'cortex-m33', chip: /^RP2350/, flash: 4 << 20, ram: 520 << 10, flashing: 'uf2' },
  { board: 'esp32-c3-devkitm-1', target: 'esp32c3', chip: /^ESP32-C3/, flash: 4 << 20, ram: 384 << 10, flashing: 'esp-rom-loader' },
  { board: 'esp32-s3-devkitc-1', target: 'esp32s3', chip: /^ESP32-S3/, flash: 8 << 20, ram: 416 << 10, flashing: 'esp-rom-loader' },
  { board: 'nrf52840-dk', target: 'cortex-m4', chip: /^nRF52840/, flash: 1 << 20, ram: 256 << 10, flashing: 'swd-jlink' },
  // issue #40: Helium parts; the N6 has no internal flash (its board's octal flash), the RA8D1's SRAM0 leaves out the TCMs
  { board: 'nucleo-n657x0-q', target: 'cortex-m55', chip: /^STM32N657/, flash: 64 << 20, ram: 0x420000, flashing: 'swd-stlink' },
  { board: 'ek-ra8d1', target: 'cortex-m85', chip: /^R7FA8D1/, flash: 2016 << 10, ram: 896 << 10, flashing: 'swd-jlink' },
];

/** Every fact is either sourced (a document and a section) or says why it is unknown. */
function expectSourcedOrUnknown(fact: object, where: string) {
  if ('unknown' in fact) {
    // why it is unknown, and where the figure would be found
    expect((fact as { unknown: string }).unknown, where).to.match(/^not (found|applicable)/);
    return;
  }
  const { source } = fact as { source: { document: string; section: string } };
  expect(source.document, where).to.match(/\w{3,}/);
  expect(source.section, where).to.match(/\w{3,}/);
}

describe('build/targets: real boards as data', () => {
  for (const b of REAL_BOARDS) {
    it(`${b.board}: a ${b.target} board with its chip's memory, clocks, flashing and console, each sourced or unknown`, () => {
      const { target, board } = findBoard(b.board);
      expect(target.name).to.equal(b.target);
      expect(board.emulated).to.equal(false);
      const hw = board.hardware as BoardHardware;
      expect(hw.chip).to.match(b.chip);
      expect(memoryFor(target, board)).to.deep.equal({ flashBytes: b.flash, ramBytes: b.ram, stackBytes: target.memory!.stackBytes });
      expect(hw.flashing.method).to.equal(b.flashing);
      expect(hw.console.baud).to.equal(115200);
      expect(board.clockHz).to.be.at.most(hw.clock.maxHz);
      for (const o of hw.clock.options) expect(o.maxHz).to.be.at.most(hw.clock.maxHz);
      expectSourcedOrUnknown(hw.memory, `${b.board} memory`);
      expectSourcedOrUnknown(hw.clock, `${b.board} clock`);
      expectSourcedOrUnknown(hw.flashWaitStates, `${b.board} flashWaitStates`);
      expectSourcedOrUnknown(hw.runCurrent, `${b.board} runCurrent`);
      if ('steps' in hw.flashWaitStates) {
        // per range, more clock never needs fewer wait states, and the last step reaches that range's top clock
        const ranges = new Set(hw.flashWaitStates.steps.map((s) => s.range));
        for (const range of ranges) {
          const steps = hw.flashWaitStates.steps.filter((s) => s.range === range);
          for (let i = 1; i < steps.length; i++) {
            expect(steps[i]!.maxHz, `${b.board} ${range}`).to.be.greaterThan(steps[i - 1]!.maxHz);
            expect(steps[i]!.waitStates, `${b.board} ${range}`).to.equal(steps[i - 1]!.waitStates + 1);
          }
          const top = hw.clock.options.find((o) => o.name.startsWith(range));
          if (top) expect(steps.at(-1)!.maxHz, `${b.board} ${range} reaches ${top.name}`).to.equal(top.maxHz);
        }
      }
    });
  }

  it('stores the wait states found in the reference manuals, as the vendor HALs encode them', () => {
    const l4 = findBoard('nucleo-l4r5zi').board.hardware!.flashWaitStates;
    expect('steps' in l4 && l4.steps.filter((s) => s.range === 'Range 1').map((s) => [s.maxHz / 1e6, s.waitStates])).to.deep.equal([
      [20, 0],
      [40, 1],
      [60, 2],
      [80, 3],
      [100, 4],
      [120, 5],
    ]);
    const h7 = findBoard('nucleo-h7a3zi-q').board.hardware!.flashWaitStates;
    expect('steps' in h7 && h7.steps.filter((s) => s.range === 'VOS0').at(-1)).to.deep.equal({ range: 'VOS0', maxHz: 280e6, waitStates: 6 });
    const u5 = findBoard('nucleo-u575zi-q').board.hardware!.flashWaitStates;
    expect('steps' in u5 && u5.steps.filter((s) => s.range === 'Range 1').map((s) => [s.maxHz / 1e6, s.waitStates])).to.deep.equal([
      [32, 0],
      [64, 1],
      [96, 2],
      [128, 3],
      [160, 4],
    ]);
    // not found: unknown, with where the figure lives, rather than a guess
    expect(findBoard('nrf52840-dk').board.hardware!.flashWaitStates)
      .to.have.property('unknown')
      .that.match(/nRF52840 Product Specification/);
  });

  describe('--board and the boards a run uses', () => {
    it('--board alone implies its target; with --target it must be one of its boards', () => {
      expect(resolveTargetAndBoard(undefined, 'nucleo-h7a3zi-q').target.name).to.equal('cortex-m7');
      expect(resolveTargetAndBoard(undefined, undefined).target.name).to.equal('cortex-m4');
      expect(resolveTargetAndBoard('cortex-m4', 'nucleo-l4r5zi').board?.name).to.equal('nucleo-l4r5zi');
      expect(() => resolveTargetAndBoard('rp2040', 'nucleo-l4r5zi')).to.throw(TinyforgeError, 'board nucleo-l4r5zi is a cortex-m4 board, not a rp2040 one');
      expect(() => resolveTargetAndBoard(undefined, 'nucleo-nope')).to.throw(TinyforgeError, /unknown board 'nucleo-nope' \(known: .*nucleo-l4r5zi/);
    });

    it("without a port a real board runs on its core's emulator and the fit is its own; with a port it needs firmware of ours", () => {
      const m4 = findBoard('nucleo-l4r5zi').target;
      const place = placeOnBoards(m4, 'nucleo-l4r5zi', false);
      expect([place.runOn?.name, place.fitFor?.name]).to.deep.equal(['qemu-mps2-an386', 'nucleo-l4r5zi']);
      const emulated = placeOnBoards(m4, undefined, false);
      expect([emulated.runOn?.name, emulated.fitFor?.name]).to.deep.equal(['qemu-mps2-an386', 'qemu-mps2-an386']);
      // a board we build firmware for runs on its port; with two such boards the port needs --board
      expect(placeOnBoards(m4, 'nucleo-l4r5zi', true)).to.deep.include({ runOn: findBoard('nucleo-l4r5zi').board });
      expect(() => placeOnBoards(m4, undefined, true)).to.throw(
        TinyforgeError,
        '--port: give --board, the real board on the port (cortex-m4: nucleo-l4r5zi, nrf52840-dk)',
      );
      expect(placeOnBoards(findBoard('nucleo-h7a3zi-q').target, undefined, true).runOn?.name).to.equal('nucleo-h7a3zi-q');
      expect(placeOnBoards(findBoard('pico2').target, 'pico2', true).runOn?.name).to.equal('pico2');
      // a real board without firmware of ours has nothing to run on its port
      const s3 = findBoard('esp32-s3-devkitc-1');
      expect(s3.board.linkerScript).to.equal(undefined);
      // the Pico has firmware of ours: on a port it is both
      const rp = findBoard('pico').target;
      expect(placeOnBoards(rp, undefined, true).runOn?.name).to.equal('pico');
      // an ESP chip on a port runs the ESP-IDF project's harness: no board of ours runs it, the fit is the devkit's
      const c3 = findBoard('esp32-c3-devkitm-1').target;
      const onPort = placeOnBoards(c3, 'esp32-c3-devkitm-1', true);
      expect([onPort.runOn, onPort.fitFor?.name]).to.deep.equal([undefined, 'esp32-c3-devkitm-1']);
      expect(placeOnBoards(c3, undefined, true)).to.deep.equal({ runOn: undefined, fitFor: undefined });
      // without a port the ESP32-S3's devkit runs on its core's emulator, the fit is the devkit's
      const s3Emulated = placeOnBoards(findBoard('esp32-s3-devkitc-1').target, 'esp32-s3-devkitc-1', false);
      expect([s3Emulated.runOn?.name, s3Emulated.fitFor?.name]).to.deep.equal(['qemu-esp32s3', 'esp32-s3-devkitc-1']);
    });
  });

  describe('validation of a real board', () => {
    const m4 = () => JSON.parse(readFileSync(join(TARGETS_DIR, 'cortex-m4.json'), 'utf8'));
    const realIndex = (raw: { boards: { name: string }[] }) => raw.boards.findIndex((b) => b.name === 'nucleo-l4r5zi');
    const parse = (raw: unknown) => () => parseTargetDescriptor(raw, 'bad.json');

    it('names the field that is wrong', () => {
      const noHardware = m4();
      delete noHardware.boards[realIndex(noHardware)].hardware;
      expect(parse(noHardware)).to.throw(TinyforgeError, /bad\.json: boards\[\d\]\.hardware must be present on a real board/);

      const badMethod = m4();
      badMethod.boards[realIndex(badMethod)].hardware.flashing.method = 'jtag-magic';
      expect(parse(badMethod)).to.throw(TinyforgeError, /hardware\.flashing\.method must be one of stm32-usart-bootloader, uf2/);

      const typo = m4();
      typo.boards[realIndex(typo)].hardware.runCurrent = { unknown: 'not found', guess: 100 };
      expect(parse(typo)).to.throw(TinyforgeError, /unknown field boards\[\d\]\.hardware\.runCurrent\.guess/);

      const unsourced = m4();
      delete unsourced.boards[realIndex(unsourced)].hardware.flashWaitStates.source;
      expect(parse(unsourced)).to.throw(TinyforgeError, /hardware\.flashWaitStates\.source must be an object/);

      const tooFast = m4();
      tooFast.boards[realIndex(tooFast)].hardware.clock.options[0].maxHz = 480e6;
      expect(parse(tooFast)).to.throw(TinyforgeError, /hardware\.clock\.options\[0\]\.maxHz must be at most clock\.maxHz \(120000000\)/);

      const noRam = m4();
      noRam.boards[realIndex(noRam)].hardware.memory.ram = [];
      expect(parse(noRam)).to.throw(TinyforgeError, /hardware\.memory\.ram must be a non-empty list of regions/);

      const emulatedWithSilicon = m4();
      emulatedWithSilicon.boards[0].hardware = emulatedWithSilicon.boards[realIndex(emulatedWithSilicon)].hardware;
      expect(parse(emulatedWithSilicon)).to.throw(TinyforgeError, /boards\[0\]\.hardware must be absent on an emulated board/);
    });
  });
});
