// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm DSP variant for 1x1 stride-1 layers over 1..8 input channels (conv_2d_dsp_narrow.h):
 * a pixel's inputs are read once as one or two words, each output channel is one LDM of its record
 * { start, weights already sign-extended into SMLAD halves, m', P }, ceil(in_c / 2) SMLAD at most, the
 * requantization and a byte store. The wide kernel (common/isa/dsp_conv/) packs columns per pixel pair and runs a
 * loop entered part-way per channel pair, work that 3..8 MACs per output do not repay; with in_c 16
 * and more it wins (the inputs no longer fit in registers, and its 2x2 blocks share each load).
 * Over 4 or 8 input channels with FAST records and no clamp, whole chunks of 16 pixels run in one
 * assembly routine (narrowRunAsm): their inputs widened once, then channel by channel, each record
 * loaded once a chunk instead of once an output: VWW's 8 -> 16 layer in its row bands (48x48) about
 * 21 -> 18.5 M4 cycles an output with the record once a chunk, 17.4 -> 15.7 with the inputs widened
 * once and the three-instruction requantization (its stage 1.011 -> 0.947 M est. cycles).
 */
import type { KernelVariant, LayerEmitContext, Prefer } from '../op.ts';
import type { LayerCode } from '../layer_code.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/families/weighted.ts';
import { RQ_FIELDS, accumulatorBounds, fastRequantHolds, kernelMode, requantRecords, rqInit } from '../common/isa/dsp.ts';
import { settleChannels } from '../common/numerics/settled_channels.ts';
import type { Conv2DParams } from './contract.ts';
import { dspApplies } from '../common/isa/dsp_conv/choice.ts';
import { NAKED_RUN, roundLines, rqLines } from '../common/isa/dsp_conv/run_asm.ts';
import { floorAtZeroPoint, roundRecords } from '../common/isa/dsp.ts';
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
  const pixels = p.outH * p.outW;
  const byPixel = Math.max(0, pixels * (p.outC - p.inC));
  if (!narrowRunCandidate(p.inC, p.outC, p.actMin, p.actMax)) return { input: 0, gap: byPixel };
  // narrowRunAsm: each chunk's outputs end no later than its own inputs begin, (p0 + N) out_c - p0
  // in_c for the chunk from pixel p0, linear in p0 (the first or the last whole chunk binds); the
  // pixels past the chunks go one by one as above. (The routine widens a chunk's inputs before its
  // first store, so the bound is more than it needs; kept, the arena plans already hold it.)
  const chunked = Math.floor(pixels / NARROW_RUN_PIXELS) * NARROW_RUN_PIXELS;
  const chunkGap = (p0: number) => (p0 + NARROW_RUN_PIXELS) * p.outC - p0 * p.inC;
  const byChunk = chunked > 0 ? Math.max(chunkGap(0), chunkGap(chunked - NARROW_RUN_PIXELS)) : 0;
  return { input: 0, gap: Math.max(byPixel, byChunk) };
}

/**
 * The pixels of one chunk of narrowRunAsm (conv_2d_dsp_narrow.h TF_DSP_NARROW_RUN_PIXELS): its loop
 * over them unrolled, 40 B of code a pixel over 8 input channels (two LDRD, four SMLAD, three to
 * requantize, the store). 16 (640 B and the widening loop) fits the STM32L4+'s 1 KB ART cache with
 * the code around it; 24 did not (VWW's row-band stage on the NUCLEO-L4R5ZI 0.955 -> 0.993 M est.
 * cycles; 12 pixels: 0.968 M). The chunk's halves take 16 B a pixel of stack.
 */
export const NARROW_RUN_PIXELS = 16;

/**
 * Whether a narrow layer may run its whole chunks in narrowRunAsm, from its shape and activation
 * alone: 4 or 8 input channels (a pixel is one or two whole words, so a chunk reads no byte past
 * its pixels), at most 255 output channels (the stores' offsets, the end's immediate), the activation range all of
 * int8 (the SSAT of FAST is the whole clamp).
 */
export function narrowRunCandidate(inC: number, outC: number, actMin: number, actMax: number): boolean {
  return (inC === 4 || inC === 8) && outC >= 1 && outC <= 255 && actMin === -128 && actMax === 127;
}

/** narrowRunCandidate with FAST records, and not under `--prefer size` (the routine is 0.5 to 0.8 KB of code). */
export function narrowRunApplies(p: Pick<Conv2DParams, 'inC' | 'outC' | 'actMin' | 'actMax'>, fast: boolean, prefer?: Prefer): boolean {
  return fast && prefer !== 'size' && narrowRunCandidate(p.inC, p.outC, p.actMin, p.actMax);
}

/** The form of narrowRunAsm's requantization and loads (its default: none of them). */
export interface NarrowRunForm {
  /** the floor at or above the zero point: the requantization without its SUB */
  floor?: boolean;
  /** the rounding records (SMMLAR by K with the zero point in lr); needs `floor` */
  round?: boolean;
  /** the Cortex-M7's dual-issue schedule, each half by its own LDR; needs `round` (r11 free) */
  dual?: boolean;
  /** the Cortex-M4's four pipelined loads a pixel; needs 8 inputs and `round`, not `dual` */
  pipelined?: boolean;
}

/**
 * A chunk of NARROW_RUN_PIXELS pixels of a narrow layer (4 or 8 input channels, out_c outputs) as a
 * naked function (one per model, input and output channels and requantization form). First each
 * pixel's one or two input words are sign-extended once into its SMLAD halves (SXTB16, ror 8), on
 * the stack: 16 bytes a pixel at 8 inputs, 8 at 4. Then channel by channel, the record { start,
 * weight words, m, P or K } in seven registers (five at 4 inputs) by one LDM, and for each pixel its
 * halves by one LDRD a pair, one SMLAD per half from the start, the requantization and a byte store,
 * every pixel at its own offsets from the chunk's pointers. Per output on the M4 at 8 inputs: two
 * LDRD (3 cycles each), 4 SMLAD, 3 to requantize (`round`: the rounding records, the zero point in
 * lr; else 4 or 5), 1 store: 14, where widening the bytes again for every channel cost 7 of loads
 * and SXTB16 (17 in all); the chunk's widening, about 12 cycles a pixel, is paid once for out_c
 * outputs. Registers: r0 the inputs, then the outputs' end, r1 the records, r2 the outputs, r3 the
 * accumulator, r4.. the record, r11 r12 the halves (r11 the requantization's temporary), lr the zero
 * point; the frame holds the halves. C signature: (const int8_t *in, const int8_t *w, int8_t *out).
 */
export function narrowRunAsm(name: string, inC: number, outC: number, form: NarrowRunForm = {}): string {
  const { floor = false, round = false, dual = false, pipelined = false } = form;
  if ((inC !== 4 && inC !== 8) || outC < 1 || outC > 255) throw new Error('narrowRunAsm: 4 or 8 input channels, 1 to 255 outputs');
  if (round && !floor) throw new Error('narrowRunAsm: the rounding records need the floor at the zero point');
  if (dual && !round) throw new Error('narrowRunAsm: the dual-issue schedule needs the rounding records (r11 free)');
  if (pipelined && (!round || dual || inC !== 8)) throw new Error('narrowRunAsm: four pipelined loads need 8 inputs and the rounding records');
  const halves = narrowHalves(inC);
  const k = (j: number) => `r${5 + j}`;
  const m = `r${5 + halves}`;
  const pr = `r${6 + halves}`;
  const pixelBytes = 4 * halves;
  const halvesBytes = NARROW_RUN_PIXELS * pixelBytes;
  // a pixel's words into its halves: word 0's lanes (x0, x2), (x1, x3), then word 1's (x4, x6), (x5, x7)
  const widen =
    inC === 8
      ? [
          'ldr.w r11, [r0, #4]',
          'ldr.w r12, [r0], #8',
          'sxtb16 r4, r12',
          'sxtb16 r5, r12, ror #8',
          'sxtb16 r6, r11',
          'sxtb16 r7, r11, ror #8',
          'stm r3!, {r4-r7}',
        ]
      : ['ldr.w r12, [r0], #4', 'sxtb16 r4, r12', 'sxtb16 r5, r12, ror #8', 'stm r3!, {r4, r5}'];
  // pixel p's halves at sp + p pixelBytes, its output at out + p out_c: no pointer moves inside a chunk
  const macs = (p: number) =>
    Array.from({ length: halves / 2 }, (_, j) => [
      `ldrd r11, r12, [sp, #${p * pixelBytes + 8 * j}]`,
      `smlad r3, r11, ${k(2 * j)}, ${j === 0 ? 'r4' : 'r3'}`,
      `smlad r3, r12, ${k(2 * j + 1)}, r3`,
    ]).flat();
  const requant = round ? roundLines('r3', m, pr, 1, 'lr') : rqLines('r3', m, pr, 1, 'r11', floor);
  // `dual` (the Cortex-M7, rounding records only: r11 is then no temporary): each half by its own LDR
  // into r11 or r12 two halves ahead of its SMLAD, the next pixel's first two loaded under this one's
  // last, so that every multiply has a load beside it to dual-issue with, where an LDRD pairs with
  // nothing and two multiplies in a row never pair: the pixel's halves then sit in r11 r12 (the
  // channel's first pixel's loaded after the LDM of its record)
  const halfAt = (p: number, j: number) => `ldr ${j % 2 ? 'r12' : 'r11'}, [sp, #${p * pixelBytes + 4 * j}]`;
  const dualMacs = (p: number) =>
    Array.from({ length: halves }, (_, j) => {
      const next = j + 2 < halves ? [halfAt(p, j + 2)] : p + 1 < NARROW_RUN_PIXELS ? [halfAt(p + 1, j + 2 - halves)] : [];
      return [`smlad r3, ${j % 2 ? 'r12' : 'r11'}, ${k(j)}, ${j === 0 ? 'r4' : 'r3'}`, ...next];
    }).flat();
  // `pipelined` (the Cortex-M4 at 8 inputs, rounding records): a pixel's four halves by four
  // LDR in a row (2 + 1 + 1 + 1 cycles against two LDRD's 3 + 3) into r0 r1 r11 r12, the outputs'
  // end and the records' pointer in two words past the halves (reloaded once a channel)
  const pipelinedMacs = (p: number) => [
    ...['r0', 'r1', 'r11', 'r12'].map((r, j) => `ldr${j < 2 ? '' : '.w'} ${r}, [sp, #${p * pixelBytes + 4 * j}]`),
    ...['r0', 'r1', 'r11', 'r12'].map((r, j) => `smlad r3, ${r}, ${k(j)}, ${j === 0 ? 'r4' : 'r3'}`),
  ];
  const pixel = (p: number) => [...(dual ? dualMacs(p) : pipelined ? pipelinedMacs(p) : macs(p)), ...requant, `strb.w r3, [r2, #${p * outC}]`];
  const frame = halvesBytes + (pipelined ? 8 : 0);
  const lines = [
    'push {r4-r11, lr}',
    `sub sp, sp, #${frame}`,
    // the chunk's halves, two pixels a turn
    'mov r3, sp',
    `add.w r8, sp, #${halvesBytes}`,
    '2:',
    ...widen,
    ...widen,
    'cmp r3, r8',
    'bne 2b',
    `add.w r0, r2, #${outC}`, // the outputs' end: channel out_c's first
    ...(pipelined ? [`strd r0, r1, [sp, #${halvesBytes}]`] : []),
    // the rounding form's zero point: -128, the only one whose floor the whole int8 range allows
    ...(round ? ['mvn lr, #127'] : []),
    '1:',
    ...(pipelined ? [`ldr r1, [sp, #${halvesBytes + 4}]`] : []),
    `ldm r1!, {r4-${pr}}`, // start, the weight words, m, P (or K)
    ...(pipelined ? [`str r1, [sp, #${halvesBytes + 4}]`] : []),
    ...(dual ? [halfAt(0, 0), halfAt(0, 1)] : []),
    ...Array.from({ length: NARROW_RUN_PIXELS }, (_, p) => pixel(p)).flat(),
    'add r2, r2, #1', // the next channel's first output
    ...(pipelined ? [`ldr r0, [sp, #${halvesBytes}]`] : []),
    'cmp r2, r0',
    'bne 1b',
    `add sp, sp, #${frame}`,
    'pop {r4-r11, pc}',
  ];
  const body = lines.map((l) => `      "${l}\\n\\t"`).join('\n');
  return [
    `/* a chunk of ${NARROW_RUN_PIXELS} pixels of a narrow 1x1 layer (${inC} -> ${outC} channels) in assembly, its inputs widened once, then channel by channel (conv_2d/dsp_narrow.ts narrowRunAsm): FAST requantization${round ? ' (floor at the zero point, rounding records)' : floor ? ' (floor at the zero point)' : ''}, saturated */`,
    `${NAKED_RUN} static void ${name}(const int8_t *in __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                 int8_t *out __attribute__((unused))) {`,
    '  /* r0 in, r1 w, r2 out (AAPCS) */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
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

export function emitConvDspNarrow(model: Conv2DParams, ctx: LayerEmitContext): LayerCode {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const modelBias = model.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const k = model.inC;
  // near-constant channels (pruned ones) re-expressed so that they do not hold the layer to the exact path
  const settled = settleChannels({ weights: filter, rows: model.outC, rowLength: k, bias: modelBias }, model, (b, m, s) =>
    fastRequantHolds([b], { multiplier: [m], shift: [s] }, model.outputZeroPoint),
  );
  const p: Conv2DParams = settled ? { ...model, ...settled.m } : model;
  const bias = settled ? settled.bias : modelBias;
  const settledNote = settled ? `; ${settled.settled} near-constant channels requantized by equivalent records` : '';
  const fastScales = narrowFastScales(filter, p, accumulatorBounds(filter, p.outC, k, p.inputOffset, bias));
  const fast = fastScales !== undefined;
  const scale = fastScales ?? p.shift.map(() => 1);
  const start = foldedAccumulatorInit(filter, p.outC, k, p.inputOffset, bias).map((s, c) => s * scale[c]!);
  const shifts = { multiplier: p.multiplier, shift: fast ? p.shift.map((s) => Math.min(s, 0)) : p.shift };
  const records = requantRecords(start, shifts, p.outC, p.outputZeroPoint, fast);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const run = narrowRunApplies(p, fast, ctx.prefer);
  // zero point -128 (the run's range is all of int8): the requantization without its SUB (dsp.ts floorAtZeroPoint), 'z';
  // in three instructions where every channel's shift allows the rounding records, 'r'
  const floor = run && floorAtZeroPoint(1, p.actMin, p.outputZeroPoint);
  const rounded = floor ? roundRecords(records, 1) : undefined;
  const blob = ctx.addConst('w_narrow', 'int32_t', narrowRecords(filter, rounded ?? records, p.outC, p.inC, scale));
  const z = rounded ? 'r' : floor ? 'z' : '';
  const fn = run ? `tf_dsp_narrow${p.inC}_o${p.outC}${z}_${mode.mode}` : `tf_dsp_narrow${p.inC}_${mode.mode}`;
  if (run) {
    // the Cortex-M7's dual-issue schedule ('d'), where the rounding records leave r11 free
    const dual = rounded !== undefined && ctx.isa?.core === 'cortex-m7';
    // four pipelined loads a pixel ('p') on the Cortex-M4 (on the M33, where an LDRD costs less, VWW's
    // row-band stage went 794,330 -> 806,384 est. cycles)
    const pipelined = rounded !== undefined && !dual && p.inC === 8 && ctx.isa?.core === 'cortex-m4';
    const tag = dual ? 'd' : pipelined ? 'p' : '';
    const runName = `tf_dsp_narrow${p.inC}_run_o${p.outC}${z}${tag}`;
    const macro = `TF_DSP_NARROW_RUN_${p.inC}_${p.outC}${z}${tag}`;
    ctx.defineOnce(
      runName,
      [
        '#if TF_DSP_NATIVE',
        narrowRunAsm(runName, p.inC, p.outC, { floor, round: rounded !== undefined, dual, pipelined }),
        `#define ${macro} ${runName}`,
        '#else',
        `#define ${macro} 0`,
        '#endif',
      ].join('\n'),
    );
    ctx.defineOnce(
      fn,
      [
        `/* the narrow 1x1 DSP loop for ${p.inC} -> ${p.outC} channels, chunks of ${NARROW_RUN_PIXELS} pixels in assembly, one copy per model (${mode.modeText}) */`,
        `static void ${fn}(const int8_t *in, int pixels, const int8_t *w, int out_c, const tf_rq_t *rq, int8_t *out) {`,
        `  tf_dsp_narrow_run_body(in, pixels, ${p.inC}, w, out_c, rq, out, ${macro}, ${rounded ? 1 : 0});`,
        `}`,
      ].join('\n'),
    );
  } else
    ctx.defineOnce(
      fn,
      [
        `/* the shared narrow 1x1 DSP loop for ${p.inC} input channels, one copy per model and mode (${mode.modeText}) */`,
        `static void ${fn}(const int8_t *in, int pixels, const int8_t *w, int out_c, const tf_rq_t *rq, int8_t *out) {`,
        `  tf_dsp_narrow_body(in, pixels, ${p.inC}, w, out_c, rq, out, ${mode.fast}, ${mode.full}, 0);`,
        `}`,
      ].join('\n'),
    );
  const pixels = p.batches * p.outH * p.outW;
  const how = run ? `chunks of ${NARROW_RUN_PIXELS} pixels channel by channel (assembly run), a record LDM per channel and chunk` : 'a record LDM per output';
  return {
    comment: [`/* ${summary(p)}${settledNote} (Arm DSP: narrow 1x1, ${how}, ${fast ? 'SMMLAR' : 'exact 64-bit'} requantization) */`],
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
