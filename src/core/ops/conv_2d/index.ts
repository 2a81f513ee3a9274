// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's kernels: the variant table, in the order they are tried, each row with the reason for its
 * place; the op's contract (params, check, prepare, evaluate) is contract.ts.
 *
 * Adding a CONV_2D variant:
 * 1. A file of its own beside this one exporting one `KernelVariant<Conv2DParams>`: `applies(p,
 *    facts)` from the params and the target's facts only (never writing to the params), its exact
 *    `scratchBytes`, `emit`, and its C in a header or template of its own.
 * 2. A row in `variants` below, where its reason puts it (a specialised kernel before the general one
 *    of its family); among the Arm DSP rows, `dspKernel` (common/isa/dsp_conv/choice.ts) picks exactly one.
 * 3. A weight storage (sparse, int4, palette, Huffman) also sets `storage` and `cost`: the cost model
 *    weighs it against `denseCost` below.
 * 4. Tests: which layers take it, bit-exact on the host and the emulated board; a row in docs/kernels.md.
 */
import type { OpDef } from '../op.ts';
import { chooseStorage, firstApplicableVariant } from '../variant.ts';
import { denseCostFromRates } from '../encoding_choice.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { type Conv2DParams, check, evaluate, macs, prepare } from './contract.ts';
import { conv2dFloat } from './conv_2d_float.ts';
import { conv2dInt16 } from './conv_2d_int16.ts';
import { convPaletteVariants } from './palette.ts';
import { convDspVariant } from './dsp.ts';
import { convDspRowBandsVariant, convDspStemBandsVariant } from './dsp_row_bands.ts';
import { convDspIm2colQuadsVariant } from './dsp_im2col_quads.ts';
import { convDspIm2colTriplesVariant } from './dsp_im2col_triples.ts';
import { convDspPointwisePairsVariant, convDspPointwiseQuadsVariant } from './dsp_pointwise.ts';
import { convDspBlocksVariant } from './dsp_blocks.ts';
import { convDspNarrowVariant } from './dsp_narrow.ts';
import { convM0plusVariant } from './m0plus.ts';
import { convXtensaVariant } from './xtensa.ts';
import { convRv32Variant } from './rv32.ts';
import { convMveVariant } from './mve.ts';
import { convS3Variant } from './s3simd.ts';
import { emitConvPortable } from './portable.ts';
import { convSparseVariants } from './sparse.ts';
import { convInt4Variants } from './int4.ts';
import { convHuffmanVariant } from './huffman.ts';
import { convAsFcDspVariant, convAsFcM0plusVariant, convAsFcRv32Variant } from './as_fc.ts';

export type { Conv2DParams } from './contract.ts';

const def: OpDef<Conv2DParams> = {
  kind: 'CONV_2D',
  dir: import.meta.dirname,
  check,
  prepare,
  macs,
  evaluate,
  // The variants, in the order they are tried; a target takes the first of its ISA family that
  // covers the layer (variant.ts), else the portable C.
  variants: [
    // palette filters (few distinct values): the LUT kernels, when the cost model prefers them
    ...convPaletteVariants,
    // weights that fit int4: the packed kernels, when the cost model prefers them
    ...convInt4Variants,
    // Huffman-coded filters (huffman.ts): the smallest, and slowest; only `--prefer size` picks them
    convHuffmanVariant,
    // a lone output pixel over the whole input is an FC: its kernels before any convolution's
    convAsFcDspVariant,
    convAsFcM0plusVariant,
    convAsFcRv32Variant,
    // 1x1 layers over a few input channels: the narrow run, before the wide kernels that would pad them
    convDspNarrowVariant,
    // Arm DSP: exactly one of the next seven takes a CONV_2D layer (common/isa/dsp_conv/choice.ts
    // dspKernel), so their order among themselves is dspKernel's, most specialised first:
    // im2col from a band of int16 columns per output row: the M4's and M33's loads, whole channel quads
    convDspRowBandsVariant,
    // RGB stems from a band of a few pixels' int16 values: the same cores, 3 input channels
    convDspStemBandsVariant,
    // im2col pixel pairs by channel quads in the 1x1 layers' routine: the M4 and M33 without bands
    convDspIm2colQuadsVariant,
    // im2col pixel triples by channel pairs in assembly: every other DSP core, fields of 12 values on
    convDspIm2colTriplesVariant,
    // 1x1 layers in channel quads (whole quads, or a one-pixel head padded to them)
    convDspPointwiseQuadsVariant,
    // 1x1 layers in channel pairs, where the output channels are not whole quads
    convDspPointwisePairsVariant,
    // the C loops: whatever no assembly run takes (64-bit requantization, rows outside the pairs layout)
    convDspBlocksVariant,
    // layers of other ops (transpose_conv's phases) that record no weight facts: the kernel is picked at
    // emit, the scratch the most any may take. The phases stay here: TRANSPOSE_CONV's params hold no
    // phase's params (each phase's filter is re-cut from the transpose filter at emit), and the phase
    // variants size their scratch before the core is known (transpose_conv/phases.ts PHASE_FACTS)
    // while emit picks with it; recording the facts means preparing every phase's CONV_2D with the
    // compile's facts in TRANSPOSE_CONV's prepare, which may move a phase to another kernel.
    convDspVariant,
    // Armv6-M, RV32, Xtensa, Helium, ESP32-S3: one kernel each
    convM0plusVariant,
    convRv32Variant,
    convXtensaVariant,
    convMveVariant,
    convS3Variant,
    // pruned weights: the sparse storage, when the cost model (encoding_choice.ts) prefers it
    ...convSparseVariants,
  ],
  selectVariant: (p, isa, prefer, kernels) => chooseStorage(def, p, isa, prefer, kernels),
  denseCost: (p, isa, prefer = 'speed') =>
    denseCostFromRates(
      'CONV_2D',
      p.batches * p.outH * p.outW * p.outC * p.kH * p.kW * p.filterInC,
      p.outC * p.kH * p.kW * p.filterInC,
      firstApplicableVariant(def, p, { isa, prefer }).family,
      isa,
      { k: p.kH * p.kW * p.filterInC },
    ),
  emitC: emitConvPortable,
};

// int16 activations (16x8) go to their own kernel in conv_2d_int16.ts
// float32 layers: TFLite Micro's reference Conv<float>, conv_2d_float.ts
export default withFloatVariant(withInt16Variant(def, conv2dInt16), conv2dFloat);
