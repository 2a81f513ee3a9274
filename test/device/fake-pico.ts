// SPDX-License-Identifier: Apache-2.0
/**
 * A fake Raspberry Pi Pico held in BOOTSEL: a folder with an INFO_UF2.TXT as its drive, a boot ROM
 * that takes the first .uf2 copied onto it block by block, and, once every block of the image has
 * arrived, a reboot into what its flash then holds, on rp2040js, with UART0 as its console.
 *
 * As on the chip, the ROM writes every block whose magic numbers hold (payload bytes are not
 * checked: UF2 has no checksum), reboots once it has seen every block number of the image, and
 * boots the second stage only when its CRC32 holds. A fault plan (test/faults/relay.ts) makes the
 * copy lie: a block's bytes flipped, a block lost or written twice, the copy cut short, the drive
 * unplugged after some blocks (the board then never reboots). The console is a DeviceEnd: put a
 * FaultRelay in front of it to give the host a port (present before the reboot, as a USB-serial
 * adapter on UART0 is, and silent until the firmware runs).
 *
 * The same ROM, given FAKE_PICO2's facts (`chip`), is a fake Pico 2 (RP2350): its drive's
 * INFO_UF2.TXT says Board-ID RP2350, its ROM takes only blocks of the RP2350 Arm Secure family into
 * 4 MiB of flash, and what runs after the reboot is the caller's (nothing here emulates the RP2350:
 * test/device/fake-pico2-firmware.ts stands in for our harness).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rp2040Emulation } from '../../src/lab/device/rp2040/emulator.ts';
import {
  RP2040_FLASH_BASE,
  RP2350_ARM_S_FAMILY_ID,
  UF2_BLOCK_BYTES,
  UF2_FLAG_FAMILY_ID_PRESENT,
  UF2_MAGIC_END,
  UF2_MAGIC_START0,
  UF2_MAGIC_START1,
} from '../../src/lab/toolchain/rp2040/uf2.ts';
import { type DeviceEnd, FAULT_KINDS, FaultRelay, type FaultKind, type FaultPlan, NO_FAULTS, Prng, Schedule } from '../faults/relay.ts';

export const PICO_INFO = 'UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n';
export const PICO2_INFO = 'UF2 Bootloader v1.0\nModel: Raspberry Pi RP2350\nBoard-ID: RP2350\n';

/** The console of what the chip runs after the reboot (rp2040js for the Pico). */
export interface BootedConsole {
  write(bytes: Uint8Array): Promise<void>;
  onData(listener: (bytes: Uint8Array) => void): void;
  close(): Promise<void>;
}

/** What the fake boot ROM is: its drive's INFO_UF2.TXT, its flash, the blocks it takes, and the boot. */
export interface FakeBootselChip {
  info: string;
  flashBytes: number;
  /** the ROM writes only blocks of this family (undefined: any block whose magic numbers hold) */
  familyId?: number;
  /** starts what the flash holds after the reboot: its console, or null when the ROM starts nothing */
  boot(flash: Uint8Array): BootedConsole | null;
}

/** The Pico: 2 MiB of flash, rebooted into rp2040js (which runs boot2 only when its CRC32 holds). */
export const FAKE_PICO: FakeBootselChip = {
  info: PICO_INFO,
  flashBytes: 2 * 1024 * 1024,
  boot(flash) {
    try {
      return Rp2040Emulation.boot((emulated) => emulated.set(flash), 'the fake Pico', 'pico');
    } catch {
      return null; // boot2's CRC32 fails: the ROM does not start it (on the chip it goes back to BOOTSEL)
    }
  },
};

/** The Pico 2 in BOOTSEL, running `boot`'s stand-in for its firmware after the reboot. */
export function fakePico2(boot: FakeBootselChip['boot']): FakeBootselChip {
  return { info: PICO2_INFO, flashBytes: 4 * 1024 * 1024, familyId: RP2350_ARM_S_FAMILY_ID, boot };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FakePico implements DeviceEnd {
  /** the chip's flash as the ROM wrote it (erased: 0xff) */
  readonly flash: Uint8Array;
  /** every block arrived: the ROM rebooted (the drive went away) */
  rebooted = false;
  /** the firmware that runs after the reboot, or null (not rebooted, or the ROM started nothing) */
  chip: BootedConsole | null = null;
  /** resolves once the ROM took a file (or the drive was unplugged, or stop) */
  readonly done: Promise<void>;
  readonly faults: { kind: FaultKind; detail: string }[] = [];
  private stopped = false;
  private bytes = 0;
  private listener: ((bytes: Uint8Array) => void) | null = null;

  constructor(
    /** the drive's folder (created here) */
    readonly drive: string,
    private readonly plan: FaultPlan = NO_FAULTS,
    private readonly rng = new Prng(1),
    /** changes a block on its way to flash (a test's own damage, beside the plan's) */
    private readonly tamper?: (block: Uint8Array) => void,
    /** which chip's ROM (default the Pico's) */
    private readonly rom: FakeBootselChip = FAKE_PICO,
  ) {
    this.flash = new Uint8Array(rom.flashBytes).fill(0xff);
    mkdirSync(drive, { recursive: true });
    writeFileSync(join(drive, 'INFO_UF2.TXT'), rom.info);
    this.done = this.serve();
  }

  // ---- the console (UART0): a DeviceEnd ----
  write(bytes: Uint8Array): void {
    void this.chip?.write(bytes).catch(() => {});
  }
  onData(listener: (bytes: Uint8Array) => void): void {
    this.listener = listener;
  }

  /** the flash bytes at [address, address + length) of the XIP window */
  holds(address: number, bytes: Uint8Array): boolean {
    const at = address - RP2040_FLASH_BASE;
    return at >= 0 && Buffer.from(this.flash.subarray(at, at + bytes.length)).equals(Buffer.from(bytes));
  }

  /** faults injected into the copy, by kind */
  counts(): Record<FaultKind, number> {
    const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const f of this.faults) counts[f.kind]++;
    return counts;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    await this.chip?.close().catch(() => {});
    rmSync(this.drive, { recursive: true, force: true });
  }

  private reboot(): void {
    this.rebooted = true;
    rmSync(this.drive, { recursive: true, force: true });
    const chip = this.rom.boot(this.flash);
    chip?.onData((bytes) => this.listener?.(bytes));
    this.chip = chip;
  }

  private async serve(): Promise<void> {
    const seen = new Set<number>();
    // the plan's scheduled faults fall on the block holding that byte of the file
    const due = new Schedule(this.plan.at);
    while (!this.stopped) {
      await sleep(20);
      const name = existsSync(this.drive) ? readdirSync(this.drive).find((f) => f.endsWith('.uf2')) : undefined;
      if (!name) continue;
      const file = new Uint8Array(readFileSync(join(this.drive, name)));
      // still being written: empty (created, not yet written), part of a block, or fewer blocks than the first one counts
      if (file.length === 0 || file.length % UF2_BLOCK_BYTES !== 0) continue;
      if (file.length < new DataView(file.buffer, file.byteOffset).getUint32(24, true) * UF2_BLOCK_BYTES) continue;
      let count = 0;
      for (let at = 0; at + UF2_BLOCK_BYTES <= file.length; at += UF2_BLOCK_BYTES) {
        const before = this.bytes;
        this.bytes += UF2_BLOCK_BYTES;
        if (this.plan.unplugAfterBytes !== null && before < this.plan.unplugAfterBytes && this.bytes >= this.plan.unplugAfterBytes) {
          this.faults.push({ kind: 'unplug', detail: `after ${at / UF2_BLOCK_BYTES} blocks` });
          rmSync(this.drive, { recursive: true, force: true });
          return;
        }
        const block = (kind: Parameters<Schedule['due']>[0]) => due.due(kind, before, UF2_BLOCK_BYTES);
        if (block('drop') || (this.plan.drop && this.rng.chance(this.plan.drop * 5))) {
          this.faults.push({ kind: 'drop', detail: `block at ${at}` });
          continue;
        }
        if (block('truncate') || (this.plan.truncate && this.rng.chance(this.plan.truncate))) {
          this.faults.push({ kind: 'truncate', detail: `copy cut at block ${at / UF2_BLOCK_BYTES}` });
          break;
        }
        const data = file.slice(at, at + UF2_BLOCK_BYTES);
        this.tamper?.(data);
        for (let i = 0; i < data.length; i++) {
          if (due.due('corrupt', before + i) || (this.plan.corrupt && this.rng.chance(this.plan.corrupt))) {
            data[i]! ^= 1 << this.rng.int(0, 7);
            this.faults.push({ kind: 'corrupt', detail: `block at ${at}, byte ${i}` });
          }
        }
        if (block('delay') || (this.plan.delay && this.rng.chance(this.plan.delay))) {
          const ms = this.rng.int(20, 400);
          this.faults.push({ kind: 'delay', detail: `${ms} ms` });
          await sleep(ms);
        }
        const writes = block('duplicate') || (this.plan.duplicate && this.rng.chance(this.plan.duplicate * 5)) ? 2 : 1;
        if (writes === 2) this.faults.push({ kind: 'duplicate', detail: `block at ${at}` });
        for (let w = 0; w < writes; w++) {
          const v = new DataView(data.buffer);
          if (v.getUint32(0, true) !== UF2_MAGIC_START0 || v.getUint32(4, true) !== UF2_MAGIC_START1 || v.getUint32(508, true) !== UF2_MAGIC_END) continue;
          const family = v.getUint32(8, true) & UF2_FLAG_FAMILY_ID_PRESENT ? v.getUint32(28, true) : undefined;
          if (this.rom.familyId !== undefined && family !== this.rom.familyId) continue;
          const address = v.getUint32(12, true);
          const size = v.getUint32(16, true);
          const offset = address - RP2040_FLASH_BASE;
          if (size > 476 || offset < 0 || offset + size > this.flash.length) continue;
          this.flash.set(data.subarray(32, 32 + size), offset);
          seen.add(v.getUint32(20, true));
          count = v.getUint32(24, true);
        }
      }
      if (count > 0 && seen.size >= count) this.reboot();
      return;
    }
  }
}

/**
 * A fake board in BOOTSEL (the Pico, or the Pico 2 with `rom`) with its drive at `dir/name`, its
 * console behind a clean relay at `port` (present before the reboot, as a USB-serial adapter's is);
 * `tamper` damages blocks on their way to flash.
 */
export async function fakePicoWithConsole(
  dir: string,
  name: string,
  options: { tamper?: (block: Uint8Array) => void; rom?: FakeBootselChip } = {},
): Promise<{ pico: FakePico; port: string; stop: () => Promise<void> }> {
  const links: [string, string] = [join(dir, `${name}-console`), join(dir, `${name}-relay`)];
  const pico = new FakePico(join(dir, name), NO_FAULTS, undefined, options.tamper, options.rom);
  const relay = await FaultRelay.start(links, pico, NO_FAULTS, 1).catch(async (e: unknown) => {
    await pico.stop();
    throw e;
  });
  return {
    pico,
    port: links[0],
    stop: async () => {
      await relay.stop();
      await pico.stop();
    },
  };
}

/**
 * A tamper for fakePicoWithConsole: one bit flipped in the byte in the middle of the weights of the
 * harness `elf` (arm-none-eabi-objdump reads where .tf_weights lies), on the UF2 block that carries
 * it, magic numbers intact: the firmware still boots and answers, with other bytes in flash.
 */
export function damageOneWeightByte(elf: string): (block: Uint8Array) => void {
  const section = execFileSync('arm-none-eabi-objdump', ['-h', elf], { encoding: 'utf8' })
    .split('\n')
    .find((l) => /\s\.tf_weights\s/.test(l))!
    .trim()
    .split(/\s+/);
  const weights = parseInt(section[3]!, 16) + (parseInt(section[2]!, 16) >> 1);
  return (block) => {
    const address = new DataView(block.buffer, block.byteOffset).getUint32(12, true);
    if (weights >= address && weights < address + 256) block[32 + weights - address]! ^= 0x10;
  };
}
