// SPDX-License-Identifier: Apache-2.0
/**
 * SVDF's Armv6-M variant (Cortex-M0/M0+, the RP2040), whose C the RV32IMC variant (rv32.ts) shares:
 * one pass per filter (fused.ts) in C, the dot products unrolled by four (feature) and two (time),
 * the zero points folded into compile-time starts so each tap is two loads, a multiply and an add.
 * No memmove of the state (newlib-nano's copies byte by byte) and no 64-bit multiply: both
 * requantizations are the family's exact per-layer form for the compile-time bound of their sums
 * (fully_connected/m0plus_rq.ts's 32-bit pieces on Armv6-M, common/rv32_rq.ts's MULHSU on RV32),
 * for any int32 where the time sums may wrap.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import type { SvdfParams } from './index.ts';
import { svdfView } from './index.ts';
import { emitterBound, fusedView, stateRange, wideRequantFn, zeroPointAddFits } from './fused.ts';
import { m0RequantFn } from '../fully_connected/m0plus_rq.ts';

export type RequantFn = (name: string, multiplier: number, shift: number, bound: number, zp: number, lo: number, hi: number) => string;

export function emitSvdfScalar(p: SvdfParams, ctx: LayerEmitContext, family: string, requant: RequantFn): string {
  const fused = fusedView(p, ctx, true);
  const [lo, hi] = stateRange(p);
  // the family's exact form where the zero point's add cannot overflow, else TFLite's steps in 64 bits
  const rq = (name: string, multiplier: number, shift: number, bound: number, zp: number, l: number, h: number) =>
    zeroPointAddFits(multiplier, shift, bound, zp) ? requant(name, multiplier, shift, bound, zp, l, h) : wideRequantFn(name, multiplier, shift, zp, l, h);
  const helpers =
    rq(fused.rqState, p.featureMultiplier, p.featureShift, emitterBound(fused.featureBound), p.stateZeroPoint, lo, hi) +
    rq(fused.rqOut, p.outputMultiplier, p.outputShift, emitterBound(fused.outputBound), p.outputZeroPoint, -128, 127);
  return ctx.render('svdf_scalar.c.hbs', { ...svdfView(p, ctx, false), ...fused, helpers, family });
}

export const svdfM0plusVariant: KernelVariant<SvdfParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: () => true,
  emit: (p, ctx) => emitSvdfScalar(p, ctx, 'Armv6-M', m0RequantFn),
};
