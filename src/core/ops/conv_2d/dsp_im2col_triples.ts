// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP im2col in pixel triples by channel pairs (conv_2d_dsp_im2col_triples.h
 * tf_dsp_im2col_triple_run_body): the `pairs` layout's rows run in tripleRunAsm, in both
 * schedules (the Cortex-M7's dual issue picked by the header), from k4 TRIPLE_RUN_MIN_K4 on.
 */
import { convDspKernelVariant } from './dsp.ts';

export const convDspIm2colTriplesVariant = convDspKernelVariant('im2col triples', 'arm-dsp im2col triples');
