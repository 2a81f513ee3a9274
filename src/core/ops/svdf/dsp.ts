// SPDX-License-Identifier: Apache-2.0
/**
 * SVDF's Arm DSP variant (Armv7E-M, Armv8-M Mainline), one pass per filter (fused.ts). The feature
 * dot products are most of the MACs: the input plus its offset is unpacked once per batch into int16
 * lane pairs in scratch, in the order SXTB16 splits four int8 weights, so each group of four weights
 * is one word load, two SXTB16 and two SMLAD. The row walk of an int16 state takes two taps per
 * step: one (unaligned) word load of the old values one slot on, stored one slot back, and one
 * SMLAD with two time weights; the last pair packs the row's last old value with the new one. An
 * int8 state walks four taps per step: one (unaligned) word of old values stored one slot back, split
 * by SXTB16 and summed by two SMLAD against the time weights laid out as int16 lanes at compile time. Both requantizations are svdf_dsp.h's SMMLAR, ADD, QADD, ASR and
 * SSAT, exact for any int32 sum (svdfDspRequantFn), else TFLite Micro's tf_mbqm steps.
 */
import type { KernelVariant } from '../op.ts';
import type { SvdfParams } from './index.ts';
import { svdfView } from './index.ts';
import { fusedView, stateRange, svdfConsts, wideRequantFn } from './fused.ts';

/**
 * A static inline `int32_t name(int32_t acc)`: MultiplyByQuantizedMultiplier(acc, multiplier, shift)
 * + zp clamped to the signed `bits`-bit type, by svdf_dsp.h's tf_svdf_rq where its conditions hold
 * (multiplier normalized, 1 <= e <= 32 - bits, K within int32), else by TFLite Micro's steps (fused.ts wideRequantFn).
 */
export function svdfDspRequantFn(name: string, multiplier: number, shift: number, zp: number, bits: 8 | 16): string {
  const e = -shift;
  const k = 2 ** (e - 1) + zp * 2 ** e;
  const sat = bits === 8 ? 'tf_ssat8' : 'tf_ssat16';
  if (multiplier >= 2 ** 30 && multiplier < 2 ** 31 && e >= 1 && e <= 32 - bits && k >= -(2 ** 31) && k < 2 ** 31) {
    const m2 = 2 * multiplier - 2 ** 32;
    return (
      `/* MultiplyByQuantizedMultiplier(acc, ${multiplier}, ${shift}) + ${zp}, saturated to int${bits}, for any int32 acc (svdf_dsp.h):\n` +
      ` * m2 = 2m - 2^32, K = 2^${e - 1} + ${zp} * 2^${e} */\n` +
      `static inline __attribute__((always_inline)) int32_t ${name}(int32_t acc) { return ${sat}(tf_svdf_rq(acc, ${m2 === -(2 ** 31) ? '(-2147483647 - 1)' : m2}, ${k === -(2 ** 31) ? '(-2147483647 - 1)' : k}, ${e})); }\n`
    );
  }
  const [lo, hi] = bits === 8 ? [-128, 127] : [-32768, 32767];
  return wideRequantFn(name, multiplier, shift, zp, lo, hi);
}

export const svdfDspVariant: KernelVariant<SvdfParams> = {
  name: 'arm-dsp',
  family: 'arm-dsp',
  applies: (p) => p.inputSize >= 4,
  scratchBytes: (p) => 8 * Math.floor(p.inputSize / 4),
  cFiles: ['svdf/svdf_dsp.h'],
  emit(p, ctx) {
    const groups = Math.floor(p.inputSize / 4);
    const view = svdfView(p, ctx, false);
    const fused = fusedView(p, ctx, false);
    const [, stateMax] = stateRange(p);
    const helpers =
      svdfDspRequantFn(fused.rqState, p.featureMultiplier, p.featureShift, p.stateZeroPoint, p.stateBits) +
      svdfDspRequantFn(fused.rqOut, p.outputMultiplier, p.outputShift, p.outputZeroPoint, 8);
    // an int8 state: each filter's time weights of its groups of four walked taps as int16 lanes in
    // SXTB16's order, (w0, w2) then (w1, w3), so a group is one word of state and two SMLAD
    // (and with memory a multiple of four, a last group of the row's last three old values and the new one)
    const timeGroups = p.stateBits === 8 ? Math.floor((p.memory - 1) / 4) : 0;
    const packedLast = p.stateBits === 8 && p.memory % 4 === 0;
    const laneGroups = timeGroups + (packedLast ? 1 : 0);
    let timeLanes: string | undefined;
    if (laneGroups > 0) {
      const { wt } = svdfConsts(ctx);
      const lanes: number[] = [];
      for (let f = 0; f < p.filters; f++) {
        for (let g = 0; g < laneGroups; g++) {
          const at = f * p.memory + 4 * g;
          lanes.push(wt[at]!, wt[at + 2]!, wt[at + 1]!, wt[at + 3]!);
        }
      }
      timeLanes = ctx.addConst('time_lanes', 'int16_t', lanes);
    }
    return ctx.render('svdf_dsp.c.hbs', {
      timeGroups,
      laneGroups,
      packedLast,
      timeLanes,
      ...view,
      ...fused,
      helpers,
      stateMax,
      scratch: ctx.scratch(),
      groups,
      tail: groups * 4 < p.inputSize,
      timePairs: p.stateBits === 16,
      evenMemory: p.memory % 2 === 0,
    });
  },
};
