// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Armv6-M variant (Cortex-M0/M0+, e.g. the RP2040) for every ungrouped int8 convolution.
 * Where the weights and requantization bounds allow (packedHolds, common/isa/m0plus_conv.ts), one shared loop
 * (conv_2d_m0plus.h, its channel loop in conv_2d_m0plus.S; one copy per model) multiplies two pixels at once, packed in the halves of
 * a word (a scratch row of one word per tap), for 2 pixels x 2 channels per pass, and
 * requantizes exactly without a 64-bit multiply; each layer passes a blob of its weights in read
 * order with per-channel records { start, multiplier, rounding and shift } (the blob replaces the
 * filter, bias and multiplier tables: the weights' bytes plus 12 per channel). 1x1 layers at stride 1
 * with an even channel count pack the pixel pair's input rows directly; every other shape first
 * gathers the pair's receptive fields into the row (im2col: taps in the padding read the input zero
 * point, an odd tap count gets a zero-weight tap, an odd last output channel runs alone in C).
 * Channels whose requantization the fast form cannot take (a left shift, accumulators past +-2^30)
 * run the loops' C twin with tf_m0_requant_wide, exact for any int32 accumulator. Only a filter with
 * -128 on both taps of a step (whose two products overflow the half word) is refused: a 1x1 layer
 * then runs two output channels per pass over a pixel's input channels, each input byte loaded once
 * for two MACs, and any other layer the portable kernel. The input offset is folded into the start
 * values at compile time; the same integer sums as the portable kernel, so bit-exact with it.
 */
import type { LayerEmitContext } from '../op.ts';
import type { LayerEmission } from '../layer_code.ts';
import { rowWindowGap } from '../common/isa/dsp.ts';
import { constInt32, constInt8, cTerm, foldedInitExpr, requantExprs } from '../common/families/weighted.ts';
import type { Conv2DParams } from './contract.ts';
import type { KernelVariant } from '../op.ts';
import { isPointwise, summary } from './describe.ts';
import { emitConvPortable } from './portable.ts';
import { renderOpTemplate } from '../common/render.ts';
import { emitConvM0plusWith, im2colShape, packedConvScratchBytes } from '../common/isa/m0plus_conv.ts';

/** 1x1 layers with an even channel count (the two-channel loop covers what packing refuses), and every ungrouped layer in the int16 geometry. */
export function m0plusApplies(p: Conv2DParams): boolean {
  return (isPointwise(p) && p.outC % 2 === 0) || im2colShape(p);
}

export function emitConvM0plus(p: Conv2DParams, ctx: LayerEmitContext, summary: string): LayerEmission {
  const filterTensor = ctx.graph.tensors[ctx.op.inputs[1]!]!;
  const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
  const filter = constInt8(filterTensor);
  const bias = biasTensor && constInt32(biasTensor);
  const emitted = emitConvM0plusWith(p, ctx, summary, filter, bias);
  if (emitted !== undefined) return emitted;
  // the two-channel loop has TFLite's requantization only
  if (isPointwise(p) && p.outC % 2 === 0 && !p.ortScale) return emitTwoChannel(p, ctx, summary, filter, bias);
  return emitConvPortable(p, ctx);
}

function emitTwoChannel(p: Conv2DParams, ctx: LayerEmitContext, summary: string, filter: Int8Array, bias: Int32Array | undefined): string {
  const view = { ...p, fnName: ctx.fnName, summary, input: ctx.input(0), output: ctx.output(0), pixels: p.batches * p.outH * p.outW };
  const { mult, shift } = requantExprs(p, 'c', (s, t, v) => ctx.addConst(s, t, v));
  const init = (channel: string) =>
    foldedInitExpr({
      weights: filter,
      rows: p.outC,
      rowLength: p.inC,
      inputOffset: p.inputOffset,
      bias,
      biasPointer: () => ctx.input(2),
      addConst: (s, t, v) => ctx.addConst(s, t, v),
      rowVar: channel,
    });
  const accInit0 = init('c');
  // the table (if any) is added once: the second channel reads the same one
  const accInit1 = accInit0.endsWith('[c]') ? `${accInit0.slice(0, -3)}[c + 1]` : accInit0;
  return renderOpTemplate(import.meta.dirname, 'conv_2d_m0plus.c.hbs', {
    ...view,
    filter: ctx.input(1),
    accInit0,
    accInit1,
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
  });
}

/**
 * 1x1 layers walk the pixels in order. The packed loop reads a pixel pair (into the scratch row)
 * before writing it; the two-channel loop and the portable C, which a layer falls back to when the
 * packed loop's bounds do not hold (decided on the weights, after planning), read a pixel while
 * writing it. Either way output pixel p may overwrite input pixels before p only: with the input
 * `gap` bytes after the output, (p + 1) out_c <= gap + p in_c for every p.
 */
export function m0plusOverlap(p: Conv2DParams): { input: number; gap: number } | undefined {
  if (isPointwise(p) && p.outC % 2 === 0) {
    const pixels = p.batches * p.outH * p.outW;
    return { input: 0, gap: Math.max(p.outC, pixels * (p.outC - p.inC) + p.inC) };
  }
  // Every other layer (one image) runs the im2col loop or, when packing is refused, the portable C:
  // both walk output pixels in raster order, and the im2col loop gathers a pixel pair's whole
  // windows before writing the pair (a pair may span two rows). So every byte of output rows 0..oy
  // is written while row oy or an earlier one runs, and lies below the first input row row oy reads
  // when the input starts rowWindowGap bytes after the output.
  if (p.batches !== 1) return undefined;
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

export const convM0plusVariant: KernelVariant<Conv2DParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: m0plusApplies,
  scratchBytes: packedConvScratchBytes,
  overlap: m0plusOverlap,
  emit: (p, ctx) => emitConvM0plus(p, ctx, summary(p)),
  cFiles: ['conv_2d/conv_2d_m0plus.h', 'conv_2d/conv_2d_m0plus.S'],
  ortExact: true,
};
