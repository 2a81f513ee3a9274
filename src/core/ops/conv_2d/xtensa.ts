// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Xtensa variant (the ESP32, the ESP32-S3): common/isa/xtensa_matmul.ts's product, one row
 * per output pixel, one MAC16 dot product per output channel.
 *
 * - 1x1 at stride 1 without padding: each input pixel is the row, widened to int16 with the input
 *   offset.
 * - Every other ungrouped shape (k x k, strided, dilated, padded): im2col of one pixel, its receptive
 *   field gathered straight into int16 lanes with the input offset added; a tap over the padding is a
 *   0 lane, adding nothing, as the reference kernel's skipped taps.
 *
 * Grouped layers run the portable C.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { emitXtensaMatmul, xtensaColumnsFunction, xtensaDepth, xtensaRowBytes } from '../common/isa/xtensa_matmul.ts';
import type { Conv2DParams } from './contract.ts';
import { isPointwise, summary } from './describe.ts';

export function convXtensaApplies(p: Conv2DParams): boolean {
  return p.groups === 1;
}

function fieldBytes(p: Conv2DParams): number {
  return p.kH * p.kW * p.filterInC;
}

/**
 * `<fn>_gather(dst, image, oy, ox)`: output pixel (oy, ox)'s receptive field as int16 lanes, input
 * offset added, 0 for taps over the padding and after the field up to the padded depth.
 */
function gatherFunction(p: Conv2DParams, fnName: string): string {
  const depth = fieldBytes(p);
  const padded = xtensaDepth(depth);
  const rowLanes = p.kW * p.inC;
  const lines = [
    `static void ${fnName}_gather(int16_t *dst, const int8_t *image, const int oy, const int ox) {`,
    `  const int iy0 = oy * ${p.strideH} - ${p.padTop};`,
    `  const int ix0 = ox * ${p.strideW} - ${p.padLeft};`,
    `  const int cols_inside = ix0 >= 0 && ix0 + ${(p.kW - 1) * p.dilationW} < ${p.inW};`,
    `  for (int fy = 0; fy < ${p.kH}; ++fy) {`,
    `    const int iy = iy0 + fy * ${p.dilationH};`,
    `    if (iy < 0 || iy >= ${p.inH}) {`,
    `      for (int i = 0; i < ${rowLanes}; ++i) *dst++ = 0;`,
    '      continue;',
    '    }',
    `    const int8_t *const row = image + iy * ${p.inW * p.inC};`,
  ];
  if (p.dilationW === 1) {
    lines.push(
      '    if (cols_inside) { /* the kernel row is contiguous in the input */',
      `      const int8_t *const src = row + ix0 * ${p.inC};`,
      `      for (int i = 0; i < ${rowLanes}; ++i) *dst++ = (int16_t)(src[i] + ${p.inputOffset});`,
      '      continue;',
      '    }',
    );
  } else lines.push('    (void)cols_inside;');
  lines.push(
    `    for (int fx = 0; fx < ${p.kW}; ++fx) {`,
    `      const int ix = ix0 + fx * ${p.dilationW};`,
    `      if (ix < 0 || ix >= ${p.inW}) {`,
    `        for (int c = 0; c < ${p.inC}; ++c) *dst++ = 0;`,
    '      } else {',
    `        const int8_t *const src = row + ix * ${p.inC};`,
    `        for (int c = 0; c < ${p.inC}; ++c) *dst++ = (int16_t)(src[c] + ${p.inputOffset});`,
    '      }',
    '    }',
    '  }',
  );
  if (padded > depth) lines.push(`  for (int i = ${depth}; i < ${padded}; ++i) *dst++ = 0;`);
  lines.push('}');
  return lines.join('\n');
}

function emitIm2col(p: Conv2DParams, ctx: LayerEmitContext, weights: Int8Array, bias: Int32Array | undefined): string {
  const depth = fieldBytes(p);
  const layer = { ...p, depth, columns: p.outC };
  return [
    `/* ${summary(p)} (Xtensa: im2col of one pixel into int16 lanes with the input offset (K = ${depth}, padded to ${xtensaDepth(depth)}), one MAC16 dot product per output channel, weights re-laid as int16) */`,
    gatherFunction(p, ctx.fnName),
    '',
    xtensaColumnsFunction(layer, weights, bias, ctx),
    '',
    `static void ${ctx.fnName}(void) {`,
    `  int16_t *const cols = (int16_t *)(void *)${ctx.scratch()};`,
    `  const int8_t *image = ${ctx.input(0)};`,
    `  int8_t *out = ${ctx.output(0)};`,
    `  for (int b = 0; b < ${p.batches}; ++b, image += ${p.inH * p.inW * p.inC}) {`,
    `    for (int oy = 0; oy < ${p.outH}; ++oy) {`,
    `      for (int ox = 0; ox < ${p.outW}; ++ox, out += ${p.outC}) {`,
    `        ${ctx.fnName}_gather(cols, image, oy, ox);`,
    `        ${ctx.fnName}_columns(cols, out);`,
    '      }',
    '    }',
    '  }',
    '}',
  ].join('\n');
}

export const convXtensaVariant: KernelVariant<Conv2DParams> = {
  name: 'xtensa',
  family: 'xtensa',
  applies: convXtensaApplies,
  scratchBytes: (p) => xtensaRowBytes(isPointwise(p) ? p.inC : fieldBytes(p)),
  emit(p, ctx) {
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    if (!isPointwise(p)) return emitIm2col(p, ctx, weights, bias);
    return emitXtensaMatmul({ ...p, rows: p.batches * p.outH * p.outW, depth: p.inC, columns: p.outC }, weights, bias, ctx, { summary: summary(p) });
  },
};
