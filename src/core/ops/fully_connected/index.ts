// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's OpDef: the op's contract (contract.ts: params, check, prepare, macs, evaluate,
 * the portable C) and the table of kernel variants the compiler picks from.
 *
 * Adding an FC variant (docs/adding-a-variant.md has the checklist for every op):
 * 1. One file named for what the kernel computes (`dsp_row_pairs_x6.ts`), exporting its
 *    `KernelVariant<FullyConnectedParams>`; it imports the params and helpers from contract.ts and
 *    its siblings, never from this file.
 * 2. Its `applies(p, facts)` reads the params and the compile's facts (`facts.prefer`, `facts.isa`)
 *    and changes nothing. A rule that scans the weights is exported from the variant's file, called
 *    once in contract.ts's prepare and kept in `p.weightFit` (WeightFit), which `applies` reads.
 * 3. Its row in the `variants` table below, with a comment saying why it comes before the next row
 *    of its family (the first row of the target's family that applies runs); a weight storage
 *    gives `cost` instead and is weighed by encoding_choice.ts, not by its place.
 * 4. Under a weight zero point, wrap it in `withWeightOffset` (weight_offset.ts) if its kernel is
 *    symmetric; if it stores weights at other than 1 byte a weight, price them in `denseCost` below.
 * 5. Tests: its name in a `*.test.ts` beside it (which layers take it) and bit-exact C on the host
 *    and the emulated board; a row for it in docs/kernels.md.
 */
import type { OpDef } from '../op.ts';
import { denseCostFromRates } from '../encoding_choice.ts';
import { firstApplicableVariant } from '../variant.ts';
import { type FullyConnectedParams, check, emitPortable, evaluate, macs, prepare } from './contract.ts';
import { fcDspVariant } from './dsp.ts';
import { fcDspRowPairsVariant } from './dsp_row_pairs.ts';
import { fcDspRowPairsX6Variant } from './dsp_row_pairs_x6.ts';
import { fcDspRowPairsX6WidenedVariant } from './dsp_row_pairs_x6_widened.ts';
import { fcDspRowPairsX8Variant } from './dsp_row_pairs_x8.ts';
import { fcDspBatchRowPairsVariant } from './dsp_batch_row_pairs.ts';
import { fcM0plusLanesVariant, fcM0plusPairs4Variant, fcM0plusVariant, laneBlocks } from './m0plus.ts';
import { pairColumns } from '../common/codecs/row_pair_lanes.ts';
import { fcRv32Variant } from './rv32.ts';
import { fcS3Variant } from './s3simd.ts';
import { fcXtensaVariant } from './xtensa.ts';
import { fcMveVariant } from './mve.ts';
import { withWeightOffset } from './weight_offset.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { fullyConnectedInt16 } from './fully_connected_int16.ts';
import { fullyConnectedFloat } from './fully_connected_float.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { fcInt4Variants } from './int4.ts';
import { fcSparseRv32Variant, fcSparseVariant } from './sparse.ts';
import { fcPaletteVariants } from './palette.ts';
import { fcHuffmanDspVariant, fcHuffmanVariant } from './huffman.ts';

export type { FullyConnectedParams } from './contract.ts';

const def: OpDef<FullyConnectedParams> = {
  kind: 'FULLY_CONNECTED',
  dir: import.meta.dirname,
  check,
  prepare,
  macs,
  evaluate,
  // The variant table. The target's ISA family (and the families it falls back to, op.ts familyChain)
  // picks its rows; among one family's rows without a `cost` the FIRST that applies runs
  // (variant.ts firstApplicableVariant), so each is listed before the ones it beats, and every
  // comment says why it comes before the next row of its family. Rows of different families never
  // compete. Rows with a `cost` (the weight storages) are not ordered: encoding_choice.ts weighs each
  // against the dense choice under `--prefer`.
  // A weight zero point (legacy per-tensor models): withWeightOffset runs the symmetric kernel exactly
  // (weight_offset.ts), over folded weights or with starts corrected per batch row.
  variants: [
    // Arm MVE (Cortex-M55/M85): the only dense kernel of its family; a layer it does not take falls
    // back to the Arm DSP rows below
    fcMveVariant,
    // Arm DSP, two or more batch rows (64+ inputs in whole words, 8+ rows, row pairs with no fix
    // table): each weight word is widened once for two batch rows, 12 instructions per 16 MACs where
    // every batch-1 kernel below reruns per batch row (17 per 16, or 23 per 24)
    withWeightOffset(fcDspBatchRowPairsVariant),
    // Arm DSP, 1024+ inputs in whole words, 16+ rows, row pairs with no fix table: the six-row blocks
    // over inputs widened once per chunk, 21 instructions per 24 MACs against the next row's 23 (its
    // shape is a part of the next row's, so it must come first); 1.3 KB of scratch at most
    withWeightOffset(fcDspRowPairsX6WidenedVariant),
    // Arm DSP, 256+ inputs in whole words, 16+ rows, row pairs with no fix table: blocks of six rows,
    // 23 instructions per 24 MACs against the four-row pairs' 17 per 16, no scratch
    withWeightOffset(fcDspRowPairsX6Variant),
    // Arm DSP, exactly 8 rows of 256+ inputs in whole words, row pairs with no fix table: one block of
    // eight rows, 31 instructions per 32 MACs against the four-row pairs' 17 per 16 (no shape it takes
    // is the six-row blocks': those need 16+ rows)
    withWeightOffset(fcDspRowPairsX8Variant),
    // Arm DSP, 4+ rows over 4+ inputs whose row pairs fit a halfword (a fix table takes the rest):
    // blocks of four rows as two row pairs, 17 instructions per 16 MACs against the streaming
    // kernel's 21
    withWeightOffset(fcDspRowPairsVariant),
    // Arm DSP, every symmetric layer: the streaming kernel, blocks of four int8 rows
    withWeightOffset(fcDspVariant),
    // Armv6-M, 16+ rows with no -128 and not under `--prefer size`: blocks of 8 rows as row-pair
    // lanes, 11 cycles per 4 MACs against the int8 blocks' 15, for 2 bytes a weight and a widened input row
    fcM0plusLanesVariant,
    // Armv6-M, a block of 4 rows after the blocks of 8 (no lanes, no -128 in it, an even row length,
    // not under `--prefer size`): that block as two row pairs, 26 cycles per 8 MACs against 40
    fcM0plusPairs4Variant,
    // Armv6-M, every symmetric layer whose multipliers the exact requantization takes: int8 blocks of 8 and 4 rows
    withWeightOffset(fcM0plusVariant),
    // RV32IMC: the only dense kernel of its family
    fcRv32Variant,
    // ESP32-S3 SIMD: the only dense kernel of its family
    fcS3Variant,
    // Xtensa MAC16 (ESP32): the only dense kernel of its family
    fcXtensaVariant,
    // pruned weights: the sparse storage (sparse.ts), priced against the dense choice
    fcSparseRv32Variant,
    fcSparseVariant,
    // palette weights (few distinct values per row): the LUT kernels, priced against the dense choice
    ...fcPaletteVariants,
    // weights that fit [-8, 7]: packed two to a byte (int4.ts), priced against the dense choice
    ...fcInt4Variants,
    // Huffman-coded weights (huffman.ts): the smallest, and slowest; only `--prefer size` picks them
    fcHuffmanDspVariant,
    fcHuffmanVariant,
  ],
  denseCost: (p, isa, prefer = 'speed') => {
    // an int32 accumulator output runs its own kernel, not the dense int8 ones priced here
    if (p.int32Output) return undefined;
    const variant = firstApplicableVariant(def, p, { isa, prefer });
    // the lanes' rows take one int32 per two weights, columns padded to pairs
    const laneRows = variant === fcM0plusLanesVariant ? 8 * laneBlocks(p) : 0;
    // The block of 4 as row pairs (2 bytes a weight in its 4 rows) is priced as int8: so it was
    // before it had its own row (the check then compared against the unwrapped plain variant, which
    // the table never returned), and pricing it now would move some layers' storage choices.
    return denseCostFromRates(
      'FULLY_CONNECTED',
      p.batches * p.outFeatures * p.inFeatures,
      laneRows * 2 * pairColumns(p.inFeatures) + (p.outFeatures - laneRows) * p.inFeatures,
      variant.family,
      isa,
      { k: p.inFeatures, batches: p.batches },
    );
  },
  emitC: emitPortable,
};

// int16 activations (16x8) go to their own kernel in fully_connected_int16.ts, float32 layers to
// fully_connected_float.ts
export default withFloatVariant(withInt16Variant(def, fullyConnectedInt16), fullyConnectedFloat);
