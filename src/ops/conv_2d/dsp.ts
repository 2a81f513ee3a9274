/**
 * CONV_2D's Arm DSP variant (kernels_dsp.h): 1x1 stride-1 layers over channels that are a multiple
 * of 4 run as a matrix product over the pixels; every other ungrouped layer gathers two output
 * pixels' receptive fields into int16 columns (im2col, offset applied, padding 0). Both use SMLAD,
 * two pixels by two channels, on weights re-laid at compile time in the order the loop reads them
 * (they replace the model's copy in flash, same size).
 */
import type { LayerEmitContext } from '../op.ts';
import { renderOpTemplate } from '../common/render.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/weighted.ts';
import { accumulatorBounds, fastRequantHolds, interleavedPairs, kernelMode, permutedRows, pixelPairGap, rowWindowGap, requantRecords, roundUp4, rqInit } from '../common/dsp.ts';
import { type Conv2DParams, isPointwise } from './index.ts';

const INT16_MAX = 32767;

/** Whether the DSP variant covers the layer (else the portable kernel is emitted). */
export function dspApplies(p: Conv2DParams): boolean {
  if (p.groups !== 1) return false;
  const dims = [p.inH, p.inW, p.inC, p.outH, p.outW, p.outC, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft, roundUp4(p.kH * p.kW * p.inC)];
  return dims.every((d) => d <= INT16_MAX);
}

function pointwiseDirect(p: Conv2DParams): boolean {
  return isPointwise(p) && p.inC % 4 === 0;
}

/** Column buffer: a pixel pair's k4 values as int16 (im2col: then one pixel's in natural order). */
export function dspScratchBytes(p: Conv2DParams): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  return pointwiseDirect(p) ? k4 * 4 : k4 * 6;
}

/** The output may overlap the input (one image only): pixel pairs for 1x1, output rows otherwise. */
export function dspOverlap(p: Conv2DParams): { input: number; gap: number } | undefined {
  if (p.batches !== 1) return undefined;
  if (pointwiseDirect(p)) return { input: 0, gap: pixelPairGap(p.outH * p.outW, p.inC, p.outC) };
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

export function emitConvDsp(p: Conv2DParams, ctx: LayerEmitContext, summary: string): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  return emitConvDspWith(p, ctx, summary, filter, bias);
}

/** The same with the filter (OHWI) and bias given: layers of other ops that are convolutions. */
export function emitConvDspWith(p: Conv2DParams, ctx: LayerEmitContext, summary: string, filter: Int8Array, bias: Int32Array | undefined): string {
  const k = p.kH * p.kW * p.inC;
  const k4 = roundUp4(k);
  const fast = fastRequantHolds(accumulatorBounds(filter, p.outC, k, p.inputOffset, bias), p, p.outputZeroPoint);
  const direct = pointwiseDirect(p);
  // Direct: the offset folds into the start value; columns: the offset is in the columns.
  const start = direct ? foldedAccumulatorInit(filter, p.outC, k, p.inputOffset, bias) : (bias ?? new Int32Array(p.outC));
  const records = ctx.addConst('rq', 'int32_t', requantRecords(start, p, p.outC, p.outputZeroPoint, fast));
  const rows = direct ? filter : permutedRows(filter, p.outC, k, k4);
  const weights = ctx.addConst('w_dsp', 'int8_t', interleavedPairs(rows, p.outC, k4));
  // rendered from this folder: DEPTHWISE_CONV_2D lowers its single-channel layers here too
  return renderOpTemplate(import.meta.dirname, 'conv_2d_dsp.c.hbs', {
    ...p,
    summary,
    how: `${direct ? 'pointwise matrix product' : 'im2col'}, 2 pixels x 2 channels, ${fast ? 'SMMULR' : 'exact 64-bit'} requantization`,
    fnName: ctx.fnName,
    pointwise: direct,
    input: ctx.input(0),
    output: ctx.output(0),
    scratch: ctx.scratch(),
    pixels: p.batches * p.outH * p.outW,
    k4,
    weights,
    records,
    rq: rqInit(p.outputZeroPoint, p.actMin, p.actMax),
    ...kernelMode(fast, p.actMin, p.actMax),
  });
}
