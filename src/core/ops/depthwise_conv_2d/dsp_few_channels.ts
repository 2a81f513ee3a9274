// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm DSP few-channel row kernel (depthwise_conv_2d_dsp.h tf_dwk_single_body): one
 * to three input channels with any depth multiplier (micro_speech's and person_detect's first
 * layers; dsp_common.ts singleApplies), kernel rows read as words into columns (zero weights on the
 * other channels' bytes), two pixels by two channels in SMLAD; 2 or 3 channels gather dilated rows
 * into the run. One input channel with undilated rows gets its own instance.
 */
import type { CallArg } from '../layer_code.ts';
import { withRecords } from '../common/isa/dsp.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { type DepthwiseDspForm, singleK4, depthwiseDspVariant } from './dsp_common.ts';

/** * 1 to 3 input channels: per output channel m a row of k4 int8 (kernel rows of kw4 bytes: tap kx at
 * kx * in_c + m's input channel, zeros elsewhere), channels in pairs whose rows are interleaved four
 * bytes at a time, an odd last row plain.
 */
function singleWeights(filter: Int8Array, p: DepthwiseConv2DParams): Int8Array {
  const { kw4, k4 } = singleK4(p);
  const row = (m: number, k: number) => {
    const ky = Math.floor(k / kw4);
    const kx = Math.floor((k % kw4) / p.inC);
    const ch = (k % kw4) % p.inC;
    return kx < p.kW && ch === Math.floor(m / p.depthMultiplier) ? filter[(ky * p.kW + kx) * p.outC + m]! : 0;
  };
  const out = new Int8Array(p.outC * k4);
  let at = 0;
  let m = 0;
  for (; m + 2 <= p.outC; m += 2) {
    for (let g = 0; g < k4; g += 4) for (const r of [m, m + 1]) for (let j = 0; j < 4; j++) out[at++] = row(r, g + j);
  }
  if (m < p.outC) for (let k = 0; k < k4; k++) out[at++] = row(m, k);
  return out;
}

/** A pixel pair's columns and a gathered run. */
function fewChannelsScratchBytes(p: DepthwiseConv2DParams): number {
  return singleK4(p).k4 * 4 + singleK4(p).kw4;
}

const form: DepthwiseDspForm = {
  kernel: 'single',
  instanceName: (_plan, one) => (one ? 'single' : 'few'),
  how: () => 'im2col of kernel rows read as words, 2 pixels x 2 channels',
  // CONV_2D's blob, records split around each channel pair's rows
  tables: ({ filter, p, records }, _rounded, ctx) => ({
    weights: ctx.addConst('w_dsp', 'int8_t', withRecords(singleWeights(filter, p), records, p.outC, singleK4(p).k4)),
  }),
  call: ({ p }, callee, { input, output, scratch, tables }) => {
    const rq: CallArg = { addressOf: 'rq' };
    return [
      {
        comment: [
          `/* ${p.outC} output channels from ${p.inC}; kernel rows of ${p.kW} taps x ${p.inC} bytes read as ${singleK4(p).kw4} (rounded up to whole words) */`,
        ],
      },
      { callee, args: [input, `${p.batches}`, { addressOf: 'geom' }, `${p.outC}`, `${singleK4(p).kw4}`, tables.weights, rq, output, scratch] },
    ];
  },
};

export const depthwiseDspFewChannelsVariant = depthwiseDspVariant('arm-dsp 1-3 channel rows', form, {
  header: 'few_channels',
  scratchBytes: fewChannelsScratchBytes,
});
