// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's ESP32-S3 SIMD variant ('xtensa-s3'), depth multiplier 1: channels in the 16
 * int8 lanes of a q register, one EE.VMULAS.S8.QACC per tap and 16 channels (xtensa_s3_simd.h).
 *
 * Where C is a multiple of 16, the columns undilated and the input tensor 16-byte aligned (checked
 * when the layer runs), a window inside the input is read where it lies: its taps are C bytes apart
 * along a row, as in the weights. Every other window (over the padding, or all of them otherwise)
 * has its taps copied into aligned scratch, tap after tap, each the pixel's C channels padded to a
 * whole number of 16-byte blocks (a padded tap holds the input zero point: with the input offset
 * folded into the start values it adds exactly nothing, as the reference kernel's skipped taps).
 * Then per 16 channels: QACC zeroed, for every tap the 16 inputs and the 16 weights loaded and
 * multiplied lane by lane into QACC, QACC's 16 lanes read back (xtensa_s3_dot.h), each added to its
 * channel's start (b + io·Σw) and requantized (s3simd.ts's s3Requant forms where they are exact, else
 * xtensa.h's right-shift form or tf_mbqm).
 *
 * QACC's s8 lanes hold 20 bits: the variant runs only where every channel's sum of |x·w| over its
 * taps, |x| <= 128 for any input byte, stays below 2^19 (`qaccLanesFit`), so no lane can wrap or
 * saturate and each lane is the exact sum. 3x3 and 5x5 windows fit whatever the weights.
 *
 * 3x3 layers without dilation take this kernel where C is a multiple of 16 (their windows read in
 * place); the others stay on the MAC16 3x3 kernel (`depthwiseS3Applies`).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, cTerm, foldedAccumulatorInit } from '../common/families/weighted.ts';
import { accumulatorBounds } from '../common/isa/dsp.ts';
import { xtensaRequantCall } from '../common/isa/xtensa_matmul.ts';
import { S3_C_FILES, S3_LANES, s3Clamp, s3Padded, s3Requant, s3RequantC, s3RequantStarts } from '../common/isa/s3simd.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { summary } from './describe.ts';
import { depthwise3x3Applies } from './xtensa.ts';
import { asConv } from './m0plus.ts';
import { channelMajor } from './filter_layout.ts';
import { convS3ScratchBytes, emitConvS3With } from '../common/isa/s3simd_conv.ts';

/** The largest step EE.VLD.128.IP's immediate encodes. */
const MAX_STEP = 2032;
/** One lane's limit: 20 bits, two's complement. */
const LANE_MAX = 2 ** 19 - 1;

/** Every channel's sum over its taps of 128·|w| fits a 20-bit QACC lane. Filter [1][kh][kw][C]. */
export function qaccLanesFit(filter: Int8Array, channels: number): boolean {
  const taps = filter.length / channels;
  for (let c = 0; c < channels; c++) {
    let bound = 0;
    for (let t = 0; t < taps; t++) bound += 128 * Math.abs(filter[t * channels + c]!);
    if (bound > LANE_MAX) return false;
  }
  return true;
}

/** Windows inside the input are read in place: C a multiple of 16 (taps on 16-byte boundaries), columns undilated. */
export function depthwiseS3InPlace(p: DepthwiseConv2DParams): boolean {
  return p.outC % S3_LANES === 0 && p.dilationW === 1;
}

/**
 * Multiplier 1 within the lane bound. The shapes of the MAC16 3x3 kernel (xtensa.ts) only where
 * their windows are read in place: with every window's taps copied, counted from the S3 compiler's
 * disassembly, this kernel spends about 9.6 instructions a MAC against the MAC16 kernel's 7.8-8.8
 * (docs/boards/esp32.md).
 */
export function depthwiseS3Applies(p: DepthwiseConv2DParams): boolean {
  if (depthwise3x3Applies(p) && !depthwiseS3InPlace(p)) return false;
  return p.depthMultiplier === 1 && p.qaccLanesFit === true && !p.ortScale && s3Padded(p.outC) <= MAX_STEP;
}

/** The window's taps (channels padded to 16-byte blocks), QACC's raw store (52 bytes in 64), its 16 lanes. */
export function depthwiseS3ScratchBytes(p: DepthwiseConv2DParams): number {
  return p.kH * p.kW * s3Padded(p.outC) + 64 + 4 * S3_LANES;
}

/** Filter [1][kh][kw][C] as [tap][C padded with zeros to 16-byte blocks]. */
export function depthwiseS3Weights(filter: Int8Array, channels: number): Int8Array {
  const taps = filter.length / channels;
  const stride = s3Padded(channels);
  const out = new Int8Array(taps * stride);
  for (let t = 0; t < taps; t++) out.set(filter.subarray(t * channels, (t + 1) * channels), t * stride);
  return out;
}

/**
 * The C statement storing one requantized channel: `out[<outIndex>] = ...` of the C variables `lane`
 * (the channel's window sum) and `ch` (its channel), with the layer's tables (s3simd.ts's s3Requant
 * forms where they are exact, else xtensa.h's right-shift form or tf_mbqm).
 */
export function depthwiseS3Store(p: DepthwiseConv2DParams, ctx: LayerEmitContext, outIndex: string): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  // each channel's taps as one row: its folded start b + io·Σw and its accumulator bound
  const byChannel = channelMajor(filter, p.outC);
  const taps = p.kH * p.kW;
  const startValues = foldedAccumulatorInit(byChannel, p.outC, taps, p.inputOffset, bias);
  const fast = s3Requant(p, accumulatorBounds(byChannel, p.outC, taps, p.inputOffset, bias));
  let requant: string;
  if (fast) {
    // {start, multiplier, add, e} per channel
    const table = ctx.addConst(
      'rq_s3',
      'int32_t',
      Array.from(s3RequantStarts(fast, startValues)).flatMap((v, c) => [v, fast.multiplier[c]!, fast.add[c]!, fast.exponent[c]!]),
    );
    const operand = (k: number) => `${table}[4 * ch + ${k}]`;
    requant = s3RequantC(fast, 'lane', operand(0), operand(1), operand(2), operand(3));
  } else {
    const table = ctx.addConst('start_s3', 'int32_t', startValues);
    requant = `${xtensaRequantCall(p, 'ch', `(${table}[ch] + lane)`, ctx)} ${cTerm(p.outputZeroPoint)}`;
  }
  return `out[${outIndex}] = (int8_t)${s3Clamp(requant, p.actMin, p.actMax)};`;
}

/**
 * QACC's 16 lanes stored through `raw`, each half's five words read once and its 8 lanes handed to
 * `statement(lane)` as the C variable `lane`, unrolled (xtensa_s3_dot.h).
 */
export function s3UnrolledLanes(statement: (lane: number) => string): string[] {
  return [
    `tf_s3_qacc_s8_store(raw);`,
    ...[0, 1].flatMap((h) => [
      `{`,
      `  uint32_t half[5];`,
      `  tf_s3_qacc_half_words(half, raw, ${h});`,
      ...Array.from({ length: 8 }, (_, i) => `  { const int32_t lane = tf_s3_qacc_half_lane(half, ${i}); ${statement(8 * h + i)} }`),
      `}`,
    ]),
  ];
}

/**
 * QACC's first `count` lanes read back through `lanes` (tf_s3_qacc_s8_lanes) and handed one by one
 * to `statement` as the C variables `lane` and `i`: a group of fewer than 16 channels.
 */
export function s3LaneLoop(count: number, statement: string): string[] {
  return [`tf_s3_qacc_s8_lanes(lanes, raw);`, `for (int i = 0; i < ${count}; ++i) {`, `  const int32_t lane = lanes[i];`, `  ${statement}`, `}`];
}

function emitDepthwiseS3(p: DepthwiseConv2DParams, ctx: LayerEmitContext): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const channels = p.outC;
  const stride = s3Padded(channels);
  const taps = p.kH * p.kW;
  const blocks = stride / S3_LANES;
  const tail = channels - (blocks - 1) * S3_LANES;
  const w = ctx.addConst('w_s3', 'int8_t', depthwiseS3Weights(filter, channels), 16);
  const store = depthwiseS3Store(p, ctx, 'ch');
  const zeroPointByte = -p.inputOffset & 0xff;
  const inPlace = depthwiseS3InPlace(p);
  const rowBytes = p.inW * channels;
  const copy = (indent: string) =>
    [
      `int8_t *tap = window;`,
      `for (int fy = 0; fy < ${p.kH}; ++fy) {`,
      `  const int iy = iy0 + fy * ${p.dilationH};`,
      `  for (int fx = 0; fx < ${p.kW}; ++fx, tap += ${stride}) {`,
      `    const int ix = ix0 + fx * ${p.dilationW};`,
      `    if (iy < 0 || iy >= ${p.inH} || ix < 0 || ix >= ${p.inW})`,
      `      memset(tap, ${zeroPointByte}, ${channels});`,
      `    else`,
      `      memcpy(tap, image + (iy * ${p.inW} + ix) * ${channels}, ${channels});`,
      `  }`,
      `}`,
    ].map((l) => indent + l);
  // in place, C = stride and the columns undilated: a row of taps is kW·C contiguous bytes, in the
  // window as in the input, so each row is one copy of its columns inside the input, the zero point
  // on either side
  const copyRows = (indent: string) =>
    [
      `for (int fy = 0; fy < ${p.kH}; ++fy) {`,
      `  const int iy = iy0 + fy * ${p.dilationH};`,
      `  int8_t *const dst = window + fy * ${p.kW * stride};`,
      `  const int lo = ix0 < 0 ? -ix0 : 0;`,
      `  const int hi = ix0 + ${p.kW} > ${p.inW} ? ${p.inW} - ix0 : ${p.kW};`,
      `  if (iy < 0 || iy >= ${p.inH} || hi <= lo) {`,
      `    memset(dst, ${zeroPointByte}, ${p.kW * stride});`,
      `    continue;`,
      `  }`,
      `  if (lo > 0) memset(dst, ${zeroPointByte}, (size_t)lo * ${channels});`,
      `  memcpy(dst + lo * ${channels}, image + (iy * ${p.inW} + ix0 + lo) * ${channels}, (size_t)(hi - lo) * ${channels});`,
      `  if (hi < ${p.kW}) memset(dst + hi * ${channels}, ${zeroPointByte}, (size_t)(${p.kW} - hi) * ${channels});`,
      `}`,
    ].map((l) => indent + l);
  // a whole group: each half's words read once and its 8 lanes requantized straight from them, unrolled
  const unrolled = (indent: string) => s3UnrolledLanes((i) => `const int ch = g * ${S3_LANES} + ${i}; ${store}`).map((l) => indent + l);
  // the last group's `tail` lanes
  const tailLoop = (indent: string) => s3LaneLoop(tail, `const int ch = g * ${S3_LANES} + i; ${store}`).map((l) => indent + l);
  return (
    [
      `static void ${ctx.fnName}(void) {`,
      `  /* ${summary(p)}`,
      `   * ESP32-S3 SIMD: ${inPlace ? "each window inside the input read in place, the others' " : "the window's "}${taps} taps copied into aligned scratch (${stride} bytes a tap), then per 16 channels one EE.VMULAS.S8.QACC a tap into QACC's 20-bit lanes */`,
      `  int8_t *out = ${ctx.output(0)};`,
      `  int8_t *const window = (int8_t *)${ctx.scratch()};`,
      `  int8_t *const raw = window + ${taps * stride};`,
      ...(tail < S3_LANES ? [`  int32_t *const lanes = (int32_t *)(void *)(raw + 64);`] : []),
      ...(inPlace ? [`  const int aligned = ((uintptr_t)${ctx.input(0)} & 15u) == 0;`] : []),
      // the copies write each tap's first C bytes only: the padding lanes stay zero (their weights are zero too)
      ...(stride > channels ? [`  memset(window, 0, ${taps * stride});`] : []),
      `  for (int b = 0; b < ${p.batches}; ++b) {`,
      `    const int8_t *const image = ${ctx.input(0)} + b * ${p.inH * rowBytes};`,
      `    for (int oy = 0; oy < ${p.outH}; ++oy) {`,
      `      const int iy0 = oy * ${p.strideH} - ${p.padTop};`,
      `      for (int ox = 0; ox < ${p.outW}; ++ox, out += ${channels}) {`,
      `        const int ix0 = ox * ${p.strideW} - ${p.padLeft};`,
      ...(inPlace
        ? [
            `        const int8_t *x;`,
            `        int rowStep;`,
            `        if (aligned && iy0 >= 0 && iy0 + ${(p.kH - 1) * p.dilationH} < ${p.inH} && ix0 >= 0 && ix0 + ${p.kW - 1} < ${p.inW}) {`,
            `          x = image + (iy0 * ${p.inW} + ix0) * ${channels};`,
            `          rowStep = ${p.dilationH * rowBytes};`,
            `        } else {`,
            ...copyRows('          '),
            `          x = window;`,
            `          rowStep = ${p.kW * stride};`,
            `        }`,
          ]
        : [...copy('        '), `        const int8_t *const x = window;`, `        const int rowStep = ${p.kW * stride};`]),
      `        for (int g = 0; g < ${blocks}; ++g) {`,
      `          const int8_t *row = x + g * ${S3_LANES};`,
      `          const int8_t *wt = ${w} + g * ${S3_LANES};`,
      `          TF_S3_ZERO_QACC();`,
      `          for (int fy = 0; fy < ${p.kH}; ++fy, row += rowStep) {`,
      `            const int8_t *xt = row;`,
      `            for (int fx = 0; fx < ${p.kW}; ++fx) {`,
      `              TF_S3_VLD_128_IP(q0, xt, ${stride});`,
      `              TF_S3_VLD_128_IP(q1, wt, ${stride});`,
      `              TF_S3_VMULAS_S8_QACC(q0, q1);`,
      `            }`,
      `          }`,
      ...(tail === S3_LANES
        ? unrolled('          ')
        : [`          if (g < ${blocks - 1}) {`, ...unrolled('            '), `          } else {`, ...tailLoop('            '), `          }`]),
      `        }`,
      `      }`,
      `    }`,
      `  }`,
      `}`,
    ].join('\n') + '\n'
  );
}

/**
 * One input channel and a depth multiplier above 1 (a network's first layer on a grey image): the
 * layer is a CONV_2D of one input channel, its filter [1][kh][kw][M] read as OHWI [M][kh][kw][1], run
 * by the S3 convolution (common/isa/s3simd_conv.ts): each window gathered once into an aligned row, then one
 * dot product a channel. The sums and their requantization are the same integers.
 */
function depthwiseS3OneChannelApplies(p: DepthwiseConv2DParams): boolean {
  return p.inC === 1 && p.depthMultiplier > 1 && !p.ortScale;
}

function emitDepthwiseS3OneChannel(p: DepthwiseConv2DParams, ctx: LayerEmitContext): string {
  const ohwi = channelMajor(constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!), p.outC);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  return emitConvS3With(asConv(p), ctx, ohwi, bias, `${summary(p)}: one input channel, as a convolution`);
}

export const depthwiseS3OneChannelVariant: KernelVariant<DepthwiseConv2DParams> = {
  name: 's3simd one input channel',
  family: 'xtensa-s3',
  applies: depthwiseS3OneChannelApplies,
  scratchBytes: (p) => convS3ScratchBytes(asConv(p)),
  emit: emitDepthwiseS3OneChannel,
  cFiles: S3_C_FILES,
};

export const depthwiseS3Variant: KernelVariant<DepthwiseConv2DParams> = {
  name: 's3simd',
  family: 'xtensa-s3',
  applies: depthwiseS3Applies,
  scratchBytes: depthwiseS3ScratchBytes,
  emit: emitDepthwiseS3,
  cFiles: S3_C_FILES,
};
