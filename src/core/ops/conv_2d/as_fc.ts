// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D layers that are FULLY_CONNECTED layers: one output pixel whose window covers the whole
 * input without padding (a 1x1 conv on a 1x1 image, a VALID k x k conv on a k x k image). Each output
 * channel then multiplies the whole input image, and the filter [out_c][kh][kw][in_c] is FC's
 * [out][in] weight matrix with in = kh * kw * in_c, in the same byte order; the input
 * [batches][h][w][in_c] is FC's [batches][in]. These variants hand the layer to each family's FC
 * kernel (whose per-row multipliers carry the per-channel requantization), which streams one input
 * vector past all the rows: the CONV_2D kernels pair pixels, and a lone pixel wastes half their work.
 */
import type { KernelVariant } from '../op.ts';
import type { FullyConnectedParams } from '../fully_connected/contract.ts';
import { fcLowering } from '../fully_connected/lowering.ts';
import type { Conv2DParams } from './contract.ts';
import { summary } from './describe.ts';

/** One output pixel, the window exactly the input (no padding, no dilation that could skip a row), one group. */
export function isFullWindow(p: Conv2DParams): boolean {
  return (
    p.outH === 1 &&
    p.outW === 1 &&
    p.kH === p.inH &&
    p.kW === p.inW &&
    p.padTop === 0 &&
    p.padLeft === 0 &&
    (p.dilationH === 1 || p.kH === 1) &&
    (p.dilationW === 1 || p.kW === 1) &&
    p.groups === 1
  );
}

/** The layer as FC's parameters (weights symmetric: CONV_2D's are, per channel or per tensor). */
export function asFullyConnected(p: Conv2DParams): FullyConnectedParams {
  return {
    batches: p.batches,
    inFeatures: p.kH * p.kW * p.inC,
    outFeatures: p.outC,
    inputOffset: p.inputOffset,
    filterOffset: 0,
    outputZeroPoint: p.outputZeroPoint,
    actMin: p.actMin,
    actMax: p.actMax,
    perChannel: p.multiplier.some((m, i) => m !== p.multiplier[0] || p.shift[i] !== p.shift[0]),
    hasBias: p.hasBias,
    multiplier: p.multiplier,
    shift: p.shift,
    ortScale: p.ortScale,
  };
}

const note = (p: Conv2DParams) => `${summary(p)} (one pixel, the window the whole input: FULLY_CONNECTED's kernel)`;

export const convAsFcDspVariant: KernelVariant<Conv2DParams> = {
  name: 'arm-dsp fc',
  family: 'arm-dsp',
  // FC's rows go in blocks of 4: fewer output channels run its plain C rows, slower than CONV_2D's
  // pair loop (person_detect's 256->2 logits: +4,440 instructions on the M4)
  applies: (p) => isFullWindow(p) && p.outC >= 4 && fcLowering['arm-dsp'].applies(asFullyConnected(p)),
  emit: (p, ctx) => fcLowering['arm-dsp'].emit(asFullyConnected(p), ctx, note(p)),
  cFiles: fcLowering['arm-dsp'].cFiles,
  ortExact: true,
};

export const convAsFcM0plusVariant: KernelVariant<Conv2DParams> = {
  name: 'armv6m fc',
  family: 'armv6m',
  // blocks of 8 rows (then 4); with fewer the C rows lose to CONV_2D's loop (256->2: +6,257 cycles)
  applies: (p) => isFullWindow(p) && p.outC >= 8 && fcLowering.armv6m.applies(asFullyConnected(p)),
  emit: (p, ctx) => fcLowering.armv6m.emit(asFullyConnected(p), ctx, note(p)),
  cFiles: fcLowering.armv6m.cFiles,
};

export const convAsFcRv32Variant: KernelVariant<Conv2DParams> = {
  name: 'rv32 fc',
  family: 'rv32',
  applies: (p) => isFullWindow(p) && fcLowering.rv32.applies(asFullyConnected(p)),
  emit: (p, ctx) => fcLowering.rv32.emit(asFullyConnected(p), ctx, note(p)),
  cFiles: fcLowering.rv32.cFiles,
  ortExact: true,
};
