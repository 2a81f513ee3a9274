// SPDX-License-Identifier: Apache-2.0
/**
 * The RP2040's flash second stage must carry a CRC32 of its first 252 bytes in bytes 252..255, or the
 * boot ROM refuses it (and drops into USB boot). Parameters (RP2040 datasheet, "Checksum"):
 * polynomial 0x04c11db7, no input or output reflection, initial value 0xffffffff, no final xor,
 * stored little-endian. The linker script leaves the 4 bytes zero; the build writes them here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { TinyforgeError } from '../../../core/errors.ts';
import { fileOffsetOf, readLoadSegments } from './elf.ts';

export const FLASH_BASE = 0x10000000;
export const BOOT2_BYTES = 256;
export const BOOT2_CHECKED_BYTES = 252;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let bit = 0; bit < 8; bit++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32/MPEG-2: the boot ROM's checksum. */
export function boot2Crc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc >>> 0;
}

/** Whether 256 bytes are a second stage the boot ROM would run. */
export function boot2Valid(stage: Uint8Array): boolean {
  if (stage.length < BOOT2_BYTES) return false;
  const stored = new DataView(stage.buffer, stage.byteOffset + BOOT2_CHECKED_BYTES, 4).getUint32(0, true);
  return stored === boot2Crc(stage.subarray(0, BOOT2_CHECKED_BYTES));
}

/** Writes the CRC of the second stage at the start of flash into the ELF file, in place. */
export function sealBoot2(elfPath: string): void {
  const elf = new Uint8Array(readFileSync(elfPath));
  const segments = readLoadSegments(elf, elfPath);
  const start = fileOffsetOf(segments, FLASH_BASE, BOOT2_BYTES);
  if (start === undefined) throw new TinyforgeError(`${elfPath}: no second stage at 0x10000000 (is .boot2 first in flash?)`);
  const crc = boot2Crc(elf.subarray(start, start + BOOT2_CHECKED_BYTES));
  new DataView(elf.buffer, elf.byteOffset).setUint32(start + BOOT2_CHECKED_BYTES, crc, true);
  writeFileSync(elfPath, elf);
}
