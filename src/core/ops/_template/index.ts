// SPDX-License-Identifier: Apache-2.0
/**
 * The template op folder: copy it to `src/core/ops/<op>/` to add an op (docs/adding-an-op.md). It is a
 * complete, tested op that no model can reach (it is not registered in src/core/ops/index.ts and its
 * kind is no TFLite builtin): an int8 requantization y = clamp(MBQM(x - z_in, m, shift) + z_out).
 *
 * The shape of every op: `check` rejects what the kernels cannot run (one OpError naming the
 * tensor), `prepare` computes every fixed-point parameter once (TFLite Micro's Prepare), `evaluate`
 * is the bit-exact TypeScript reference, `emitC` the portable C every target can run, and `variants`
 * the faster kernels of ISA families, each in its own file.
 */
import { elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { clamp, mbqm, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { cTerm } from '../common/families/weighted.ts';
import { templateUnrolledVariant } from './unrolled.ts';

export interface TemplateParams {
  size: number;
  /** -z_in, added to every input */
  inputOffset: number;
  multiplier: number;
  shift: number;
  outputZeroPoint: number;
}

const template: OpDef<TemplateParams> = {
  kind: 'TEMPLATE_REQUANTIZE',
  dir: import.meta.dirname,

  check(graph, op) {
    int8UnaryTensors(graph, op);
  },

  prepare(graph, op) {
    const { input, output } = int8UnaryTensors(graph, op);
    const { multiplier, shift } = quantizeMultiplier(input.quant!.scale[0]! / output.quant!.scale[0]!);
    return {
      size: elementCount(input.shape),
      inputOffset: -input.quant!.zeroPoint[0]!,
      multiplier,
      shift,
      outputZeroPoint: output.quant!.zeroPoint[0]!,
    };
  },

  macs: () => 0,

  // the kernel reads each element before it writes it: the output may share the input's buffer
  overlap: () => ({ input: 0, gap: 0 }),

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const y = outputs[0] as Int8Array;
    for (let i = 0; i < p.size; i++) y[i] = clamp(mbqm(x[i]! + p.inputOffset, p.multiplier, p.shift) + p.outputZeroPoint, -128, 127);
  },

  emitC(p, ctx) {
    return ctx.render('template.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inputOffsetTerm: cTerm(p.inputOffset),
      outputZeroPointTerm: cTerm(p.outputZeroPoint),
    });
  },

  // one line per ISA family kernel: selectVariant (variant.ts) takes the first of the target's family
  variants: [templateUnrolledVariant],
};

export default template;
