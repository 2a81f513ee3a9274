// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's one-input-channel layers with dilated rows on the Arm DSP: such a layer is a
 * CONV_2D over one input channel (dsp_common.ts asConv), run by CONV_2D's im2col kernels
 * (common/isa/dsp_conv/layer.ts dspConvLayer) on the filter re-laid as OHWI; the few-channel row kernel
 * (dsp_few_channels.ts) does not gather dilated rows of one channel.
 */
import type { KernelVariant } from '../op.ts';
import { DSP_ONE_CHANNEL_FILES, dspConvLayer } from '../common/isa/dsp_conv/layer.ts';
import { dspScratchBytes as convScratchBytes } from '../common/isa/dsp_conv/scratch.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { summary } from './describe.ts';
import { channelMajor } from './filter_layout.ts';
import { asConv, dspKernel, rowOrderOverlap } from './dsp_common.ts';

export const depthwiseDspAsConvVariant: KernelVariant<DepthwiseConv2DParams> = {
  name: 'arm-dsp one channel as conv',
  family: 'arm-dsp',
  applies: (p) => dspKernel(p) === 'conv',
  scratchBytes: (p) => convScratchBytes(asConv(p)!),
  overlap: rowOrderOverlap,
  emit: (p, ctx) => {
    const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    return dspConvLayer({ p: asConv(p)!, ctx, summary: summary(p), filter: channelMajor(filter, p.outC), bias });
  },
  cFiles: ['conv_2d/conv_2d_dsp.h'],
  layerCFiles: () => DSP_ONE_CHANNEL_FILES,
  ortExact: true,
};
