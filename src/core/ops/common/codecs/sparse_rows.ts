// SPDX-License-Identifier: Apache-2.0
/**
 * Column-gap rows: the nonzero weights of a pruned int8 matrix, for the sparse fully connected and
 * LSTM kernels (and the Huffman rows built on them).
 *
 * Encoding, row by row: the nonzero weights as int8 `values`, and for each the distance in
 * columns from the previous one (from the row start for the first) as a uint8 `delta`; a gap longer
 * than 255 is bridged by filler entries (delta 255, value 0). `counts[o]` is the number of entries
 * in row o. Two bytes per nonzero instead of one per weight: worth it from about 50% zeros.
 */
import type { KernelChoices } from '../../op.ts';

/** Below this share of zero weights the dense kernel is kept. */
export const SPARSE_MIN_ZEROS = 0.5;
/** ... and the sparse form must also be at most this share of the dense weight bytes. */
export const SPARSE_MAX_BYTES_RATIO = 0.9;
const MAX_DELTA = 255;

export interface SparseRows {
  /** nonzero weights (and zero fillers), row after row */
  values: Int8Array;
  /** column distance of each entry from the previous one in its row */
  deltas: Uint8Array;
  /** entries per row */
  counts: Int32Array;
  /** fraction of the weights that are zero */
  zeros: number;
  /** bytes of the encoding (values + deltas + counts as int16) */
  bytes: number;
}

/** `kernels.sparse: 'off'` keeps every layer dense (to measure what the sparse kernels save). */
export function sparseKernelsEnabled(kernels: KernelChoices = {}): boolean {
  return kernels.sparse !== 'off';
}

/**
 * The column-gap rows of `weights` [rows, columns], whatever their share of zeros (the LSTM encodes
 * its eight gate matrices with it and decides for the layer as a whole, unidirectional_sequence_lstm/sparse.ts).
 */
export function gapRows(weights: Int8Array, rows: number, columns: number): { values: Int8Array; deltas: Uint8Array; counts: Int32Array } {
  const values: number[] = [];
  const deltas: number[] = [];
  const counts = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let previous = 0;
    const start = values.length;
    for (let c = 0; c < columns; c++) {
      const w = weights[r * columns + c]!;
      if (w === 0) continue;
      let gap = c - previous;
      while (gap > MAX_DELTA) {
        values.push(0);
        deltas.push(MAX_DELTA);
        gap -= MAX_DELTA;
      }
      values.push(w);
      deltas.push(gap);
      previous = c;
    }
    counts[r] = values.length - start;
  }
  return { values: Int8Array.from(values), deltas: Uint8Array.from(deltas), counts };
}

/** Share of the weights that are zero. */
export function zeroShare(weights: Int8Array): number {
  let zeros = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] === 0) zeros++;
  return weights.length === 0 ? 0 : zeros / weights.length;
}

/** The sparse encoding of `weights` [rows, columns], or undefined when the dense form is as good. */
export function encodeSparseRows(weights: Int8Array, rows: number, columns: number, kernels: KernelChoices = {}): SparseRows | undefined {
  if (!sparseKernelsEnabled(kernels)) return undefined;
  const zeros = zeroShare(weights);
  if (zeros < SPARSE_MIN_ZEROS) return undefined;
  const { values, deltas, counts } = gapRows(weights, rows, columns);
  // counts live in an int16 table
  if (counts.some((n) => n > 32767)) return undefined;
  const bytes = values.length * 2 + rows * 2;
  if (bytes > SPARSE_MAX_BYTES_RATIO * weights.length) return undefined;
  return { values, deltas, counts, zeros, bytes };
}
