// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm DSP 3x3 int16-plane kernel (depthwise_conv_2d_dsp.h tf_dwk_plane_body,
 * tf_dwk_gplane_body): multiplier-1 layers under an undilated 3x3 window at stride 1, channels a
 * multiple of 4, output rows of PLANE_MIN_WIDTH pixels and more (or of PLANE_GROUP_MIN_WIDTH with
 * four channels' planes at a time; dsp_common.ts planeApplies). Every image row is widened once
 * into int16 planes, a channel's nine weights held over a whole output row, two horizontally
 * adjacent taps per SMLAD; its weights are int16 pairs, 24 bytes a channel (not under --prefer size).
 */
import type { OverlapRule } from '../op.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { type DepthwiseDspForm, laneCall, planeGroupRows, planeWords, rowOrderOverlap, depthwiseDspVariant } from './dsp_common.ts';

/** tf_dwk_plane_body's weights: per channel per kernel row the int16 pairs (w0, w1), (w2, w1), scaled by 2^lsh. */
function planeWeights(filter: Int8Array, p: DepthwiseConv2DParams, lsh: readonly number[] | undefined): Int32Array {
  const out = new Int32Array(p.outC * 6);
  const half = (v: number) => v & 0xffff;
  for (let c = 0; c < p.outC; c++) {
    const s = 2 ** (lsh?.[c] ?? 0);
    for (let ky = 0; ky < 3; ky++) {
      const w = (kx: number) => filter[(ky * 3 + kx) * p.outC + c]! * s;
      out[c * 6 + 2 * ky] = half(w(0)) | (half(w(1)) << 16) | 0;
      out[c * 6 + 2 * ky + 1] = half(w(2)) | (half(w(1)) << 16) | 0;
    }
  }
  return out;
}

/** Four channels' planes of a band of rows at a time; else the ring of three rows of every channel. */
function planeScratchBytes(p: DepthwiseConv2DParams): number {
  return planeGroupRows(p) > 0 ? 16 * planeGroupRows(p) * planeWords(p) : p.inC * 3 * planeWords(p) * 4;
}

/**
 * The kernel walks output rows in order, reading each pixel's taps before writing it. With four
 * channels' planes at a time (tf_dwk_gplane_body) it writes a group's output rows of a band only
 * after widening that group's input rows up to the band's last window, and no output row lies past
 * the input row of the same index, so its output may lie exactly over its input (`exact`): every
 * output byte then lands on an input byte of its own channel, already widened (the rows a later
 * band shares come from the planes); at any other offset a group's outputs would land on other
 * groups' inputs not yet read.
 */
function planeOverlap(p: DepthwiseConv2DParams): OverlapRule | undefined {
  if (p.batches === 1 && planeGroupRows(p) > 0) return { input: 0, gap: 0, exact: true };
  return rowOrderOverlap(p);
}

const form: DepthwiseDspForm = {
  kernel: 'plane',
  instanceName: ({ p }) => `plane_k${p.inC}_${planeWords(p)}${planeGroupRows(p) > 0 ? `_g${planeGroupRows(p)}` : ''}`,
  how: () => 'rows widened once into int16 planes, a channel at a time over pixel pairs, two taps per SMLAD',
  tables: ({ filter, p, scaled, records }, roundedRecords, ctx) => ({
    weights: ctx.addConst('w_dsp', 'int32_t', planeWeights(filter, p, scaled?.lsh)),
    records: ctx.addConst('rq', 'int32_t', roundedRecords ?? records),
  }),
  call: laneCall,
};

export const depthwiseDspPlanesVariant = depthwiseDspVariant('arm-dsp 3x3 int16 planes', form, {
  header: 'planes',
  scratchBytes: planeScratchBytes,
  overlap: planeOverlap,
});
