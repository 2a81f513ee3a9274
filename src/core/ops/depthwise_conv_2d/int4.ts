// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D with int4 weights: filters whose values all lie in [-8, 7] are stored
 * packed, each output channel's kH*kW taps two a byte, low nibble first (common/codecs/int4.ts), and each
 * tap's nibble is sign-extended in a register (int4_dot.h tf_s4_tap: two shifts). Padded taps are
 * skipped as in TFLite Micro. One C loop for every family (a variant per family so the chooser can
 * weigh it); the int8 SIMD depthwise kernels stay faster (docs/kernels.md).
 */
import type { IsaFamily, KernelIsa, KernelVariant } from '../op.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { summary } from './describe.ts';
import { constInt8, requantExprs } from '../common/families/weighted.ts';
import { packInt4Taps } from '../common/codecs/int4.ts';

/**
 * Instructions a tap: measured 24 on the emulated Cortex-M4 (bench/int4.ts, DW 3x3 16x16x32, the
 * requantization per output included); the same C elsewhere.
 */
const INSTRUCTIONS_PER_TAP = 24;

export function depthwiseInt4Bytes(p: DepthwiseConv2DParams): number {
  return p.outC * Math.ceil((p.kH * p.kW) / 2);
}

function depthwiseInt4Variant(family: IsaFamily): KernelVariant<DepthwiseConv2DParams> {
  return {
    name: `${family} int4`,
    family,
    applies: (p) => p.int4Weights === true,
    storage: 'int4',
    cost: (p: DepthwiseConv2DParams, _isa: KernelIsa | undefined) => ({
      flashBytes: depthwiseInt4Bytes(p),
      instructions: p.batches * p.outH * p.outW * p.outC * p.kH * p.kW * INSTRUCTIONS_PER_TAP,
    }),
    cFiles: ['common/codecs/int4_dot.h'],
    emit(p, ctx) {
      const taps = p.kH * p.kW;
      const perChannel = Math.ceil(taps / 2);
      const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
      const { mult, shift } = requantExprs(p, 'oc', (s, t, v) => ctx.addConst(s, t, v));
      const packed = ctx.addConst('w4', 'uint8_t', packInt4Taps(filter, taps, p.outC));
      const init = p.hasBias ? `${ctx.input(2)}[oc]` : '0';
      const off = p.inputOffset === 0 ? '' : p.inputOffset > 0 ? ` + ${p.inputOffset}` : ` - ${-p.inputOffset}`;
      const zp = p.outputZeroPoint === 0 ? '' : p.outputZeroPoint > 0 ? ` + ${p.outputZeroPoint}` : ` - ${-p.outputZeroPoint}`;
      const inC = p.inC;
      return `/* ${summary(p)}, int4 weights (${depthwiseInt4Bytes(p)} bytes for ${p.outC * taps} int8), ${family} */
static void ${ctx.fnName}(void) {
  const int8_t *const input = ${ctx.input(0)};
  int8_t *out = ${ctx.output(0)};
  for (int b = 0; b < ${p.batches}; ++b) {
    const int8_t *const image = input + b * ${p.inH * p.inW * inC};
    for (int oy = 0; oy < ${p.outH}; ++oy) {
      const int iy0 = oy * ${p.strideH} - ${p.padTop};
      /* padded taps are skipped (never zero-point filled): only filter rows that land in the image */
      const int fy_lo = iy0 < 0 ? (${p.dilationH} - 1 - iy0) / ${p.dilationH} : 0;
      const int fy_end = (${p.inH} + ${p.dilationH} - 1 - iy0) / ${p.dilationH};
      const int fy_hi = fy_end < ${p.kH} ? fy_end : ${p.kH};
      for (int ox = 0; ox < ${p.outW}; ++ox) {
        const int ix0 = ox * ${p.strideW} - ${p.padLeft};
        const int fx_lo = ix0 < 0 ? (${p.dilationW} - 1 - ix0) / ${p.dilationW} : 0;
        const int fx_end = (${p.inW} + ${p.dilationW} - 1 - ix0) / ${p.dilationW};
        const int fx_hi = fx_end < ${p.kW} ? fx_end : ${p.kW};
        const uint8_t *w_c = ${packed};
        for (int oc = 0; oc < ${p.outC}; ++oc, w_c += ${perChannel}) {
          const int8_t *const x_c = image + ${p.depthMultiplier > 1 ? `oc / ${p.depthMultiplier}` : 'oc'};
          int32_t acc = ${init};
          for (int fy = fy_lo; fy < fy_hi; ++fy) {
            const int8_t *const x_row = x_c + (iy0 + fy * ${p.dilationH}) * ${p.inW * inC};
            for (int fx = fx_lo; fx < fx_hi; ++fx) {
              acc += tf_s4_tap(w_c, fy * ${p.kW} + fx) * (x_row[(ix0 + fx * ${p.dilationW}) * ${inC}]${off});
            }
          }
          acc = tf_mbqm(acc, ${mult}, ${shift})${zp};
          *out++ = (int8_t)tf_clamp(acc, ${p.actMin}, ${p.actMax});
        }
      }
    }
  }
}
`;
    },
  };
}

export const depthwiseInt4Variants = (['arm-dsp', 'armv6m', 'rv32', 'portable'] as const).map(depthwiseInt4Variant);
