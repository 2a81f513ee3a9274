// SPDX-License-Identifier: Apache-2.0
/**
 * Huffman-coded weight rows, the storage of the entropy-coded FULLY_CONNECTED (fully_connected/huffman.ts)
 * and CONV_2D (conv_2d/huffman.ts, a row per output channel) layers: the coding's shape, its dense form,
 * and the instruction counts both price their decode by.
 */
import type { KernelChoices } from '../../op.ts';
import { type HuffmanStream, encodeHuffmanStream, huffmanStreamBytes } from './huffman.ts';

/**
 * Instructions on the Cortex-M4 (qemu-mps2-an386's counter, -O2), fitted to `npx tsx bench/huffman_cost.ts`
 * on generated 784x300 and 300x100 layers (docs/kernels.md, "Huffman-coded weights"). A symbol costs a
 * fixed part (table lookup, window shift, store: 11 instructions when its code fits the 8-bit table)
 * plus a part growing with its code length (a 7-instruction two-byte refill per 16 bits, and the
 * canonical walk for codes over 8 bits): 8.7 + 1.25 per coded bit fits dense int8 (5.4 bits/symbol,
 * 15.5 measured) and 4-bit-valued (3.1 bits, 12.6) streams. Row loops per MAC: sparse 8.8 (its gap
 * load included), dense portable 5.8, dense SMLAD 2.3 (9 instructions per 4 weights); then per code
 * table built and per row (seek, requantize, store).
 */
export const HUFFMAN_INSTRUCTIONS = {
  perSymbol: 8.7,
  perCodedBit: 1.25,
  perDenseMac: 5.8,
  perDenseMacDsp: 2.3,
  perSparseMac: 8.8,
  perTable: 1100,
  perRow: 30,
};

/**
 * Layers are Huffman-coded (a storage the chooser weighs: only `--prefer size` picks it, it is the
 * slowest) unless `kernels.entropy` is false.
 */
export function entropyCodingEnabled(kernels: KernelChoices = {}): boolean {
  return kernels.entropy !== false;
}

export interface HuffmanRows {
  kind: 'dense' | 'sparse';
  /** dense: the weight bytes; sparse: the nonzero values */
  values: HuffmanStream;
  /** sparse: the column gaps */
  deltas?: HuffmanStream;
  /** sparse: entries per row (per group of `groupRows` rows: the group's shared columns) */
  counts?: Int32Array;
  /** sparse: rows sharing one list of columns (1: every row its own; 0: `groupSizes` says); the last group may be shorter */
  groupRows?: number;
  /** sparse, groups of searched sizes: each group's rows (stored as uint8_t) */
  groupSizes?: Uint8Array;
  /** sparse: the products the row loops compute, every row's entries (the union's zeros included) */
  entries?: number;
  /** sparse: the C type `counts` is stored as (uint8_t when every row holds at most 255 entries) */
  countsType?: 'uint8_t' | 'uint16_t';
  /** symbols of the longest row (the scratch row's length) */
  rowSymbols: number;
  /** symbols decoded per inference (all streams) */
  symbols: number;
  /** bytes in flash: streams, code tables, block offsets, row counts */
  bytes: number;
  /** bytes of the storage it replaces (dense int8 or sparse_rows.ts's encoding) */
  replacedBytes: number;
}

/** One stream of the rows' weight bytes. */
export function encodeHuffmanRows(weights: Int8Array, rows: number, columns: number): HuffmanRows {
  return denseCoding(weights, rows, columns);
}

function denseCoding(weights: Int8Array, rows: number, columns: number): HuffmanRows {
  const values = encodeHuffmanStream(new Uint8Array(weights.buffer, weights.byteOffset, weights.length), []);
  return { kind: 'dense', values, rowSymbols: columns, symbols: rows * columns, bytes: huffmanStreamBytes(values), replacedBytes: rows * columns };
}
