// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's ESP32-S3 SIMD variant for 8 channels ('xtensa-s3'), depth multiplier 1, column
 * stride 1: two neighbouring output pixels fill QACC's 16 lanes, pixel ox's 8 channels in lanes 0-7
 * and pixel ox + 1's in lanes 8-15. A tap of the two pixels is 16 contiguous input bytes (columns
 * c and c + 1 of one row), so one EE.VLD.128.IP and one EE.VMULAS.S8.QACC a tap serve 16 outputs, the
 * weights stored twice in each 16-byte block. With 8 channels the 16-channel kernel (s3simd.ts) would
 * fill half its lanes and copy every window.
 *
 * The loads ignore an address's low four bits, so a tap's 16 bytes must start on a 16-byte boundary:
 * column c at byte 8c is on one for even c only. For each output row the kernel therefore copies the
 * window's input rows into scratch twice, zero-point padded to the full padded width: row P as it is,
 * and row Q shifted by one pixel (Q[j] = P[j + 8]). With the pair starting at an even column ox, tap
 * column ox + fx is read from P where fx is even and from Q at ox + fx - 1 where it is odd: every load
 * aligned. The copies cost kH x 2 row copies an output row, against 16 outputs per kH x kW loads.
 *
 * QACC's s8 lanes hold 20 bits: as the 16-channel kernel, only where every channel's window sum fits
 * (`qaccLanesFit`). The lanes are requantized as that kernel's (depthwiseS3Store, s3UnrolledLanes).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt8 } from '../common/families/weighted.ts';
import { S3_C_FILES, S3_LANES, s3Padded } from '../common/isa/s3simd.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { summary } from './describe.ts';
import { depthwiseS3Store, s3LaneLoop, s3UnrolledLanes } from './s3simd.ts';

/** The channels this variant takes: half of QACC's 16 lanes. */
const PAIR_CHANNELS = 8;
/** The largest step EE.VLD.128.IP's immediate encodes. */
const MAX_STEP = 2032;

/** Padded columns a copied row holds: every column of the last pair's windows. */
function paddedColumns(p: DepthwiseConv2DParams): number {
  return 2 * Math.ceil(p.outW / 2) + (p.kW - 1) * p.dilationW;
}

/** Bytes between copied rows (P0, Q0, P1, Q1, ...): a padded row rounded up to whole blocks. */
function rowStride(p: DepthwiseConv2DParams): number {
  return s3Padded(paddedColumns(p) * PAIR_CHANNELS);
}

export function depthwiseS3PairsApplies(p: DepthwiseConv2DParams): boolean {
  return (
    p.depthMultiplier === 1 &&
    p.outC === PAIR_CHANNELS &&
    p.strideW === 1 &&
    p.dilationW === 1 &&
    p.qaccLanesFit === true &&
    !p.ortScale &&
    // every step between two taps' loads fits the load's immediate
    tapOrder(p).every((t, i, all) => i === 0 || t.offset - all[i - 1]!.offset <= MAX_STEP)
  );
}

/** The copied rows, QACC's raw store (52 bytes in 64), the last odd pixel's 16 lanes. */
export function depthwiseS3PairsScratchBytes(p: DepthwiseConv2DParams): number {
  return 2 * p.kH * rowStride(p) + 64 + 4 * S3_LANES;
}

/** A tap's byte offset from the pair's first column in P0: P rows for even fx, Q rows for odd. */
function tapOffset(fy: number, fx: number, stride: number): number {
  return fx % 2 === 0 ? 2 * fy * stride + fx * PAIR_CHANNELS : (2 * fy + 1) * stride + (fx - 1) * PAIR_CHANNELS;
}

/** The taps in the order of their offsets, so the load pointer only steps forward. */
function tapOrder(p: DepthwiseConv2DParams): { fy: number; fx: number; offset: number }[] {
  const stride = rowStride(p);
  return Array.from({ length: p.kH * p.kW }, (_, t) => ({ fy: Math.floor(t / p.kW), fx: t % p.kW }))
    .map((t) => ({ ...t, offset: tapOffset(t.fy, t.fx, stride) }))
    .sort((a, b) => a.offset - b.offset);
}

function emitDepthwiseS3Pairs(p: DepthwiseConv2DParams, ctx: LayerEmitContext): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const stride = rowStride(p);
  const columns = paddedColumns(p);
  const taps = tapOrder(p);
  // each tap's 8 weights twice, in that order
  const weights = new Int8Array(taps.length * S3_LANES);
  taps.forEach((t, i) => {
    const at = (t.fy * p.kW + t.fx) * PAIR_CHANNELS;
    for (let c = 0; c < S3_LANES; c++) weights[i * S3_LANES + c] = filter[at + (c % PAIR_CHANNELS)]!;
  });
  const w = ctx.addConst('w_s3', 'int8_t', weights, 16);
  const store = depthwiseS3Store(p, ctx, 'k');
  const zeroPointByte = -p.inputOffset & 0xff;
  const rowBytes = p.inW * PAIR_CHANNELS;
  const copied = Math.max(0, Math.min(p.inW, columns - p.padLeft));
  const right = columns - p.padLeft - copied;
  const dot = taps.map((t, i) => {
    const next = i + 1 < taps.length ? taps[i + 1]!.offset - t.offset : 0;
    return `      TF_S3_VLD_128_IP(q0, x, ${next});\n      TF_S3_VLD_128_IP(q1, wt, 16);\n      TF_S3_VMULAS_S8_QACC(q0, q1);`;
  });
  const pairBody = (indent: string) =>
    [`const int8_t *x = rows + ox * ${PAIR_CHANNELS};`, `const int8_t *wt = ${w};`, `TF_S3_ZERO_QACC();`, ...dot.map((d) => d.replace(/^ {6}/gm, ''))]
      .join('\n')
      .split('\n')
      .map((l) => indent + l);
  return (
    [
      `static void ${ctx.fnName}(void) {`,
      `  /* ${summary(p)}`,
      `   * ESP32-S3 SIMD, 8 channels: two output pixels in QACC's 16 lanes, one EE.VMULAS.S8.QACC a tap; each output row's ${p.kH} input rows copied padded, and again one pixel on, so every tap load is aligned */`,
      `  int8_t *const rows = (int8_t *)${ctx.scratch()};`,
      `  int8_t *const raw = rows + ${2 * p.kH * stride};`,
      ...(p.outW % 2 ? [`  int32_t *const lanes = (int32_t *)(void *)(raw + 64);`] : []),
      `  for (int b = 0; b < ${p.batches}; ++b) {`,
      `    const int8_t *const image = ${ctx.input(0)} + b * ${p.inH * rowBytes};`,
      `    int8_t *const output = ${ctx.output(0)} + b * ${p.outH * p.outW * PAIR_CHANNELS};`,
      `    for (int oy = 0; oy < ${p.outH}; ++oy) {`,
      `      for (int fy = 0; fy < ${p.kH}; ++fy) {`,
      `        const int iy = oy * ${p.strideH} - ${p.padTop} + fy * ${p.dilationH};`,
      `        int8_t *const P = rows + fy * ${2 * stride};`,
      `        if (iy < 0 || iy >= ${p.inH}) {`,
      `          memset(P, ${zeroPointByte}, ${columns * PAIR_CHANNELS});`,
      `        } else {`,
      ...(p.padLeft > 0 ? [`          memset(P, ${zeroPointByte}, ${p.padLeft * PAIR_CHANNELS});`] : []),
      ...(copied > 0 ? [`          memcpy(P + ${p.padLeft * PAIR_CHANNELS}, image + iy * ${rowBytes}, ${copied * PAIR_CHANNELS});`] : []),
      ...(right > 0 ? [`          memset(P + ${(p.padLeft + copied) * PAIR_CHANNELS}, ${zeroPointByte}, ${right * PAIR_CHANNELS});`] : []),
      `        }`,
      `        memcpy(P + ${stride}, P + ${PAIR_CHANNELS}, ${(columns - 1) * PAIR_CHANNELS});`,
      `      }`,
      `      int8_t *const outRow = output + oy * ${p.outW * PAIR_CHANNELS};`,
      `      for (int ox = 0; ox < ${p.outW - 1}; ox += 2) {`,
      ...pairBody('        '),
      `        int8_t *const out = outRow + ox * ${PAIR_CHANNELS};`,
      ...s3UnrolledLanes((i) => `const int ch = ${i % PAIR_CHANNELS}; const int k = ${i}; ${store}`).map((l) => `        ${l}`),
      `      }`,
      ...(p.outW % 2
        ? [
            `      {`,
            `        /* the last, odd pixel: a pair whose second pixel reads the padding and is not stored */`,
            `        const int ox = ${p.outW - 1};`,
            ...pairBody('        '),
            `        int8_t *const out = outRow + ox * ${PAIR_CHANNELS};`,
            ...s3LaneLoop(PAIR_CHANNELS, `const int ch = i; const int k = i; ${store}`).map((l) => `        ${l}`),
            `      }`,
          ]
        : []),
      `    }`,
      `  }`,
      `}`,
    ].join('\n') + '\n'
  );
}

export const depthwiseS3PairsVariant: KernelVariant<DepthwiseConv2DParams> = {
  name: 's3simd pairs',
  family: 'xtensa-s3',
  applies: depthwiseS3PairsApplies,
  scratchBytes: depthwiseS3PairsScratchBytes,
  emit: emitDepthwiseS3Pairs,
  cFiles: S3_C_FILES,
};
