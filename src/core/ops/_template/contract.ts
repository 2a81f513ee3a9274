// SPDX-License-Identifier: Apache-2.0
/**
 * The template op's contract, which its variants import: an int8 requantization
 * y = clamp(MBQM(x - z_in, m, shift) + z_out).
 *
 * The shape of every op: `check` rejects what the kernels cannot run (one OpError naming the
 * tensor), `prepare` computes every fixed-point parameter once (TFLite Micro's Prepare), `evaluate`
 * is the bit-exact TypeScript reference, `emitPortable` the portable C every target can run. The
 * faster kernels of ISA families are variants, each in its own file, listed in index.ts.
 */
import { elementCount, type Graph, type Op } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { LayerEmitContext } from '../op.ts';
import { clamp, mbqm, quantizeMultiplier } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { cTerm } from '../common/families/weighted.ts';

export interface TemplateParams {
  size: number;
  /** -z_in, added to every input */
  inputOffset: number;
  multiplier: number;
  shift: number;
  outputZeroPoint: number;
}

export function check(graph: Graph, op: Op): void {
  int8UnaryTensors(graph, op);
}

export function prepare(graph: Graph, op: Op): TemplateParams {
  const { input, output } = int8UnaryTensors(graph, op);
  const { multiplier, shift } = quantizeMultiplier(input.quant!.scale[0]! / output.quant!.scale[0]!);
  return {
    size: elementCount(input.shape),
    inputOffset: -input.quant!.zeroPoint[0]!,
    multiplier,
    shift,
    outputZeroPoint: output.quant!.zeroPoint[0]!,
  };
}

export function evaluate(p: TemplateParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const x = inputs[0] as Int8Array;
  const y = outputs[0] as Int8Array;
  for (let i = 0; i < p.size; i++) y[i] = clamp(mbqm(x[i]! + p.inputOffset, p.multiplier, p.shift) + p.outputZeroPoint, -128, 127);
}

export function emitPortable(p: TemplateParams, ctx: LayerEmitContext): string {
  return ctx.render('template.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    inputOffsetTerm: cTerm(p.inputOffset),
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
  });
}
