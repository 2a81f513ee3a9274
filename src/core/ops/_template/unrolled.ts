// SPDX-License-Identifier: Apache-2.0
/**
 * The template op's target variant: the loop unrolled by four for the RV32IMC family (many
 * registers, no SIMD), with the tail handled apart. A variant is one file: when it applies, what
 * scratch it needs, whether its output may overlap its input, its emitter and its C files.
 */
import type { KernelVariant } from '../op.ts';
import { cTerm } from '../common/families/weighted.ts';
import type { TemplateParams } from './contract.ts';

export const templateUnrolledVariant: KernelVariant<TemplateParams> = {
  name: 'rv32 unrolled',
  family: 'rv32',
  // below one block of four the portable loop is as good
  applies: (p) => p.size >= 4,
  overlap: () => ({ input: 0, gap: 0 }),
  emit: (p, ctx) =>
    ctx.render('template_unrolled.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      blocks: Math.floor(p.size / 4),
      tail: p.size % 4,
      inputOffsetTerm: cTerm(p.inputOffset),
      outputZeroPointTerm: cTerm(p.outputZeroPoint),
    }),
  // the helpers of common/ (tf_mbqm, tf_clamp) need no listing: codegen includes what the code names
  cFiles: [],
};
