// SPDX-License-Identifier: Apache-2.0
/**
 * The loadable contents of a 32-bit little-endian ELF executable (what arm-none-eabi-gcc links): its
 * PT_LOAD program headers, each with the bytes it places in memory. Only what the RP2040 image
 * tools need; anything else in the file is ignored.
 */
import { TinyforgeError } from '../../../core/errors.ts';

export interface LoadSegment {
  /** where the bytes are stored (load address: flash for .data's initial values) */
  physicalAddress: number;
  /** where the program sees them at run time */
  virtualAddress: number;
  /** offset of the bytes in the ELF file */
  fileOffset: number;
  /** the bytes from the file (p_filesz of them; the rest up to p_memsz is zero-filled at run time) */
  data: Uint8Array;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const PT_LOAD = 1;
const PROGRAM_HEADER_BYTES = 32;

export function readLoadSegments(elf: Uint8Array, file: string): LoadSegment[] {
  const fail = (why: string): never => {
    throw new TinyforgeError(`${file}: not a 32-bit little-endian ELF executable (${why})`);
  };
  if (elf.length < 52 || ELF_MAGIC.some((b, i) => elf[i] !== b)) fail('no ELF header');
  if (elf[4] !== ELFCLASS32) fail('not 32-bit');
  if (elf[5] !== ELFDATA2LSB) fail('not little-endian');
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phentsize < PROGRAM_HEADER_BYTES || phoff + phnum * phentsize > elf.length) fail('program headers outside the file');
  const segments: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const fileOffset = view.getUint32(at + 4, true);
    const virtualAddress = view.getUint32(at + 8, true);
    const physicalAddress = view.getUint32(at + 12, true);
    const fileSize = view.getUint32(at + 16, true);
    if (fileSize === 0) continue;
    if (fileOffset + fileSize > elf.length) fail(`segment ${i} runs past the end of the file`);
    segments.push({ physicalAddress, virtualAddress, fileOffset, data: elf.subarray(fileOffset, fileOffset + fileSize) });
  }
  if (segments.length === 0) fail('nothing to load');
  return segments.sort((a, b) => a.physicalAddress - b.physicalAddress);
}

/** The file offset holding the byte stored at physical address `address`, if a segment holds it. */
export function fileOffsetOf(segments: LoadSegment[], address: number, bytes: number): number | undefined {
  const segment = segments.find((s) => address >= s.physicalAddress && address + bytes <= s.physicalAddress + s.data.length);
  return segment ? segment.fileOffset + (address - segment.physicalAddress) : undefined;
}
