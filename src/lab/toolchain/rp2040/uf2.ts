// SPDX-License-Identifier: Apache-2.0
/**
 * UF2 (Microsoft's USB Flashing Format) for the RP2040: 512-byte blocks, each self-contained —
 *   magic 0x0A324655, magic 0x9E5D5157, flags, target address, payload size, block number,
 *   block count, family id (flag 0x2000), 476 bytes of data (payload first, zero padded), magic 0x0AB16F30
 * all little-endian. The RP2040 boot ROM takes 256-byte payloads at 256-byte aligned flash addresses
 * with its family id, so images are cut that way. The same file goes to a real board's BOOTSEL drive
 * and into the emulated chip's flash (`writeUf2IntoFlash`).
 */
import { TinyforgeError } from '../../../core/errors.ts';
import { readLoadSegments } from './elf.ts';

export const UF2_BLOCK_BYTES = 512;
export const UF2_MAGIC_START0 = 0x0a324655;
export const UF2_MAGIC_START1 = 0x9e5d5157;
export const UF2_MAGIC_END = 0x0ab16f30;
export const UF2_FLAG_NOT_MAIN_FLASH = 0x00000001;
export const UF2_FLAG_FAMILY_ID_PRESENT = 0x00002000;
export const RP2040_FAMILY_ID = 0xe48bff56;
/** the RP2350's family id for an Arm image run in Secure mode (what its boot ROM takes for our Pico 2 harness) */
export const RP2350_ARM_S_FAMILY_ID = 0xe48bff59;
export const RP2040_FLASH_BASE = 0x10000000;
/** the XIP window: 16 MiB of address space; the Pico's chip has 2 MiB of it */
export const RP2040_FLASH_WINDOW = 16 * 1024 * 1024;
const PAYLOAD_BYTES = 256;
const DATA_FIELD_BYTES = 476;

export interface Uf2Block {
  address: number;
  data: Uint8Array;
}

/**
 * The flash contents of an ELF image as UF2 blocks: every loaded segment stored in flash (code,
 * constants, .data's initial values), cut into 256-byte pages; bytes between segments in a page
 * are 0xff (erased flash). A segment stored outside flash cannot be flashed and is an error.
 */
export function elfToUf2(elf: Uint8Array, file: string, flashBytes: number, familyId = RP2040_FAMILY_ID): Uint8Array {
  const pages = new Map<number, Uint8Array>();
  for (const segment of readLoadSegments(elf, file)) {
    const start = segment.physicalAddress;
    const end = start + segment.data.length;
    if (start < RP2040_FLASH_BASE || end > RP2040_FLASH_BASE + flashBytes) {
      throw new TinyforgeError(
        `${file}: a segment is stored at 0x${start.toString(16)}..0x${end.toString(16)}, outside the ${flashBytes / 1024} KiB of flash at 0x10000000`,
      );
    }
    for (let address = start; address < end; ) {
      const pageAddress = address - (address % PAYLOAD_BYTES);
      let page = pages.get(pageAddress);
      if (!page) pages.set(pageAddress, (page = new Uint8Array(PAYLOAD_BYTES).fill(0xff)));
      const take = Math.min(end - address, pageAddress + PAYLOAD_BYTES - address);
      page.set(segment.data.subarray(address - start, address - start + take), address - pageAddress);
      address += take;
    }
  }
  const addresses = [...pages.keys()].sort((a, b) => a - b);
  const out = new Uint8Array(addresses.length * UF2_BLOCK_BYTES);
  addresses.forEach((address, i) => out.set(encodeBlock({ address, data: pages.get(address)! }, i, addresses.length, familyId), i * UF2_BLOCK_BYTES));
  return out;
}

function encodeBlock(block: Uf2Block, index: number, count: number, familyId: number): Uint8Array {
  const bytes = new Uint8Array(UF2_BLOCK_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, UF2_MAGIC_START0, true);
  view.setUint32(4, UF2_MAGIC_START1, true);
  view.setUint32(8, UF2_FLAG_FAMILY_ID_PRESENT, true);
  view.setUint32(12, block.address, true);
  view.setUint32(16, block.data.length, true);
  view.setUint32(20, index, true);
  view.setUint32(24, count, true);
  view.setUint32(28, familyId, true);
  bytes.set(block.data, 32);
  view.setUint32(32 + DATA_FIELD_BYTES, UF2_MAGIC_END, true);
  return bytes;
}

/**
 * The blocks of a UF2 file meant for the RP2040's flash, checked the way a careful boot loader
 * would: magics, RP2040 family id, payload size, block numbering and count, addresses inside flash.
 * Blocks flagged "not main flash" are skipped, as the boot ROM does.
 */
export function parseUf2(uf2: Uint8Array, file: string, flashBytes = RP2040_FLASH_WINDOW, familyId = RP2040_FAMILY_ID): Uf2Block[] {
  const chip = familyId === RP2040_FAMILY_ID ? 'the RP2040' : 'the RP2350 (Arm, Secure)';
  if (uf2.length === 0 || uf2.length % UF2_BLOCK_BYTES !== 0) {
    throw new TinyforgeError(`${file}: not a UF2 file (${uf2.length} bytes, not a whole number of 512-byte blocks)`);
  }
  const count = uf2.length / UF2_BLOCK_BYTES;
  const blocks: Uf2Block[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * UF2_BLOCK_BYTES;
    const view = new DataView(uf2.buffer, uf2.byteOffset + at, UF2_BLOCK_BYTES);
    const where = `${file}: block ${i}`;
    if (view.getUint32(0, true) !== UF2_MAGIC_START0 || view.getUint32(4, true) !== UF2_MAGIC_START1 || view.getUint32(508, true) !== UF2_MAGIC_END) {
      throw new TinyforgeError(`${where}: bad UF2 magic numbers`);
    }
    const flags = view.getUint32(8, true);
    if (flags & UF2_FLAG_NOT_MAIN_FLASH) continue;
    if (!(flags & UF2_FLAG_FAMILY_ID_PRESENT) || view.getUint32(28, true) !== familyId) {
      throw new TinyforgeError(`${where}: not for ${chip} (family id 0x${view.getUint32(28, true).toString(16)}, expected 0x${familyId.toString(16)})`);
    }
    const address = view.getUint32(12, true);
    const size = view.getUint32(16, true);
    if (size !== PAYLOAD_BYTES || address % PAYLOAD_BYTES !== 0) {
      throw new TinyforgeError(`${where}: ${size} bytes at 0x${address.toString(16)} (the RP2040 takes 256-byte pages at 256-byte boundaries)`);
    }
    if (view.getUint32(20, true) !== i || view.getUint32(24, true) !== count) {
      throw new TinyforgeError(`${where}: numbered ${view.getUint32(20, true)} of ${view.getUint32(24, true)}, expected ${i} of ${count} (file cut or mixed)`);
    }
    if (address < RP2040_FLASH_BASE || address + size > RP2040_FLASH_BASE + flashBytes) {
      throw new TinyforgeError(`${where}: address 0x${address.toString(16)} is outside flash`);
    }
    blocks.push({ address, data: uf2.subarray(at + 32, at + 32 + size) });
  }
  return blocks;
}

/** Writes a UF2 image into a flash array that holds the XIP window from 0x10000000. */
export function writeUf2IntoFlash(uf2: Uint8Array, flash: Uint8Array, file: string): number {
  const blocks = parseUf2(uf2, file, flash.length);
  for (const block of blocks) flash.set(block.data, block.address - RP2040_FLASH_BASE);
  return blocks.length;
}
