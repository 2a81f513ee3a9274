// SPDX-License-Identifier: Apache-2.0
/**
 * The Armv6-M packed convolution loops (conv_2d_m0plus.h, the channel loop in conv_2d_m0plus.S; one
 * copy per model), for CONV_2D (conv_2d/m0plus.ts) and the depthwise layers that are convolutions
 * (depthwise_conv_2d/m0plus.ts): two pixels multiplied at once, packed in the halves of a word (a
 * scratch row of one word per tap), for 2 pixels x 2 channels per pass, requantized exactly without a
 * 64-bit multiply; each layer passes a blob of its weights in read order with per-channel records
 * { start, multiplier, rounding and shift }. 1x1 layers at stride 1 with an even channel count pack
 * the pixel pair's input rows directly; every other shape first gathers the pair's receptive fields
 * into the row (im2col). Channels whose requantization the fast form cannot take run the loops' C
 * twin with tf_m0_requant_wide, exact for any int32 accumulator.
 */
import type { LayerEmitContext } from '../../op.ts';
import type { Field, LayerCode, Statement } from '../../layer_code.ts';
import { accumulatorBounds } from './dsp.ts';
import { foldedAccumulatorInit } from '../families/weighted.ts';
import { ortIntegerMultiplier } from '../numerics/requant_f32.ts';
import type { Conv2DParams } from '../../conv_2d/contract.ts';
import { isPointwise } from '../../conv_2d/describe.ts';

const INT16_MAX = 32767;

/** Taps per output pixel (the filter's OHWI row), and rounded up to even (the packed loop's steps). */
function taps(p: Conv2DParams): { k: number; kEven: number } {
  const k = p.kH * p.kW * p.inC;
  return { k, kEven: k + (k % 2) };
}

/** The 1x1 loop packing input rows directly: the layer is a matrix product over pixel pairs. */
function pointwiseShape(p: Conv2DParams): boolean {
  return isPointwise(p) && p.outC % 2 === 0 && p.inC % 2 === 0 && p.inC <= INT16_MAX;
}

/** The im2col loop's geometry fields are int16 (tf_m0_conv_t). */
export function im2colShape(p: Conv2DParams): boolean {
  const dims = [p.inH, p.inW, p.inC, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft];
  return p.groups === 1 && dims.every((d) => d <= INT16_MAX) && taps(p).kEven <= INT16_MAX;
}

/** Which loop the layer gets when the packed loop's checks pass (else the two-channel loop or portable C). */
function packedLoop(p: Conv2DParams): 'pointwise' | 'im2col' | undefined {
  if (pointwiseShape(p)) return 'pointwise';
  return im2colShape(p) ? 'im2col' : undefined;
}

/** The pixel pair's packed row: one word per tap; im2col also a zero-point row and two gathered rows of a kernel row's bytes. */
export function packedConvScratchBytes(p: Conv2DParams): number {
  const loop = packedLoop(p);
  if (loop === 'pointwise') return 4 * p.inC;
  if (loop === 'im2col') return 4 * taps(p).kEven + 3 * Math.ceil((p.kW * p.inC) / 4) * 4;
  return 0;
}

/**
 * Whether the packed loops are exact for this layer: the sum of a step's two products fits a signed
 * half word unless both weights are -128 (2 * 2^14 = 2^15), so no channel may have -128 on both
 * taps of a step (i, i + 1 for even i; TFLite's symmetric weights never reach -128), and every
 * multiplier is TFLite's (in [0, 2^31)) with a shift in [-31, 31]. Any accumulator then works: the
 * channels fastChannel refuses take tf_m0_requant_wide, exact for every int32.
 */
export function packedHolds(p: Conv2DParams, filter: Int8Array, _bias?: Int32Array): boolean {
  if (!packedLoop(p)) return false;
  const { k } = taps(p);
  for (let c = 0; c < p.outC; c++) {
    const m = p.multiplier[c]!;
    const shift = p.shift[c]!;
    // ONNX Runtime's requantization: m0plus_rq.h tf_m0_rq_ort's multipliers
    if (p.ortScale ? !ortIntegerMultiplier(p.ortScale[c]!) : m < 0 || m >= 2 ** 31 || shift < -31 || shift > 31) return false;
    for (let i = 0; i + 1 < k; i += 2) if (filter[c * k + i] === -128 && filter[c * k + i + 1] === -128) return false;
  }
  return true;
}

/**
 * Whether channel c's requantization takes the fast form (tf_m0_requant_raw, the assembly's): shift
 * <= 0 with e + 1 <= 31, every accumulator and every partial sum within +-2^30, and the rounding
 * numerator 2h + rnd within int32 with room for its partial sums (see m0plus_rq.h tf_m0_requant_raw). `bounds`:
 * accumulatorBounds of the layer.
 */
function fastChannel(p: Conv2DParams, filter: Int8Array, bias: Int32Array | undefined, bounds: number[], c: number): boolean {
  const { k } = taps(p);
  const shift = p.shift[c]!;
  const m = p.multiplier[c]!;
  if (shift > 0 || -shift + 1 > 31) return false;
  let sumW = 0;
  let sumAbs = 0;
  for (let i = 0; i < k; i++) {
    sumW += filter[c * k + i]!;
    sumAbs += Math.abs(filter[c * k + i]!);
  }
  const start = Math.abs((bias ? bias[c]! : 0) + p.inputOffset * sumW);
  if (bounds[c]! >= 2 ** 30 || start + 128 * sumAbs >= 2 ** 30) return false;
  const e = -shift;
  const rnd = Math.abs(2 ** e + p.outputZeroPoint * 2 ** (e + 1));
  const h = Math.floor((bounds[c]! * m) / 2 ** 31) + 2;
  return rnd < 2 ** 22 && 2 * h + rnd + 2 ** 19 < 2 ** 31;
}

/** Per channel, whether the fast form takes it (fastChannel). */
export function fastChannels(p: Conv2DParams, filter: Int8Array, bias: Int32Array | undefined): boolean[] {
  const bounds = accumulatorBounds(filter, p.outC, taps(p).k, p.inputOffset, bias);
  return Array.from({ length: p.outC }, (_, c) => fastChannel(p, filter, bias, bounds, c));
}

/**
 * Per channel pair: { start0, start1 }, the 2 kEven weights as [w0(i), w0(i+1), w1(i), w1(i+1)] for
 * i = 0, 2, ... (a zero weight after an odd tap count), then { m0, P0, m1, P1 }; an odd last channel
 * { start }, its kEven weights rounded up to a whole word (zeros), { m, P }. Little-endian int32
 * fields, 4-byte aligned.
 */
export function packedBlob(p: Conv2DParams, filter: Int8Array, bias: Int32Array | undefined): Int8Array {
  const { k, kEven } = taps(p);
  const start = foldedAccumulatorInit(filter, p.outC, k, p.inputOffset, bias);
  const pairs = Math.floor(p.outC / 2);
  const lastWeights = Math.ceil(kEven / 4) * 4;
  const out = new Int8Array(pairs * (2 * kEven + 24) + (p.outC % 2) * (lastWeights + 12));
  const view = new DataView(out.buffer);
  let at = 0;
  const put = (v: number) => {
    view.setInt32(at, v, true);
    at += 4;
  };
  const weight = (c: number, i: number) => (i < k ? filter[c * k + i]! : 0);
  const fast = fastChannels(p, filter, bias);
  const records = (r: number) => {
    if (p.ortScale) {
      // m0plus_rq.h tf_m0_rq_ort: { significand, zp * 2^16 + shift }
      const { mantissa, shift } = ortIntegerMultiplier(p.ortScale[r]!)!;
      put(mantissa);
      put(p.outputZeroPoint * 2 ** 16 + shift);
      return;
    }
    put(p.multiplier[r]!);
    if (fast[r]) {
      // the low byte: e + 1, which the assembly's ASRS reads
      const e = -p.shift[r]!;
      put((2 ** e + p.outputZeroPoint * 2 ** (e + 1) - 2 ** 16) * 256 + e + 1);
    } else {
      // bit 7 marks tf_m0_requant_wide's channels
      const s = p.shift[r]!;
      put(p.outputZeroPoint * 2 ** 16 + Math.max(-s, 0) * 256 + 128 + Math.max(s, 0));
    }
  };
  for (let c = 0; c + 1 < p.outC; c += 2) {
    put(start[c]!);
    put(start[c + 1]!);
    for (let i = 0; i < kEven; i += 2) {
      out[at++] = weight(c, i);
      out[at++] = weight(c, i + 1);
      out[at++] = weight(c + 1, i);
      out[at++] = weight(c + 1, i + 1);
    }
    records(c);
    records(c + 1);
  }
  if (p.outC % 2) {
    const c = p.outC - 1;
    put(start[c]!);
    for (let i = 0; i < lastWeights; i++) out[at++] = weight(c, i);
    records(c);
  }
  return out;
}

/**
 * The loops' requantization (conv_2d_m0plus.h's `wide`): 0 the fast form (the assembly), 1 any
 * TFLite requantization (C), 2 ONNX Runtime's (C, m0plus_rq.h tf_m0_rq_ort).
 */
type M0Requant = 0 | 1 | 2;
const INSTANCE_SUFFIX = ['', '_wide', '_ort'];
const INSTANCE_NOTE = ['', ', any requantization (C)', ", ONNX Runtime's requantization (C)"];

/** The shared loops (conv_2d_m0plus.h), instantiated once per model for every packed layer. */
const pointwiseInstance = (wide: M0Requant) => `/* the shared Armv6-M 1x1 loop (conv_2d_m0plus.h), one copy per model${INSTANCE_NOTE[wide]} */
static void tf_m0_pointwise${INSTANCE_SUFFIX[wide]}(const int8_t *in, int8_t *out, const int8_t *blob, uint32_t *cols, const tf_m0_pw_t *g) {
  tf_m0_pointwise_body(in, out, blob, cols, g, ${wide});
}
`;
const im2colInstance = (wide: M0Requant) => `/* the shared Armv6-M im2col convolution loop (conv_2d_m0plus.h), one copy per model${INSTANCE_NOTE[wide]} */
static void tf_m0_conv${INSTANCE_SUFFIX[wide]}(const int8_t *in, int8_t *out, const int8_t *blob, uint32_t *scratch, const tf_m0_conv_t *g) {
  tf_m0_conv_body(in, out, blob, scratch, g, ${wide});
}
`;

/**
 * The packed loops with the filter (OHWI) and bias given, so that layers of other ops that are
 * convolutions can use them; undefined when packedHolds refuses the layer.
 */
export function emitConvM0plusWith(
  p: Conv2DParams,
  ctx: LayerEmitContext,
  summary: string,
  filter: Int8Array,
  bias: Int32Array | undefined,
): LayerCode | undefined {
  if (!packedHolds(p, filter, bias)) return undefined;
  const input = ctx.input(0);
  const output = ctx.output(0);
  const pixels = p.batches * p.outH * p.outW;
  const blob = ctx.addConst('w_m0', 'int8_t', packedBlob(p, filter, bias));
  // a channel the fast form cannot take (a left shift, wide accumulators), or ONNX Runtime's steps: the loop's C twin
  const wide: M0Requant = p.ortScale ? 2 : fastChannels(p, filter, bias).every(Boolean) ? 0 : 1;
  const suffix = INSTANCE_SUFFIX[wide]!;
  const how = p.ortScale ? ", ONNX Runtime's float32 requantization in integer arithmetic" : '';
  const f = (name: string, value: number | string): Field => ({ name, value: `${value}` });
  const call = (callee: string): Statement => ({ callee, args: [input, output, blob, `(uint32_t *)(void *)${ctx.scratch()}`, { addressOf: 'g' }] });
  if (packedLoop(p) === 'pointwise') {
    ctx.defineOnce(`tf_m0_pointwise${suffix}`, pointwiseInstance(wide));
    return {
      comment: [`/* ${summary} (Armv6-M: 1x1 as a matrix product, 2 pixels x 2 channels, two pixels per multiply${how}) */`],
      fnName: ctx.fnName,
      decls: [
        {
          ctype: 'tf_m0_pw_t',
          name: 'g',
          init: [{ fields: [f('pixels', pixels), f('k', p.inC), f('out_c', p.outC), f('act_min', p.actMin), f('act_max', p.actMax), f('c30', '0x40004000u')] }],
        },
      ],
      body: [call(`tf_m0_pointwise${suffix}`)],
    };
  }
  ctx.defineOnce(`tf_m0_conv${suffix}`, im2colInstance(wide));
  const { kEven } = taps(p);
  const pw = [f('pixels', pixels), f('k', kEven), f('out_c', p.outC - (p.outC % 2)), f('act_min', p.actMin), f('act_max', p.actMax), f('c30', '0x40004000u')];
  return {
    comment: [`/* ${summary} (Armv6-M: im2col, 2 pixels x 2 channels, two pixels per multiply${how}) */`],
    fnName: ctx.fnName,
    decls: [
      {
        ctype: 'tf_m0_conv_t',
        name: 'g',
        init: [
          { fields: [{ name: 'pw', value: pw }] },
          {
            fields: [
              f('channels', p.outC),
              f('in_h', p.inH),
              f('in_w', p.inW),
              f('in_c', p.inC),
              f('out_h', p.outH),
              f('out_w', p.outW),
              f('k_h', p.kH),
              f('k_w', p.kW),
            ],
          },
          {
            fields: [
              f('stride_h', p.strideH),
              f('stride_w', p.strideW),
              f('dil_h', p.dilationH),
              f('dil_w', p.dilationW),
              f('pad_top', p.padTop),
              f('pad_left', p.padLeft),
            ],
          },
          { fields: [f('in_zp', -p.inputOffset)] },
        ],
      },
    ],
    body: [call(`tf_m0_conv${suffix}`)],
  };
}
