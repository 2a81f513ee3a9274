// SPDX-License-Identifier: Apache-2.0
/**
 * Int8 weight matrices re-laid in row blocks, the order the register-blocked matrix-vector kernels
 * read them (fully connected, LSTM, SVDF, the int16 GEMV): the same bytes, only their order changes.
 */

/**
 * Weight rows (`rowLength` int8 each) in the order the Arm DSP's fully_connected_dsp.h reads them, no padding: rows in
 * blocks of four whose whole words alternate (word k of rows 0, 1, 2, 3, then word k+1), then per
 * left-over column j one word of the four rows' weights j; the last 1-3 rows plain, one after
 * another.
 */
export function rowBlocksOf4(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array {
  const out = new Int8Array(rows * rowLength);
  const whole = rowLength - (rowLength % 4);
  let n = 0;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    for (let k = 0; k < whole; k += 4) for (let j = 0; j < 4; j++) for (let b = 0; b < 4; b++) out[n++] = weights[(r + j) * rowLength + k + b]!;
    for (let k = whole; k < rowLength; k++) for (let j = 0; j < 4; j++) out[n++] = weights[(r + j) * rowLength + k]!;
  }
  for (; r < rows; r++) for (let k = 0; k < rowLength; k++) out[n++] = weights[r * rowLength + k]!;
  return out;
}

/**
 * The Armv6-M blocks (common/isa/m0plus_mac.h): rows in blocks of 8 whose weights go column by column (the block's 8 int8 of column 0, then of
 * column 1, ...), then one such block of 4 if 4 or more rows remain, then the last 1-3 rows plain.
 */
export function rowBlocks84(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array {
  const out = new Int8Array(rows * rowLength);
  let n = 0;
  let r = 0;
  const block = (size: number) => {
    for (let k = 0; k < rowLength; k++) for (let j = 0; j < size; j++) out[n++] = weights[(r + j) * rowLength + k]!;
    r += size;
  };
  while (r + 8 <= rows) block(8);
  if (r + 4 <= rows) block(4);
  for (; r < rows; r++) for (let k = 0; k < rowLength; k++) out[n++] = weights[r * rowLength + k]!;
  return out;
}
