/**
 * CONV_2D's Armv6-M variant (Cortex-M0+, the RP2040) for 1x1 convolutions at stride 1 (most of a
 * MobileNet): two output channels per pass over a pixel's input channels, so each input byte is loaded
 * once for two MACs, with one negative index stepping the input and both filter rows. The input offset
 * is folded into the start values at compile time, as in the portable kernel; the same integer sums,
 * so bit-exact with it. Other convolutions keep the portable kernel.
 */
import type { LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, cTerm, foldedInitExpr, requantExprs } from '../common/weighted.ts';
import { type Conv2DParams, isPointwise } from './index.ts';

export function m0plusApplies(p: Conv2DParams): boolean {
  return isPointwise(p) && p.outC % 2 === 0;
}

export function emitConvM0plus(p: Conv2DParams, ctx: LayerEmitContext, summary: string): string {
  const filterTensor = ctx.graph.tensors[ctx.op.inputs[1]!]!;
  const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
  const { mult, shift } = requantExprs(p, 'c', (s, t, v) => ctx.addConst(s, t, v));
  const init = (channel: string) => foldedInitExpr(constInt8(filterTensor), p.outC, p.inC, p.inputOffset, biasTensor && constInt32(biasTensor),
    () => ctx.input(2), (s, t, v) => ctx.addConst(s, t, v), channel);
  const accInit0 = init('c');
  // the table (if any) is added once: the second channel reads the same one
  const accInit1 = accInit0.endsWith('[c]') ? `${accInit0.slice(0, -3)}[c + 1]` : accInit0;
  return ctx.render('conv_2d_m0plus.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary,
    input: ctx.input(0),
    filter: ctx.input(1),
    output: ctx.output(0),
    pixels: p.batches * p.outH * p.outW,
    accInit0,
    accInit1,
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
  });
}
