// SPDX-License-Identifier: Apache-2.0
import { TinyforgeError } from '../errors.ts';

export interface NpyArray {
  /** numpy dtype descriptor, e.g. '|i1', '<f4' */
  descr: string;
  shape: number[];
  /** raw little-endian element bytes, C order */
  data: Uint8Array;
}

const SUPPORTED = new Set(['|i1', '|u1', '<i2', '<i4', '<f4', '|b1']);

/** The six bytes every `.npy` file starts with. */
export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** A `.npy` file's header: its dtype descriptor, its shape, and where its data starts. */
export interface NpyHeader {
  descr: string;
  shape: number[];
  start: number;
}

/**
 * Reads a `.npy` header (format versions 1-3): the magic, the descriptor and a shape of whole,
 * non-negative sizes. Fortran order is refused; the element type is the caller's to check.
 */
export function readNpyHeader(bytes: Uint8Array, source: string): NpyHeader {
  if (bytes.length < 10 || !NPY_MAGIC.every((b, i) => bytes[i] === b)) throw new TinyforgeError(`${source}: not a .npy file (bad magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > bytes.length) throw new TinyforgeError(`${source}: truncated .npy header`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new TinyforgeError(`${source}: unreadable .npy header`);
  if (fortran) throw new TinyforgeError(`${source}: Fortran-order .npy arrays are not supported (save with C order)`);
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const shape = dims.map(Number);
  const bad = dims.find((d, i) => !/^\d+$/.test(d) || !Number.isSafeInteger(shape[i]));
  if (bad !== undefined) throw new TinyforgeError(`${source}: .npy shape (${shapeText.trim()}) has the size ${bad}; sizes are whole numbers of 0 or more`);
  return { descr, shape, start: headerStart + headerLen };
}

/** Reads a `.npy` file (format versions 1-3). Fortran order and big-endian data are refused. */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const { descr, shape, start } = readNpyHeader(bytes, source);
  if (!SUPPORTED.has(descr)) throw new TinyforgeError(`${source}: .npy dtype ${descr} not supported (int8, uint8, int16, int32, float32)`);
  const itemBytes = Number(descr.slice(2));
  const count = shape.reduce((n, d) => n * d, 1);
  if (start + count * itemBytes > bytes.length) throw new TinyforgeError(`${source}: truncated .npy data (expected ${count * itemBytes} bytes)`);
  return { descr, shape, data: bytes.slice(start, start + count * itemBytes) };
}
