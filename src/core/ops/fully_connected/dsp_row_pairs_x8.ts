// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant for layers of eight long rows: one block of eight rows, four
 * row pairs in halfwords (fully_connected_dsp_pairs8.h, the block in
 * fully_connected_dsp_pairs8.S). Each word of x is loaded and widened once per eight rows instead of
 * four: 31 instructions per 32 MACs in the loop (0.97, 0.98 with the loop's turn) against the
 * four-row pairs' 17 per 16 (1.06), no scratch. Layers of 16 rows and more take the six-row blocks
 * (dsp_row_pairs_x6.ts: 23 per 24, fewer weight loads per MAC); under 256 inputs the block's fixed cost
 * (~45 instructions and the chunk's ~35) outweighs its gain, and the four-row kernels stay.
 *
 * Same conditions on the weights as the six-row blocks: symmetric, every row pair (2m, 2m + 1)
 * fitting its halfword (`weightFit.rowPairsNoFix`), inputs in whole words. Eight rows exactly: with 9-15 the
 * rows past the block bring the four-row kernel's code along for little (mnist_lstm's 560 -> 10 as
 * 8 + 2 rows: no fewer instructions than 4 + 4 + 2, +1.1 KB of code, +112 B of stack), and from 16
 * rows the six-row blocks are faster.
 */
import type { KernelVariant } from '../op.ts';
import { summary } from './describe.ts';
import { type DspLayout, dspApplies, emitFullyConnectedDsp } from './dsp.ts';
import { ROW_PAIRS_X6_MIN_IN } from './dsp_row_pairs_x6.ts';
import type { FullyConnectedParams } from './contract.ts';

/** The high byte of the lane r + 256 s as stored (low byte r read unsigned): s - [r < 0]. */
function highByte(r: number, s: number): number {
  return s - (r < 0 ? 1 : 0);
}

/**
 * Weight rows in the order fully_connected_dsp_pairs8.S reads them (rowLength a multiple of 4, 8
 * rows): per word k of x (columns c = 4k .. 4k + 3), the pairs (0, 1), (2, 3), (4, 5), (6, 7)'s even
 * words [r_c, h_c, r_c+2, h_c+2], then their odd words [r_c+1, h_c+1, r_c+3, h_c+3], with h = s - [r <
 * 0]; then 8 bytes of zeros (the block's last step loads two words past its weights).
 */
export function rowPairsOf8(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array {
  if (rows !== 8) throw new Error(`rowPairsOf8: ${rows} rows (the block takes 8)`);
  const out = new Int8Array(rows * rowLength + ROW_PAIRS_X8_PAD);
  let n = 0;
  const put = (v: number) => (out[n++] = v); // Int8Array wraps 128..255 to their bytes
  for (let k = 0; k < rowLength; k += 4) {
    for (const c of [k, k + 1]) {
      for (const pr of [0, 2, 4, 6]) {
        for (const col of [c, c + 2]) {
          const lo = weights[pr * rowLength + col]!;
          put(lo);
          put(highByte(lo, weights[(pr + 1) * rowLength + col]!));
        }
      }
    }
  }
  return out;
}

/** bytes past the block's weights that its last step loads (and ignores) */
export const ROW_PAIRS_X8_PAD = 8;
/** the block's turn: chunks after the first are whole turns */
const ROW_PAIRS_X8_TURN = 32;

/**
 * The words per chunk of the block (fully_connected_dsp_pairs8.S): the first chunk of words - chunk *
 * floor((words - 1) / chunk) words, then chunks of `chunk`, each short enough that every odd row's
 * sum over it stays in [-2^23, 2^23) for any int8 x (the pair's difference, 256 times that sum, then
 * fits an int32). Taken from the weights: at most |s| <= 128 per column gives 127 words, the sweep's
 * uniform weights about 250, real layers more; a multiple of 32 words (whole turns) unless one chunk
 * covers the row. Each extraction costs ~23 instructions, so the fewer chunks the better.
 */
export function chunkOf8(weights: ArrayLike<number>, rows: number, rowLength: number): number {
  const words = rowLength / 4;
  // per odd row, the prefix sums of the largest positive and negative contributions per word
  const pos: Float64Array[] = [];
  const neg: Float64Array[] = [];
  for (let r = 1; r < rows; r += 2) {
    const p = new Float64Array(words + 1);
    const q = new Float64Array(words + 1);
    for (let k = 0; k < words; k++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < 4; j++) {
        const s = weights[r * rowLength + 4 * k + j]!;
        a += s >= 0 ? 127 * s : -128 * s;
        b += s >= 0 ? 128 * s : -127 * s;
      }
      p[k + 1] = p[k]! + a;
      q[k + 1] = q[k]! + b;
    }
    pos.push(p);
    neg.push(q);
  }
  const fits = (from: number, to: number) => pos.every((p, i) => p[to]! - p[from]! < 2 ** 23 && neg[i]![to]! - neg[i]![from]! <= 2 ** 23);
  const holds = (chunk: number) => {
    let at = words - chunk * Math.floor((words - 1) / chunk);
    if (!fits(0, at)) return false;
    for (; at < words; at += chunk) if (!fits(at, at + chunk)) return false;
    return true;
  };
  if (holds(words)) return words;
  for (let chunk = Math.floor(words / ROW_PAIRS_X8_TURN) * ROW_PAIRS_X8_TURN; chunk > ROW_PAIRS_X8_TURN; chunk -= ROW_PAIRS_X8_TURN)
    if (holds(chunk)) return chunk;
  return ROW_PAIRS_X8_TURN;
}

const ROW_PAIRS_X8: DspLayout = {
  kernel: 'tf_fcp8_dsp',
  relay: rowPairsOf8,
  chunk: chunkOf8,
  long: true,
  how: 'streaming, 8 rows in one pass as 4 row pairs per halfword',
};

/** whether the layer's shape suits the kernel (the weights' fit is checked once, in prepare) */
export function rowPairsX8Shape(inFeatures: number, outFeatures: number): boolean {
  return inFeatures >= ROW_PAIRS_X6_MIN_IN && inFeatures % 4 === 0 && outFeatures === 8;
}

export function dspRowPairsX8Applies(p: FullyConnectedParams): boolean {
  return dspApplies(p) && rowPairsX8Shape(p.inFeatures, p.outFeatures) && p.weightFit?.rowPairsNoFix === true;
}

export const fcDspRowPairsX8Variant: KernelVariant<FullyConnectedParams> = {
  name: 'arm-dsp row pairs x8',
  family: 'arm-dsp',
  applies: dspRowPairsX8Applies,
  emit: (p, ctx) => emitFullyConnectedDsp(p, ctx, summary(p), ROW_PAIRS_X8),
  ortExact: true,
  cFiles: [
    'fully_connected/fully_connected_dsp_pairs.h',
    'fully_connected/fully_connected_dsp_pairs6.h',
    'fully_connected/fully_connected_dsp_pairs8.h',
    'fully_connected/fully_connected_dsp_pairs8.S',
  ],
};
