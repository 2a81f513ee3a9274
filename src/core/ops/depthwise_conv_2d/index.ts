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
 *    of its family.
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
import { depthwiseDspPaddedVariant, depthwiseDspVariant } from './dsp.ts';
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
    // Arm DSP: the multiplier-1 3x3 layers with a border over a padded copy of their rows, before
    // the same kernel without the copy (its border through tap pointers), the fallback of a RAM budget
    depthwiseDspPaddedVariant,
    depthwiseDspVariant,
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
