// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's faster Arm DSP variant: two weight rows in one halfword
 * (fully_connected_dsp_pairs.h), about 17 instructions per 16 MACs where fully_connected_dsp.h's
 * blocks of four take 21. Same flash (the re-laid weights are exactly the model's bytes), same
 * starts and requantization records; no scratch but for layers of 64-128 inputs and 16+ rows
 * (about 2 * inFeatures bytes of unpacked inputs, see PAIRS_UNPACKED). It covers symmetric weights whose row pairs fit
 * the halfword (no s_k = -128 under a negative r_k: TFLite's symmetric weights are in [-127, 127], so
 * only hand-made models miss) and at least one block of four rows over one word of inputs; every
 * other layer keeps fully_connected_dsp.h's kernel.
 */
import type { KernelVariant } from '../op.ts';
import { summary } from './describe.ts';
import { type DspLayout, dspApplies, emitFullyConnectedDsp } from './dsp.ts';
import type { FullyConnectedParams } from './contract.ts';

/** the rows of a block (two pairs) and the columns of a word of x */
const BLOCK_ROWS = 4;
const WORD = 4;

/** The high byte of the lane r + 256 s as stored (low byte r read unsigned): s - [r < 0]. */
function highByte(r: number, s: number): number {
  return s - (r < 0 ? 1 : 0);
}

/**
 * The weights that do not fit their halfword (s_k = -128 under a negative r_k, over the whole words
 * of x; left-over columns and rows keep plain bytes), stored as -127: fully_connected_dsp_pairs.h's
 * `fix` table, int16 pairs { block, 2 k + p } for column k of pair p's second row, in block order,
 * ended by block -1 (0xffff read unsigned); undefined when every weight fits.
 */
export function pairFixes(weights: ArrayLike<number>, rows: number, rowLength: number): Int16Array | undefined {
  const whole = rowLength - (rowLength % WORD);
  const blockRows = rows - (rows % BLOCK_ROWS);
  const fixes: number[] = [];
  for (let r = 0; r < blockRows; r += BLOCK_ROWS) {
    for (let p = 0; p < 2; p++) {
      const lo = r + 2 * p;
      for (let k = 0; k < whole; k++)
        if (highByte(weights[lo * rowLength + k]!, weights[(lo + 1) * rowLength + k]!) < -128) fixes.push(r / BLOCK_ROWS, 2 * k + p);
    }
  }
  if (fixes.length === 0) return undefined;
  fixes.push(-1, 0);
  return Int16Array.from(fixes);
}

/**
 * Whether the kernel covers the layer's weights: always, but for a correction table whose entries
 * would not fit int16 (32,767 blocks or 16,384 columns; the layer then keeps fully_connected_dsp.h's
 * kernel).
 */
export function rowPairsFit(weights: ArrayLike<number>, rows: number, rowLength: number): boolean {
  if (rows / BLOCK_ROWS < 32767 && rowLength < 16384) return true;
  return pairFixes(weights, rows, rowLength) === undefined;
}

/**
 * Weight rows in the order fully_connected_dsp_pairs.h reads them: per block of four rows and word k
 * of x (columns c = 4k .. 4k + 3), pair (r, s) = rows (0, 1) then (2, 3), each as two words
 * [r_c, h_c, r_c+2, h_c+2], [r_c+1, h_c+1, r_c+3, h_c+3] with h = s - [r < 0]; then per left-over
 * column j one word of the four rows' weights j; the last 1-3 rows plain.
 */
export function rowPairsOf4(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array {
  const out = new Int8Array(rows * rowLength);
  const whole = rowLength - (rowLength % WORD);
  let n = 0;
  let r = 0;
  const put = (v: number) => (out[n++] = v); // Int8Array wraps 128..255 to their bytes
  for (; r + BLOCK_ROWS <= rows; r += BLOCK_ROWS) {
    for (let k = 0; k < whole; k += WORD) {
      for (const pr of [r, r + 2]) {
        for (const c of [k, k + 1]) {
          for (const col of [c, c + 2]) {
            const lo = weights[pr * rowLength + col]!;
            put(lo);
            // s = -128 under r < 0 is stored as -127, its x_k taken back by the fix table
            put(Math.max(-128, highByte(lo, weights[(pr + 1) * rowLength + col]!)));
          }
        }
      }
    }
    for (let k = whole; k < rowLength; k++) for (let j = 0; j < BLOCK_ROWS; j++) put(weights[(r + j) * rowLength + k]!);
  }
  for (; r < rows; r++) for (let k = 0; k < rowLength; k++) put(weights[r * rowLength + k]!);
  return out;
}

const PAIRS: DspLayout = { kernel: 'tf_fcp_dsp', relay: rowPairsOf4, fix: pairFixes, how: 'streaming, 4 rows per pass as 2 row pairs per halfword' };

/**
 * Layers of 64-128 inputs and 16+ rows unpack them once per batch row into a scratch of
 * 2 * inFeatures bytes and 2 more per left-over column (at most 262): every block of four rows then
 * reads a word's two SXTB16 lanes with one LDRD, 14 instructions per 16 MACs instead of 17. Shorter
 * rows gain too little to be worth the RAM; longer ones (256 measured: 0.99 instructions/MAC, but the
 * layer's arena 0.42x -> 1.02x TFLite Micro's) would spend more RAM than a default should.
 * Once unpacked, x is read no more by the blocks: the output may take its buffer.
 */
const UNPACKED_IN = { min: 64, max: 128 };
/** four blocks at least: a classifier head of a few rows would spend more code than time on it */
const UNPACKED_MIN_ROWS = 16;
const PAIRS_UNPACKED: DspLayout = { ...PAIRS, kernel: 'tf_fcpx_dsp', body: 'tf_fcp_dsp', unpacked: true, how: `${PAIRS.how} over inputs unpacked once` };

function unpacked(p: FullyConnectedParams): boolean {
  return p.inFeatures >= UNPACKED_IN.min && p.inFeatures <= UNPACKED_IN.max && p.outFeatures >= UNPACKED_MIN_ROWS;
}

export function dspRowPairsApplies(p: FullyConnectedParams): boolean {
  return dspApplies(p) && p.outFeatures >= BLOCK_ROWS && p.inFeatures >= WORD && p.weightFit?.rowPairs === true;
}

export const fcDspRowPairsVariant: KernelVariant<FullyConnectedParams> = {
  name: 'arm-dsp row pairs',
  family: 'arm-dsp',
  applies: dspRowPairsApplies,
  scratchBytes: (p) => (unpacked(p) ? 2 * p.inFeatures + 2 * (p.inFeatures % WORD) : 0),
  // unpacked, one batch row and no rows after the blocks (they read x): x is read before any output
  overlap: (p) => (unpacked(p) && p.batches === 1 && p.outFeatures % BLOCK_ROWS === 0 ? { input: 0, gap: 0 } : undefined),
  emit: (p, ctx) => emitFullyConnectedDsp(p, ctx, summary(p), unpacked(p) ? PAIRS_UNPACKED : PAIRS),
  ortExact: true,
  cFiles: ['fully_connected/fully_connected_dsp_pairs.h'],
};
