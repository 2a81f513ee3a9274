// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm DSP three-channel 3x3 kernel (depthwise_conv_2d_dsp.h tf_dwk_c3_body): three
 * input channels under an undilated 3x3 window, any multiplier and stride (RGB stems;
 * dsp_common.ts narrowApplies). The any-multiplier loop's instance that reads each pixel's 3 bytes
 * and the next pixel's first as one word, lane 3 at weight 0: 3 SMLAxy per tap, against the
 * one-to-three-channel row kernel's 36 MACs per 9.
 */
import type { DepthwiseConv2DParams } from './contract.ts';
import { type DepthwiseDspForm, laneCall, multmLanes, multmTables, depthwiseDspVariant } from './dsp_common.ts';

/** Extended weights of every lane, a pointer per tap, the zero-point row (a word), and the copy of the image's last pixel. */
function threeChannelsScratchBytes(p: DepthwiseConv2DParams): number {
  return multmLanes(p).length * p.kH * p.kW * 2 + p.kH * p.kW * 8 + 4 + 4;
}

const form: DepthwiseDspForm = {
  kernel: 'narrow',
  instanceName: (_plan, _one, multm1) => `${multm1 ? 'multm1' : 'multm'}_c3`,
  how: ({ p }) => `3 input channels read in place as words (lane 3 at weight 0), ${p.depthMultiplier} passes, SXTB16 into SMLABB/SMLATT`,
  tables: ({ filter, p, records }, _rounded, ctx) => multmTables(filter, records, p, (s, t, v) => ctx.addConst(s, t, v)),
  call: laneCall,
};

export const depthwiseDspThreeChannelsVariant = depthwiseDspVariant('arm-dsp 3-channel 3x3', form, {
  header: 'three_channels',
  scratchBytes: threeChannelsScratchBytes,
});
