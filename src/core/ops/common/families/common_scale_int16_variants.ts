// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 ADD and SUB kernels of the Arm DSP, Armv6-M and RV32 families: TFLite Micro's general
 * int16 path (common_scale_int16.ts) in 32-bit arithmetic, bit-exact.
 *
 * Each input's SaturatingRoundingDoublingHighMul(q << 15, m) for an int16 q and a multiplier m >= 0 is
 * (q m + 2^15) >> 16 (the 2^15 divides out of the product, the rounding term and the divisor):
 *  - Arm DSP: SMMULR(q << 16, m) = (q 2^16 m + 2^31) >> 32, one instruction;
 *  - Armv6-M and RV32: q mh + ((q ml + 2^15) >> 16) with m = mh 2^16 + ml, two 32-bit products that
 *    cannot overflow (|q mh| <= 2^30, q ml + 2^15 in [-2^31 + 2^15, 2^31 - 2^16]).
 * The inputs' real multipliers are s_i / (2 max(s1, s2)) <= 1/2, so |u_i| <= 2^29 and the sum (or
 * difference) stays within +-2^30: the output's SRDHM(sum, mo) is SMMULR(2 sum, mo) on Arm DSP,
 * tf_m0_srdhm (four 16x16 products) on Armv6-M and tf_rv32_srdhm2 (MUL + MULH) on RV32.
 * The rounding right shifts (round half away from zero) are (((x + (x >> 31)) >> (r - 1)) + 1) >> 1,
 * as tf_m0_rshift, with r a compile-time constant.
 */
import type { KernelVariant, LayerEmitContext } from '../../op.ts';
import { int16BinaryLoopC } from './elementwise.ts';
import type { CommonScaleInt16Params } from './common_scale_int16.ts';

type Family = 'arm-dsp' | 'armv6m' | 'rv32';

/** TFLite's rounding right shift by the constant r >= 0 of the int32 expression in `v` (a variable name). */
function rshift(v: string, r: number): string {
  return r === 0 ? v : `((((${v} + (${v} >> 31)) >> ${r - 1}) + 1) >> 1)`;
}

/** SRDHM(q << 15, m): the scaled input q (an int16 in an int32 variable). */
function scaleInput(family: Family, q: string, m: number): string {
  if (family === 'arm-dsp') return `tf_smmulr((int32_t)((uint32_t)${q} << 16), ${m})`;
  return `${q} * ${m >> 16} + ((${q} * ${m & 0xffff} + 32768) >> 16)`;
}

/** SRDHM(sum, m) for |sum| <= 2^30. */
function scaleOutput(family: Family, sum: string, m: number): string {
  if (family === 'arm-dsp') return `tf_smmulr((int32_t)((uint32_t)${sum} << 1), ${m})`;
  if (family === 'armv6m') return `tf_m0_srdhm(${sum}, tf_m0_k(${m}))`;
  return `tf_rv32_srdhm2(${sum}, ${2 * m}u)`;
}

/** Whether the kernel's bounds hold: shifts right only (the usual, TFLite's Prepare makes them so) and input multipliers <= 1/2. */
export function commonScaleInt16FamilyApplies(p: CommonScaleInt16Params): boolean {
  const atMostHalf = (m: number, shift: number) => shift <= 0 && m * 2 ** shift <= 2 ** 30 && m >= 0;
  return atMostHalf(p.input1Multiplier, p.input1Shift) && atMostHalf(p.input2Multiplier, p.input2Shift) && p.outputShift <= 0 && p.outputMultiplier >= 0;
}

const HOW: Record<Family, string> = {
  'arm-dsp': 'Arm DSP: SMMULR per input and output',
  armv6m: 'Armv6-M: 32-bit products of the multipliers halves',
  rv32: 'RV32: 32-bit input products, MUL + MULH output',
};

function emit(kind: 'ADD' | 'SUB', family: Family, p: CommonScaleInt16Params, ctx: LayerEmitContext): string {
  const shape = ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x');
  return int16BinaryLoopC(
    ctx.fnName,
    `${kind} 16x8 -> [${shape}], ${p.size} elements (${HOW[family]}; TFLite Micro's int16 general path, bit-exact)`,
    { in1: ctx.input(0), in2: ctx.input(1), out: ctx.output(0) },
    p.loops,
    [
      `const int32_t s1 = ${scaleInput(family, 'q1', p.input1Multiplier)};`,
      `const int32_t s2 = ${scaleInput(family, 'q2', p.input2Multiplier)};`,
      `const int32_t u1 = ${rshift('s1', -p.input1Shift)}, u2 = ${rshift('s2', -p.input2Shift)};`,
      `const int32_t sum = u1 ${kind === 'ADD' ? '+' : '-'} u2;`,
      `const int32_t h = ${scaleOutput(family, 'sum', p.outputMultiplier)};`,
      `const int32_t r = ${rshift('h', -p.outputShift)};`,
    ],
    { dsp: family === 'arm-dsp', actMin: p.actMin, actMax: p.actMax },
  );
}

export function commonScaleInt16Variants(kind: 'ADD' | 'SUB'): KernelVariant<CommonScaleInt16Params>[] {
  return (['arm-dsp', 'armv6m', 'rv32'] as const).map((family) => ({
    name: `${family} int16`,
    family,
    applies: commonScaleInt16FamilyApplies,
    emit: (p: CommonScaleInt16Params, ctx: LayerEmitContext) => emit(kind, family, p, ctx),
  }));
}
