// SPDX-License-Identifier: Apache-2.0
/**
 * Checking a UF2 copy. UF2 has no checksum and no read-back, and the BOOTSEL drive going away is
 * the only sign the boot ROM gives; a drive unplugged once the file was written looks the same, and
 * payload bytes damaged on the way (magic numbers intact) are written as they came. So after the
 * reboot the board itself is asked: our harness answers HELLO on its console with its build id and
 * a CRC-32/MPEG-2 of its own image in flash (docs/protocol.md), computed on the device from what
 * flash holds; the host computes the same CRC over the same range of the UF2 it copied. Equal: the
 * board runs exactly the image copied.
 */
import { existsSync, readFileSync } from 'node:fs';
import { TinyforgeError } from '../../../core/errors.ts';
import { DeviceSession } from '../session.ts';
import { ProtocolError } from '../protocol/messages.ts';
import { boot2Crc } from '../../toolchain/rp2040/boot2.ts';
import { type BootselChip, type BootselDrive, type FlashUf2Options, RP2040_DRIVE, flashUf2ToDrive } from './bootsel.ts';
import { RP2040_FAMILY_ID, RP2040_FLASH_WINDOW, parseUf2 } from '../../toolchain/rp2040/uf2.ts';

export interface Uf2Verification {
  /** the console port the board answered on */
  port: string;
  /** the image range the firmware reports, and the CRC both sides computed */
  image: { start: number; bytes: number; crc: number };
  buildId: string;
  model: string;
  /** from the drive going away to the board's answer */
  answeredAfterMs: number;
}

export interface VerifyOptions {
  /** the board's console port (a USB-serial adapter on UART0, as for run --port) */
  port: string;
  baudRate?: number;
  /** the build id the image was built with (a model built here), checked too */
  buildId?: string | null;
  /** how long to wait for the rebooted board to answer (default 30 s) */
  waitMs?: number;
  /** the UF2 family of the image (default the RP2040's; the Pico 2's: RP2350 Arm Secure) */
  familyId?: number;
  progress?: (message: string) => void;
}

const hex32 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/**
 * The CRC-32/MPEG-2 of the bytes a UF2 file (of the family `familyId`: the RP2040's, or the RP2350's
 * Arm Secure one; both chips' flash is in the XIP window at 0x10000000) puts at [start, start+bytes),
 * or null when that range is not the file's image (it does not start at the file's first page and end
 * in its last, or the file does not write every byte of it).
 */
export function uf2RangeCrc(uf2: Uint8Array, file: string, start: number, bytes: number, familyId = RP2040_FAMILY_ID): number | null {
  if (bytes <= 0 || bytes > RP2040_FLASH_WINDOW) return null;
  const blocks = parseUf2(uf2, file, RP2040_FLASH_WINDOW, familyId);
  // the range must be the file's whole image: from its first page into its last (the rest of that
  // page is padding), so that a damaged range report cannot leave damaged bytes outside the CRC
  const first = Math.min(...blocks.map((b) => b.address));
  const last = Math.max(...blocks.map((b) => b.address));
  if (start !== first || start + bytes <= last || start + bytes > last + 256) return null;
  const range = new Uint8Array(bytes);
  const covered = new Uint8Array(bytes);
  for (const block of blocks) {
    const from = Math.max(block.address, start);
    const to = Math.min(block.address + block.data.length, start + bytes);
    if (from >= to) continue;
    range.set(block.data.subarray(from - block.address, to - block.address), from - start);
    covered.fill(1, from - start, to - start);
  }
  if (covered.includes(0)) return null;
  return boot2Crc(range);
}

/**
 * Waits (up to `waitMs`) for the rebooted board's console and asks HELLO, retrying while the port is
 * absent or the board silent (it may still be booting, the adapter still enumerating, the line
 * noisy); then checks the image the board reports against the UF2 copied. Throws one line when the
 * board does not answer in time or runs something else.
 */
export async function verifyUf2OnBoard(uf2: Uint8Array, file: string, options: VerifyOptions): Promise<Uf2Verification> {
  const waitMs = options.waitMs ?? 30_000;
  const started = Date.now();
  const deadline = started + waitMs;
  let last = 'the port did not appear';
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, 500));
    if (!existsSync(options.port)) continue;
    let session: DeviceSession;
    try {
      session = await DeviceSession.open({ port: options.port, baudRate: options.baudRate, helloTries: 2, progress: options.progress });
    } catch (e) {
      if (!(e instanceof TinyforgeError)) throw e;
      // an answer whose frame CRC holds but whose fields do not: the board is up and runs something
      // else (or a damaged image); waiting longer changes nothing
      if (e instanceof ProtocolError) {
        throw new TinyforgeError(
          `${options.port}: after the UF2 copy: the board's HELLO answer is malformed (${e.detail}): it runs other or damaged firmware, not verified`,
        );
      }
      last = e.message;
      options.progress?.(`${options.port}: waiting for the rebooted board: ${last}`);
      continue;
    }
    const hello = session.hello;
    await session.close().catch(() => {}); // a real board is left running
    const where = `${options.port}: after the UF2 copy`;
    if (options.buildId && hello.buildId !== options.buildId) {
      throw new TinyforgeError(
        `${where}: the board runs build ${hello.buildId} of model ${hello.model}, not the build copied (${options.buildId}): not flashed`,
      );
    }
    if (!hello.image) {
      throw new TinyforgeError(
        `${where}: the board answers (build ${hello.buildId} of model ${hello.model}) but reports no image checksum (firmware from before it did): not verified`,
      );
    }
    const { start, bytes, crc } = hello.image;
    const expected = uf2RangeCrc(uf2, file, start, bytes, options.familyId);
    if (expected === null) {
      throw new TinyforgeError(
        `${where}: the board reports an image of ${bytes} bytes at ${hex32(start)}, which is not the image of ${file}: it runs another image, not verified`,
      );
    }
    if (expected !== crc) {
      throw new TinyforgeError(
        `${where}: the board's image (${bytes} bytes at ${hex32(start)}) has CRC ${hex32(crc)}, the UF2 copied ${hex32(expected)}: the copy was damaged; flash again`,
      );
    }
    return { port: options.port, image: { start, bytes, crc }, buildId: hello.buildId, model: hello.model, answeredAfterMs: Date.now() - started };
  }
  throw new TinyforgeError(
    `${options.port}: copied to the BOOTSEL drive, but the board did not answer HELLO within ${waitMs / 1000} s after it left BOOTSEL (${last}): not verified`,
  );
}

/**
 * `flash` to a real RP2040 (Pico) or RP2350 (Pico 2, `chip` RP2350_DRIVE): copies the UF2 onto the
 * BOOTSEL drive, waits for the board to leave BOOTSEL, then, given its console `port`, has the
 * rebooted board report its image (verified), else returns null (copied, not verified).
 */
export async function copyUf2AndVerify(
  uf2Path: string,
  drive: BootselDrive,
  options: Omit<Partial<VerifyOptions>, 'familyId'> & { drivePolling?: FlashUf2Options; chip?: BootselChip },
): Promise<Uf2Verification | null> {
  const chip = options.chip ?? RP2040_DRIVE;
  await flashUf2ToDrive(uf2Path, drive, options.drivePolling, chip);
  if (!options.port) return null;
  options.progress?.(`the board left BOOTSEL; asking it on ${options.port} which image it runs`);
  return verifyUf2OnBoard(new Uint8Array(readFileSync(uf2Path)), uf2Path, { ...options, port: options.port, familyId: chip.familyId });
}
