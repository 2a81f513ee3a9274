// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant for batches of two or more rows (fully_connected_dsp_pairsb.h):
 * the four-row pairs layout (dsp_row_pairs.ts), each weight word loaded and widened once for two batch
 * rows: 12 instructions per 16 MACs in the loop where the batch-1 kernels take 17 (four-row pairs) or
 * 23 per 24 (six-row blocks), which rerun per batch row. Chunk-outer, rows-inner: 128 columns of both
 * batch rows are widened into a scratch (512 B; 4 B per input of shorter rows) and each group of up to
 * 32 rows keeps its int32 sums there (32 B per four rows): at most 768 B of scratch. Chunks of 64
 * columns (256 B) measured 0.95 instructions/MAC on 1024->64 x2 against 0.90 (each row pair's sums
 * are loaded, extracted and stored once per chunk).
 */
import type { KernelVariant } from '../op.ts';
import { summary } from './describe.ts';
import { type DspLayout, dspApplies, emitFullyConnectedDsp } from './dsp.ts';
import { rowPairsOf4 } from './dsp_row_pairs.ts';
import type { FullyConnectedParams } from './contract.ts';

/** fully_connected_dsp_pairsb.h's TF_FCPB_CHUNK (words of x) and TF_FCPB_GROUP (blocks of four rows) */
const CHUNK_WORDS = 32;
const GROUP_BLOCKS = 8;
/** at least one chunk of 64 inputs and two blocks of four rows: smaller layers gain too little for the code */
const MIN_IN = 64;
const MIN_ROWS = 8;

/** the scratch: a chunk of both batch rows' widened inputs, then the group's sums */
export function batchRowPairsScratch(inFeatures: number, rows: number): number {
  return 16 * Math.min(inFeatures / 4, CHUNK_WORDS) + 32 * Math.min(Math.floor(rows / 4), GROUP_BLOCKS);
}

/** whether the layer's shape suits the kernel (its weights' fit, every row pair in its halfword, is weightFit.rowPairsNoFix) */
export function batchRowPairsShape(batches: number, inFeatures: number, outFeatures: number): boolean {
  return batches >= 2 && inFeatures >= MIN_IN && inFeatures % 4 === 0 && outFeatures >= MIN_ROWS;
}

export function dspBatchRowPairsApplies(p: FullyConnectedParams): boolean {
  return dspApplies(p) && batchRowPairsShape(p.batches, p.inFeatures, p.outFeatures) && p.weightFit?.rowPairsNoFix === true;
}

const BATCH_ROW_PAIRS: DspLayout = {
  kernel: 'tf_fcpb_dsp',
  relay: rowPairsOf4,
  unpacked: true,
  how: 'two batch rows per pass, 4 rows as 2 row pairs per halfword, inputs widened per chunk',
};

export const fcDspBatchRowPairsVariant: KernelVariant<FullyConnectedParams> = {
  name: 'arm-dsp batch row pairs',
  family: 'arm-dsp',
  applies: dspBatchRowPairsApplies,
  scratchBytes: (p) => batchRowPairsScratch(p.inFeatures, p.outFeatures),
  emit: (p, ctx) => emitFullyConnectedDsp(p, ctx, summary(p), BATCH_ROW_PAIRS),
  ortExact: true,
  cFiles: ['fully_connected/fully_connected_dsp_pairs.h', 'fully_connected/fully_connected_dsp_pairsb.h'],
};
