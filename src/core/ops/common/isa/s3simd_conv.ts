// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32-S3 SIMD convolution, for CONV_2D (conv_2d/s3simd.ts) and the depthwise layers of one input
 * channel (depthwise_conv_2d/s3simd.ts): one output pixel at a time, its input row in aligned scratch
 * (1x1 layers copy the pixel's channels, every other shape gathers its receptive field), then per
 * output channel a dot product of 16 int8 products per EE.VMULAS.S8.ACCX.
 */
import type { LayerEmitContext } from '../../op.ts';
import { type S3Group, s3Columns, s3Padded, s3RowScratch } from './s3simd.ts';
import { gatherFunction } from '../families/im2col_gather.ts';
import type { Conv2DParams } from '../../conv_2d/contract.ts';
import { isPointwise } from '../../conv_2d/describe.ts';

/** Bytes of one group's row: the pixel's channels (1x1) or its receptive field. */
function depthOf(p: Conv2DParams): number {
  return isPointwise(p) ? p.inC : p.kH * p.kW * p.filterInC;
}

export function convS3ScratchBytes(p: Conv2DParams): number {
  return s3RowScratch(depthOf(p), p.groups);
}

/**
 * The kernel for a filter in OHWI order and biases given here, not read from the layer's tensors:
 * DEPTHWISE_CONV_2D of one input channel runs as this convolution (depthwise_conv_2d/s3simd.ts).
 */
export function emitConvS3With(p: Conv2DParams, ctx: LayerEmitContext, filter: Int8Array, bias: Int32Array | undefined, what: string): string {
  const depth = depthOf(p);
  const stride = s3Padded(depth);
  const perGroup = p.outC / p.groups;
  // OHWI: a group's filters are consecutive rows, each in the gather's order
  const groups: S3Group[] = Array.from({ length: p.groups }, (_, g) => ({
    weights: filter.subarray(g * perGroup * depth, (g + 1) * perGroup * depth),
    bias: bias?.subarray(g * perGroup, (g + 1) * perGroup),
  }));
  const columns = s3Columns(p, groups, perGroup, depth, ctx);
  const pointwise = isPointwise(p);
  const lines: string[] = [];
  if (!pointwise) lines.push(gatherFunction(p, ctx.fnName, stride), '');
  lines.push(`static void ${ctx.fnName}(void) {`);
  lines.push(`  /* ${what}`);
  lines.push(
    `   * ESP32-S3 SIMD: ${pointwise ? 'each pixel copied' : `each receptive field (K = ${depth}) gathered`} into a 16-byte aligned row of ${stride} bytes${p.groups > 1 ? ' per group' : ''}, 16 MACs per EE.VMULAS.S8.ACCX */`,
  );
  lines.push(`  const int8_t *in = ${ctx.input(0)};`);
  lines.push(`  int8_t *out = ${ctx.output(0)};`);
  lines.push(`  int8_t *const row = (int8_t *)${ctx.scratch()};`);
  // the gather and the copy write only the first `depth` bytes of each group's row: the rest stays zero
  if (stride > depth) lines.push(`  memset(row, 0, ${stride * p.groups});`);
  const body = (indent: string) => [
    ...(p.groups === 1
      ? columns.loop('row', 'out', '0')
      : [`for (int g = 0; g < ${p.groups}; ++g)`, ...columns.loop(`row + g * ${stride}`, `out + g * ${perGroup}`, 'g')]
    ).map((l) => `${indent}${l}`),
  ];
  const pixels = p.batches * p.outH * p.outW;
  const major = pointwise ? columns.channelMajor?.('in', 'out', pixels, p.outC) : undefined;
  // an odd last pixel of the 8-channel form is left to the pixel loop below
  const rest = major !== undefined && major.covered < pixels;
  if (major) {
    // the input's pixels are consecutive aligned rows where the tensor is 16-byte aligned: read in place
    if (rest) lines.push(`  int first = 0;`);
    lines.push(`  if (((uintptr_t)in & 15u) == 0) {`);
    lines.push(...major.code.map((l) => `    ${l}`));
    if (rest) lines.push(`    first = ${major.covered};`, `    in += ${major.covered * p.inC};`, `    out += ${major.covered * p.outC};`);
    else lines.push(`    return;`);
    lines.push(`  }`);
  }
  if (pointwise) {
    lines.push(`  for (int px = ${rest ? 'first' : '0'}; px < ${pixels}; ++px, in += ${p.inC}, out += ${p.outC}) {`);
    lines.push(`    memcpy(row, in, ${p.inC});`);
    lines.push(...body('    '));
    lines.push('  }');
  } else {
    lines.push(`  for (int b = 0; b < ${p.batches}; ++b, in += ${p.inH * p.inW * p.inC}) {`);
    lines.push(`    for (int oy = 0; oy < ${p.outH}; ++oy) {`);
    lines.push(`      for (int ox = 0; ox < ${p.outW}; ++ox, out += ${p.outC}) {`);
    lines.push(`        ${ctx.fnName}_gather(row, in, oy, ox);`);
    lines.push(...body('        '));
    lines.push('      }');
    lines.push('    }');
    lines.push('  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
