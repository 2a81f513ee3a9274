// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX int8's table variants (Arm DSP, Armv6-M, RV32). TFLite Micro's int8 softmax computes each
 * element's exponential from the difference x - max alone (diff << left shift, SRDHM by the
 * multiplier, gemmlowp's exp on negative values), and an int8 difference takes at most 256 values,
 * so the layer's exponentials are a table computed here with the reference arithmetic itself
 * (`expOfDifference`, the function the TS reference kernel calls): exact by construction. Entries
 * run from x - max = 0 down to diff_min (below it the reference skips the element: exp 0, which
 * adds nothing to the sum and gives the output minimum, exactly what a 0 entry gives).
 *
 * Per element the C then does a table load for the sum and another plus one 32x32 product for the
 * output, instead of gemmlowp's exp (a dozen 64-bit products: some 1,500 cycles per element on the
 * RP2040, which has no 64-bit multiply). Per row there is one reciprocal (on Armv6-M from 32-bit
 * products too: softmax_m0.h). Since every exponential and the row's scale are >= 0, TFLite's
 * rounding steps reduce to unsigned add-and-shift (checked for every table entry below).
 *
 * The table costs 4 bytes of flash per entry (up to 1 KB), so it is used only where it pays
 * (`tablePays`); smaller layers keep the portable kernel.
 */
import { softmaxSumComment } from '../common/numerics/accumulator_bound.ts';
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import type { IsaFamily } from '../op.ts';
import { expOnNegativeValues, rescale } from '../common/numerics/gemmlowp.ts';
import { srdhm } from '../common/numerics/fixedpoint.ts';
import type { SoftmaxParams } from './index.ts';

/** The scaled input difference is Q5.26: differences past -32 (before beta) are dropped as exp ~ 0. */
export const SCALED_DIFF_INTEGER_BITS = 5;
/** The sum of exps is Q12.19. */
export const ACCUMULATION_INTEGER_BITS = 12;

/**
 * exp(beta * s_in * diff) in Q0.31 for a difference diff = x - max in [diffMin, 0], as TFLite Micro
 * computes it: diff << left shift, SRDHM by the multiplier (Q5.26), gemmlowp's exp on negative values.
 */
export function expOfDifference(p: SoftmaxParams, diff: number): number {
  return expOnNegativeValues(srdhm(diff * 2 ** p.inputLeftShift, p.inputMultiplier), SCALED_DIFF_INTEGER_BITS);
}

/** TFLite Micro's per-element share of the sum (the Q0.31 exp rounded to the Q12.19 sum's precision). */
export function expToSumPrecision(e: number): number {
  return rescale(e, 0, ACCUMULATION_INTEGER_BITS);
}

/** Entries of the layer's table: x - max = 0, -1, ..., max(diff_min, -255). */
export function tableLength(p: SoftmaxParams): number {
  return Math.min(256, 1 - p.diffMin);
}

/**
 * The layer's exponentials by -(x - max), checked for what the C's shortcuts assume: every entry
 * is >= 0 and (e + 2048) >> 12 (unsigned) is TFLite's RoundingDivideByPOT(e, 12).
 */
export function softmaxExpTable(p: SoftmaxParams): Int32Array {
  const table = new Int32Array(tableLength(p));
  for (let k = 0; k < table.length; k++) {
    const e = expOfDifference(p, -k);
    if (e < 0 || Math.floor((e + 2048) / 4096) !== expToSumPrecision(e)) {
      throw new Error(`SOFTMAX table: exp of difference ${-k} is ${e}, outside what the table kernel assumes`);
    }
    table[k] = e;
  }
  return table;
}

/**
 * Whether the table pays for its flash: at least one element per eight entries per inference (a
 * full 1 KB table from 32 elements on). Each element saves gemmlowp's exp (some 100 instructions on
 * the M4, 1,500 cycles on the RP2040), which also drops out of the code when no other layer uses it,
 * so smaller layers (a keyword spotter's 4 classes) keep the portable kernel and its smaller flash.
 */
export function tablePays(p: SoftmaxParams): boolean {
  return p.outer * p.depth * 8 >= tableLength(p);
}

function emitTable(family: IsaFamily, p: SoftmaxParams, ctx: LayerEmitContext): string {
  const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  const table = softmaxExpTable(p);
  const exps = ctx.addConst('exp', 'int32_t', table);
  const m0 = family === 'armv6m';
  const how =
    family === 'armv6m'
      ? 'Armv6-M: exp table, 32-bit-product SRDHM and reciprocal'
      : family === 'arm-dsp'
        ? 'Arm DSP: exp table, UMULL scaling'
        : 'RV32: exp table, MUL/MULHU scaling';
  return ctx.render('softmax_table.c.hbs', {
    how,
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    shape: input.shape.join('x'),
    outer: p.outer,
    depth: p.depth,
    sumBound: softmaxSumComment(p.depth),
    outType: p.outputBits === 8 ? 'int8_t' : 'int16_t',
    exps,
    tableLength: table.length,
    lastDiff: 1 - table.length,
    bounded: table.length < 256,
    reciprocal: m0 ? 'tf_m0_reciprocal' : 'tf_reciprocal',
    srdhm: m0 ? '(uint32_t)tf_m0_srdhm(e, shifted_scale)' : '(uint32_t)(((uint64_t)(uint32_t)e * (uint32_t)shifted_scale + (1u << 30)) >> 31)',
    exponentBias: 31 - p.outputBits,
    guardsShift: p.outputBits === 8 && p.depth >= 512,
    outMinLiteral: p.outMin === -32768 ? '(-32767 - 1)' : String(p.outMin),
    outMax: p.outMax,
    shareMax: p.outMax - p.outMin,
  });
}

function tableVariant(family: IsaFamily): KernelVariant<SoftmaxParams> {
  return {
    name: `${family} exp table`,
    family,
    applies: (p) => p.depth > 0 && p.outer > 0 && tablePays(p),
    emit: (p, ctx) => emitTable(family, p, ctx),
    cFiles: family === 'armv6m' ? ['softmax/softmax_m0.h'] : undefined,
  };
}

export const softmaxTableVariants: readonly KernelVariant<SoftmaxParams>[] = [tableVariant('arm-dsp'), tableVariant('armv6m'), tableVariant('rv32')];
