// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant for layers of eight long rows: one block of eight rows, four
 * row pairs in halfwords (fully_connected_dsp_pairs8.h, the block in
 * fully_connected_dsp_pairs8.S). Each word of x is loaded and widened once per eight rows instead of
 * four: 31 instructions per 32 MACs in the loop (0.97, 0.98 with the loop's turn) against the
 * four-row pairs' 17 per 16 (1.06), no scratch. Layers of 16 rows and more take the six-row blocks
 * (dsp_pairs6.ts: 23 per 24, fewer weight loads per MAC); under 256 inputs the block's fixed cost
 * (~45 instructions and the chunk's ~35) outweighs its gain, and the four-row kernels stay.
 *
 * Same conditions on the weights as the six-row blocks: symmetric, every row pair (2m, 2m + 1)
 * fitting its halfword (`rowPairs6Fit`), inputs in whole words. Eight rows exactly: with 9-15 the
 * rows past the block bring the four-row kernel's code along for little (mnist_lstm's 560 -> 10 as
 * 8 + 2 rows: no fewer instructions than 4 + 4 + 2, +1.1 KB of code, +112 B of stack), and from 16
 * rows the six-row blocks are faster.
 */
import type { KernelVariant } from '../op.ts';
import { summary } from './describe.ts';
import { type DspLayout, dspApplies, emitFullyConnectedDsp } from './dsp.ts';
import { PAIRS6_MIN_IN } from './dsp_pairs6.ts';
import type { FullyConnectedParams } from './index.ts';

/** The high byte of the lane r + 256 s as stored (low byte r read unsigned): s - [r < 0]. */
function highByte(r: number, s: number): number {
  return s - (r < 0 ? 1 : 0);
}

/**
 * Weight rows in the order fully_connected_dsp_pairs8.h reads them (rowLength a multiple of 4, 8
 * rows): per word k of x (columns c = 4k .. 4k + 3), pairs (0, 1), (2, 3), (4, 5), (6, 7), each as two
 * words [r_c, h_c, r_c+2, h_c+2], [r_c+1, h_c+1, r_c+3, h_c+3] with h = s - [r < 0].
 */
export function rowPairsOf8(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array {
  if (rows !== 8) throw new Error(`rowPairsOf8: ${rows} rows (the block takes 8)`);
  const out = new Int8Array(rows * rowLength);
  let n = 0;
  const put = (v: number) => (out[n++] = v); // Int8Array wraps 128..255 to their bytes
  for (let k = 0; k < rowLength; k += 4) {
    for (const pr of [0, 2, 4, 6]) {
      for (const c of [k, k + 1]) {
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

const PAIRS8: DspLayout = { kernel: 'tf_fcp8_dsp', relay: rowPairsOf8, how: 'streaming, 8 rows in one pass as 4 row pairs per halfword' };

/** whether the layer's shape suits the kernel (the weights' fit is checked once, in prepare) */
export function pairs8Shape(inFeatures: number, outFeatures: number): boolean {
  return inFeatures >= PAIRS6_MIN_IN && inFeatures % 4 === 0 && outFeatures === 8;
}

export function dspPairs8Applies(p: FullyConnectedParams): boolean {
  return dspApplies(p) && pairs8Shape(p.inFeatures, p.outFeatures) && p.rowPairs6Fit === true;
}

export const fcDspPairs8Variant: KernelVariant<FullyConnectedParams> = {
  name: 'arm-dsp-pairs8',
  family: 'arm-dsp',
  applies: dspPairs8Applies,
  emit: (p, ctx) => emitFullyConnectedDsp(p, ctx, summary(p), PAIRS8),
  cFiles: [
    'fully_connected/fully_connected_dsp_pairs.h',
    'fully_connected/fully_connected_dsp_pairs6.h',
    'fully_connected/fully_connected_dsp_pairs8.h',
    'fully_connected/fully_connected_dsp_pairs8.S',
  ],
};
