// SPDX-License-Identifier: Apache-2.0
/**
 * Firmware images to flash: an ELF (its loadable segments at their load addresses), a raw binary
 * (at a base address the user gives), or Intel HEX. All become a list of contiguous segments.
 */
import { extname } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import { readUserFile } from '../../../core/model/read_file.ts';

export interface Segment {
  address: number;
  data: Uint8Array;
}

export interface FlashImage {
  /** the file it came from (for messages) */
  source: string;
  /** sorted by address, not overlapping, adjacent ones merged */
  segments: Segment[];
  /** where GO starts it: the vector table (initial SP, reset vector) at the image's lowest address */
  start: number;
  bytes: number;
}

export function imageBytes(image: FlashImage): number {
  return image.segments.reduce((n, s) => n + s.data.length, 0);
}

/** Reads `.elf`, `.bin` (needs `binAddress`) or `.hex`/`.ihex`, by extension. */
export function loadImage(file: string, binAddress?: number): FlashImage {
  const bytes = readUserFile(file, 'firmware image (.elf, .bin, .hex)', 64 * 1024 * 1024);
  const ext = extname(file).toLowerCase();
  let segments: Segment[];
  if (ext === '.elf' || ext === '.axf' || (ext === '' && isElf(bytes))) segments = elfSegments(bytes, file);
  else if (ext === '.hex' || ext === '.ihex') segments = intelHexSegments(bytes.toString('latin1'), file);
  else if (ext === '.bin') {
    if (binAddress === undefined) throw new TinyforgeError(`${file}: a raw binary needs the address to write it to (--address)`);
    segments = [{ address: binAddress, data: new Uint8Array(bytes) }];
  } else {
    throw new TinyforgeError(`${file}: unknown image type '${ext || '(none)'}' (expected .elf, .bin or .hex)`);
  }
  return makeImage(file, segments);
}

export function makeImage(source: string, segments: Segment[]): FlashImage {
  const merged = mergeSegments(
    segments.filter((s) => s.data.length > 0),
    source,
  );
  if (merged.length === 0) throw new TinyforgeError(`${source}: the image holds no bytes to flash`);
  return { source, segments: merged, start: merged[0]!.address, bytes: merged.reduce((n, s) => n + s.data.length, 0) };
}

function mergeSegments(segments: Segment[], source: string): Segment[] {
  const sorted = [...segments].sort((a, b) => a.address - b.address);
  const out: Segment[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.address < last.address + last.data.length) {
      throw new TinyforgeError(`${source}: segments overlap at 0x${s.address.toString(16)}`);
    }
    if (last && s.address === last.address + last.data.length) {
      const joined = new Uint8Array(last.data.length + s.data.length);
      joined.set(last.data);
      joined.set(s.data, last.data.length);
      last.data = joined;
    } else {
      out.push({ address: s.address, data: s.data });
    }
  }
  return out;
}

const isElf = (b: Buffer) => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** PT_LOAD segments with file contents, at their physical (load) addresses: .data's initial values land in flash. */
function elfSegments(b: Buffer, file: string): Segment[] {
  const bad = (why: string): never => {
    throw new TinyforgeError(`${file}: not a usable ELF image: ${why}`);
  };
  if (!isElf(b)) bad('no ELF magic');
  if (b[4] !== 1) bad('not 32-bit (ELFCLASS32)');
  if (b[5] !== 1) bad('not little-endian');
  const phoff = b.readUInt32LE(28);
  const phentsize = b.readUInt16LE(42);
  const phnum = b.readUInt16LE(44);
  if (phnum === 0) bad('no program headers');
  if (phoff + phnum * phentsize > b.length) bad('program headers past the end of the file');
  const PT_LOAD = 1;
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (b.readUInt32LE(at) !== PT_LOAD) continue;
    const offset = b.readUInt32LE(at + 4);
    const paddr = b.readUInt32LE(at + 12);
    const filesz = b.readUInt32LE(at + 16);
    if (filesz === 0) continue; // .bss, the stack: nothing to write
    if (offset + filesz > b.length) bad(`segment ${i} past the end of the file`);
    segments.push({ address: paddr, data: new Uint8Array(b.subarray(offset, offset + filesz)) });
  }
  return segments;
}

/** Record types 00 (data), 01 (end), 02 (segment base), 04 (linear base); 03/05 (start address) are ignored. */
function intelHexSegments(text: string, file: string): Segment[] {
  const segments: Segment[] = [];
  let base = 0;
  let ended = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length && !ended; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    if (!/^:([0-9A-Fa-f]{2})+$/.test(line)) throw new TinyforgeError(`${where}: not an Intel HEX record`);
    const rec = Buffer.from(line.slice(1), 'hex');
    const length = rec[0]!;
    if (rec.length !== length + 5) throw new TinyforgeError(`${where}: record length ${length} does not match the line`);
    if (byteSum(rec) !== 0) throw new TinyforgeError(`${where}: checksum mismatch`);
    const offset = rec.readUInt16BE(1);
    const type = rec[3]!;
    const data = rec.subarray(4, 4 + length);
    if (type === 0x00) segments.push({ address: (base + offset) >>> 0, data: new Uint8Array(data) });
    else if (type === 0x01) ended = true;
    else if (type === 0x02) base = data.readUInt16BE(0) * 16;
    else if (type === 0x04) base = data.readUInt16BE(0) * 0x10000;
    else if (type !== 0x03 && type !== 0x05) throw new TinyforgeError(`${where}: unknown record type ${type}`);
  }
  if (!ended) throw new TinyforgeError(`${file}: no end-of-file record (truncated?)`);
  return segments;
}

/** Intel HEX checksum: all bytes of a record, checksum included, sum to 0 mod 256. */
function byteSum(rec: Buffer): number {
  let sum = 0;
  for (const v of rec) sum = (sum + v) & 0xff;
  return sum;
}
