// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Armv6-M variant (Cortex-M0/M0+, e.g. the RP2040) for 1x1 convolutions at stride 1 (most
 * of a MobileNet). Where the weights and requantization bounds allow (packedHolds), one shared loop
 * (conv_2d_m0plus.h, its channel loop in conv_2d_m0plus.S; one copy per model) multiplies two pixels at once, packed in the halves of
 * a word (a scratch row of one word per input channel), for 2 pixels x 2 channels per pass, and
 * requantizes exactly without a 64-bit multiply; each layer passes a blob of its weights in read
 * order with per-channel records { start, multiplier, rounding and shift } (the blob replaces the
 * filter, bias and multiplier tables: the weights' bytes plus 12 per channel). Otherwise two output
 * channels per pass over a pixel's input channels, each input byte loaded once for two MACs. The
 * input offset is folded into the start values at compile time in both; the same integer sums as
 * the portable kernel, so bit-exact with it.
 */
import type { LayerEmitContext } from '../op.ts';
import { accumulatorBounds } from '../common/dsp.ts';
import { constInt32, constInt8, cTerm, foldedAccumulatorInit, foldedInitExpr, requantExprs } from '../common/weighted.ts';
import type { Conv2DParams } from './index.ts';
import type { KernelVariant } from '../op.ts';
import { isPointwise, summary } from './describe.ts';

export function m0plusApplies(p: Conv2DParams): boolean {
  return isPointwise(p) && p.outC % 2 === 0;
}

/** The packed loop needs input channels in pairs (the compile-time checks may still refuse it). */
function packedShape(p: Conv2DParams): boolean {
  return m0plusApplies(p) && p.inC % 2 === 0 && p.inC <= 32767;
}

/** The pixel pair's packed row: one word per input channel. */
export function m0plusScratchBytes(p: Conv2DParams): number {
  return packedShape(p) ? 4 * p.inC : 0;
}

/**
 * Whether the packed loop is exact for this layer: weights within +-127 (two products per half
 * word), shifts <= 0 with e + 1 <= 31, every accumulator and every partial sum within +-2^30, and
 * the rounding numerator 2h + rnd within int32 with room for its partial sums (see
 * conv_2d_m0plus.h).
 */
export function packedHolds(p: Conv2DParams, filter: Int8Array, bias: Int32Array | undefined): boolean {
  if (!packedShape(p)) return false;
  if (filter.some((w) => w < -127)) return false;
  const k = p.inC;
  const bounds = accumulatorBounds(filter, p.outC, k, p.inputOffset, bias);
  for (let c = 0; c < p.outC; c++) {
    const shift = p.shift[c]!;
    const m = p.multiplier[c]!;
    if (shift > 0 || -shift + 1 > 31 || m < 0 || m >= 2 ** 31) return false;
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
    if (rnd >= 2 ** 22 || 2 * h + rnd + 2 ** 19 >= 2 ** 31) return false;
  }
  return true;
}

/**
 * Per channel pair: { start0, start1 }, the 2k weights as [w0(i), w0(i+1), w1(i), w1(i+1)] for
 * i = 0, 2, ..., then { m0, P0, m1, P1 }; little-endian int32 fields, 4-byte aligned as k is even.
 */
export function packedBlob(p: Conv2DParams, filter: Int8Array, bias: Int32Array | undefined): Int8Array {
  const k = p.inC;
  const start = foldedAccumulatorInit(filter, p.outC, k, p.inputOffset, bias);
  const out = new Int8Array((p.outC / 2) * (2 * k + 24));
  const view = new DataView(out.buffer);
  let at = 0;
  const put = (v: number) => {
    view.setInt32(at, v, true);
    at += 4;
  };
  for (let c = 0; c < p.outC; c += 2) {
    put(start[c]!);
    put(start[c + 1]!);
    for (let i = 0; i < k; i += 2) {
      out[at++] = filter[c * k + i]!;
      out[at++] = filter[c * k + i + 1]!;
      out[at++] = filter[(c + 1) * k + i]!;
      out[at++] = filter[(c + 1) * k + i + 1]!;
    }
    for (const r of [c, c + 1]) {
      const e = -p.shift[r]!;
      put(p.multiplier[r]!);
      put((2 ** e + p.outputZeroPoint * 2 ** (e + 1) - 2 ** 16) * 256 + e + 1);
    }
  }
  return out;
}

/** The shared 1x1 loop (conv_2d_m0plus.h), instantiated once per model for every packed layer. */
const POINTWISE_INSTANCE = `/* the shared Armv6-M 1x1 loop (conv_2d_m0plus.h), one copy per model */
static void tf_m0_pointwise(const int8_t *in, int8_t *out, const int8_t *blob, uint32_t *cols, const tf_m0_pw_t *g) {
  tf_m0_pointwise_body(in, out, blob, cols, g);
}
`;

export function emitConvM0plus(p: Conv2DParams, ctx: LayerEmitContext, summary: string): string {
  const filterTensor = ctx.graph.tensors[ctx.op.inputs[1]!]!;
  const biasTensor = p.hasBias ? ctx.graph.tensors[ctx.op.inputs[2]!]! : undefined;
  const filter = constInt8(filterTensor);
  const bias = biasTensor && constInt32(biasTensor);
  const view = { ...p, fnName: ctx.fnName, summary, input: ctx.input(0), output: ctx.output(0), pixels: p.batches * p.outH * p.outW };
  if (packedHolds(p, filter, bias)) {
    ctx.defineOnce('tf_m0_pointwise', POINTWISE_INSTANCE);
    return ctx.render('conv_2d_m0plus.c.hbs', {
      ...view,
      packed: true,
      blob: ctx.addConst('w_m0', 'int8_t', packedBlob(p, filter, bias)),
      scratch: ctx.scratch(),
    });
  }
  const { mult, shift } = requantExprs(p, 'c', (s, t, v) => ctx.addConst(s, t, v));
  const init = (channel: string) =>
    foldedInitExpr(
      filter,
      p.outC,
      p.inC,
      p.inputOffset,
      bias,
      () => ctx.input(2),
      (s, t, v) => ctx.addConst(s, t, v),
      channel,
    );
  const accInit0 = init('c');
  // the table (if any) is added once: the second channel reads the same one
  const accInit1 = accInit0.endsWith('[c]') ? `${accInit0.slice(0, -3)}[c + 1]` : accInit0;
  return ctx.render('conv_2d_m0plus.c.hbs', {
    ...view,
    packed: false,
    filter: ctx.input(1),
    accInit0,
    accInit1,
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
  });
}

export const convM0plusVariant: KernelVariant<Conv2DParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: m0plusApplies,
  scratchBytes: m0plusScratchBytes,
  emit: (p, ctx) => emitConvM0plus(p, ctx, summary(p)),
  cFiles: ['conv_2d/conv_2d_m0plus.h', 'conv_2d/conv_2d_m0plus.S'],
};
