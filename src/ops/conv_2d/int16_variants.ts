// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D 16x8's target variants: per output pixel, the window's int16 inputs (an im2col column in
 * scratch, zeros where the window hangs over the padding, which is exact because int16 activations
 * have zero point 0) go through common/int16_gemv's kernel against every filter row (Arm DSP: SMLAD
 * on the int16 pairs, the filter re-laid in blocks of four rows; Armv6-M and RV32: a plain C loop, two
 * rows per input load, the model's filter). A 1x1 filter reads the input pixel in place (no scratch).
 * Requantization per channel as the portable kernel: tf_mbqm64 on the int64 sum (int64 or no bias),
 * tf_mbqm on the int32 one (int32 bias). Grouped convolutions, and on Arm DSP targets layers of
 * fewer than four output channels, keep the portable kernel.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt8 } from '../common/weighted.ts';
import { INT16_GEMV_FILES, type Int16GemvFamily, int16GemvSetup } from '../common/int16_gemv.ts';
import type { Conv2DInt16Params } from './conv_2d_int16.ts';

/** The filter is 1x1: the input pixel is the column, read in place. */
const inPlace = (p: Conv2DInt16Params) => p.kH === 1 && p.kW === 1;

/** Scratch: one im2col column of kH * kW * inC int16 (none for a 1x1 filter). */
export function convInt16GemvScratchBytes(p: Conv2DInt16Params): number {
  return inPlace(p) ? 0 : 2 * p.kH * p.kW * p.inC;
}

function emit(family: Int16GemvFamily, p: Conv2DInt16Params, ctx: LayerEmitContext): string {
  const depth = p.kH * p.kW * p.inC;
  const { decls, call } = int16GemvSetup(
    family,
    {
      rows: p.outC,
      depth,
      weights: constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!),
      multiplier: p.multiplier,
      shift: p.shift,
      actMin: p.actMin,
      actMax: p.actMax,
      bias: p.bias,
    },
    ctx,
    p.bias === 'none' ? undefined : ctx.input(2),
  );
  const pixel = `input + ((b * ${p.inH} + oy * ${p.strideH}) * ${p.inW} + ox * ${p.strideW}) * ${p.inC}`;
  const column = inPlace(p)
    ? `        const int16_t *const x = ${pixel};`
    : `        /* the window's taps, channel-contiguous, zeros outside the image */
        int16_t *c = col;
        for (int fy = 0; fy < ${p.kH}; ++fy) {
          const int iy = oy * ${p.strideH} - ${p.padTop} + fy * ${p.dilationH};
          for (int fx = 0; fx < ${p.kW}; ++fx, c += ${p.inC}) {
            const int ix = ox * ${p.strideW} - ${p.padLeft} + fx * ${p.dilationW};
            if (iy >= 0 && iy < ${p.inH} && ix >= 0 && ix < ${p.inW}) {
              const int16_t *const src = input + ((b * ${p.inH} + iy) * ${p.inW} + ix) * ${p.inC};
              for (int k = 0; k < ${p.inC}; ++k) c[k] = src[k];
            } else {
              for (int k = 0; k < ${p.inC}; ++k) c[k] = 0;
            }
          }
        }
        const int16_t *const x = col;`;
  return `/* CONV_2D 16x8 [${p.batches},${p.inH},${p.inW},${p.inC}] * [${p.outC},${p.kH},${p.kW},${p.inC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}] stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}, ${p.bias} bias (${family} int16${inPlace(p) ? '' : ', im2col'}) */
static void ${ctx.fnName}(void) {
${decls}
  const int16_t *const input = ${ctx.input(0)};
  int16_t *out = ${ctx.output(0)};
${inPlace(p) ? '' : `  int16_t *const col = (int16_t *)${ctx.scratch()};\n`}  for (int b = 0; b < ${p.batches}; ++b) {
    for (int oy = 0; oy < ${p.outH}; ++oy) {
      for (int ox = 0; ox < ${p.outW}; ++ox, out += ${p.outC}) {
${column}
        ${call('x', 'out')}
      }
    }
  }
}
`;
}

/**
 * Arm DSP: fewer than four filters leave the kernel's 4-row blocks empty, and fewer than 8 inputs per
 * output leave the call and the column copy unpaid, while the portable loop's int64 sum is one SMLAL
 * per product there (measured on the M4: a 3x2x17 filter of one output channel 5,280 instructions
 * portable, 6,040 with the im2col column; 1x1x1 filters to 36 channels 10,240 and 10,760).
 */
export function convInt16DspPays(p: Conv2DInt16Params): boolean {
  return p.outC >= 4 && p.kH * p.kW * p.inC >= 8;
}

function variant(family: Int16GemvFamily): KernelVariant<Conv2DInt16Params> {
  return {
    name: `${family} int16`,
    family,
    applies: (p) => p.groups === 1 && (family !== 'arm-dsp' || convInt16DspPays(p)),
    scratchBytes: convInt16GemvScratchBytes,
    emit: (p, ctx) => emit(family, p, ctx),
    cFiles: INT16_GEMV_FILES[family],
  };
}

export const convInt16Variants: readonly KernelVariant<Conv2DInt16Params>[] = [variant('arm-dsp'), variant('armv6m'), variant('rv32')];
