/**
 * DEPTHWISE_CONV_2D's Armv6-M variant (Cortex-M0+, the RP2040): no SIMD to lean on, so the gain is in
 * the loop shape. Four output channels are computed per pass over the taps, with the input and weight
 * pointers stepped per tap instead of indices multiplied out per MAC: with depth multiplier 1 each
 * channel reads its own input byte; with a multiplier that is a multiple of 4 (micro_speech's layer)
 * the four channels share one input load per tap. Same integer arithmetic as the portable kernel, so
 * bit-exact with it. Other shapes keep the portable kernel.
 */
import type { LayerEmitContext } from '../op.ts';
import { cTerm, requantExprs } from '../common/weighted.ts';
import type { DepthwiseConv2DParams } from './index.ts';

export function m0plusApplies(p: DepthwiseConv2DParams): boolean {
  return p.outC % 4 === 0 && (p.depthMultiplier === 1 || p.depthMultiplier % 4 === 0);
}

export function emitDepthwiseM0plus(p: DepthwiseConv2DParams, ctx: LayerEmitContext, summary: string): string {
  const { mult, shift } = requantExprs(p, 'c', (s, t, v) => ctx.addConst(s, t, v));
  return ctx.render('depthwise_conv_2d_m0plus.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary,
    input: ctx.input(0),
    filter: ctx.input(1),
    output: ctx.output(0),
    bias: p.hasBias ? ctx.input(2) : '',
    sharedInput: p.depthMultiplier > 1,
    inImage: p.inH * p.inW * p.inC,
    inRow: p.inW * p.inC,
    tapStep: p.dilationW * p.inC,
    inputOffsetTerm: cTerm(p.inputOffset),
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
  });
}
