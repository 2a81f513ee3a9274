// SPDX-License-Identifier: Apache-2.0
/**
 * The harness firmware of the real boards (STM32L4R5, STM32H7A3, STM32U575 Nucleos, nRF52840 DK,
 * Raspberry Pi Pico 2):
 * none of these chips is modelled by QEMU here, so what is checked is what can be checked without
 * the silicon: each builds with the target's flags under -Werror, every section lies in the chip's
 * memory (the board descriptor's `hardware.memory`, the figures the linker scripts must repeat), the
 * vector table starts the core with its stack in RAM and its reset handler in flash, the chip's
 * board_init and console driver are the ones linked, the Pico 2's UF2 carries the RP2350 family id
 * and its IMAGE_DEF block, and the UART divisors match the reference manuals' formulas (the divisor
 * headers compiled and run on the host).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { FIRMWARE_DIR, findBoard, type HardwareRegion } from '../../src/core/targets/targets.ts';
import { loadImage } from '../../src/lab/device/stm32/image.ts';
import { RP2350_ARM_S_FAMILY_ID, parseUf2 } from '../../src/lab/toolchain/rp2040/uf2.ts';
import { FAKE_MODEL_DIR, requireTools, scratchDir } from './helpers.ts';

const BOARDS = [
  { board: 'nucleo-l4r5zi', chip: 'stm32l4r5', uart: 'stm32_usart', stackIn: 'SRAM1', dataIn: 'SRAM1' },
  { board: 'nucleo-h7a3zi-q', chip: 'stm32h7a3', uart: 'stm32_usart', stackIn: 'DTCM', dataIn: 'AXI SRAM' },
  { board: 'nucleo-u575zi-q', chip: 'stm32u575', uart: 'stm32_usart', stackIn: 'SRAM1', dataIn: 'SRAM1' },
  { board: 'nrf52840-dk', chip: 'nrf52840', uart: 'nrf_uart', stackIn: 'data RAM', dataIn: 'data RAM' },
  { board: 'pico2', chip: 'rp2350', uart: 'pl011_uart', stackIn: 'SRAM0', dataIn: 'SRAM0' },
] as const;

interface Section {
  name: string;
  size: number;
  vma: number;
  lma: number;
  alloc: boolean;
  /** has bytes in the image (LOAD), as opposed to NOLOAD's .stack and .bss */
  load: boolean;
}

function sections(elf: string): Section[] {
  const text = execFileSync('arm-none-eabi-objdump', ['-h', elf], { encoding: 'utf8' });
  const lines = text.split('\n');
  const out: Section[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s+\d+\s+(\S+)\s+([0-9a-f]{8})\s+([0-9a-f]{8})\s+([0-9a-f]{8})/.exec(lines[i]!);
    if (!m) continue;
    out.push({
      name: m[1]!,
      size: parseInt(m[2]!, 16),
      vma: parseInt(m[3]!, 16),
      lma: parseInt(m[4]!, 16),
      alloc: /\bALLOC\b/.test(lines[i + 1] ?? ''),
      load: /\bLOAD\b/.test(lines[i + 1] ?? ''),
    });
  }
  return out;
}

function symbols(elf: string): Map<string, number> {
  const text = execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' });
  return new Map(
    text
      .split('\n')
      .map((l) => /^([0-9a-f]{8}) \S (\S+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[2]!, parseInt(m[1]!, 16)]),
  );
}

const inside = (regions: HardwareRegion[], start: number, bytes: number) => regions.find((r) => start >= r.origin && start + bytes <= r.origin + r.bytes);

describe('build: the real boards’ harness firmware', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const built = new Map<string, BuildResult>();

  before(async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'arm-none-eabi-size', 'arm-none-eabi-objdump', 'arm-none-eabi-nm']);
    scratch = scratchDir('real-boards');
    for (const { board } of BOARDS) {
      const { target } = findBoard(board);
      built.set(board, await buildFirmware({ target: target.name, board, modelDir: FAKE_MODEL_DIR, outDir: join(scratch.dir, board), profile: true }));
    }
  });
  after(() => scratch?.cleanup());

  for (const { board, chip, uart, stackIn, dataIn } of BOARDS) {
    it(`${board}: built with the core's flags under -Werror, its chip file and UART driver, every section in the chip's memory, the vectors starting it`, () => {
      const { target, board: descriptor } = findBoard(board);
      const hardware = descriptor.hardware!;
      const build = built.get(board)!;
      expect(build.board).to.equal(board);
      const log = readFileSync(join(scratch.dir, board, 'build.log'), 'utf8');
      const compiles = log.split('\n').filter((l) => l.startsWith('$ ') && l.includes(' -c '));
      for (const flag of [...target.toolchain.cflags, '-DTF_EXIT_PARK=1', `-DTF_CORE_CLOCK_HZ=${descriptor.clockHz}u`]) {
        for (const line of compiles) expect(line, flag).to.include(` ${flag} `);
      }
      expect(compiles.some((l) => l.includes(`chips/${chip}.c`))).to.equal(true);
      expect(compiles.some((l) => l.includes(`uart/${uart}.c`))).to.equal(true);

      const elf = build.elf;
      const symbol = symbols(elf);
      expect(symbol.has('board_init')).to.equal(true);
      for (const s of sections(elf).filter((x) => x.alloc && x.size > 0)) {
        if (s.load) expect(inside(hardware.memory.flash, s.lma, s.size), `${s.name} loads from flash`).to.not.equal(undefined);
        if (s.vma !== s.lma || !s.load) {
          const ram = inside(hardware.memory.ram, s.vma, s.size);
          expect(ram, `${s.name} at 0x${s.vma.toString(16)} in RAM`).to.not.equal(undefined);
          const wanted = s.name === '.stack' ? stackIn : dataIn;
          expect(ram!.name, s.name).to.include(wanted);
        }
      }
      // the vector table at the start of flash: initial SP = the stack's top (in RAM), reset = a Thumb address in flash
      const image = loadImage(elf);
      const first = image.segments[0]!;
      expect(first.address).to.equal(hardware.memory.flash[0]!.origin);
      const words = new DataView(first.data.buffer, first.data.byteOffset, 8);
      const sp = words.getUint32(0, true);
      const reset = words.getUint32(4, true);
      expect(sp).to.equal(symbol.get('__stack_top'));
      expect(inside(hardware.memory.ram, sp - 4, 4), 'initial SP in RAM').to.not.equal(undefined);
      expect(reset).to.equal(symbol.get('Reset_Handler')! | 1);
      expect(inside(hardware.memory.flash, reset & ~1, 2), 'reset handler in flash').to.not.equal(undefined);
      expect(symbol.get('__stack_top')! - symbol.get('__stack_limit')!).to.equal(target.memory!.stackBytes);
    });
  }

  it('pico2: firmware.uf2 is the flash image with the RP2350 Arm Secure family id, the IMAGE_DEF block in its first 4 KiB', () => {
    const build = built.get('pico2')!;
    expect(build.uf2).to.equal(join(scratch.dir, 'pico2', 'firmware.uf2'));
    const uf2 = new Uint8Array(readFileSync(build.uf2!));
    const blocks = parseUf2(uf2, build.uf2!, 4 << 20, RP2350_ARM_S_FAMILY_ID);
    expect(() => parseUf2(uf2, build.uf2!)).to.throw(/not for the RP2040 \(family id 0xe48bff59, expected 0xe48bff56\)/);
    const flash = new Uint8Array(blocks.length * 256).fill(0xff);
    for (const b of blocks) flash.set(b.data, b.address - 0x10000000);
    const words = new DataView(flash.buffer);
    // the same bytes as the ELF: its vector table first
    const elfImage = loadImage(build.elf).segments[0]!;
    expect([...flash.subarray(0, 64)]).to.deep.equal([...elfImage.data.subarray(0, 64)]);
    const IMAGE_DEF = [0xffffded3, 0x10210142, 0x000001ff, 0x00000000, 0xab123579];
    const at = symbols(build.elf).get('image_def')! - 0x10000000;
    expect(at + 20).to.be.at.most(4096);
    expect(at % 4).to.equal(0);
    expect(IMAGE_DEF.map((_, i) => words.getUint32(at + 4 * i, true))).to.deep.equal(IMAGE_DEF);
    // a Nucleo image has no such block and no UF2
    expect(built.get('nucleo-u575zi-q')!.uf2).to.equal(undefined);
  });

  it('the descriptors say what the firmware does: cycles from the DWT at the clock board_init sets', () => {
    for (const { board } of BOARDS) {
      const { target, board: b } = findBoard(board);
      expect(b.counter, board).to.deep.include({ kind: 'cycles', countsPerTick: 1 });
      expect(b.deviceCounter).to.equal('dwt');
      expect(target.counters?.dwt?.kind).to.equal('cycles');
      expect(b.description).to.include('untested on silicon');
      expect(b.description).to.not.include('builds no firmware');
      expect(b.clockHz).to.be.at.most(b.hardware!.clock.maxHz);
    }
  });
});

describe('firmware: the UART divisors against the reference manuals’ formulas (host-compiled)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let lines: string[] = [];
  // kernel clock, baud, LPUART?
  const STM32_CASES: [number, number, 0 | 1][] = [
    [120e6, 115200, 1], // L4R5 LPUART1 on PCLK1
    [120e6, 9600, 1],
    [120e6, 1200, 1], // needs the prescaler: 120 MHz > 4096 x 1200
    [120e6, 921600, 1],
    [140e6, 115200, 0], // H7A3 USART3 on PCLK1
    [140e6, 1200, 0], // 140e6 / 1200 > 0xFFFF: prescaled
    [160e6, 115200, 0], // U575 USART1 on PCLK2
    [160e6, 921600, 0],
    [16e6, 20e6, 0], // impossible: BRR < 16
  ];
  const PL011_CASES: [number, number][] = [
    [150e6, 115200], // the Pico 2's UART0 on clk_peri
    [150e6, 921600],
    [125e6, 115200],
    [150e6, 300], // below the 16-bit integer divisor: clamped
  ];
  const NRF_TABLE: [number, number][] = [
    [1200, 0x0004f000],
    [2400, 0x0009d000],
    [4800, 0x0013b000],
    [9600, 0x00275000],
    [14400, 0x003b0000],
    [19200, 0x004ea000],
    [28800, 0x0075f000],
    [38400, 0x009d5000],
    [57600, 0x00ebf000],
    [76800, 0x013a9000],
    [115200, 0x01d7e000],
    [230400, 0x03afb000],
    [250000, 0x04000000],
    [460800, 0x075f7000],
    [1000000, 0x10000000],
  ];

  before(function () {
    requireTools(this, ['cc']);
    scratch = scratchDir('divisors');
    const source = join(scratch.dir, 'divisors.c');
    writeFileSync(
      source,
      [
        '#include <stdio.h>',
        '#include "stm32_baud.h"',
        '#include "nrf_baud.h"',
        '#include "pl011_baud.h"',
        'int main(void) {',
        ...STM32_CASES.map(
          ([f, b, lp]) => `  { stm32_baud_t d = stm32_baud(${f}u, ${b}u, ${lp}); printf("stm32 %u %u\\n", (unsigned)d.presc, (unsigned)d.brr); }`,
        ),
        ...NRF_TABLE.map(([b]) => `  printf("nrf %u\\n", (unsigned)nrf_uart_baudrate(${b}u));`),
        '  printf("nrf %u\\n", (unsigned)nrf_uart_baudrate(921600u));',
        ...PL011_CASES.map(([f, b]) => `  { pl011_baud_t d = pl011_baud(${f}u, ${b}u); printf("pl011 %u %u\\n", (unsigned)d.ibrd, (unsigned)d.fbrd); }`),
        '  return 0;',
        '}',
      ].join('\n'),
    );
    const exe = join(scratch.dir, 'divisors');
    execFileSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-I', join(FIRMWARE_DIR, 'cortex-m/uart'), source, '-o', exe]);
    lines = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
  });
  after(() => scratch?.cleanup());

  it('STM32 USART BRR = ck / baud and LPUART BRR = 256 ck / baud, in range, with the smallest prescaler that fits', () => {
    const dividers = [1, 2, 4, 6, 8, 10, 12, 16, 32, 64, 128, 256];
    const got = lines.filter((l) => l.startsWith('stm32 ')).map((l) => l.split(' ').slice(1).map(Number) as [number, number]);
    expect(got).to.have.length(STM32_CASES.length);
    for (const [i, [f, baud, lp]] of STM32_CASES.entries()) {
      const [presc, brr] = got[i]!;
      if (baud === 20e6) {
        expect(brr, 'an impossible rate').to.equal(0);
        continue;
      }
      const ck = f / dividers[presc]!;
      const exact = lp ? (256 * ck) / baud : ck / baud;
      expect(brr, `${f} Hz, ${baud} baud`).to.equal(Math.round(exact));
      if (lp) {
        expect(brr).to.be.within(0x300, 0xfffff);
        expect(ck).to.be.within(3 * baud, 4096 * baud);
      } else expect(brr).to.be.within(16, 0xffff);
      // a smaller prescaler would not fit, and the rate made is within 0.5% of the one asked for
      if (presc > 0) {
        const smaller = f / dividers[presc - 1]!;
        const fits = lp ? smaller <= 4096 * baud && Math.round((256 * smaller) / baud) <= 0xfffff : Math.round(smaller / baud) <= 0xffff;
        expect(fits, `${f} Hz, ${baud} baud: prescaler ${presc - 1} fits`).to.equal(false);
      }
      const made = lp ? (256 * ck) / brr : ck / brr;
      expect(Math.abs(made - baud) / baud).to.be.below(0.005);
    }
    // the figures of the boards' consoles at 115200 baud
    expect(got[0]).to.deep.equal([0, 266667]);
    expect(got[4]).to.deep.equal([0, 1215]);
    expect(got[6]).to.deep.equal([0, 1389]);
    expect(got[2]![0]).to.equal(8); // 120 MHz / 32 for 1200 baud on the LPUART
  });

  it('PL011 divisor: clock / (16 baud) to the nearest 64th, integer part 1..65535', () => {
    const got = lines.filter((l) => l.startsWith('pl011 ')).map((l) => l.split(' ').slice(1).map(Number) as [number, number]);
    expect(got).to.have.length(PL011_CASES.length);
    for (const [i, [f, baud]] of PL011_CASES.entries()) {
      const [ibrd, fbrd] = got[i]!;
      const exact = f / (16 * baud);
      if (exact >= 65536) {
        expect([ibrd, fbrd]).to.deep.equal([0xffff, 0]);
        continue;
      }
      expect(ibrd * 64 + fbrd, `${f} Hz, ${baud} baud`).to.equal(Math.round(exact * 64));
      expect(fbrd).to.be.below(64);
    }
    expect(got[0]).to.deep.equal([81, 24]); // 150 MHz, 115200: 81 + 24/64 = 81.375 (exact 81.38)
  });

  it("nRF BAUDRATE: the Product Specification's table, and 921600 one 4096-step above its truncated entry", () => {
    const got = lines.filter((l) => l.startsWith('nrf ')).map((l) => Number(l.split(' ')[1]));
    expect(got.slice(0, NRF_TABLE.length)).to.deep.equal(NRF_TABLE.map(([, v]) => v));
    expect(got[NRF_TABLE.length]).to.equal(0x0ebed000 + 0x1000);
  });
});
