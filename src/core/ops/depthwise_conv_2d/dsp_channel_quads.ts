// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm DSP channel-quad kernel (depthwise_conv_2d_dsp.h tf_dwk_mult1_body): depth
 * multiplier 1 over channels that are a multiple of 4, any window, four channels per step, SXTB16
 * into SMLABB/SMLATT, the input offset folded into the starts; pixels whose window lies inside the
 * image read their taps in place, the border through tap pointers. Undilated 3x3 layers get their
 * own instance, channels and row bytes constants, pixels in pairs (dsp_common.ts mult1Constants).
 *
 * Two variants of the one kernel: narrow 3x3 maps with a border (stride 1) read from a padded copy
 * of bands of their rows in the scratch, every pixel in place and in pairs (`arenaForSpeed`: up to
 * 8 KiB more arena); the same kernel without the copy, the choice a RAM budget falls back to
 * (plan/budget.ts), priced apart by kernel_cost.ts, and the default's when the copy grows the arena
 * by more than it saves (plan/fast_forms.ts).
 */
import type { DepthwiseConv2DParams } from './contract.ts';
import {
  type DepthwiseDspForm,
  dspKernel,
  extendedWeights,
  groupRecords,
  laneCall,
  mult1Constants,
  paddedCopyApplies,
  paddedRows,
  sharedRows,
  depthwiseDspVariant,
} from './dsp_common.ts';

/** Filter [taps][C] regrouped as the kernel reads it: per group of four channels, every tap's four bytes. */
function groupedWeights(filter: Int8Array, taps: number, channels: number): Int8Array {
  const out = new Int8Array(taps * channels);
  let at = 0;
  for (let c = 0; c < channels; c += 4) {
    for (let t = 0; t < taps; t++) for (let j = 0; j < 4; j++) out[at++] = filter[t * channels + c + j]!;
  }
  return out;
}

/**
 * Extended weights of every lane (16 bits, in RAM only while the layer runs), a pointer per tap (host
 * pointers may be 8 bytes), the zero-point row, and the padded copy of the image's rows where the
 * layer has one; weights extended at compile time (`kw`) leave the arena they would take to the copy.
 */
function channelQuadsScratchBytes(p: DepthwiseConv2DParams, copy: boolean): number {
  const k = mult1Constants(p, copy);
  if (k?.kw) return sharedRows(p)!.bytes;
  return p.kH * p.kW * p.inC * 2 + p.kH * p.kW * 8 + p.inC + (k?.kpad ? paddedRows(p).bytes : 0);
}

function channelQuadsForm(copy: boolean): DepthwiseDspForm {
  return {
    kernel: 'mult1',
    constants: (p) => mult1Constants(p, copy),
    instanceName: ({ k }) => (k ? `mult1_k${k.kc}_${k.krow}${k.ks === 1 ? '' : `_s${k.ks}`}${k.kpad ? `_p${k.kpad}` : ''}${k.kw ? '_w' : ''}` : 'mult1'),
    how: () => '4 channels per step, SXTB16 into SMLABB/SMLATT',
    tables: ({ filter, p, scaled, records, k }, _rounded, ctx) => ({
      weights: k?.kw
        ? ctx.addConst('w_dsp', 'int32_t', extendedWeights(filter, p, scaled?.lsh))
        : ctx.addConst('w_dsp', 'int8_t', groupedWeights(filter, p.kH * p.kW, p.outC)),
      records: ctx.addConst(
        'rq',
        'int32_t',
        groupRecords(
          records,
          Array.from({ length: p.outC }, (_, c) => c),
        ),
      ),
    }),
    call: laneCall,
  };
}

const paddedForm = channelQuadsForm(true);
const inPlaceForm = channelQuadsForm(false);

/** The layers with a padded copy of their rows (`paddedCopyApplies`): its scratch holds the copy. */
export const depthwiseDspChannelQuadsPaddedVariant = depthwiseDspVariant('arm-dsp padded-row channel quads', paddedForm, {
  header: 'channel_quads',
  scratchBytes: (p) => channelQuadsScratchBytes(p, true),
  applies: (p) => dspKernel(p) === 'mult1' && paddedCopyApplies(p),
  arenaForSpeed: true,
});

export const depthwiseDspChannelQuadsVariant = depthwiseDspVariant('arm-dsp channel quads', inPlaceForm, {
  header: 'channel_quads',
  scratchBytes: (p) => channelQuadsScratchBytes(p, false),
});
