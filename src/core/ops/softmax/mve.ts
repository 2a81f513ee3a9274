// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX int8's MVE variant (Cortex-M55/M85): the table variant's arithmetic (table.ts: each
 * exponential read from the layer's exp table by x - max, exact by construction) four lanes at a time.
 * The row's max is one predicated VMAXV per 16 values; the exponentials are VLDRW gathers with the
 * differences as offsets (predicated off past the row and past the table's last entry); the sum is
 * VADDVA of the rounded shares; the output scaling is VQRDMULH (TFLite's SRDHM: both factors are
 * >= 0, so it is also the unsigned round-half-up product the DSP variant computes), then the rounding
 * shift as an add and a right shift, and a predicated narrowing store. The reciprocal stays scalar,
 * once per row. Layers where the table does not pay, and rows of 2, keep the Arm DSP kernels.
 */
import { softmaxSumComment } from '../common/numerics/accumulator_bound.ts';
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import type { SoftmaxParams } from './index.ts';
import { softmaxExpTable, tablePays } from './table.ts';

function emitMve(p: SoftmaxParams, ctx: LayerEmitContext): string {
  const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  const table = softmaxExpTable(p);
  return ctx.render('softmax_mve.c.hbs', {
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    shape: input.shape.join('x'),
    outer: p.outer,
    depth: p.depth,
    sumBound: softmaxSumComment(p.depth),
    outType: p.outputBits === 8 ? 'int8_t' : 'int16_t',
    store: p.outputBits === 8 ? 'vstrbq_p_s32' : 'vstrhq_p_s32',
    exps: ctx.addConst('exp', 'int32_t', table),
    tableLength: table.length,
    lastDiff: 1 - table.length,
    bounded: table.length < 256,
    exponentBias: 31 - p.outputBits,
    guardsShift: p.outputBits === 8 && p.depth >= 512,
    outMinLiteral: p.outMin === -32768 ? '(-32767 - 1)' : String(p.outMin),
    shareMax: p.outMax - p.outMin,
  });
}

/**
 * Rows of 2 (a two-class head per pixel) pay more for the vector loops' setup than they save: 64
 * rows of 2 on the emulated M55 took 13,250 instructions against the Arm DSP table kernel's
 * 12,406; rows of 3 13,219 against 15,969, of 8 15,094 against 26,750.
 */
const MIN_DEPTH = 3;

export const softmaxMve: KernelVariant<SoftmaxParams> = {
  name: 'mve exp table',
  family: 'arm-mve',
  applies: (p) => p.depth >= MIN_DEPTH && p.outer > 0 && tablePays(p),
  emit: emitMve,
  cFiles: ['common/isa/arm_helium.h'],
};
