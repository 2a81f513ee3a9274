// SPDX-License-Identifier: Apache-2.0
/**
 * A stand-in for our harness on a Pico 2 (RP2350) after the UF2 copy: nothing here emulates the
 * RP2350 (rp2040js is RP2040 only, QEMU has no RP2350 board), so the rebooted board is this fake,
 * booted by test/device/fake-pico.ts's ROM with FAKE_PICO2's facts. It does what the firmware does
 * and no more:
 * - the boot ROM starts it only when the flash holds an IMAGE_DEF block (its start and end markers)
 *   in the first 4 KiB, as the RP2350's ROM needs (firmware/cortex-m/chips/rp2350.c);
 * - HELLO (over the device protocol: test/device/protocol-fakes.ts's FakeDevice on an in-process
 *   link) reports the build's id and model and the image range its tf_platform_image computes from
 *   the linker's symbols (`__image_start` to `__data_load` + the size of .data), read from the ELF
 *   that was built, with the CRC-32/MPEG-2 of what the fake flash holds over that range: so a copy
 *   damaged on its way shows in the CRC exactly as on the board.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { boot2Crc } from '../../src/lab/toolchain/rp2040/boot2.ts';
import { RP2040_FLASH_BASE } from '../../src/lab/toolchain/rp2040/uf2.ts';
import { type BootedConsole, type FakeBootselChip, fakePico2 } from './fake-pico.ts';
import { FakeDevice, type FakeFaults, type FakePort } from './protocol-fakes.ts';

/** What the built harness knows about itself, as compiled and linked in. */
export interface Rp2350HarnessFacts {
  buildId: string;
  model: string;
  /** HELLO's image range by the firmware's rule (tf_image_through_data) */
  image: { start: number; bytes: number };
}

/** The linker symbols of an ELF (arm-none-eabi-nm), by name. */
export function elfSymbols(elf: string): Map<string, number> {
  const symbols = new Map<string, number>();
  for (const line of execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' }).split('\n')) {
    const [value, , name] = line.trim().split(/\s+/);
    if (name && value && /^[0-9a-f]{8}$/.test(value)) symbols.set(name, parseInt(value, 16));
  }
  return symbols;
}

/** The image range the RP2350 harness reports, from its ELF's symbols (firmware/common/tf_image_crc.h's rule). */
export function harnessImageRange(elf: string): { start: number; bytes: number } {
  const s = elfSymbols(elf);
  const symbol = (name: string) => {
    const value = s.get(name);
    if (value === undefined) throw new Error(`${elf}: no symbol ${name}`);
    return value;
  };
  const start = symbol('__image_start');
  return { start, bytes: symbol('__data_load') + (symbol('__data_end') - symbol('__data_start')) - start };
}

/** The facts of the harness built into `elf` (its build id from the build's log beside it). */
export function rp2350HarnessFacts(elf: string, model: string): Rp2350HarnessFacts {
  const id = /-DTF_BUILD_ID=0x([0-9a-f]{16})ull/.exec(readFileSync(join(dirname(elf), 'build.log'), 'utf8'));
  if (!id) throw new Error(`${elf}: no TF_BUILD_ID in its build.log`);
  return { buildId: id[1]!, model, image: harnessImageRange(elf) };
}

/** Whether the first 4 KiB of flash hold an IMAGE_DEF block: its start marker, later its end marker. */
function hasImageDef(flash: Uint8Array): boolean {
  const view = new DataView(flash.buffer, flash.byteOffset, 4096);
  for (let at = 0; at + 4 <= 4096; at += 4) {
    if (view.getUint32(at, true) !== 0xffffded3) continue;
    for (let end = at + 4; end + 4 <= 4096; end += 4) if (view.getUint32(end, true) === 0xab123579) return true;
  }
  return false;
}

/** Two ends of an in-process serial line: the fake firmware's side and the console's (the host's). */
function link(): { device: FakePort; console: BootedConsole } {
  let toHost: ((bytes: Uint8Array) => void) | null = null;
  let toDevice: ((bytes: Uint8Array) => void) | null = null;
  return {
    device: { write: async (b) => toHost?.(b), onData: (l) => (toDevice = l), close: async () => {} },
    console: { write: async (b) => toDevice?.(b), onData: (l) => (toHost = l), close: async () => {} },
  };
}

/**
 * A fake Pico 2 whose rebooted firmware is our harness with `facts` (read when it boots, so a test
 * may name a build that is made later), answering HELLO with the CRC of what its flash holds;
 * `faults` as FakeDevice's (e.g. a malformed HELLO).
 */
export function fakePico2WithHarness(facts: () => Rp2350HarnessFacts, faults: FakeFaults = {}): FakeBootselChip {
  return fakePico2((flash) => {
    if (!hasImageDef(flash)) return null;
    const f = facts();
    const offset = f.image.start - RP2040_FLASH_BASE;
    const crc = boot2Crc(flash.subarray(offset, offset + f.image.bytes));
    const { device, console } = link();
    new FakeDevice(device, {
      ...faults,
      buildId: f.buildId,
      hello: { target: 'cortex-m33', board: 'pico2', model: f.model, image: { crc, start: f.image.start, bytes: f.image.bytes } },
    });
    return console;
  });
}
