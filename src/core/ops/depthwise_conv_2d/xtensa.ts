// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Xtensa variants (the ESP32, the ESP32-S3).
 *
 * - 3x3 at depth multiplier 1 without dilation (MobileNet's layers), on MAC16: channel by channel,
 *   the input plane the channel's outputs read is widened into scratch as int16 lanes with the input
 *   offset added and 0 over the padding, then each output row is one call of xtensa.h's
 *   tf_xt_dw3x3_row_mac16: the channel's first 8 weights in MAC16's M0..M3 for the whole row, the
 *   ninth in a register, 9 loads and 9 MULA a window in a zero-overhead loop, the int32 sums stored
 *   for the row's requantization (tf_mbqm or its right-shift form, and the clamp: bit-exact with the
 *   portable kernel). The
 *   weights are re-laid as int16 [channel][10] (4-byte aligned rows).
 * - Every other layer: the channel-group C of rv32.ts compiled for Xtensa (G accumulators in
 *   registers, one input byte shared by the G channels of a depth multiplier), with `tf_xt_mbqm_right`
 *   from xtensa.h for its requantization. MAC16's one accumulator gives a multiplier's channels,
 *   which share an input byte, nothing.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, cTerm } from '../common/families/weighted.ts';
import { xtensaRequantCall } from '../common/isa/xtensa_matmul.ts';
import { depthwiseRv32Variant } from './rv32.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { summary } from './describe.ts';

/** The plane of one channel the outputs read: rows and columns from the first window's to the last one's. */
function plane(p: DepthwiseConv2DParams): { rows: number; columns: number } {
  return { rows: (p.outH - 1) * p.strideH + 3, columns: (p.outW - 1) * p.strideW + 3 };
}

export function depthwise3x3Applies(p: DepthwiseConv2DParams): boolean {
  return p.kH === 3 && p.kW === 3 && p.depthMultiplier === 1 && p.dilationH === 1 && p.dilationW === 1;
}

/** The widened plane (int16 lanes), then one output row's int32 sums (4-byte aligned). */
function scratchBytes(p: DepthwiseConv2DParams): number {
  const { rows, columns } = plane(p);
  return Math.ceil((rows * columns * 2) / 4) * 4 + 4 * p.outW;
}

/** Filter [1][3][3][C] as int16 [C][10]: a channel's 9 taps in row order, then a 0 lane. */
export function depthwise3x3Weights(filter: Int8Array, channels: number): Int16Array {
  const out = new Int16Array(channels * 10);
  for (let c = 0; c < channels; c++) for (let t = 0; t < 9; t++) out[c * 10 + t] = filter[t * channels + c]!;
  return out;
}

function emit3x3(p: DepthwiseConv2DParams, ctx: LayerEmitContext): string {
  const { rows, columns } = plane(p);
  const channels = p.outC;
  const w = ctx.addConst('w_xt', 'int16_t', depthwise3x3Weights(constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!), channels));
  const bias = p.hasBias ? ctx.addConst('bias_xt', 'int32_t', constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!)) : undefined;
  const requant = xtensaRequantCall(p, 'c', 'sums[ox]', ctx);
  const row = ctx.isa?.mac16 ? 'tf_xt_dw3x3_row_mac16' : 'tf_xt_dw3x3_row_c';
  const sumsAt = Math.ceil((rows * columns * 2) / 4) * 4;
  return [
    `/* ${summary(p)} (Xtensa: per channel its input plane widened to int16 with the input offset (${rows} x ${columns} lanes), then a MAC16 row of 3x3 windows per output row, the weights in M0..M3) */`,
    `static void ${ctx.fnName}(void) {`,
    `  int16_t *const plane = (int16_t *)(void *)${ctx.scratch()};`,
    `  int32_t *const sums = (int32_t *)(void *)(${ctx.scratch()} + ${sumsAt});`,
    `  for (int b = 0; b < ${p.batches}; ++b) {`,
    `    const int8_t *const image = ${ctx.input(0)} + b * ${p.inH * p.inW * p.inC};`,
    `    int8_t *const out = ${ctx.output(0)} + b * ${p.outH * p.outW * p.outC};`,
    `    for (int c = 0; c < ${channels}; ++c) {`,
    `      int16_t *dst = plane;`,
    `      for (int py = 0; py < ${rows}; ++py) {`,
    `        const int iy = py - ${p.padTop};`,
    `        if (iy < 0 || iy >= ${p.inH}) {`,
    `          for (int px = 0; px < ${columns}; ++px) *dst++ = 0;`,
    '          continue;',
    '        }',
    `        const int8_t *src = image + iy * ${p.inW * p.inC} + c;`,
    `        for (int px = 0; px < ${columns}; ++px) {`,
    `          const int ix = px - ${p.padLeft};`,
    `          *dst++ = ix < 0 || ix >= ${p.inW} ? 0 : (int16_t)(src[ix * ${p.inC}] + ${p.inputOffset});`,
    '        }',
    '      }',
    `      const int16_t *const wc = ${w} + c * 10;`,
    `      const int32_t start = ${bias ? `${bias}[c]` : '0'};`,
    `      for (int oy = 0; oy < ${p.outH}; ++oy) {`,
    `        const int16_t *const r0 = plane + oy * ${p.strideH * columns};`,
    `        ${row}(sums, r0, r0 + ${columns}, r0 + ${2 * columns}, wc, ${p.outW}, ${p.strideW}, start);`,
    `        int8_t *o = out + oy * ${p.outW * p.outC} + c;`,
    `        for (int ox = 0; ox < ${p.outW}; ++ox, o += ${p.outC}) *o = (int8_t)tf_clamp(${requant} ${cTerm(p.outputZeroPoint)}, ${p.actMin}, ${p.actMax});`,
    '      }',
    '    }',
    '  }',
    '}',
  ].join('\n');
}

export const depthwiseXtensa3x3Variant: KernelVariant<DepthwiseConv2DParams> = {
  name: 'xtensa 3x3',
  family: 'xtensa',
  applies: depthwise3x3Applies,
  scratchBytes,
  emit: emit3x3,
};

export const depthwiseXtensaVariant: KernelVariant<DepthwiseConv2DParams> = { ...depthwiseRv32Variant, name: 'xtensa', family: 'xtensa' };
