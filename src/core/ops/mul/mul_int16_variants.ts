// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 MUL kernels of the Arm DSP, Armv6-M and RV32 families: TFLite Micro's int16 MulElementwise
 * (mul_int16.ts) in 32-bit arithmetic, bit-exact, for right shifts (s1 s2 / s_out < 1, the 16x8 case;
 * a left shift keeps the portable kernel). The product p = q1 q2 is in [-2^30 + 2^15, 2^30]:
 *  - Arm DSP: SRDHM(p, m) = (2 p m + 2^31) >> 32 = SMMULR(-2 p, -m), where -2 p = q1 (-2 q2) fits an
 *    int32 at both ends (2 p itself overflows for q1 = q2 = -32768) and -m is in (-2^31, -2^30];
 *  - Armv6-M: tf_m0_srdhm (four 16x16 products); RV32: tf_rv32_srdhm2 (MUL + MULH).
 * The rounding right shift is (((x + (x >> 31)) >> (r - 1)) + 1) >> 1, r a compile-time constant.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { int16BinaryLoopC } from '../common/families/elementwise.ts';
import type { MulInt16Params } from './mul_int16.ts';

type Family = 'arm-dsp' | 'armv6m' | 'rv32';

function rshift(v: string, r: number): string {
  return r === 0 ? v : `((((${v} + (${v} >> 31)) >> ${r - 1}) + 1) >> 1)`;
}

const HOW: Record<Family, string> = {
  'arm-dsp': 'Arm DSP: SMMULR(-2 q1 q2, -m)',
  armv6m: 'Armv6-M: 16x16-product SRDHM',
  rv32: 'RV32: MUL + MULH SRDHM',
};

function emit(family: Family, p: MulInt16Params, ctx: LayerEmitContext): string {
  const shape = ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x');
  const high =
    family === 'arm-dsp'
      ? `tf_smmulr(q1 * (q2 * -2), ${-p.multiplier})`
      : family === 'armv6m'
        ? `tf_m0_srdhm(q1 * q2, tf_m0_k(${p.multiplier}))`
        : `tf_rv32_srdhm2(q1 * q2, ${2 * p.multiplier}u)`;
  return int16BinaryLoopC(
    ctx.fnName,
    `MUL 16x8 [${shape}], ${p.size} elements (${HOW[family]}; TFLite Micro's int16 MUL, bit-exact)`,
    { in1: ctx.input(0), in2: ctx.input(1), out: ctx.output(0) },
    p.loops,
    [`const int32_t h = ${high};`, `const int32_t r = ${rshift('h', -p.shift)};`],
    { dsp: family === 'arm-dsp', actMin: p.actMin, actMax: p.actMax },
  );
}

export const mulInt16Variants: KernelVariant<MulInt16Params>[] = (['arm-dsp', 'armv6m', 'rv32'] as const).map((family) => ({
  name: `${family} int16`,
  family,
  applies: (p: MulInt16Params) => p.shift <= 0 && p.multiplier > 0,
  emit: (p: MulInt16Params, ctx: LayerEmitContext) => emit(family, p, ctx),
}));
