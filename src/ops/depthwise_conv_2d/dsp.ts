/**
 * DEPTHWISE_CONV_2D's Arm DSP variants (kernels_dsp.h). Depth multiplier 1 over channels that are a
 * multiple of 4: taps paired per channel into SMLAD on int16 weight pairs packed at compile time
 * (twice the bytes of the model's int8 weights). One input channel with a depth multiplier (a
 * convolution in disguise, micro_speech's layer): the CONV_2D im2col kernel on the filter re-laid
 * as OHWI.
 */
import type { LayerEmitContext } from '../op.ts';
import type { Conv2DParams } from '../conv_2d/index.ts';
import { emitConvDspWith, dspApplies as convDspApplies, dspScratchBytes as convScratchBytes } from '../conv_2d/dsp.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/weighted.ts';
import { accumulatorBounds, fastRequantHolds, kernelMode, requantRecords, rowWindowGap, rqInit } from '../common/dsp.ts';
import type { DepthwiseConv2DParams } from './index.ts';

const INT16_MAX = 32767;

function pairedApplies(p: DepthwiseConv2DParams): boolean {
  const dims = [p.inH, p.inW, p.inC, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft];
  return p.depthMultiplier === 1 && p.inC % 4 === 0 && dims.every((d) => d <= INT16_MAX);
}

/** The layer as a CONV_2D over one input channel (depthwise with in_c 1 is exactly that). */
function asConv(p: DepthwiseConv2DParams): Conv2DParams | undefined {
  if (p.inC !== 1) return undefined;
  return {
    batches: p.batches, inH: p.inH, inW: p.inW, inC: 1, outH: p.outH, outW: p.outW, outC: p.outC,
    kH: p.kH, kW: p.kW, filterInC: 1, groups: 1, strideH: p.strideH, strideW: p.strideW,
    dilationH: p.dilationH, dilationW: p.dilationW, padTop: p.padTop, padLeft: p.padLeft,
    inputOffset: p.inputOffset, outputZeroPoint: p.outputZeroPoint, actMin: p.actMin, actMax: p.actMax,
    hasBias: p.hasBias, multiplier: p.multiplier, shift: p.shift,
  };
}

export function dspApplies(p: DepthwiseConv2DParams): boolean {
  const conv = asConv(p);
  return pairedApplies(p) || (conv !== undefined && convDspApplies(conv));
}

/** Both kernels walk output rows in order, reading each pixel's taps before writing it. */
export function dspOverlap(p: DepthwiseConv2DParams): { input: number; gap: number } | undefined {
  if (p.batches !== 1) return undefined;
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

/** Paired: one pointer per tap (host pointers may be 8 bytes) and a zero-point row. */
export function dspScratchBytes(p: DepthwiseConv2DParams): number {
  const conv = asConv(p);
  if (!pairedApplies(p) && conv) return convScratchBytes(conv);
  return p.kH * p.kW * 8 + p.inC;
}

/** Weights [taps][C] as the kernel reads them: per group of 4 channels, (w_t, w_t+1) pairs, then the odd tap. */
function packedWeights(filter: Int8Array, taps: number, channels: number): Int32Array {
  const words: number[] = [];
  const pair = (lo: number, hi: number) => ((lo & 0xffff) | (hi << 16)) | 0;
  for (let c = 0; c < channels; c += 4) {
    let t = 0;
    for (; t + 2 <= taps; t += 2) {
      for (const ch of [c, c + 1, c + 2, c + 3]) words.push(pair(filter[t * channels + ch]!, filter[(t + 1) * channels + ch]!));
    }
    if (t < taps) {
      words.push(pair(filter[t * channels + c]!, filter[t * channels + c + 2]!));
      words.push(pair(filter[t * channels + c + 1]!, filter[t * channels + c + 3]!));
    }
  }
  return Int32Array.from(words);
}

export function emitDepthwiseDsp(p: DepthwiseConv2DParams, ctx: LayerEmitContext, summary: string): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const taps = p.kH * p.kW;
  const conv = asConv(p);
  if (!pairedApplies(p) && conv) {
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
  return ctx.render('depthwise_conv_2d_dsp.c.hbs', {
    ...p,
    summary,
    how: `${fast ? 'SMMULR' : 'exact 64-bit'} requantization`,
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    scratch: ctx.scratch(),
    weights: ctx.addConst('w_dsp', 'int32_t', packedWeights(filter, taps, p.outC)),
    records: ctx.addConst('rq', 'int32_t', requantRecords(start, p, p.outC, p.outputZeroPoint, fast)),
    inputZeroPoint: -p.inputOffset,
    rq: rqInit(p.outputZeroPoint, p.actMin, p.actMax),
    ...kernelMode(fast, p.actMin, p.actMax),
  });
}
