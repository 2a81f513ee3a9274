// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm DSP multiplier-pass kernel (depthwise_conv_2d_dsp.h tf_dwk_multm_body): any
 * depth multiplier over 4 or more input channels (dsp_common.ts multmApplies), what the kernels
 * before it leave: four input channels per step (the last group starting at in_c - 4 when in_c is
 * not a multiple of 4), a pass per multiplier, SXTB16 into SMLABB/SMLATT. Multiplier 1 over channels
 * not a multiple of 4 gets its own instance, the multiplier a constant.
 */
import { roundUp4 } from '../common/isa/dsp.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { type DepthwiseDspForm, laneCall, multmLanes, multmTables, depthwiseDspVariant } from './dsp_common.ts';

/** Extended weights of every lane, a pointer per tap, the zero-point row. */
function multiplierPassesScratchBytes(p: DepthwiseConv2DParams): number {
  return multmLanes(p).length * p.kH * p.kW * 2 + p.kH * p.kW * 8 + roundUp4(p.inC);
}

const form: DepthwiseDspForm = {
  kernel: 'multm',
  instanceName: (_plan, _one, multm1) => (multm1 ? 'multm1' : 'multm'),
  how: ({ p }) => `4 input channels per step, ${p.depthMultiplier} passes each, SXTB16 into SMLABB/SMLATT`,
  tables: ({ filter, p, records }, _rounded, ctx) => multmTables(filter, records, p, (s, t, v) => ctx.addConst(s, t, v)),
  call: laneCall,
};

export const depthwiseDspMultiplierPassesVariant = depthwiseDspVariant('arm-dsp multiplier passes', form, {
  header: 'multiplier_passes',
  scratchBytes: multiplierPassesScratchBytes,
});
