// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's OpDef: the op's contract (contract.ts) and the table of kernel variants the
 * compiler picks from.
 */
import type { OpDef } from '../op.ts';
import { denseCostFromRates } from '../encoding_choice.ts';
import { chooseStorage, firstApplicableVariant } from '../variant.ts';
import { type FullyConnectedParams, check, emitPortable, evaluate, macs, prepare } from './contract.ts';
import { fcDspVariant } from './dsp.ts';
import { fcDspPairsVariant } from './dsp_pairs.ts';
import { fcDspPairs6Variant } from './dsp_pairs6.ts';
import { fcDspPairs6wVariant } from './dsp_pairs6w.ts';
import { fcDspPairs8Variant } from './dsp_pairs8.ts';
import { fcDspPairsBatchVariant } from './dsp_pairsb.ts';
import { fcM0plusLanesVariant, fcM0plusVariant, laneBlocks } from './m0plus.ts';
import { pairColumns } from '../unidirectional_sequence_lstm/pairs.ts';
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
  // Arm DSP: two rows in one halfword (fully_connected_dsp_pairs.h) where the weights allow, else
  // the streaming kernel of fully_connected_dsp.h, both no scratch (and no overlap: every block of
  // rows reads the whole input row again); Armv6-M: common/isa/m0plus_mac.h's blocks of 8 rows, exact
  // requantization without a 64-bit multiply
  // (a weight zero point: weight_offset.ts runs the same kernels, exactly)
  // pruned weights: the sparse storage (sparse.ts) when the cost model (encoding_choice.ts) prefers it
  variants: [
    fcMveVariant,
    withWeightOffset(fcDspPairsBatchVariant),
    withWeightOffset(fcDspPairs6wVariant),
    withWeightOffset(fcDspPairs6Variant),
    withWeightOffset(fcDspPairs8Variant),
    withWeightOffset(fcDspPairsVariant),
    withWeightOffset(fcDspVariant),
    fcM0plusLanesVariant,
    withWeightOffset(fcM0plusVariant),
    fcRv32Variant,
    fcS3Variant,
    fcXtensaVariant,
    fcSparseRv32Variant,
    fcSparseVariant,
    // palette weights (few distinct values per row): the LUT kernels, when the cost model prefers them
    ...fcPaletteVariants,
    // weights that fit [-8, 7]: packed two to a byte (int4.ts), when the cost model prefers them
    ...fcInt4Variants,
    // Huffman-coded weights (huffman.ts): the smallest, and slowest; only `--prefer size` picks them
    fcHuffmanDspVariant,
    fcHuffmanVariant,
  ],
  // --prefer size keeps the model's 1 byte a weight: Armv6-M's row-pair lanes (2 bytes a weight) are a speed choice
  selectVariant(p, isa, prefer, kernels) {
    if (prefer === 'size') {
      p.laneWeights = false;
      p.pairs4Weights = false;
    }
    return chooseStorage(def, p, isa, prefer, kernels);
  },
  denseCost: (p, isa, prefer = 'speed') => {
    const variant = firstApplicableVariant(def, p, { isa, prefer });
    const laneRows = variant === fcM0plusLanesVariant ? 8 * laneBlocks(p) : 0;
    // Armv6-M's block of 4 as two row pairs: 2 bytes a weight
    const pairRows = variant === fcM0plusVariant && p.pairs4Weights === true && laneRows === 0 && p.inFeatures > 1 && p.outFeatures % 8 >= 4 ? 4 : 0;
    return denseCostFromRates(
      'FULLY_CONNECTED',
      p.batches * p.outFeatures * p.inFeatures,
      // the lanes' rows take one int32 per two weights, columns padded to pairs
      laneRows * 2 * pairColumns(p.inFeatures) + (p.outFeatures - laneRows + pairRows) * p.inFeatures,
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
