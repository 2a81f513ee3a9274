// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP image format the chips' ROMs boot from flash (at 0x1000 on the ESP32, 0x0 on the C3 and
 * S3), written from an ELF's loadable segments:
 *
 *   header (24 bytes): 0xE9 | segment count | SPI mode | flash size << 4 | flash frequency | entry u32
 *                      | WP pin 0xEE | 3 pin drive bytes | chip id u16 | min revision u8
 *                      | min full revision u16 | max full revision u16 | 4 reserved | hash appended u8
 *   segments:          load address u32 | length u32 | bytes (length a multiple of 4)
 *   checksum:          zero padding up to the last byte of a 16-byte line, then 0xEF xor every
 *                      segment byte
 *   SHA-256:           of everything before it, when "hash appended" is 1
 *
 * The ROM copies each segment to its load address (IRAM/DRAM) and jumps to the entry: an image of
 * ours is then a "bootloader" in ESP-IDF's terms, needing no ESP-IDF second stage.
 */
import { inDromWindow } from './flash_window.ts';
import { createHash } from 'node:crypto';
import { TinyforgeError } from '../../../core/errors.ts';
import { readLoadSegments } from '../../toolchain/rp2040/elf.ts';
import { espChecksum } from './rom_loader.ts';

export const ESP_IMAGE_MAGIC = 0xe9;
/** esp_chip_id_t */
export const ESP_CHIP_IDS: Record<string, number> = { ESP32: 0x0000, 'ESP32-S2': 0x0002, 'ESP32-C3': 0x0005, 'ESP32-S3': 0x0009 };

export interface EspImageSegment {
  address: number;
  data: Uint8Array;
}

export function espAppImage(chip: string, entry: number, segments: readonly EspImageSegment[]): Uint8Array {
  const chipId = ESP_CHIP_IDS[chip];
  if (chipId === undefined) throw new TinyforgeError(`no ESP image format for ${chip}`);
  if (segments.length === 0 || segments.length > 16) throw new TinyforgeError(`an ESP image holds 1 to 16 segments, not ${segments.length}`);
  const padded = segments.map((s) => {
    const data = new Uint8Array((s.data.length + 3) & ~3);
    data.set(s.data);
    return { address: s.address, data };
  });
  const body = 24 + padded.reduce((n, s) => n + 8 + s.data.length, 0);
  const withChecksum = (body + 16) & ~15; // the checksum is the last byte of a 16-byte line
  const out = new Uint8Array(withChecksum + 32);
  const view = new DataView(out.buffer);
  out[0] = ESP_IMAGE_MAGIC;
  out[1] = padded.length;
  out[2] = 0x02; // DIO
  out[3] = (0x2 << 4) | 0x0; // 4 MiB, 40 MHz
  view.setUint32(4, entry >>> 0, true);
  out[8] = 0xee; // no WP pin
  view.setUint16(12, chipId, true);
  view.setUint16(17, 0xffff, true); // max full revision: any
  out[23] = 1; // SHA-256 appended
  let at = 24;
  for (const s of padded) {
    view.setUint32(at, s.address >>> 0, true);
    view.setUint32(at + 4, s.data.length, true);
    out.set(s.data, at + 8);
    at += 8 + s.data.length;
  }
  out[withChecksum - 1] = espChecksum(Uint8Array.from(padded.flatMap((s) => [...s.data])));
  out.set(createHash('sha256').update(out.subarray(0, withChecksum)).digest(), withChecksum);
  return out;
}

/**
 * The image of an ELF linked to run from the chip's RAM: its non-empty loadable segments, its entry.
 * Bytes in the ESP32's flash-mapped data window (DROM0) stay out: the ROM loads RAM segments only,
 * and the firmware reads them from flash (flash_window.ts writes them there).
 */
export function espAppImageFromElf(chip: string, elf: Uint8Array, file: string): Uint8Array {
  const entry = new DataView(elf.buffer, elf.byteOffset, elf.byteLength).getUint32(24, true);
  const segments = readLoadSegments(elf, file)
    .filter((s) => s.data.length > 0 && !(chip === 'ESP32' && inDromWindow(s.virtualAddress)))
    .map((s) => ({ address: s.virtualAddress, data: s.data }));
  return espAppImage(chip, entry, segments);
}
