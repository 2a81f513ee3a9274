// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP im2col in pixel pairs by channel quads (conv_2d_dsp_im2col_quads.h
 * tf_dsp_im2col_quad_run_body): filter rows packed as the 1x1 layers' pixel pairs, run by their
 * quad routine (quadRunAsm), on the cores without dual issue (common/isa/dsp_conv/choice.ts quadIm2colTaken).
 */
import { convDspKernelVariant } from './dsp.ts';

export const convDspIm2colQuadsVariant = convDspKernelVariant('im2col quads', 'arm-dsp im2col quads');
