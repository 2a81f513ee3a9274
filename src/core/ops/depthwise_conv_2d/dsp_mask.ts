// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm DSP 3x3 masked-border kernel (depthwise_conv_2d_dsp.h tf_dwk_mask_body):
 * multiplier-1 3x3 layers with a border (strides 1 and 2, dsp_common.ts maskApplies) whose every
 * pixel is read in place and in pairs, the taps of a border pixel in the padding left out (its
 * border class's start holds their zero point's products) or read as the input zero point stored
 * beside the weights. Every shape is a constant of the layer's own instance; no scratch.
 */
import type { CallArg } from '../layer_code.ts';
import { RQ_FIELDS } from '../common/isa/dsp.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { type DepthwiseDspForm, extendedWeights, groupRecords, depthwiseDspVariant } from './dsp_common.ts';

/** The taps of kernel row ky, bits 3ky .. 3ky + 2, and of column kx in every row (tf_dwk_mask_body's masks). */
const rowBits = (ky: number) => 7 << (3 * ky);
const colBits = (kx: number) => 0x49 << kx;

/**
 * A border pixel's class in tf_dwk_mask_body (depthwise_conv_2d_dsp.h tf_dwk_mclass): 3 x its
 * window's row in the padding (1 the top one, 2 the bottom one) + its column in the padding (1 the
 * left one, 2 the right one), from its taps in the padding `m`; the taps of that row and column
 * (maskSkip) are skipped, their zero point's products being in the class's start instead.
 */
function maskClass(m: number): number {
  const r = (m & rowBits(0)) === rowBits(0) ? 1 : (m & rowBits(2)) === rowBits(2) ? 2 : 0;
  const c = (m & colBits(0)) === colBits(0) ? 1 : (m & colBits(2)) === colBits(2) ? 2 : 0;
  return 3 * r + c;
}
function maskSkip(k: number): number {
  const r = Math.floor(k / 3);
  const c = k % 3;
  return (r === 1 ? rowBits(0) : r === 2 ? rowBits(2) : 0) | (c === 1 ? colBits(0) : c === 2 ? colBits(2) : 0);
}

/**
 * The border classes (maskClass) of a mask layer's output pixels, bit k for class k >= 1: the
 * classes whose starts follow each lane group's weights (maskWeights). The taps in the padding of
 * pixel (oy, ox), as tf_dwk_rmask and tf_dwk_cmask find them.
 */
function maskClasses(p: DepthwiseConv2DParams): number {
  const rmask = (oy: number) =>
    [0, 1, 2].reduce((m, ky) => (oy * p.strideH - p.padTop + ky < 0 || oy * p.strideH - p.padTop + ky >= p.inH ? m | rowBits(ky) : m), 0);
  const cmask = (ox: number) =>
    [0, 1, 2].reduce((m, kx) => (ox * p.strideW - p.padLeft + kx < 0 || ox * p.strideW - p.padLeft + kx >= p.inW ? m | colBits(kx) : m), 0);
  let cls = 0;
  for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) cls |= 1 << maskClass(rmask(oy) | cmask(ox));
  return cls & ~1;
}

/**
 * tf_dwk_mask_body's weights: per lane group the extended weights of the 9 taps (extendedWeights'
 * words), the input zero point in every byte, the four lanes' starts, then for each border class
 * present (maskClasses, in order) the starts of a window whose taps in that class's row and column
 * are left out: start + z_in * their weights (scaled by 2^lsh as the extended weights are), TFLite
 * Micro's sum over the taps inside the image. The starts sit with the weights so that the tap
 * block loads them (its registers are all taken). `records`: { start, m, P } per channel; `cls`:
 * the layer's maskClasses.
 */
function maskWeights(filter: Int8Array, p: DepthwiseConv2DParams, lsh: readonly number[] | undefined, records: Int32Array, cls: number): Int32Array {
  const ext = extendedWeights(filter, p, lsh);
  const groups = p.outC / 4;
  const classes = [0, ...Array.from({ length: 9 }, (_, k) => k).filter((k) => (cls >> k) & 1)];
  const stride = 19 + 4 * classes.length;
  const out = new Int32Array(groups * stride);
  const z = -p.inputOffset;
  for (let g = 0; g < groups; g++) {
    out.set(ext.subarray(g * 18, g * 18 + 18), g * stride);
    out[g * stride + 18] = ((z & 0xff) * 0x01010101) | 0;
    classes.forEach((k, i) => {
      const skip = maskSkip(k);
      for (let j = 0; j < 4; j++) {
        const c = 4 * g + j;
        let skipped = 0;
        for (let t = 0; t < 9; t++) if ((skip >> t) & 1) skipped += filter[t * p.outC + c]! * 2 ** (lsh?.[c] ?? 0);
        out[g * stride + 19 + 4 * i + j] = (records[c * RQ_FIELDS]! + z * skipped) | 0;
      }
    });
  }
  return out;
}

const form: DepthwiseDspForm = {
  kernel: 'mask',
  borderClasses: maskClasses,
  instanceName: ({ p }) => `mask_k${p.inC}_${p.inH}x${p.inW}_s${p.strideH}${p.strideW}_p${p.padTop}${p.padLeft}`,
  how: () => 'every pixel in place, in pairs, 4 channels per step, the padding read as the zero point from the weights, SXTB16 into SMLABB/SMLATT',
  tables: ({ filter, p, scaled, records, cls }, roundedRecords, ctx) => ({
    weights: ctx.addConst('w_dsp', 'int32_t', maskWeights(filter, p, scaled?.lsh, records, cls)),
    records: ctx.addConst(
      'rq',
      'int32_t',
      groupRecords(
        roundedRecords ?? records,
        Array.from({ length: p.outC }, (_, c) => c),
      ),
    ),
  }),
  // the instance holds the layer's shape: no geometry, no scratch
  call: ({ p }, callee, { input, output, tables }) => {
    const rq: CallArg = { addressOf: 'rq' };
    return [{ callee, args: [input, `${p.batches}`, tables.weights, tables.records!, rq, output] }];
  },
};

export const depthwiseDspMaskedBorderVariant = depthwiseDspVariant('arm-dsp 3x3 masked border', form, { header: 'mask', scratchBytes: () => 0 });
