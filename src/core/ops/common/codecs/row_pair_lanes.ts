// SPDX-License-Identifier: Apache-2.0
/**
 * Row-pair lanes: two int8 weight rows a, b in one int32 word per column, W = w_a + 65536 w_b, so one
 * 32-bit multiply by the column's value x gives both products (x w_a + 65536 x w_b, exact). Two
 * columns' words are summed, s = lo + 65536 hi, then split: hi = (s + 32768) >> 16, lo = s - 65536 hi.
 * The fully connected and LSTM lane kernels (Armv6-M, RV32) size their blobs and scratch by these
 * facts, so both read them here.
 */

/** columns a block runs over: the row padded to whole column pairs (zero weights against a zero value) */
export const pairColumns = (cols: number) => cols + (cols & 1);

/** the largest row the kernel takes: the hi sums (|.| <= 127 * 128 per column) stay inside int32 */
export const PAIR_MAX_COLUMNS = 65536;
