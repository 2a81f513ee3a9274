// SPDX-License-Identifier: Apache-2.0
/**
 * The im2col gather the convolution kernels that run a matrix product over receptive fields share
 * (CONV_2D's RV32, MVE and ESP32-S3 SIMD kernels, and through the S3 one the depthwise layers of one
 * input channel): C that copies one output pixel's window into a row, padded taps as the input zero point.
 */
import type { ConvWindowParams } from './conv_geometry.ts';

/**
 * The gather of one output pixel's receptive field(s) into `dst` (group g's row at dst + g * groupRows):
 * kernel rows above or below the image and taps left or right of it filled with the zero point.
 */
export function gatherFunction(p: ConvWindowParams & { inputOffset: number; filterInC: number; groups: number }, fnName: string, groupRows: number): string {
  const zeroPoint = -p.inputOffset;
  const tapBytes = p.filterInC;
  const inRow = p.inW * p.inC;
  const rowBytes = p.kW * tapBytes;
  const lines: string[] = [];
  // one tap (fx, a C expression) whose input pixel starts at `src`: every group's channels
  const copyTap = (dstOffset: string, src: string) =>
    p.groups === 1
      ? [`memcpy(dst + ${dstOffset}, ${src}, ${tapBytes});`]
      : [`for (int g = 0; g < ${p.groups}; ++g) memcpy(dst + g * ${groupRows} + ${dstOffset}, ${src} + g * ${tapBytes}, ${tapBytes});`];
  const fillTap = (dstOffset: string) =>
    p.groups === 1
      ? [`memset(dst + ${dstOffset}, ${zeroPoint}, ${tapBytes});`]
      : [`for (int g = 0; g < ${p.groups}; ++g) memset(dst + g * ${groupRows} + ${dstOffset}, ${zeroPoint}, ${tapBytes});`];
  const fillRow =
    p.groups === 1
      ? `memset(dst, ${zeroPoint}, ${rowBytes});`
      : `for (int g = 0; g < ${p.groups}; ++g) memset(dst + g * ${groupRows}, ${zeroPoint}, ${rowBytes});`;
  lines.push(`static void ${fnName}_gather(int8_t *dst, const int8_t *image, const int oy, const int ox) {`);
  lines.push(`  const int iy0 = oy * ${p.strideH} - ${p.padTop};`);
  lines.push(`  const int ix0 = ox * ${p.strideW} - ${p.padLeft};`);
  lines.push(`  const int cols_inside = ix0 >= 0 && ix0 + ${(p.kW - 1) * p.dilationW} < ${p.inW};`);
  lines.push(`  for (int fy = 0; fy < ${p.kH}; ++fy, dst += ${rowBytes}) {`);
  lines.push(`    const int iy = iy0 + fy * ${p.dilationH};`);
  lines.push(`    if (iy < 0 || iy >= ${p.inH}) {`);
  lines.push(`      ${fillRow}`);
  lines.push('      continue;');
  lines.push('    }');
  lines.push(`    const int8_t *const row = image + iy * ${inRow};`);
  lines.push('    if (cols_inside) {');
  lines.push(`      const int8_t *const src = row + ix0 * ${p.inC};`);
  if (p.groups === 1 && p.dilationW === 1) {
    lines.push(`      memcpy(dst, src, ${rowBytes}); /* the kernel row is contiguous in the input */`);
  } else {
    lines.push(`      for (int fx = 0; fx < ${p.kW}; ++fx) {`);
    for (const l of copyTap(`fx * ${tapBytes}`, `src + fx * ${p.dilationW * p.inC}`)) lines.push(`        ${l}`);
    lines.push('      }');
  }
  lines.push('    } else {');
  lines.push(`      for (int fx = 0; fx < ${p.kW}; ++fx) {`);
  lines.push(`        const int ix = ix0 + fx * ${p.dilationW};`);
  lines.push(`        if (ix < 0 || ix >= ${p.inW}) {`);
  for (const l of fillTap(`fx * ${tapBytes}`)) lines.push(`          ${l}`);
  lines.push('        } else {');
  for (const l of copyTap(`fx * ${tapBytes}`, `row + ix * ${p.inC}`)) lines.push(`          ${l}`);
  lines.push('        }');
  lines.push('      }');
  lines.push('    }');
  lines.push('  }');
  lines.push('}');
  return lines.join('\n');
}
