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
import { constInt8 } from '../common/families/weighted.ts';
import { INT16_GEMV_FILES, type Int16GemvFamily, int16GemvSetup, pairOrderRows } from '../common/families/int16_gemv.ts';
import type { Conv2DInt16Params } from './conv_2d_int16.ts';

/** The filter is 1x1: the input pixel is the column, read in place. */
const inPlace = (p: Conv2DInt16Params) => p.kH === 1 && p.kW === 1;

/** Scratch: one im2col column of kH * kW * inC int16 (none for a 1x1 filter). */
export function convInt16GemvScratchBytes(p: Conv2DInt16Params): number {
  return inPlace(p) ? 0 : 2 * p.kH * p.kW * p.inC;
}

/** Int16s from one Arm DSP im2col column to the next: the depth rounded up to even, so both start on a word. */
const dspColumnStride = (p: Conv2DInt16Params) => (p.kH * p.kW * p.inC + 1) & ~1;

/** Arm DSP scratch: two im2col columns (two pixels at a time), none for a 1x1 filter. */
export function convInt16DspScratchBytes(p: Conv2DInt16Params): number {
  return inPlace(p) ? 0 : 4 * dspColumnStride(p);
}

/**
 * conv_2d_int16_dsp.h's filter layout from pair-ordered rows (pairOrderRows): rows in pairs, each
 * pair's whole words alternating between its two rows, then the left-over inputs as (row r, row r + 1)
 * byte pairs; an odd last row as it is. The same bytes as the model's filter, reordered.
 */
export function pairRowsOf2(rows: Int8Array, count: number, rowLength: number): Int8Array {
  const out = new Int8Array(rows.length);
  const whole = rowLength - (rowLength % 4);
  let at = 0;
  for (let r = 0; r + 1 < count; r += 2) {
    const a = r * rowLength;
    const b = a + rowLength;
    for (let k = 0; k < whole; k += 4) {
      for (let j = 0; j < 4; j++) out[at + j] = rows[a + k + j]!;
      for (let j = 0; j < 4; j++) out[at + 4 + j] = rows[b + k + j]!;
      at += 8;
    }
    for (let k = whole; k < rowLength; k++) {
      out[at++] = rows[a + k]!;
      out[at++] = rows[b + k]!;
    }
  }
  if (count % 2 === 1) out.set(rows.subarray((count - 1) * rowLength, count * rowLength), at);
  return out;
}

/**
 * The C filling column `col` with the window of pixel (b, oy, ox), zeros outside the image: memcpy /
 * memset per tap (inlined as word moves on Arm DSP and RV32), or on Armv6-M, which has no unaligned
 * loads and calls the library for them, an int16 loop.
 */
function im2colLoop(p: Conv2DInt16Params, col: string, indent: string, family: Int16GemvFamily): string {
  const copy =
    family === 'armv6m'
      ? [`for (int k = 0; k < ${p.inC}; ++k) c[k] = src[k];`, `for (int k = 0; k < ${p.inC}; ++k) c[k] = 0;`]
      : [`memcpy(c, src, ${2 * p.inC});`, `memset(c, 0, ${2 * p.inC});`];
  return `${indent}{
${indent}  int16_t *c = ${col};
${indent}  for (int fy = 0; fy < ${p.kH}; ++fy) {
${indent}    const int iy = oy * ${p.strideH} - ${p.padTop} + fy * ${p.dilationH};
${indent}    for (int fx = 0; fx < ${p.kW}; ++fx, c += ${p.inC}) {
${indent}      const int ix = ox * ${p.strideW} - ${p.padLeft} + fx * ${p.dilationW};
${indent}      if (iy >= 0 && iy < ${p.inH} && ix >= 0 && ix < ${p.inW}) {
${indent}        const int16_t *const src = input + ((b * ${p.inH} + iy) * ${p.inW} + ix) * ${p.inC};
${indent}        ${copy[0]}
${indent}      } else {
${indent}        ${copy[1]}
${indent}      }
${indent}    }
${indent}  }
${indent}}`;
}

/**
 * Arm DSP: conv_2d_int16_dsp.h's kernel on two output pixels at a time (pixels counted over batch,
 * rows and columns, so a pair may span two rows); an odd last pixel goes as its own pair (the kernel
 * computes it twice and writes the same values twice).
 */
function emitDsp(p: Conv2DInt16Params, ctx: LayerEmitContext): string {
  const depth = p.kH * p.kW * p.inC;
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const weights = ctx.addConst('w16', 'int8_t', pairRowsOf2(pairOrderRows(filter, p.outC, depth), p.outC, depth));
  const { decls } = int16GemvSetup(
    'arm-dsp',
    { rows: p.outC, depth, weights: filter, multiplier: p.multiplier, shift: p.shift, actMin: p.actMin, actMax: p.actMax, bias: p.bias },
    ctx,
    p.bias === 'none' ? undefined : ctx.input(2),
    weights,
  );
  const pixels = p.batches * p.outH * p.outW;
  const pixelOf = (n: string) => `const int b = ${n} / ${p.outH * p.outW}, oy = ${n} / ${p.outW} % ${p.outH}, ox = ${n} % ${p.outW};`;
  const inPlacePixel = `input + ((b * ${p.inH} + oy * ${p.strideH}) * ${p.inW} + ox * ${p.strideW}) * ${p.inC}`;
  const column = (n: string, x: string, col: string) =>
    inPlace(p)
      ? `    const int16_t *${x};
    {
      ${pixelOf(n)}
      ${x} = ${inPlacePixel};
    }`
      : `    const int16_t *const ${x} = ${col};
    {
      ${pixelOf(n)}
${im2colLoop(p, col, '      ', 'arm-dsp')}
    }`;
  return `/* CONV_2D 16x8 [${p.batches},${p.inH},${p.inW},${p.inC}] * [${p.outC},${p.kH},${p.kW},${p.inC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}] stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}, ${p.bias} bias (arm-dsp int16: 2 pixels x 2 filters${inPlace(p) ? '' : ', im2col'}) */
static void ${ctx.fnName}(void) {
${decls}
  const int16_t *const input = ${ctx.input(0)};
  int16_t *const output = ${ctx.output(0)};
${
  inPlace(p)
    ? ''
    : `  int16_t *const col0 = (int16_t *)${ctx.scratch()};
  int16_t *const col1 = col0 + ${dspColumnStride(p)};
`
}  for (int n0 = 0; n0 < ${pixels}; n0 += 2) {
    const int n1 = n0 + 1 < ${pixels} ? n0 + 1 : n0;
${column('n0', 'x0', 'col0')}
${column('n1', 'x1', 'col1')}
    tf_s16_conv2_dsp(x0, x1, ${depth}, ${weights}, ${p.outC}, &rq, output + n0 * ${p.outC}, output + n1 * ${p.outC});
  }
}
`;
}

function emit(family: Int16GemvFamily, p: Conv2DInt16Params, ctx: LayerEmitContext): string {
  if (family === 'arm-dsp') return emitDsp(p, ctx);
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
    : `${im2colLoop(p, 'col', '        ', family)}
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
    scratchBytes: family === 'arm-dsp' ? convInt16DspScratchBytes : convInt16GemvScratchBytes,
    emit: (p, ctx) => emit(family, p, ctx),
    cFiles: family === 'arm-dsp' ? ['conv_2d/conv_2d_int16_dsp.h'] : INT16_GEMV_FILES[family],
  };
}

export const convInt16Variants: readonly KernelVariant<Conv2DInt16Params>[] = [variant('arm-dsp'), variant('armv6m'), variant('rv32')];
