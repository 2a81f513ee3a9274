// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP im2col from bands (conv_2d_dsp_row_bands.h tf_dsp_im2col_band_run_body,
 * tf_dsp_im2col_stem_band_body): the fields of an output row's pixels read from one band of int16
 * columns, packed once per row instead of once per pixel, two pixels by four channels a block in
 * bandRunAsm. Only the cores whose loads the band's step is scheduled for take them (common/isa/dsp_conv/choice.ts
 * bandLoads: the Cortex-M4, the Cortex-M33; not under `--prefer size`).
 */
import { convDspKernelVariant } from './dsp.ts';

/** Input channels a multiple of 4: a band of whole columns per output row (common/isa/dsp_conv/choice.ts bandRunTaken). */
export const convDspRowBandsVariant = convDspKernelVariant('row bands', 'arm-dsp im2col row bands');

/** RGB stems (3 input channels): a band of STEM_BAND_PIXELS pixels' int16 values (common/isa/dsp_conv/choice.ts stemBandTaken). */
export const convDspStemBandsVariant = convDspKernelVariant('stem bands', 'arm-dsp im2col stem bands');
