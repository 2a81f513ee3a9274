// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D with int4 weights: filters whose values all lie in [-8, 7] (one group) are
 * stored packed, one row of kH*kW*inC nibbles per output channel (common/codecs/int4.ts), and decoded in
 * registers (common/codecs/int4_dot.h). 1x1 at stride 1 reads each pixel in place; other shapes copy one
 * pixel's window (im2col, int8 input values, padded taps = the input zero point so that the folded
 * start value bias + off·Σw stays exact) into scratch and take the same row products. A variant per
 * family; Armv6-M, RV32 and portable share the C loop.
 */
import type { IsaFamily, KernelIsa, KernelVariant } from '../op.ts';
import { isaFamily } from '../op.ts';
import type { Conv2DParams } from './contract.ts';
import { isPointwise, summary } from './describe.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { int4RowsBytes, int4RowsInstructions, int4WindowCopyInstructions } from '../common/codecs/int4.ts';
import { int4RowsC } from '../common/codecs/int4_rows.ts';

function patchBytes(p: Conv2DParams): number {
  return p.kH * p.kW * p.inC;
}

export function convInt4Bytes(p: Conv2DParams): number {
  return int4RowsBytes(p.outC, patchBytes(p));
}

function convInt4Variant(family: IsaFamily): KernelVariant<Conv2DParams> {
  return {
    name: `${family} int4`,
    family,
    applies: (p) => p.int4Weights === true && p.groups === 1,
    scratchBytes: (p) => (isPointwise(p) ? 0 : Math.ceil(patchBytes(p) / 4) * 4),
    storage: 'int4',
    cost: (p: Conv2DParams, isa: KernelIsa | undefined) => {
      const pixels = p.batches * p.outH * p.outW;
      const copy = isPointwise(p) ? 0 : int4WindowCopyInstructions(pixels, p.kH * p.kW, p.inC);
      return {
        flashBytes: convInt4Bytes(p),
        instructions: int4RowsInstructions(isaFamily(isa), pixels * p.outC * patchBytes(p), pixels * p.outC) + copy,
      };
    },
    cFiles: ['common/codecs/int4_dot.h'],
    emit(p, ctx) {
      const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
      const rowLength = patchBytes(p);
      const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
      const pointwise = isPointwise(p);
      const body = int4RowsC({
        ctx,
        layer: p,
        weights: filter,
        rows: p.outC,
        rowLength,
        bias: biasTensor && constInt32(biasTensor),
        family,
        x: pointwise ? 'px' : 'patch',
        out: 'out',
      });
      const rows = body.rows;
      const head = `/* ${summary(p)}, int4 weights (${convInt4Bytes(p)} bytes for ${p.outC * rowLength} int8), ${family} */`;
      if (pointwise) {
        return `${head}
static void ${ctx.fnName}(void) {
${body.prologue}
  const int8_t *px = ${ctx.input(0)};
  int8_t *out = ${ctx.output(0)};
  for (int p = 0; p < ${p.batches * p.outH * p.outW}; ++p, px += ${p.inC}, out += ${p.outC}) ${rows}
}
`;
      }
      // -inputOffset = the input zero point: a padded tap then adds w * (zp + off) = 0
      const zeroPoint = -p.inputOffset;
      return `${head}
static void ${ctx.fnName}(void) {
${body.prologue}
  const int8_t *const input = ${ctx.input(0)};
  int8_t *const patch = (int8_t *)${ctx.scratch()};
  int8_t *out = ${ctx.output(0)};
  for (int b = 0; b < ${p.batches}; ++b) {
    const int8_t *const image = input + b * ${p.inH * p.inW * p.inC};
    for (int oy = 0; oy < ${p.outH}; ++oy) {
      const int iy0 = oy * ${p.strideH} - ${p.padTop};
      for (int ox = 0; ox < ${p.outW}; ++ox, out += ${p.outC}) {
        const int ix0 = ox * ${p.strideW} - ${p.padLeft};
        int8_t *dst = patch;
        for (int fy = 0; fy < ${p.kH}; ++fy) {
          const int iy = iy0 + fy * ${p.dilationH};
          for (int fx = 0; fx < ${p.kW}; ++fx, dst += ${p.inC}) {
            const int ix = ix0 + fx * ${p.dilationW};
            if (iy >= 0 && iy < ${p.inH} && ix >= 0 && ix < ${p.inW}) {
              memcpy(dst, image + (iy * ${p.inW} + ix) * ${p.inC}, ${p.inC});
            } else {
              memset(dst, ${zeroPoint}, ${p.inC});
            }
          }
        }
        ${rows}
      }
    }
  }
}
`;
    },
  };
}

export const convInt4Variants = (['arm-dsp', 'armv6m', 'rv32', 'portable'] as const).map(convInt4Variant);
