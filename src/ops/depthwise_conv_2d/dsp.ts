// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm DSP variants (depthwise_conv_2d_dsp.h), weights int8 in flash, re-laid at compile
 * time in the order the loops read them (same byte count as the model's). Depth multiplier 1 over
 * channels that are a multiple of 4: four channels per step, SXTB16 into SMLABB/SMLATT, the input
 * offset folded into the starts; 3x3 windows inside the image read their taps at constant offsets.
 * One input channel with a depth multiplier (micro_speech's and person_detect's first layers): kernel
 * rows read as words into columns, two pixels by two channels in SMLAD. Other layers with one input
 * channel (dilated rows): the CONV_2D im2col kernel on the filter re-laid as OHWI.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { summary } from './describe.ts';
import type { Conv2DParams } from '../conv_2d/index.ts';
import { emitConvDspWith, dspApplies as convDspApplies, dspScratchBytes as convScratchBytes, withRecords } from '../conv_2d/dsp.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/weighted.ts';
import { accumulatorBounds, fastRequantHolds, kernelMode, requantRecords, roundUp4, rowWindowGap, rqInit } from '../common/dsp.ts';
import type { DepthwiseConv2DParams } from './index.ts';
import { insideRange } from '../common/conv_geometry.ts';

const INT16_MAX = 32767;

function mult1Applies(p: DepthwiseConv2DParams): boolean {
  const dims = [p.inH, p.inW, p.inC, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft, p.kH * p.kW];
  return p.depthMultiplier === 1 && p.inC % 4 === 0 && dims.every((d) => d <= INT16_MAX);
}

/** The layer as a CONV_2D over one input channel (depthwise with in_c 1 is exactly that). */
function asConv(p: DepthwiseConv2DParams): Conv2DParams | undefined {
  if (p.inC !== 1) return undefined;
  return {
    batches: p.batches,
    inH: p.inH,
    inW: p.inW,
    inC: 1,
    outH: p.outH,
    outW: p.outW,
    outC: p.outC,
    kH: p.kH,
    kW: p.kW,
    filterInC: 1,
    groups: 1,
    strideH: p.strideH,
    strideW: p.strideW,
    dilationH: p.dilationH,
    dilationW: p.dilationW,
    padTop: p.padTop,
    padLeft: p.padLeft,
    inputOffset: p.inputOffset,
    outputZeroPoint: p.outputZeroPoint,
    actMin: p.actMin,
    actMax: p.actMax,
    hasBias: p.hasBias,
    multiplier: p.multiplier,
    shift: p.shift,
  };
}

/** Kernel rows rounded up to whole words, and the columns of a pixel (one input channel). */
function singleK4(p: DepthwiseConv2DParams): { kw4: number; k4: number } {
  const kw4 = roundUp4(p.kW);
  return { kw4, k4: p.kH * kw4 };
}

/** One input channel, undilated rows: the layer's own kernel (depthwise_conv_2d_dsp.h), rows read as words. */
function singleApplies(p: DepthwiseConv2DParams): boolean {
  const dims = [p.inH, p.inW, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.padTop, p.padLeft, singleK4(p).k4];
  return p.inC === 1 && p.dilationW === 1 && dims.every((d) => d <= INT16_MAX);
}

export function dspApplies(p: DepthwiseConv2DParams): boolean {
  const conv = asConv(p);
  return mult1Applies(p) || singleApplies(p) || (conv !== undefined && convDspApplies(conv));
}

/** Both kernels walk output rows in order, reading each pixel's taps before writing it. */
export function dspOverlap(p: DepthwiseConv2DParams): { input: number; gap: number } | undefined {
  if (p.batches !== 1) return undefined;
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

/**
 * One input channel: a pixel pair's columns and a border run. Depth multiplier 1: the weights
 * extended to 16 bits (twice their bytes, in RAM only while the layer runs), a pointer per tap (host
 * pointers may be 8 bytes), then a zero-point row.
 */
export function dspScratchBytes(p: DepthwiseConv2DParams): number {
  if (singleApplies(p)) return singleK4(p).k4 * 4 + singleK4(p).kw4;
  const conv = asConv(p);
  if (!mult1Applies(p) && conv) return convScratchBytes(conv);
  return p.kH * p.kW * p.inC * 2 + p.kH * p.kW * 8 + p.inC;
}

/**
 * One input channel: per output channel a row of k4 int8 (kernel rows padded with zeros to kw4),
 * channels in pairs whose rows are interleaved four bytes at a time, an odd last row plain.
 */
function singleWeights(filter: Int8Array, p: DepthwiseConv2DParams): Int8Array {
  const { kw4, k4 } = singleK4(p);
  const row = (m: number, k: number) => {
    const ky = Math.floor(k / kw4);
    const kx = k % kw4;
    return kx < p.kW ? filter[(ky * p.kW + kx) * p.outC + m]! : 0;
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

/** Filter [taps][C] regrouped as the kernel reads it: per group of four channels, every tap's four bytes. */
function groupedWeights(filter: Int8Array, taps: number, channels: number): Int8Array {
  const out = new Int8Array(taps * channels);
  let at = 0;
  for (let c = 0; c < channels; c += 4) {
    for (let t = 0; t < taps; t++) for (let j = 0; j < 4; j++) out[at++] = filter[t * channels + c + j]!;
  }
  return out;
}

export function emitDepthwiseDsp(p: DepthwiseConv2DParams, ctx: LayerEmitContext, summary: string): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const taps = p.kH * p.kW;
  const conv = asConv(p);
  if (!mult1Applies(p) && !singleApplies(p) && conv) {
    // OHWI from [1, kh, kw, out]: row oc holds filter[t * out + oc] over the taps t.
    const ohwi = new Int8Array(p.outC * taps);
    for (let oc = 0; oc < p.outC; oc++) for (let t = 0; t < taps; t++) ohwi[oc * taps + t] = filter[t * p.outC + oc]!;
    return emitConvDspWith(conv, ctx, summary, ohwi, bias);
  }
  // rows of the bound: channel c's taps
  const byChannel = new Int8Array(p.outC * taps);
  for (let c = 0; c < p.outC; c++) for (let t = 0; t < taps; t++) byChannel[c * taps + t] = filter[t * p.outC + c]!;
  const fast = fastRequantHolds(accumulatorBounds(byChannel, p.outC, taps, p.inputOffset, bias), p, p.outputZeroPoint);
  const start = foldedAccumulatorInit(byChannel, p.outC, taps, p.inputOffset, bias);
  const single = singleApplies(p);
  const records = requantRecords(start, p, p.outC, p.outputZeroPoint, fast);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  ctx.defineOnce(`tf_dwk_${single ? 'single' : 'mult1'}_${mode.mode}`, ctx.render('depthwise_conv_2d_dsp_kernel.c.hbs', { single, ...mode }));
  const [rowsLo, rowsHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colsLo, colsHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  return ctx.render('depthwise_conv_2d_dsp.c.hbs', {
    ...p,
    summary,
    how: `${single ? 'im2col of kernel rows read as words, 2 pixels x 2 channels' : '4 channels per step, SXTB16 into SMLABB/SMLATT'}, ${fast ? 'SMMULR' : 'exact 64-bit'} requantization`,
    single,
    kw4: singleK4(p).kw4,
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    scratch: ctx.scratch(),
    // one input channel: CONV_2D's blob, records split around each channel pair's rows
    ...(single
      ? { weights: ctx.addConst('w_dsp', 'int8_t', withRecords(singleWeights(filter, p), records, p.outC, singleK4(p).k4)) }
      : { weights: ctx.addConst('w_dsp', 'int8_t', groupedWeights(filter, taps, p.outC)), records: ctx.addConst('rq', 'int32_t', records) }),
    rowsLo,
    rowsHi,
    colsLo,
    colsHi,
    inputZeroPoint: -p.inputOffset,
    rq: rqInit(p.outputZeroPoint, p.actMin, p.actMax),
    mode: mode.mode,
  });
}

export const depthwiseDspVariant: KernelVariant<DepthwiseConv2DParams> = {
  name: 'arm-dsp',
  family: 'arm-dsp',
  applies: dspApplies,
  scratchBytes: dspScratchBytes,
  overlap: dspOverlap,
  emit: (p, ctx) => emitDepthwiseDsp(p, ctx, summary(p)),
  // the one-channel kernel runs conv_2d_dsp.h's pair loop (which the depthwise header includes)
  cFiles: ['conv_2d/conv_2d_dsp.h', 'depthwise_conv_2d/depthwise_conv_2d_dsp.h'],
};
