// SPDX-License-Identifier: Apache-2.0
/**
 * SVDF's Arm DSP variant (Armv7E-M, Armv8-M Mainline). The feature dot products are most of the
 * work (filters x input size MACs against filters x memory for the time part): the input plus its
 * offset is unpacked once per batch into int16 lane pairs in scratch, in the order SXTB16 splits four
 * int8 weights, so each group of four weights is one word load, two SXTB16 and two SMLAD. With an
 * int16 state (zero point 0, as TFLite's 16x8 SVDF has it) the time dot products take two taps per
 * SMLAD straight from the state and weights_time. The sums are the portable kernel's int32 sums, so
 * the results are bit-exact with it; the state's shift is one memmove.
 */
import type { KernelVariant } from '../op.ts';
import type { SvdfParams } from './index.ts';
import { svdfView } from './index.ts';

export const svdfDspVariant: KernelVariant<SvdfParams> = {
  name: 'arm-dsp',
  family: 'arm-dsp',
  applies: (p) => p.inputSize >= 4,
  scratchBytes: (p) => 8 * Math.floor(p.inputSize / 4),
  emit(p, ctx) {
    const groups = Math.floor(p.inputSize / 4);
    const timePairs = p.stateBits === 16 && p.stateZeroPoint === 0 && p.memory >= 2;
    return ctx.render('svdf_dsp.c.hbs', {
      ...svdfView(p, ctx),
      scratch: ctx.scratch(),
      groups,
      tail: groups * 4 < p.inputSize,
      timePairs,
      timeTail: p.memory % 2 === 1,
    });
  },
};
