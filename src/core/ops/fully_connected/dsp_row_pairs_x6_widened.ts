// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant for long rows of many outputs: the six-row blocks of dsp_row_pairs_x6.ts
 * (same layout, same weight bytes) over inputs widened once per chunk into the scratch
 * (fully_connected_dsp_pairs6w.h, the block tf_fcp6w_dot in fully_connected_dsp_pairs6.S). The six-row block that
 * widens each word of x itself spends 23 instructions per 24 MACs, 3 of them on x; here a chunk of up
 * to 112 words is widened once for a group of up to 16 blocks (96 rows), whose sums wait in the
 * scratch between chunks, and the block's loop reads x's two lanes with one LDRD: 21 per 24 (0.875)
 * plus ~25 instructions per block and chunk and ~4 per word of x and group.
 *
 * Taken from 1024 inputs (the six-row blocks' loop, 0.96 instructions/MAC, missed half of
 * CMSIS-NN's 1.89-1.93 there) and 16 rows, by layers whose row pairs fit their halfwords
 * (weightFit.rowPairsNoFix). Scratch: 8 B per word of a chunk + 24 B per block of a group, at most 896 + 384 =
 * 1,280 B, in the layer's arena scratch (the streaming six-row blocks take none).
 */
import type { KernelVariant } from '../op.ts';
import { summary } from './describe.ts';
import { type DspLayout, dspApplies, emitFullyConnectedDsp } from './dsp.ts';
import { rowPairsOf6, sixBlocks } from './dsp_row_pairs_x6.ts';
import type { FullyConnectedParams } from './contract.ts';

/** fully_connected_dsp_pairs6w.h's TF_FCP6W_CHUNK (words of x) and TF_FCP6W_GROUP (blocks of six rows) */
const CHUNK_WORDS = 112;
const GROUP_BLOCKS = 16;
/** below this many inputs the scratch weighs more against the arena than the ~0.05 instructions/MAC it saves */
export const ROW_PAIRS_X6_WIDENED_MIN_IN = 1024;
const MIN_ROWS = 16;

/** the scratch: a chunk of widened inputs, then the group's sums */
export function rowPairsX6WidenedScratch(inFeatures: number, rows: number): number {
  return 8 * Math.min(inFeatures / 4, CHUNK_WORDS) + 24 * Math.min(sixBlocks(rows), GROUP_BLOCKS);
}

/** whether the layer's shape suits the kernel (its weights' fit, every row pair in its halfword, is weightFit.rowPairsNoFix) */
export function rowPairsX6WidenedShape(inFeatures: number, outFeatures: number): boolean {
  return inFeatures >= ROW_PAIRS_X6_WIDENED_MIN_IN && inFeatures % 4 === 0 && outFeatures >= MIN_ROWS;
}

export function dspRowPairsX6WidenedApplies(p: FullyConnectedParams): boolean {
  return dspApplies(p) && rowPairsX6WidenedShape(p.inFeatures, p.outFeatures) && p.weightFit?.rowPairsNoFix === true;
}

const ROW_PAIRS_X6_WIDENED: DspLayout = {
  kernel: 'tf_fcp6w_dsp',
  relay: rowPairsOf6,
  unpacked: true,
  how: '6 rows per pass as 3 row pairs per halfword, inputs widened per chunk',
};

export const fcDspRowPairsX6WidenedVariant: KernelVariant<FullyConnectedParams> = {
  name: 'arm-dsp row pairs x6 widened',
  family: 'arm-dsp',
  applies: dspRowPairsX6WidenedApplies,
  scratchBytes: (p) => rowPairsX6WidenedScratch(p.inFeatures, p.outFeatures),
  emit: (p, ctx) => emitFullyConnectedDsp(p, ctx, summary(p), ROW_PAIRS_X6_WIDENED),
  ortExact: true,
  cFiles: [
    'fully_connected/fully_connected_dsp_pairs.h',
    'fully_connected/fully_connected_dsp_pairs6.h',
    'fully_connected/fully_connected_dsp_pairs6w.h',
    'fully_connected/fully_connected_dsp_pairs6.S',
  ],
};
