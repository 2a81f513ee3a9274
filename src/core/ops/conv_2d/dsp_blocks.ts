// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP C loops (conv_2d_dsp_pointwise_blocks.h tf_dsp_pointwise_body,
 * conv_2d_dsp_im2col_blocks.h tf_dsp_im2col_body): pixel pairs by channel pairs with SMLAD (pixel
 * triples in the `pairs` layout), where no assembly run takes the layer: TFLite Micro's 64-bit
 * requantization, rows that do not fit the `pairs` layout, short fields.
 */
import { convDspKernelVariant } from './dsp.ts';

export const convDspBlocksVariant = convDspKernelVariant('blocks', 'arm-dsp blocks in C');
