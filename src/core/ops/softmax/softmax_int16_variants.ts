// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 SOFTMAX kernels of the Arm DSP, Armv6-M and RV32 families: TFLite Micro's SoftmaxInt16
 * (softmax_int16.ts) with its two 64-bit steps done in 32 bits, bit-exact:
 *  - the input scaling MultiplyByQuantizedMultiplier(x - max, m, shift): x - max is in [-65535, 0],
 *    so for left shifts L <= 14 (applies() checks it at compile time) 2 (x - max) 2^L fits an int32
 *    and the SRDHM is SMMULR(2 x, m) on Arm DSP, tf_m0_srdhm's four 16x16 products on Armv6-M and
 *    tf_rv32_srdhm2 (MUL + MULH) on RV32;
 *  - the final exp * 1/sum rescale: both factors are int16 (exp <= 32767, the reciprocal table's
 *    entries), so the product and its rounding term (right shift 31 - headroom, at least 15 as the
 *    row's maximum alone gives exp(0) = 32767) stay below 2^31.
 * The exp and reciprocal tables are the portable kernel's (emitted once per model).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { softmaxInt16Tables, type SoftmaxInt16Params } from './softmax_int16.ts';

type Family = 'arm-dsp' | 'armv6m' | 'rv32';

const MAX_LEFT_SHIFT = 14;

function srdhm(family: Family, x: string, m: number): string {
  if (family === 'arm-dsp') return `tf_smmulr((int32_t)((uint32_t)${x} << 1), ${m})`;
  if (family === 'armv6m') return `tf_m0_srdhm(${x}, tf_m0_k(${m}))`;
  return `tf_rv32_srdhm2(${x}, ${2 * m}u)`;
}

function rshift(v: string, r: number): string {
  return r === 0 ? v : `((((${v} + (${v} >> 31)) >> ${r - 1}) + 1) >> 1)`;
}

const HOW: Record<Family, string> = {
  'arm-dsp': 'Arm DSP: SMMULR input scaling',
  armv6m: 'Armv6-M: 16x16-product input scaling',
  rv32: 'RV32: MUL + MULH input scaling',
};

function emit(family: Family, p: SoftmaxInt16Params, ctx: LayerEmitContext): string {
  const { exp, reciprocal } = softmaxInt16Tables();
  const expLut = ctx.addConst('exp_lut', 'int16_t', exp);
  const recipLut = ctx.addConst('recip_lut', 'int16_t', reciprocal);
  const left = Math.max(p.inputShift, 0);
  const right = Math.max(-p.inputShift, 0);
  const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
  const d = p.depth;
  return `/* SOFTMAX 16x8 [${shape}]: ${p.outer} row(s) of ${d} (${HOW[family]}, 32-bit rescale; TFLite Micro's SoftmaxInt16, bit-exact) */
static void ${ctx.fnName}(void) {
  const int16_t *in = ${ctx.input(0)};
  int16_t *out = ${ctx.output(0)};
  for (int row = 0; row < ${p.outer}; ++row, in += ${d}, out += ${d}) {
    int32_t max = -32768;
    for (int c = 0; c < ${d}; ++c) max = in[c] > max ? in[c] : max;
    /* the exps wait in the output row until the sum is known */
    int32_t sum = 0;
    for (int c = 0; c < ${d}; ++c) {
      const int32_t x = (int32_t)((uint32_t)((int32_t)in[c] - max) << ${left});
      const int32_t h = ${srdhm(family, 'x', p.inputMultiplier)};
      const int32_t scaled = ${rshift('h', right)};
      /* scaled <= 0: only the lower clamp of scaled + 32767 can act */
      const int32_t e = tf_lut_int16_lookup((int16_t)(scaled < -65535 ? -32768 : scaled + 32767), ${expLut});
      out[c] = (int16_t)e;
      sum += e;
    }
    int headroom_plus_one = 0;
    while (headroom_plus_one < 31 && !(((uint32_t)sum << headroom_plus_one) & 0x80000000u)) ++headroom_plus_one;
    const int32_t shifted_sum = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int32_t recip = tf_lut_int16_lookup((int16_t)tf_clamp(shifted_sum - ((1 << 15) + (1 << 16)), -32768, 32767), ${recipLut});
    const int right_shift = 31 - headroom_plus_one;
    const int32_t round = (int32_t)1 << (right_shift - 1);
    for (int c = 0; c < ${d}; ++c) {
      const int32_t result = (out[c] * recip + round) >> right_shift;
      out[c] = (int16_t)(result > 32767 ? 32767 : (result < 0 ? 0 : result));
    }
  }
}
`;
}

export const softmaxInt16Variants: KernelVariant<SoftmaxInt16Params>[] = (['arm-dsp', 'armv6m', 'rv32'] as const).map((family) => ({
  name: `${family} int16`,
  family,
  // the left shift's bound (2 (x - max) 2^L in an int32); beyond it TFLite's int32 shift wraps and the portable kernel follows
  applies: (p: SoftmaxInt16Params) => p.inputShift <= MAX_LEFT_SHIFT && p.inputMultiplier >= 0,
  emit: (p: SoftmaxInt16Params, ctx: LayerEmitContext) => emit(family, p, ctx),
}));
