// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP 1x1 layers in the assembly runs: a matrix product over pixel pairs, the weights
 * in the halfword `pairs` layout, by channel quads where the output channels are whole quads
 * (quadRunAsm; a one-pixel head padded to them, common/isa/dsp_conv/choice.ts paddedQuadHead), else by channel pairs
 * (pairsRunAsm).
 */
import { convDspKernelVariant } from './dsp.ts';

export const convDspPointwiseQuadsVariant = convDspKernelVariant('pointwise quads', 'arm-dsp pointwise quads');

export const convDspPointwisePairsVariant = convDspKernelVariant('pointwise pairs', 'arm-dsp pointwise pairs');
