// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's kernels: the variant table, in the order they are tried, each row with the
 * reason for its place; the op's contract (params, check, prepare, evaluate, the portable C) is
 * contract.ts.
 *
 * Adding a DEPTHWISE_CONV_2D variant:
 * 1. A file of its own beside this one exporting one `KernelVariant<DepthwiseConv2DParams>` that
 *    imports contract.ts, never this file: `applies(p, facts)` from the params and the target's facts
 *    only (a fact of the weights is computed once in prepare), its exact `scratchBytes`, `emit`, and
 *    its C in a header or template of its own.
 * 2. A row in `variants` below where its reason puts it: a specialised kernel before the general one
 *    of its family; among the Arm DSP rows, `dspKernel` (dsp_common.ts) picks exactly one, so a new
 *    DSP kernel takes the same place there, and makes its variant with `depthwiseDspVariant` from
 *    its form (its instance, tables and call) and its header, depthwise_conv_2d_dsp_<kernel>.h.
 * 3. A weight storage also sets `storage` and `cost`: the cost model weighs it against `denseCost`.
 * 4. Tests: which layers take it, bit-exact on the host and the emulated board; a row in docs/kernels.md.
 */
import type { OpDef } from '../op.ts';
import { firstApplicableVariant } from '../variant.ts';
import { denseCostFromRates } from '../encoding_choice.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { type DepthwiseConv2DParams, check, emitPortable, evaluate, macs, prepare } from './contract.ts';
import { depthwiseConv2dFloat } from './depthwise_conv_2d_float.ts';
import { depthwiseConv2dInt16 } from './depthwise_conv_2d_int16.ts';
import { depthwiseMveVariant } from './mve.ts';
import { depthwiseDspPlanesVariant } from './dsp_planes.ts';
import { depthwiseDspMaskedBorderVariant } from './dsp_mask.ts';
import { depthwiseDspChannelQuadsPaddedVariant, depthwiseDspChannelQuadsVariant } from './dsp_channel_quads.ts';
import { depthwiseDspThreeChannelsVariant } from './dsp_three_channels.ts';
import { depthwiseDspFewChannelsVariant } from './dsp_few_channels.ts';
import { depthwiseDspAsConvVariant } from './dsp_as_conv.ts';
import { depthwiseDspMultiplierPassesVariant } from './dsp_multiplier_passes.ts';
import { depthwiseM0plusVariant } from './m0plus.ts';
import { depthwiseRv32Variant } from './rv32.ts';
import { depthwiseS3OneChannelVariant, depthwiseS3Variant } from './s3simd.ts';
import { depthwiseS3PairsVariant } from './s3simd_pairs.ts';
import { depthwiseXtensa3x3Variant, depthwiseXtensaVariant } from './xtensa.ts';
import { depthwiseSparseVariants } from './sparse.ts';
import { depthwiseInt4Variants } from './int4.ts';

export type { DepthwiseConv2DParams } from './contract.ts';

const def: OpDef<DepthwiseConv2DParams> = {
  kind: 'DEPTHWISE_CONV_2D',
  dir: import.meta.dirname,
  check,
  prepare,
  macs,
  evaluate,
  variants: [
    // Helium (Cortex-M55/M85): one kernel for every layer it covers
    depthwiseMveVariant,
    // Arm DSP: one kernel takes a layer (dsp_common.ts dspKernel), so their order among themselves
    // is dspKernel's, most specialised first:
    // multiplier-1 3x3 at stride 1 over rows of 20 pixels and more (or 8 with four channels' planes):
    // int16 planes, two taps per SMLAD, the fewest cycles a MAC where the widening is repaid
    depthwiseDspPlanesVariant,
    // multiplier-1 3x3 with a border of a row or column: every pixel in place, no scratch; ahead of
    // the channel quads, whose padded copy on these small maps costs more than it saves
    depthwiseDspMaskedBorderVariant,
    // multiplier 1 over channel quads, any window: with a padded copy of narrow maps' rows (arena
    // for speed) before the same kernel without the copy, what a RAM budget falls back to
    depthwiseDspChannelQuadsPaddedVariant,
    depthwiseDspChannelQuadsVariant,
    // 3 input channels under 3x3 (RGB stems): a pixel's channels in one word, before the row
    // kernel that would pad them to whole words per kernel row
    depthwiseDspThreeChannelsVariant,
    // 1 to 3 input channels, any multiplier: kernel rows read as words (one channel: undilated rows)
    depthwiseDspFewChannelsVariant,
    // one input channel with dilated rows: a CONV_2D layer, CONV_2D's im2col kernels
    depthwiseDspAsConvVariant,
    // any multiplier over 4 or more channels: whatever the kernels above leave
    depthwiseDspMultiplierPassesVariant,
    // Armv6-M and RV32IMC: one kernel each
    depthwiseM0plusVariant,
    depthwiseRv32Variant,
    // ESP32-S3: one input channel is a convolution (the S3 conv kernel); 8 channels fill QACC's
    // lanes with two pixels; then the 16-channel kernel, which the two would run at half its lanes
    depthwiseS3OneChannelVariant,
    depthwiseS3PairsVariant,
    depthwiseS3Variant,
    // ESP32 (Xtensa LX6): the MAC16 3x3 kernel, before the RV32 loops' Xtensa build
    depthwiseXtensa3x3Variant,
    depthwiseXtensaVariant,
    // weight storages the cost model (encoding_choice.ts) weighs against denseCost: pruned weights
    // (sparse), weights stored as INT4 in the model
    ...depthwiseSparseVariants,
    ...depthwiseInt4Variants,
  ],
  denseCost: (p, isa, prefer = 'speed') =>
    denseCostFromRates(
      'DEPTHWISE_CONV_2D',
      p.batches * p.outH * p.outW * p.outC * p.kH * p.kW,
      p.outC * p.kH * p.kW,
      firstApplicableVariant(def, p, { isa, prefer }).family,
      isa,
    ),
  emitC: emitPortable,
};

// int16 activations (16x8) go to their own kernel in depthwise_conv_2d_int16.ts
// float32 layers: TFLite Micro's reference DepthwiseConv<float>, depthwise_conv_2d_float.ts
export default withFloatVariant(withInt16Variant(def, depthwiseConv2dInt16), depthwiseConv2dFloat);
