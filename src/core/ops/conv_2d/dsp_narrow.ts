// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP variant for 1x1 stride-1 layers over 1..8 input channels (conv_2d_dsp_narrow.h):
 * a pixel's inputs are read once as one or two words, each output channel is one LDM of its record
 * { start, weights already sign-extended into SMLAD halves, m', P }, ceil(in_c / 2) SMLAD at most, the
 * requantization and a byte store. The wide kernel (dsp.ts) packs columns per pixel pair and runs a
 * loop entered part-way per channel pair, work that 3..8 MACs per output do not repay; with in_c 16
 * and more it wins (the inputs no longer fit in registers, and its 2x2 blocks share each load).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import type { LayerCode } from '../layer_code.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/weighted.ts';
import { RQ_FIELDS, accumulatorBounds, fastRequantHolds, kernelMode, requantRecords, rqInit } from '../common/dsp.ts';
import type { Conv2DParams } from './index.ts';
import { dspApplies } from './dsp.ts';
import { isPointwise, summary } from './describe.ts';

/** conv_2d_dsp_narrow.h's TF_DSP_NARROW_MAX_IN: two input words per pixel, four extended halves. */
export const NARROW_MAX_IN = 8;

export function narrowApplies(p: Conv2DParams): boolean {
  return isPointwise(p) && p.inC <= NARROW_MAX_IN && dspApplies(p);
}

/** SMLAD weight words per output (TF_DSP_NARROW_HALVES): two per group of 4 inputs, one for a last lone input. */
export function narrowHalves(inC: number): number {
  const rest = inC % 4;
  return 2 * Math.floor(inC / 4) + (rest === 0 ? 0 : rest === 1 ? 1 : 2);
}

/**
 * Per channel { start, halves weight words, m, P } as int32 (see the header): half 2g holds weights
 * (w[4g], w[4g+2]) as int16 lanes, half 2g+1 (w[4g+1], w[4g+3]), zeros past in_c.
 */
export function narrowRecords(filter: Int8Array, records: Int32Array, outC: number, inC: number, scale: readonly number[]): Int32Array {
  if (RQ_FIELDS !== 3) throw new Error('narrowRecords expects { start, m, P } records');
  const halves = narrowHalves(inC);
  const out = new Int32Array(outC * (halves + 3));
  const wAt = (c: number, k: number) => (k < inC ? filter[c * inC + k]! * scale[c]! : 0);
  const lanes = (lo: number, hi: number) => (lo & 0xffff) | (hi << 16);
  let at = 0;
  for (let c = 0; c < outC; c++) {
    out[at++] = records[c * RQ_FIELDS]!;
    for (let j = 0; j < halves; j++) {
      const base = 4 * (j >> 1) + (j & 1);
      out[at++] = lanes(wAt(c, base), wAt(c, base + 2));
    }
    out[at++] = records[c * RQ_FIELDS + 1]!;
    out[at++] = records[c * RQ_FIELDS + 2]!;
  }
  return out;
}

/**
 * Pixel p's outputs are stored once its inputs are in registers, so the output may begin `gap` bytes
 * before the input when pixel p's outputs end no later than pixel p + 1's inputs begin (the largest
 * p binds: pixels * (out_c - in_c)); one image only, as the wide kernel.
 */
export function narrowOverlap(p: Conv2DParams): { input: number; gap: number } | undefined {
  if (p.batches !== 1) return undefined;
  return { input: 0, gap: Math.max(0, p.outH * p.outW * (p.outC - p.inC)) };
}

/**
 * TFLite's left shift (shift > 0) scales the accumulator by 2^shift before SRDHM; this kernel scales
 * the start and the int16 weight lanes by it at compile time instead, so the FAST requantization
 * (dsp_requant.h, shift 0) covers those channels too, when the scaled weights stay int16 and the
 * scaled accumulator bounds pass fastRequantHolds (then TFLite's int32 product does not overflow
 * either, and acc * 2^shift is the same integer). Returns the per-channel factors, or undefined.
 */
export function narrowFastScales(filter: Int8Array, p: Conv2DParams, bounds: readonly number[]): number[] | undefined {
  const scale = p.shift.map((s) => 2 ** Math.max(s, 0));
  const weightsFit = scale.every((f, c) => {
    const row = filter.subarray(c * p.inC, (c + 1) * p.inC);
    return row.every((w) => w * f >= -32768 && w * f <= 32767);
  });
  const m = { multiplier: p.multiplier, shift: p.shift.map((s) => Math.min(s, 0)) };
  if (
    !weightsFit ||
    !fastRequantHolds(
      bounds.map((b, c) => b * scale[c]!),
      m,
      p.outputZeroPoint,
    )
  )
    return undefined;
  return scale;
}

export function emitConvDspNarrow(p: Conv2DParams, ctx: LayerEmitContext): LayerCode {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const k = p.inC;
  const fastScales = narrowFastScales(filter, p, accumulatorBounds(filter, p.outC, k, p.inputOffset, bias));
  const fast = fastScales !== undefined;
  const scale = fastScales ?? p.shift.map(() => 1);
  const start = foldedAccumulatorInit(filter, p.outC, k, p.inputOffset, bias).map((s, c) => s * scale[c]!);
  const shifts = { multiplier: p.multiplier, shift: fast ? p.shift.map((s) => Math.min(s, 0)) : p.shift };
  const records = requantRecords(start, shifts, p.outC, p.outputZeroPoint, fast);
  const blob = ctx.addConst('w_narrow', 'int32_t', narrowRecords(filter, records, p.outC, p.inC, scale));
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const fn = `tf_dsp_narrow${p.inC}_${mode.mode}`;
  ctx.defineOnce(
    fn,
    [
      `/* the shared narrow 1x1 DSP loop for ${p.inC} input channels, one copy per model and mode (${mode.modeText}) */`,
      `static void ${fn}(const int8_t *in, int pixels, const int8_t *w, int out_c, const tf_rq_t *rq, int8_t *out) {`,
      `  tf_dsp_narrow_body(in, pixels, ${p.inC}, w, out_c, rq, out, ${mode.fast}, ${mode.full});`,
      `}`,
    ].join('\n'),
  );
  const pixels = p.batches * p.outH * p.outW;
  return {
    comment: [`/* ${summary(p)} (Arm DSP: narrow 1x1, a record LDM per output, ${fast ? 'SMMLAR' : 'exact 64-bit'} requantization) */`],
    fnName: ctx.fnName,
    decls: [{ ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) }],
    body: [{ callee: fn, args: [ctx.input(0), `${pixels}`, `(const int8_t *)(const void *)${blob}`, `${p.outC}`, { addressOf: 'rq' }, ctx.output(0)] }],
  };
}

export const convDspNarrowVariant: KernelVariant<Conv2DParams> = {
  name: 'arm-dsp narrow',
  family: 'arm-dsp',
  applies: narrowApplies,
  overlap: narrowOverlap,
  emit: emitConvDspNarrow,
  cFiles: ['conv_2d/conv_2d_dsp_narrow.h'],
};
