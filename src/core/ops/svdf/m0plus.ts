// SPDX-License-Identifier: Apache-2.0
/**
 * SVDF's Armv6-M variant (Cortex-M0/M0+, the RP2040): the feature dot products of blocks of 8 (then
 * 4) filters in one pass over the input (common/isa/m0plus_mac.S's row-block loop), then one pass per
 * filter (fused.ts) in C, an int16 row of even memory walked a word (two slots) at a time against
 * weights_time laid out as int32 pairs. Its fallback C template, which the RV32IMC variant (rv32.ts) shares, unrolls
 * the dot products by four (feature) and two (time), the zero points folded into compile-time starts
 * so each tap is two loads, a multiply and an add.
 * No memmove of the state (newlib-nano's copies byte by byte) and no 64-bit multiply: both
 * requantizations are the family's exact per-layer form for the compile-time bound of their sums
 * (common/isa/m0plus_requant.ts's 32-bit pieces on Armv6-M, common/isa/rv32_rq.ts's MULHSU on RV32),
 * for any int32 where the time sums may wrap.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import type { SvdfParams } from './index.ts';
import { svdfView } from './index.ts';
import { emitterBound, fusedView, stateRange, svdfConsts, wideRequantFn } from './fused.ts';
import { m0RequantFn } from '../common/isa/m0plus_requant.ts';
import type { RequantFn, RequantFnOptions } from '../common/isa/rv32_rq.ts';
import { rowBlocks84 } from '../common/codecs/row_blocks.ts';
import { wrapInt32, zeroPointAddFits } from '../common/numerics/fixedpoint.ts';

/** Armv6-M's exact requantization, as the family-shared emitters call it */
const m0Requant: RequantFn = m0RequantFn;

/**
 * The state and output requantization functions of a layer: the family's exact form where the zero
 * point's add cannot overflow, else TFLite's steps in 64 bits.
 */
function svdfRequantHelpers(p: SvdfParams, fused: ReturnType<typeof fusedView>, requant: RequantFn): string {
  const [lo, hi] = stateRange(p);
  const rq = (o: RequantFnOptions) =>
    zeroPointAddFits(o.multiplier, o.shift, o.bound, o.zp) ? requant(o) : wideRequantFn(o.name, o.multiplier, o.shift, o.zp, o.lo, o.hi);
  return (
    rq({ name: fused.rqState, multiplier: p.featureMultiplier, shift: p.featureShift, bound: emitterBound(fused.featureBound), zp: p.stateZeroPoint, lo, hi }) +
    rq({
      name: fused.rqOut,
      multiplier: p.outputMultiplier,
      shift: p.outputShift,
      bound: emitterBound(fused.outputBound),
      zp: p.outputZeroPoint,
      lo: -128,
      hi: 127,
    })
  );
}

export function emitSvdfScalar(p: SvdfParams, ctx: LayerEmitContext, family: string, requant: RequantFn): string {
  const fused = fusedView(p, ctx, true);
  const helpers = svdfRequantHelpers(p, fused, requant);
  return ctx.render('svdf_scalar.c.hbs', { ...svdfView(p, ctx, false), ...fused, helpers, family });
}

/**
 * The largest |start + partial feature sum| over the filters: sum |w| * (128 + |input zero point|)
 * bounds the start (-z sum w) plus any prefix of sum w x, so the block loop's int32 adds (and their C
 * twins' signed ones) never overflow where it is below 2^31.
 */
export function featureStepBound(p: SvdfParams, wf: Int8Array): number {
  let bound = 0;
  for (let f = 0; f < p.filters; f++) {
    let s = 0;
    for (let k = 0; k < p.inputSize; k++) s += Math.abs(wf[f * p.inputSize + k]!);
    bound = Math.max(bound, s * (128 + Math.abs(p.inputZeroPoint)));
  }
  return bound;
}

/**
 * Armv6-M: the feature dot products of blocks of 8 (then one of 4) filters in one pass over the input
 * (common/isa/m0plus_mac.S's tf_m0fc_mac8/mac4, the weights re-laid column by column per block as
 * FULLY_CONNECTED's), the last 1-3 filters in C; then the shared per-filter row walk. Where the
 * feature sums could leave int32 (a step bound of 2^31 or more), the shared C template.
 */
export function emitSvdfM0plus(p: SvdfParams, ctx: LayerEmitContext): string {
  const { wf } = svdfConsts(ctx);
  const stepBound = featureStepBound(p, wf);
  if (!(stepBound <= 2 ** 31 - 1)) return emitSvdfScalar(p, ctx, 'Armv6-M', m0Requant);
  const fused = fusedView(p, ctx, false);
  const helpers = svdfRequantHelpers(p, fused, m0Requant);
  // every filter's start (the block loop reads them even when all are 0)
  const starts = Array.from({ length: p.filters }, (_, f) => {
    let s = 0;
    for (let k = 0; k < p.inputSize; k++) s += wf[f * p.inputSize + k]!;
    return wrapInt32(-p.inputZeroPoint * s);
  });
  // an int16 state of even memory walks its rows a word (two slots) at a time: weights_time as pairs
  const wordWalk = p.stateBits === 16 && p.memory % 2 === 0;
  const { wt } = svdfConsts(ctx);
  const pairs = wordWalk ? Array.from({ length: wt.length / 2 }, (_, i) => wrapInt32((wt[2 * i]! & 0xffff) + wt[2 * i + 1]! * 65536)) : [];
  const blocks8End = Math.floor(p.filters / 8) * 8;
  const blocksEnd = blocks8End + (p.filters - blocks8End >= 4 ? 4 : 0);
  const how = [blocks8End > 0 ? '8 filters' : '', blocksEnd > blocks8End ? '4' : ''].filter((s) => s).join(' and ') || 'one filter';
  return ctx.render('svdf_m0plus.c.hbs', {
    ...svdfView(p, ctx, false, false, !wordWalk),
    ...fused,
    helpers,
    how,
    weightsFeature: ctx.addConst('wf_m0', 'int8_t', Array.from(rowBlocks84(wf, p.filters, p.inputSize))),
    featureStart: ctx.addConst('feature_start', 'int32_t', starts),
    featureStepBound: stepBound,
    blocks8End,
    blocksEnd,
    wordWalk,
    weightsTimePairs: wordWalk ? ctx.addConst('wt_pairs', 'int32_t', pairs) : undefined,
    wtStep: wordWalk ? p.memory / 2 : p.memory,
  });
}

export const svdfM0plusVariant: KernelVariant<SvdfParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: () => true,
  emit: emitSvdfM0plus,
  cFiles: ['common/isa/m0plus_mac.h', 'common/isa/m0plus_mac.S', 'common/isa/m0plus_rq.h'],
};
