// SPDX-License-Identifier: Apache-2.0
/**
 * Palette (look-up table) storage of int8 weights: when each output channel's row (or the whole
 * layer) holds at most 2^b distinct int8 values (b = 2..6, e.g. after `palettize`), the compiler stores
 * b-bit indices plus an int8 LUT instead of one byte per weight. The kernels decode the indices in
 * registers (palette.h) and multiply by LUT entries, which ARE the int8 weights: bit-exact with dense.
 *
 * Layout: row r's indices start on a byte boundary (`rowBytes` = ceil(rowLength·b/8) each), packed
 * least significant bits first, a bit stream across bytes for b = 3, 5, 6. The LUT is 2^b int8 values
 * per row (per channel) or 2^b for the layer; unused entries are 0.
 *
 * Which b pay: dense int8 costs 8 bits a weight, int4 packing 4 (when every value lies in [-8, 7]).
 * A palette costs b bits plus the LUT (2^b bytes per channel, or once per layer): b ≤ 3 beats int4
 * whenever rows are longer than the LUT; b = 4 only pays for values outside [-8, 7] (a non-uniform
 * palette); b = 5, 6 pay against dense only for rows long enough to amortise 32..64 LUT bytes
 * (per-channel) — a per-layer LUT costs nearly nothing.
 */
import { type IsaFamily, type KernelChoices, type PricedFamily, pricingFamily } from '../../op.ts';

export const PALETTE_MIN_BITS = 2;
export const PALETTE_MAX_BITS = 6;

export interface PaletteEncoding {
  bits: number;
  /** one LUT per row (per output channel) rather than one for the layer */
  perChannel: boolean;
  /** 2^bits int8 entries per row (perChannel) or for the layer */
  lut: Int8Array;
  /** row after row, each starting on a byte boundary */
  indices: Uint8Array;
  rowBytes: number;
  rows: number;
  rowLength: number;
  /** bytes the device stores: indices + LUT */
  bytes: number;
}

/** `kernels.palette: false` keeps every layer dense (to measure what the palette kernels save). */
export function paletteKernelsEnabled(kernels: KernelChoices = {}): boolean {
  return kernels.palette !== false;
}

/** Smallest b in 2..6 with 2^b ≥ count, or undefined past 64 values. */
export function paletteBitsFor(distinct: number): number | undefined {
  for (let b = PALETTE_MIN_BITS; b <= PALETTE_MAX_BITS; b++) if (distinct <= 1 << b) return b;
  return undefined;
}

function distinctSorted(values: Int8Array, from: number, to: number): number[] {
  const seen = new Uint8Array(256);
  for (let i = from; i < to; i++) seen[values[i]! + 128] = 1;
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if (seen[v]) out.push(v - 128);
  return out;
}

/** Bytes of the palette form of [rows, rowLength] weights with b-bit indices. */
export function paletteBytes(rows: number, rowLength: number, bits: number, perChannel: boolean): number {
  return rows * Math.ceil((rowLength * bits) / 8) + (perChannel ? rows : 1) * (1 << bits);
}

/** Bytes of int4 packing (two weights a byte, each row on a byte boundary) when every value lies in [-8, 7]. */
export function int4Bytes(weights: Int8Array, rows: number, rowLength: number): number | undefined {
  for (let i = 0; i < weights.length; i++) if (weights[i]! < -8 || weights[i]! > 7) return undefined;
  return rows * Math.ceil(rowLength / 2);
}

/**
 * The smaller of the per-layer and per-channel palette forms of `weights` [rows, rowLength] (rows
 * contiguous), or undefined when neither has ≤ 64 values per LUT or neither is smaller than the dense
 * int8 bytes (and than int4 packing, where every value fits 4 bits).
 */
export function encodePalette(weights: Int8Array, rows: number, rowLength: number, kernels: KernelChoices = {}): PaletteEncoding | undefined {
  if (!paletteKernelsEnabled(kernels) || rows < 1 || rowLength < 1) return undefined;
  const dense = rows * rowLength;
  const int4 = int4Bytes(weights, rows, rowLength);
  const limit = Math.min(dense, int4 ?? Infinity);
  const layerValues = distinctSorted(weights, 0, weights.length);
  const layerBits = paletteBitsFor(layerValues.length);
  const rowValues: number[][] = [];
  let rowMax = 0;
  for (let r = 0; r < rows; r++) {
    const v = distinctSorted(weights, r * rowLength, (r + 1) * rowLength);
    rowValues.push(v);
    rowMax = Math.max(rowMax, v.length);
  }
  const channelBits = paletteBitsFor(rowMax);
  const layerBytes = layerBits === undefined ? Infinity : paletteBytes(rows, rowLength, layerBits, false);
  const channelBytes = channelBits === undefined ? Infinity : paletteBytes(rows, rowLength, channelBits, true);
  const bytes = Math.min(layerBytes, channelBytes);
  if (!(bytes < limit)) return undefined;
  const perChannel = channelBytes < layerBytes;
  const bits = perChannel ? channelBits! : layerBits!;
  const entries = 1 << bits;
  const lut = new Int8Array(perChannel ? rows * entries : entries);
  const rowBytes = Math.ceil((rowLength * bits) / 8);
  const indices = new Uint8Array(rows * rowBytes);
  const indexOf = new Int16Array(256);
  const fill = (values: number[], at: number): void => {
    values.forEach((v, k) => {
      lut[at + k] = v;
      indexOf[v + 128] = k;
    });
  };
  if (!perChannel) fill(layerValues, 0);
  for (let r = 0; r < rows; r++) {
    if (perChannel) fill(rowValues[r]!, r * entries);
    let bit = r * rowBytes * 8;
    for (let k = 0; k < rowLength; k++, bit += bits) {
      const index = indexOf[weights[r * rowLength + k]! + 128]!;
      // an index straddles at most two bytes (bits ≤ 8)
      const word = index << (bit & 7);
      indices[bit >> 3]! |= word & 0xff;
      if (word > 0xff) indices[(bit >> 3) + 1]! |= word >> 8;
    }
  }
  return { bits, perChannel, lut, indices, rowBytes, rows, rowLength, bytes };
}

/** The int8 weights a palette encodes (the tests' check that the encoding is lossless). */
export function decodePalette(e: PaletteEncoding): Int8Array {
  const out = new Int8Array(e.rows * e.rowLength);
  const entries = 1 << e.bits;
  for (let r = 0; r < e.rows; r++) {
    let bit = r * e.rowBytes * 8;
    for (let k = 0; k < e.rowLength; k++, bit += e.bits) {
      const word = e.indices[bit >> 3]! | ((e.indices[(bit >> 3) + 1] ?? 0) << 8);
      const index = (word >> (bit & 7)) & (entries - 1);
      out[r * e.rowLength + k] = e.lut[(e.perChannel ? r * entries : 0) + index]!;
    }
  }
  return out;
}

/**
 * Instructions (RP2040: cycles) per weight of palette.h's row decode + multiply-accumulate, by family,
 * measured with `npx tsx bench/palette.ts [--target rp2040]` on FULLY_CONNECTED 256->64 (docs/kernels.md,
 * "Palette weights"): M4 instructions from QEMU's counter, RP2040 cycles from rp2040js; RV32 and the
 * host taken as the M4's. Every b costs about the same: whole bytes of indices are unpacked in a
 * register (b = 2..6), so the LUT load and the multiply dominate. CONV_2D's tap runs cost ~10% more
 * on the M4 and ~15% more on the RP2040 (`conv`).
 */
const PER_WEIGHT: Record<PricedFamily, number> = { 'arm-dsp': 6.3, armv6m: 14.9, rv32: 6.3, portable: 6.3 };
/** per row: the call, the requantization and the store */
const PER_ROW = 30;

/** `KernelVariant.cost` of a palette variant: stored bytes and estimated instructions per inference. */
export function paletteCost(e: PaletteEncoding, family: IsaFamily, passes: number, conv = false): { flashBytes: number; instructions: number } {
  const perWeight = PER_WEIGHT[pricingFamily(family)] * (!conv ? 1 : family === 'armv6m' ? 1.15 : 1.1);
  return { flashBytes: e.bytes, instructions: Math.round(passes * e.rows * (e.rowLength * perWeight + PER_ROW)) };
}

/** The C call of palette.h that returns Σ lut[index_k]·x[k] over `n` weights of a byte-aligned row. */
export function paletteDotCall(bits: number, indices: string, lut: string, x: string, n: string): string {
  return `tf_palette_dot${bits}(${indices}, ${lut}, ${x}, ${n})`;
}
