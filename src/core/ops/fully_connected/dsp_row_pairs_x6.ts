// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant for long rows: blocks of six rows, three row pairs in halfwords
 * (fully_connected_dsp_pairs6.h, the block in fully_connected_dsp_pairs6.S). Each word of x is
 * loaded and widened once per six rows instead of four: 23 instructions per 24 MACs in the loop
 * (0.96) against the four-row pairs' 17 per 16 (1.06), no scratch (the input is widened on the fly:
 * a widened copy, 2 bytes per input, is the RAM the unpacked-input kernel is capped for). The
 * block is an out-of-line function of ~40 instructions of fixed cost, so it pays from about 256
 * inputs (a block of 6 * 256 MACs); shorter rows keep dsp_row_pairs.ts's kernels.
 *
 * It covers symmetric weights whose every row pair (2m, 2m + 1) fits its halfword (no fix table: the
 * one misfit, s = -128 under a negative r, never comes from TFLite's converter) over inputs of whole
 * words (every block stays word aligned for its LDM). Rows past the blocks of six run as
 * dsp_row_pairs.ts lays them out (blocks of four, then 1-3 plain rows).
 */
import type { KernelVariant } from '../op.ts';
import { summary } from './describe.ts';
import { type DspLayout, dspApplies, emitFullyConnectedDsp } from './dsp.ts';
import { rowPairsOf4 } from './dsp_row_pairs.ts';
import type { FullyConnectedParams } from './contract.ts';

/** below this many inputs a block's fixed cost outweighs its two fewer instructions per 24 MACs */
export const ROW_PAIRS_X6_MIN_IN = 256;

/**
 * Blocks of six rows of a layer of `rows` (fully_connected_dsp_pairs6.h's tf_fcp6_blocks): as many as
 * fit, but 2 or 3 rows left are run with the last block of six as two blocks of four (+ 1 row).
 */
export function sixBlocks(rows: number): number {
  const b = Math.floor(rows / 6);
  const left = rows - 6 * b;
  return b > 0 && (left === 2 || left === 3) ? b - 1 : b;
}

/** The high byte of the lane r + 256 s as stored (low byte r read unsigned): s - [r < 0]. */
function highByte(r: number, s: number): number {
  return s - (r < 0 ? 1 : 0);
}

/** Whether every row pair (2m, 2m + 1) fits its halfword in every column (no fix table needed). */
export function rowPairsFitWithoutFixes(weights: ArrayLike<number>, rows: number, rowLength: number): boolean {
  for (let r = 0; r + 1 < rows; r += 2) {
    for (let k = 0; k < rowLength; k++) if (highByte(weights[r * rowLength + k]!, weights[(r + 1) * rowLength + k]!) < -128) return false;
  }
  return true;
}

/**
 * Weight rows in the order fully_connected_dsp_pairs6.h reads them (rowLength a multiple of 4): per
 * block of six rows and word k of x (columns c = 4k .. 4k + 3), pairs (0, 1), (2, 3), (4, 5), each
 * as two words [r_c, h_c, r_c+2, h_c+2], [r_c+1, h_c+1, r_c+3, h_c+3] with h = s - [r < 0]; then the
 * other rows as rowPairsOf4 lays them out.
 */
export function rowPairsOf6(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array {
  const out = new Int8Array(rows * rowLength);
  const blocks = sixBlocks(rows);
  let n = 0;
  const put = (v: number) => (out[n++] = v); // Int8Array wraps 128..255 to their bytes
  for (let r = 0; r < 6 * blocks; r += 6) {
    for (let k = 0; k < rowLength; k += 4) {
      for (const pr of [r, r + 2, r + 4]) {
        for (const c of [k, k + 1]) {
          for (const col of [c, c + 2]) {
            const lo = weights[pr * rowLength + col]!;
            put(lo);
            put(highByte(lo, weights[(pr + 1) * rowLength + col]!));
          }
        }
      }
    }
  }
  const rest = rows - 6 * blocks;
  out.set(rowPairsOf4(Array.prototype.slice.call(weights, 6 * blocks * rowLength, rows * rowLength) as number[], rest, rowLength), n);
  return out;
}

/** long rows: where FAST does not hold, LONG (dsp_requant.h) rather than the 64-bit steps, as the eight-row block */
const ROW_PAIRS_X6: DspLayout = { kernel: 'tf_fcp6_dsp', relay: rowPairsOf6, long: true, how: 'streaming, 6 rows per pass as 3 row pairs per halfword' };

/**
 * Classifier heads under 16 rows keep the four-row kernel: one or two blocks of six gain little
 * (mnist_lstm's 560 -> 10: 1,280 of 262,320 instructions) for the block's 0.8 KB of code and its
 * stack (the layer's function, its acc[6] and the block's frame: that model's stack 124 -> 220 B).
 */
export const ROW_PAIRS_X6_MIN_ROWS = 16;

/** whether the layer's shape suits the kernel (the weights' fit is checked once, in prepare) */
export function rowPairsX6Shape(inFeatures: number, outFeatures: number): boolean {
  return inFeatures >= ROW_PAIRS_X6_MIN_IN && inFeatures % 4 === 0 && outFeatures >= ROW_PAIRS_X6_MIN_ROWS;
}

export function dspRowPairsX6Applies(p: FullyConnectedParams): boolean {
  return dspApplies(p) && rowPairsX6Shape(p.inFeatures, p.outFeatures) && p.weightFit?.rowPairsNoFix === true;
}

export const fcDspRowPairsX6Variant: KernelVariant<FullyConnectedParams> = {
  name: 'arm-dsp row pairs x6',
  family: 'arm-dsp',
  applies: dspRowPairsX6Applies,
  emit: (p, ctx) => emitFullyConnectedDsp(p, ctx, summary(p), ROW_PAIRS_X6),
  ortExact: true,
  cFiles: ['fully_connected/fully_connected_dsp_pairs.h', 'fully_connected/fully_connected_dsp_pairs6.h', 'fully_connected/fully_connected_dsp_pairs6.S'],
};
