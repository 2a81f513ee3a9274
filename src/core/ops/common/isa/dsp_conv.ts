// SPDX-License-Identifier: Apache-2.0
/**
 * The Arm DSP convolution of CONV_2D's layers, and of DEPTHWISE_CONV_2D's single-channel ones: the
 * kernels' choice, scratch, weight layouts, assembly runs and C (conv_2d_dsp.h, and a header each:
 * DSP_KERNEL_FILES). 1x1 stride-1 layers over channels that are a multiple of 4 run as a matrix
 * product over the pixels; every other ungrouped layer first gathers two output pixels' receptive
 * fields as int8 rows (im2col, padding with the input zero point, which the offset folded into the
 * starts cancels), then runs the same product. Both use SMLAD, two pixels by two channels, on
 * weights re-laid at compile time in the order the loop reads them, the requantization records of
 * each channel pair split around the pair's weights (one blob that replaces the model's filter and
 * bias in flash, 8 bytes more per channel). 1x1 layers of whole channel quads in the halfword-pairs
 * layout run two pixels by four channels (quadRunAsm).
 */
import type { KernelIsa, LayerEmitContext, Prefer, VariantFacts } from '../../op.ts';
import type { Field, InitLine, LayerCode, Statement, StaticDecl } from '../../layer_code.ts';
import type { Graph } from '../../../ir/graph.ts';
import { renderOpTemplate } from '../render.ts';
import { foldedAccumulatorInit } from '../families/weighted.ts';
import { isPointwise } from '../families/conv_geometry.ts';
import { settleChannels } from '../numerics/settled_channels.ts';
import {
  RQ_FIELDS,
  accumulatorBounds,
  type RequantKind,
  interleavedPairs,
  kernelMode,
  pixelPairGap,
  rowWindowGap,
  requantKind,
  fastRequantHolds,
  requantRecords,
  roundUp4,
  rqInit,
  REQUANT_NAMES,
  floorAtZeroPoint,
  recordBlob,
  roundRecords,
  withRecords,
} from './dsp.ts';
import type { Conv2DParams } from '../../conv_2d/contract.ts';
import { quadBlockStartMacs, quadHalfMacs } from './dsp_quad_macs.ts';

const INT16_MAX = 32767;

/** Whether the DSP variant covers the layer (else the portable kernel is emitted). */
export function dspApplies(p: Conv2DParams): boolean {
  if (p.groups !== 1) return false;
  const dims = [
    p.inH,
    p.inW,
    p.inC,
    p.outH,
    p.outW,
    p.outC,
    p.kH,
    p.kW,
    p.strideH,
    p.strideW,
    p.dilationH,
    p.dilationW,
    p.padTop,
    p.padLeft,
    roundUp4(p.kH * p.kW * p.inC),
  ];
  return dims.every((d) => d <= INT16_MAX);
}

/**
 * A 1x1 layer over one pixel whose channels are not whole quads (a classifier head over pooled
 * features, person_detect's 256 -> 2): where the model's other 1x1 layers run the quad routine, the
 * head runs it too over its channels padded with zero rows to a whole quad, into scratch, and copies
 * its own channels out; no second routine (the pair run, about 800 B of code) for a few hundred MACs.
 */
function paddedQuadHead(p: Conv2DParams): boolean {
  return pointwiseDirect(p) && p.batches * p.outH * p.outW === 1 && !quadRunApplies(p.outC);
}

function pointwiseDirect(p: Conv2DParams): boolean {
  return isPointwise(p) && p.inC % 4 === 0;
}

/**
 * The scratch of a layer whose kernel dspKernel picks only at emit, from weights its params do not
 * record (no ConvDspWeights: transpose_conv's phases, depthwise's single-channel layers): the most
 * any kernel that may take it needs. Columns are a pixel pair's (a triple's) k4 values as int16; an
 * im2col layer's row buffers each hold one filter row of k_w in_c int8 that lies in the padding, or
 * over input channels not a multiple of 4 a whole field of k4, with the 4 bytes the word copies may
 * run past them (conv_2d_dsp_im2col.h tf_dsp_gather_field). `bands`: whether the band kernels may
 * take it (columnBands; a layer whose core is not known: they may).
 */
export function dspScratchBytes(p: Conv2DParams, bands = true): number {
  if (pointwiseDirect(p)) return pointwiseScratchBytes(p);
  const body = blocksScratchBytes(p);
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  if (k4 < TRIPLE_RUN_MIN_K4 || p.outC < 2) return body;
  // which of the runs takes the layer is not known here (its requantization, its core): any fits
  const quads = quadRows(p) && quadRunApplies(p.outC) ? quadIm2colScratchBytes(p) : 0;
  const band = bands && p.inC % 4 === 0 && quadRunApplies(p.outC) && p.dilationH === 1 && p.dilationW === 1 ? bandScratchBytes(p) : 0;
  const stem = bands && stemBandShape(p) && quadRunApplies(p.outC) ? stemBandScratchBytes(p, k4) : 0;
  return Math.max(body, tripleRunScratchBytes(p), quads, band, stem);
}

/** A 1x1 layer's (pointwiseDirect): its pixel pair's columns, the quad run's sentinel past them, a lone last pixel's twin outputs. */
function pointwiseScratchBytes(p: Conv2DParams): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  const lone = (p.batches * p.outH * p.outW) % 2 === 1 ? roundUp4(p.outC) : 0;
  // a padded head (paddedQuadHead) writes its whole quads into the scratch past the twin outputs
  return k4 * 4 + QUAD_SENTINEL_BYTES + lone + (paddedQuadHead(p) ? roundUp4(p.outC) : 0);
}

/** An im2col row buffer: one filter row (input channels a multiple of 4), else a whole field, and the slack its word copies run past it. */
function im2colRows(p: Conv2DParams): { rowBytes: number; slack: number } {
  const byRows = p.inC % 4 === 0;
  return { rowBytes: byRows ? p.kW * p.inC : roundUp4(p.kH * p.kW * p.inC), slack: byRows ? 0 : 4 };
}

/**
 * conv_2d_dsp_im2col_blocks.h tf_dsp_im2col_body (the C loops): pixel triples in the `pairs` layout, else pairs;
 * a lone last pixel's twin outputs past the rows. 1x1 layers: pointwiseScratchBytes.
 */
function blocksScratchBytes(p: Conv2DParams): number {
  if (pointwiseDirect(p)) return pointwiseScratchBytes(p);
  return im2colBlocksScratchBytes(p, pairsPay(roundUp4(p.kH * p.kW * p.inC), false));
}

/** tf_dsp_im2col_body over pixel triples (`triples`: the `pairs` layout) or pairs. */
function im2colBlocksScratchBytes(p: Conv2DParams, triples: boolean): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  const pixels = p.outH * p.outW;
  const { rowBytes, slack } = im2colRows(p);
  const lone = (triples ? pixels % 3 === 1 : pixels % 2 === 1) ? roundUp4(p.outC) : 0;
  return (triples ? k4 * 6 + 3 * rowBytes : k4 * 4 + 2 * rowBytes) + slack + lone;
}

/** tf_dsp_im2col_triple_run_body: three pixels' columns and rows, or a last partial triple's three pixels of outputs over the rows, packed by then. */
function tripleRunScratchBytes(p: Conv2DParams): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  const { rowBytes, slack } = im2colRows(p);
  const partial = (p.outH * p.outW) % 3 !== 0 ? roundUp4(3 * p.outC) : 0;
  return k4 * 6 + Math.max(3 * rowBytes + slack, partial);
}

/** tf_dsp_im2col_quad_run_body: a pixel pair's columns, two filter rows and a lone last pixel's twin outputs. */
function quadIm2colScratchBytes(p: Conv2DParams): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  return k4 * 4 + 2 * p.kW * p.inC + p.outC;
}

/** Whether the layer's rows take the `pairs` layout (dspConvLayer): 1x1 layers channel pairs in one halfword, im2col ones pixel triples. */
function pairsLayout(p: Conv2DParams, w: ConvDspWeights): boolean {
  return pairsChosen(roundUp4(p.kH * p.kW * p.inC), pointwiseDirect(p), w.modelPairs) && p.outC >= 2 && w.pairsFit;
}

/**
 * The scratch kernel `kernel` (dspKernel's for the layer) uses: its own body's, the columns of its
 * pixels and what follows them there.
 */
export function dspKernelScratchBytes(kernel: DspKernel, p: Conv2DParams, w: ConvDspWeights): number {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  if (kernel === 'row bands') return bandScratchBytes(p);
  if (kernel === 'stem bands') return stemBandScratchBytes(p, k4);
  if (kernel === 'im2col quads') return quadIm2colScratchBytes(p);
  if (kernel === 'im2col triples') return tripleRunScratchBytes(p);
  if (kernel === 'pointwise quads') return pointwiseScratchBytes(p);
  // the pair run and the C loops over 1x1 layers: a pixel pair's columns, a lone last pixel's twin outputs past them
  if (pointwiseDirect(p)) return k4 * 4 + ((p.batches * p.outH * p.outW) % 2 === 1 ? roundUp4(p.outC) : 0);
  return im2colBlocksScratchBytes(p, pairsLayout(p, w));
}

/** The output may overlap the input (one image only): pixel pairs for 1x1, output rows otherwise. */
export function dspOverlap(p: Conv2DParams): { input: number; gap: number } | undefined {
  if (p.batches !== 1) return undefined;
  if (pointwiseDirect(p)) return { input: 0, gap: pixelPairGap(p.outH * p.outW, p.inC, p.outC) };
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

/** Weight rows of `rowLength` int8 padded with zeros to `k4`. */
function paddedRows(weights: Int8Array, rows: number, rowLength: number, k4: number): Int8Array {
  const out = new Int8Array(rows * k4);
  for (let r = 0; r < rows; r++) out.set(weights.subarray(r * rowLength, (r + 1) * rowLength), r * k4);
  return out;
}

/**
 * Below this many values per output (k4) a pair's fixed costs (the chunked extraction of the second
 * channel) outweigh the 2 instructions a step of 4 values saves: such layers keep the interleaved
 * layout. Measured on the M4 sweep: 1x1 over 32 channels 1.22 -> 1.25 instructions/MAC in pairs,
 * over 64 1.42 -> 1.38. im2col layers in pairs run pixel triples (conv_2d_dsp_im2col_blocks.h tf_dsp_dot3x2p),
 * which pay from k4 32 on: 3x3 over 8 channels (k4 72) 1.30 -> 1.23 instructions/MAC, KWS's 10x4
 * stem (k4 40, 64 channels) 583,598 -> 524,843 estimated M4 cycles; at k4 28 (3x3 over 3) 7% more
 * instructions for 1% fewer M4 cycles, at 12 (3x3 over 1) 17% more instructions.
 */
export const PAIRS_MIN_K4 = 32;
/** The 1x1 kernel (no gathering around the blocks) gains from this many on. */
export const PAIRS_MIN_K4_POINTWISE = 64;
/**
 * Below 64 values the pairs cost instructions on 1x1 layers (32: 1.22 -> 1.25 per MAC; 16: 1.58 ->
 * 2.12), but a model whose pointwise layers straddle 64 channels (MobileNets: every one) would carry
 * both kernel instances, 830 B of code: person_detect's code on the M7 went to 0.31x TFLite Micro's
 * against the 0.3x bar. So in a model that has the pairs instance anyway, its 1x1 layers from 16
 * values on share it (person_detect: -716 B for +2% instructions); a model without one keeps the
 * faster interleaved layout. (Weighing code against instructions per model is `--prefer`.)
 */
export const PAIRS_MIN_K4_POINTWISE_SHARED = 16;

/**
 * Whether a 1x1 CONV_2D of the model reaches PAIRS_MIN_K4_POINTWISE, so the pairs instance is in its
 * code (GraphFacts.pointwisePairs, graph_facts.ts): by the layers' shapes, whichever weight storage
 * the large layers then take (a Huffman-coded one under `--prefer size` keeps the smaller layers'
 * kernel as the dense model's).
 */
export function pointwisePairsShape(graph: Graph): boolean {
  return graph.ops.some((op) => {
    if (op.kind !== 'CONV_2D') return false;
    const [outC, kH, kW, inC] = graph.tensors[op.inputs[1]!]?.shape ?? [];
    const attrs = op.attrs as { strideH?: number; strideW?: number };
    return (
      kH === 1 && kW === 1 && attrs.strideH === 1 && attrs.strideW === 1 && (outC ?? 0) >= 2 && (inC ?? 0) % 4 === 0 && (inC ?? 0) >= PAIRS_MIN_K4_POINTWISE
    );
  });
}

/** Whether a layer of k4 values per output takes the `pairs` layout when its weights fit it. */
export function pairsPay(k4: number, pointwise: boolean): boolean {
  return k4 >= (pointwise ? PAIRS_MIN_K4_POINTWISE : PAIRS_MIN_K4);
}

/** pairsPay, or a 1x1 layer sharing the pairs instance its model carries anyway (`modelPairs`: GraphFacts.pointwisePairs). */
function pairsChosen(k4: number, pointwise: boolean, modelPairs: boolean): boolean {
  return pairsPay(k4, pointwise) || (pointwise && k4 >= PAIRS_MIN_K4_POINTWISE_SHARED && modelPairs);
}

/**
 * Whether the rows fit conv_2d_dsp.h's `pairs` layout: every lane r_k + 256 s_k of a channel pair in
 * int16 (all but s_k = -128 under a negative r_k, which TFLite's symmetric int8 weights never hold).
 */
export function channelPairsFit(rows: Int8Array, count: number, k4: number): boolean {
  for (let r = 0; r + 2 <= count; r += 2) {
    for (let k = 0; k < k4; k++) if (rows[(r + 1) * k4 + k] === -128 && rows[r * k4 + k]! < 0) return false;
  }
  return true;
}

/**
 * Rows (k4 int8 each) in conv_2d_dsp.h's `pairs` layout: per channel pair (r, s) and four values
 * k..k+3 two words of int16 lanes r + 256 s, lanes (k, k+2) then (k+1, k+3) (bytes r, s - [r < 0]);
 * an odd last row as it is. Same size as the input.
 */
export function halfwordPairs(rows: Int8Array, count: number, k4: number): Int8Array {
  const out = new Int8Array(count * k4);
  let at = 0;
  let r = 0;
  for (; r + 2 <= count; r += 2) {
    for (let g = 0; g < k4; g += 4) {
      for (const j of [0, 2, 1, 3]) {
        const lo = rows[r * k4 + g + j]!;
        out[at++] = lo;
        out[at++] = rows[(r + 1) * k4 + g + j]! - (lo < 0 ? 1 : 0);
      }
    }
  }
  if (r < count) out.set(rows.subarray(r * k4, (r + 1) * k4), at);
  return out;
}

/** The steps of 4 values one chunk of the pairs' extraction covers (conv_2d_dsp.h TF_DSP_PAIR_CHUNK_STEPS). */
const PAIR_CHUNK_STEPS = 120;

/**
 * Whether a 1x1 `pairs` layer runs its channel pairs in the assembly routine (pairsRunAsm): one
 * chunk (the stop stays in a register), FAST or WIDE requantization (TFLM's 64-bit steps keep the C),
 * and under WIDE an activation floor at or above the zero point (the unsigned clamp, conv_2d_dsp.h).
 */
export function pairsRunApplies(k4: number, fast: number, actMin: number, outputZeroPoint: number): boolean {
  return k4 <= 4 * PAIR_CHUNK_STEPS && (fast === 1 || (fast === 2 && actMin >= outputZeroPoint));
}

/**
 * Which bounds of the activation range the run's four-lane clamp applies (the others cut nothing):
 * FAST clamps the saturated int8 outputs, so a floor of -128 or a ceiling of 127 needs no step; WIDE
 * clamps USAT8(v) in [0, 255], so a floor at the zero point or a ceiling 255 above it needs none.
 */
export interface RunClamp {
  lo: boolean;
  hi: boolean;
}

export function runClamp(fast: number, actMin: number, actMax: number, outputZeroPoint: number): RunClamp {
  return fast === 2 ? { lo: actMin > outputZeroPoint, hi: actMax - outputZeroPoint < 255 } : { lo: actMin > -128, hi: actMax < 127 };
}

/**
 * The clamp of packed output words on four lanes, signed outputs (FAST) or unsigned v (WIDE), each
 * bound only where it cuts: lo4, hi4, zp4 (WIDE's zero point) read from sp + 20, 24, 28 into r8..r10.
 */
function laneClampLines(fast: number, clamp: RunClamp, words: string[]): string[] {
  if (fast !== 2 && !clamp.lo && !clamp.hi) return [];
  const lines: string[] = [];
  if (clamp.lo && clamp.hi) lines.push('ldrd r8, r9, [sp, #20]');
  else if (clamp.lo) lines.push('ldr r8, [sp, #20]');
  else if (clamp.hi) lines.push('ldr r9, [sp, #24]');
  if (fast === 2) lines.push('ldr r10, [sp, #28]');
  const sub = fast === 2 ? 'usub8' : 'ssub8';
  for (const v of words) {
    if (clamp.lo) lines.push(`${sub} r12, ${v}, r8`, `sel ${v}, ${v}, r8`);
    if (clamp.hi) lines.push(`${sub} r12, ${v}, r9`, `sel ${v}, r9, ${v}`);
    if (fast === 2) lines.push(`uadd8 ${v}, ${v}, r10`);
  }
  return lines;
}

/** Registers of the lane clamp's words: floor, ceiling, WIDE's zero point. */
interface ClampRegs {
  lo: string;
  hi: string;
  zp: string;
}

const CLAMP_REGS: ClampRegs = { lo: 'r8', hi: 'r9', zp: 'r10' };

/** laneClampLines' loads alone: the bounds and zero point it uses, from sp + 20, 24, 28. */
function laneClampLoads(fast: number, clamp: RunClamp, regs: ClampRegs = CLAMP_REGS): string[] {
  return [
    ...(clamp.lo ? [`ldr ${regs.lo}, [sp, #20]`] : []),
    ...(clamp.hi ? [`ldr ${regs.hi}, [sp, #24]`] : []),
    ...(fast === 2 ? [`ldr ${regs.zp}, [sp, #28]`] : []),
  ];
}

/** laneClampLines' operations alone, on the words laneClampLoads loaded (`flags` the flags' scratch, r12 unless given). */
function laneClampOps(fast: number, clamp: RunClamp, words: string[], regs: ClampRegs = CLAMP_REGS, flags = 'r12'): string[] {
  const sub = fast === 2 ? 'usub8' : 'ssub8';
  return words.flatMap((v) => [
    ...(clamp.lo ? [`${sub} ${flags}, ${v}, ${regs.lo}`, `sel ${v}, ${v}, ${regs.lo}`] : []),
    ...(clamp.hi ? [`${sub} ${flags}, ${v}, ${regs.hi}`, `sel ${v}, ${regs.hi}, ${v}`] : []),
    ...(fast === 2 ? [`uadd8 ${v}, ${v}, ${regs.zp}`] : []),
  ]);
}

/**
 * The assembly runs' function attributes. At least word-aligned: each run finds its loop with `adr.w`,
 * which the assembler resolves against the word-aligned PC as if the function's section began on a
 * word; at -Os a function is only halfword aligned, and one placed 2 bytes past a word jumped 2 bytes
 * off its loop's entry (a HardFault on the Cortex-M4 under --prefer size). aligned(32): a run starts
 * on an instruction-cache line (the STM32L4's ART: 32-byte lines, 1 KB), so the lines its loop spans
 * do not depend on where the linker puts it; one line more than the cache holds beside the layer's
 * other code made VWW's 24x24x32 1x1 layer 9 % slower on the NUCLEO-L4R5ZI.
 */
export const NAKED_RUN = '__attribute__((naked, noinline, aligned(32)))';

/**
 * The five instructions that requantize one accumulator (FAST: SSAT, zero point included; WIDE: USAT
 * of v, zero point added after the clamp); four under `floor` (floorAtZeroPoint), without the SUB
 * of 255 [h < 0].
 */
export function rqLines(acc: string, m: string, p: string, fast: number, tmp = 'r8', floor = false): string[] {
  const lines = [
    `smmlar ${acc}, ${acc}, ${m}, ${acc}`,
    `add ${tmp}, ${p}, ${acc}, lsl #${fast === 2 ? 8 : 9}`,
    ...(floor ? [] : [`sub ${tmp}, ${tmp}, ${acc}, lsr #24`]),
    `asr ${acc}, ${tmp}, ${p}`,
  ];
  return [...lines, fast === 2 ? `usat ${acc}, #8, ${acc}` : `ssat ${acc}, #8, ${acc}`];
}

/**
 * The three instructions that requantize one accumulator where the floor is at or above the zero
 * point and the record holds K = 2^(32 - e) in place of P (roundRecords): h = SMMLAR(acc, m', acc)
 * as in rqLines, then SMMLAR(h, K, zp) = zp + ((h K + 2^31) >> 32) = zp + floor(h / 2^e + 1/2),
 * h / 2^e rounded half up (exact in the 64-bit product), which is TFLite Micro's rounding for h >= 0
 * and at most the zero point for h < 0 (floorAtZeroPoint); then SSAT. WIDE: SMMULR(h, K) and USAT,
 * the zero point added after the clamp. `zp`: a register holding the output zero point (FAST).
 */
export function roundLines(acc: string, m: string, k: string, fast: number, zp: string): string[] {
  return [
    `smmlar ${acc}, ${acc}, ${m}, ${acc}`,
    fast === 2 ? `smmulr ${acc}, ${acc}, ${k}` : `smmlar ${acc}, ${acc}, ${k}, ${zp}`,
    fast === 2 ? `usat ${acc}, #8, ${acc}` : `ssat ${acc}, #8, ${acc}`,
  ];
}

/**
 * conv_2d_dsp_pointwise_pairs.h's channel-pair run of a 1x1 `pairs` layer as a naked function (one per model and
 * mode). Registers: r0..r3 the accumulators (r, pixel A / B; r + 256 s, pixel A / B), r4 the
 * columns, r5..r8 their words, r9 r10 the weight words, r11 the weights, r12 the stop (cols + k4),
 * lr the loop's entry address; the tf_dsp_pw_run_t less stop and entry is copied to the stack so one
 * LDM reloads it per block. The step uses the raw weight word before SXTB16 overwrites it (no
 * temporary), which frees the register that holds the stop. Per block outside the loop: 5 to start
 * and enter, 1 LDM of { start s, m, P, m, P }, 4 to extract s, 20 to requantize, 8 (saturated) to 15
 * (clamped) to store and loop; 2 per turn of 8 steps.
 */
export function pairsRunAsm(name: string, fast: number, clamp: RunClamp): string {
  if (fast !== 1 && fast !== 2) throw new Error('pairsRunAsm: FAST or WIDE requantization only');
  const step = [
    'ldm.w r4!, {r5, r6, r7, r8}',
    'ldm.w r11!, {r9, r10}',
    'smlad r2, r5, r9, r2',
    'smlad r3, r6, r9, r3',
    'sxtb16 r9, r9',
    'smlad r0, r5, r9, r0',
    'smlad r1, r6, r9, r1',
    'smlad r2, r7, r10, r2',
    'smlad r3, r8, r10, r3',
    'sxtb16 r10, r10',
    'smlad r0, r7, r10, r0',
    'smlad r1, r8, r10, r1',
  ];
  const lines: string[] = [
    'push {r4-r11, lr}',
    'ldr r12, [r2, #28]', // stop
    'ldr lr, [r2, #32]', // entry bytes
    'adr.w r3, 10f',
    'add lr, lr, r3',
    'ldm r2, {r4-r10}', // cols, out_a, out_b, end_a, lo4, hi4, zp4
    'push {r4-r10}',
    'mov r11, r1',
    '1:',
    'ldr r0, [r11], #4', // start r
    'mov r1, r0',
    'mov r2, r0',
    'mov r3, r0',
    'mov pc, lr',
    '10:',
    ...step,
    '12:',
    ...Array.from({ length: 7 }, () => step).flat(),
    '13:',
    '.if (12b - 10b) != " TF_DSP_STR(TF_DSP_STEP2X2P_BYTES) "',
    '.error "pairsRunAsm: the step is no longer TF_DSP_STEP2X2P_BYTES of code (tf_dsp_entry_pairs)"',
    '.endif',
    '.if (13b - 10b) != " TF_DSP_STR(TF_DSP_STEP2X2P_BYTES) " * " TF_DSP_STR(TF_DSP_STEPS_PER_TURN) "',
    '.error "pairsRunAsm: the turn is not TF_DSP_STEPS_PER_TURN steps (tf_dsp_entry_pairs)"',
    '.endif',
    'cmp r4, r12',
    'bne 10b',
    'ldm r11!, {r5, r6, r7, r9, r10}', // start s, m r, P r, m s, P s
    'sub r2, r2, r0',
    'add r2, r5, r2, asr #8',
    'sub r3, r3, r1',
    'add r3, r5, r3, asr #8',
    ...rqLines('r0', 'r6', 'r7', fast),
    ...rqLines('r1', 'r6', 'r7', fast),
    ...rqLines('r2', 'r9', 'r10', fast),
    ...rqLines('r3', 'r9', 'r10', fast),
  ];
  if (fast === 1 && !clamp.lo && !clamp.hi) {
    lines.push('ldm sp, {r4, r5, r6, r7}', 'strb r0, [r5], #1', 'strb r2, [r5], #1', 'strb r1, [r6], #1', 'strb r3, [r6], #1');
  } else {
    lines.push('ldm sp, {r4, r5, r6, r7, r8, r9, r10}', 'bfi r0, r2, #8, #8', 'bfi r0, r1, #16, #8', 'bfi r0, r3, #24, #8');
    // the clamp on four lanes, signed outputs (FAST) or unsigned v (WIDE), each bound only where it cuts
    const sub = fast === 2 ? 'usub8' : 'ssub8';
    if (clamp.lo) lines.push(`${sub} r1, r0, r8`, 'sel r0, r0, r8');
    if (clamp.hi) lines.push(`${sub} r1, r0, r9`, 'sel r0, r9, r0');
    if (fast === 2) lines.push('uadd8 r0, r0, r10');
    lines.push('strh r0, [r5], #2', 'lsr r0, r0, #16', 'strh r0, [r6], #2');
  }
  lines.push('strd r5, r6, [sp, #4]', 'cmp r5, r7', 'bne 1b', 'mov r0, r11', 'add sp, #28', 'pop {r4-r11, pc}');
  // the .error texts' quotes escaped; the .if lines splice the header's constants in (TF_DSP_STR)
  const body = lines.map((l) => `      "${l.startsWith('.error') ? l.replace(/"/g, '\\"') : l}\\n\\t"`).join('\n');
  return [
    `/* the channel pairs of a 1x1 pairs layer in assembly (conv_2d/dsp.ts pairsRunAsm): ${fast === 2 ? 'WIDE' : 'FAST'} requantization, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused))) {`,
    '  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the pairs in r0 */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
}

/**
 * Rows in the `pairs` layout (halfwordPairs) re-laid for the channel quads of quadRunAsm: per quad
 * (two channel pairs P, Q) and four values, P's word of lanes (k, k+2), Q's, P's (k+1, k+3), Q's, so
 * that one LDM of two reads the two pairs' words that meet one LDM of two column words. `count` a
 * multiple of 4; same size as the input.
 */
export function halfwordQuads(pairs: Int8Array, count: number, k4: number): Int8Array {
  const out = new Int8Array(count * k4);
  let at = 0;
  for (let c = 0; c < count; c += 4) {
    const p = c * k4;
    const q = (c + 2) * k4;
    for (let g = 0; g < 2 * k4; g += 8) {
      for (const [from, half] of [
        [p, 0],
        [q, 0],
        [p, 4],
        [q, 4],
      ] as const) {
        out.set(pairs.subarray(from + g + half, from + g + half + 4), at);
        at += 4;
      }
    }
  }
  return out;
}

/**
 * The quads' weights (halfwordQuads) with the requantization records split around them in the
 * order quadRunAsm reads them: per quad { start r, start r' } (the pairs' first channels), the 4 k4
 * weight bytes, { start s, start s', m r, P r, m s, P s, m r', P r', m s', P s' }.
 */
export function withQuadRecords(rows: Int8Array, records: Int32Array, channels: number, k4: number): Int8Array {
  const blob = recordBlob(rows, records);
  for (let c = 0; c < channels; c += 4) {
    [c, c + 2].forEach(blob.start);
    blob.rows(c * k4, 4 * k4);
    [c + 1, c + 3].forEach(blob.start);
    [c, c + 1, c + 2, c + 3].forEach(blob.scale);
  }
  return blob.out;
}

/** Whether a 1x1 layer that takes the run (pairsRunApplies) takes it in channel quads: whole quads only. */
export function quadRunApplies(outC: number): boolean {
  return outC % 4 === 0;
}

/**
 * Steps of 4 values a turn of quadRunAsm's loop: four on the Cortex-M4 and under `--prefer size`,
 * eight elsewhere (the 1x1 layers' routine: sixteen on the Cortex-M33, pointwiseQuadTurn). Each
 * turn ends in a test and a branch (3 cycles on the M4 in the 1x1 layers' sentinel form, 5 with
 * the stop reloaded from the frame): about 2 % of the loop at four steps a turn, 1 % at eight, for
 * 384 B more code per doubling. The Cortex-M4 keeps four: its boards' flash accelerators cache
 * little code (the STM32L4+'s ART 1 KB), and a loop of eight pipelined steps (896 B) with the block
 * around it no longer fits: on the NUCLEO-L4R5ZI's estimate a 1x1 layer over 32 channels went from
 * 7.2 to 18.8 ms (at five steps KWS's 64 -> 64 layers already went from 5.07 to 5.29 ms). The
 * Cortex-M33's cache (8 KB) holds sixteen LDM steps (1.5 KB): KWS's 64 -> 64 layers on the
 * NUCLEO-U575ZI-Q 3.48 -> 3.45 ms; the Cortex-M7 keeps eight (its gain there is a third of that,
 * and person_detect's code there is held to a bar).
 */
export function quadTurnSteps(isa: KernelIsa | undefined, prefer?: Prefer): number {
  return prefer === 'size' || isa?.core === 'cortex-m4' ? 4 : 8;
}

/**
 * The 1x1 layers' routine's loads: pipelined on the Cortex-M4 (loadsPipeline), between the MACs on
 * the Cortex-M7 (quadRunAsm `dual`: KWS's 64 -> 64 layers on the NUCLEO-H7A3ZI-Q's estimate
 * 1.47 -> 1.27 ms), LDM elsewhere and under `--prefer size`.
 */
export function pointwiseQuadLoads(isa: KernelIsa | undefined, prefer?: Prefer): boolean | 'dual' {
  return prefer !== 'size' && isa?.core === 'cortex-m7' ? 'dual' : loadsPipeline(isa, prefer);
}

/**
 * Whether the 1x1 layers' quad routine runs every whole pixel pair of a layer from one call
 * (quadRunAsm `pixelLoop`): on the Arm DSP cores (Cortex-M4, M33, M7), not under `--prefer size`
 * (its pair step is ~150 B of code more).
 */
export function quadPixelLoop(isa: KernelIsa | undefined, prefer?: Prefer): boolean {
  return prefer !== 'size' && (isa?.core === 'cortex-m4' || isa?.core === 'cortex-m33' || isa?.core === 'cortex-m7');
}

/**
 * The steps of 4 values of a 1x1 layer's straight block (quadRunAsm `straightSteps`: its halves in a
 * row, neither the computed entry nor the sentinel tests; one routine per model, mode and depth),
 * up to STRAIGHT_MAX_STEPS; undefined on the Cortex-M4 and under `--prefer size`. On the M33 it
 * saves 8 cycles of a 24x24x16 -> 32 block's ~190 (VWW's 24x24x16 -> 32 on the NUCLEO-U575ZI-Q
 * 439,851 -> 421,411 est. cycles), 13 of a 6x6x128 -> 128 block's ~990 (568,781 -> 561,287).
 */
export function quadStraightSteps(k4: number, isa: KernelIsa | undefined, prefer?: Prefer): number | undefined {
  if (prefer === 'size' || isa?.core === undefined) return undefined;
  const most = STRAIGHT_MAX_STEPS[isa.core];
  return most !== undefined && k4 <= 4 * most ? k4 / 4 : undefined;
}

/**
 * The most steps of a straight block, by core: on the Cortex-M7 a turn of its loop (eight, 768 B: its
 * code is held to person_detect's bar); on the Cortex-M33 two turns (32 steps, 3 KB), which its
 * parts' caches (the STM32U5's 8 KB ICACHE) hold beside the block's other ~350 B.
 */
const STRAIGHT_MAX_STEPS: Partial<Record<string, number>> = { 'cortex-m7': 8, 'cortex-m33': 32 };

/** quadTurnSteps for the 1x1 layers' routine: sixteen on the Cortex-M33 unless `--prefer size`. */
export function pointwiseQuadTurn(isa: KernelIsa | undefined, prefer?: Prefer): number {
  return prefer !== 'size' && isa?.core === 'cortex-m33' ? 16 : quadTurnSteps(isa, prefer);
}

/**
 * Whether a 1x1 layer's quad routine enters its loop with a B to the turn's second half instead of
 * the computed jump (quadRunAsm `secondHalfEntry`): the block's first half step runs before the
 * loop, so the loop runs k4 / 2 - 1 halves, and the first turn skips exactly one half wherever k4 is
 * a multiple of 4 turn steps (16 on the Cortex-M4: every 1x1 layer of VWW and KWS). The Cortex-M4
 * only, not under `--prefer size`: a model whose layers need both entries carries both routines,
 * and the other cores' longer turns (eight, sixteen steps) would split their narrow layers (k4 16,
 * 32) from the deep ones.
 */
export function quadSecondHalfEntry(k4: number, isa: KernelIsa | undefined, prefer?: Prefer): boolean {
  return prefer !== 'size' && isa?.core === 'cortex-m4' && k4 % (4 * pointwiseQuadTurn(isa, prefer)) === 0;
}

/** A step of quadRunAsm's loop in code bytes: two halves of two LDM.W (LDM step), or of four LDR.W (pipelined), 8 SMLAD and 2 SXTB16. */
const QUAD_STEP_BYTES = 96;
const QUAD_PIPELINED_STEP_BYTES = 112;

/**
 * The word after the columns that ends quadRunAsm's sentinel loop: its high lane -32768, which no
 * SXTB16 of int8 values gives (conv_2d_dsp_pointwise_quads.h TF_DSP_QUAD_SENTINEL).
 */
export const QUAD_SENTINEL = 0x80000000;
/** The sentinel's bytes past the columns (TF_DSP_QUAD_SENTINEL_WORDS: a half step loads two words). */
const QUAD_SENTINEL_BYTES = 8;

/**
 * Whether quadRunAsm takes the pipelined loads: on the Cortex-M4 (with or without its FPU) an LDR
 * issues 1 cycle after another load and an LDM costs 1 + N, so four LDR in a row cost 5 cycles where
 * two LDM of two cost 6 (15 cycles per 16 MACs, not 16); on the Cortex-M33 (LDM N) and the Cortex-M7
 * (LDM ceil(N / 2)) the LDM are cheaper. The pipelined step is the larger code, so `--prefer size`
 * keeps the LDM.
 */
export function loadsPipeline(isa: KernelIsa | undefined, prefer?: Prefer): boolean {
  return isa?.core === 'cortex-m4' && prefer !== 'size';
}

/**
 * The channel quads of a 1x1 `pairs` layer: conv_2d_dsp_pointwise_quads.h's run of two pixels by four channels (two
 * channel pairs) as a naked function (one per model and mode). A half step (two of a step's four
 * values) is one LDM of two column words (pixel A's lanes, pixel B's), one LDM of two weight words
 * (pair P's, pair Q's), 2 SXTB16 and 8 SMLAD: 12 instructions per 16 MACs like pairsRunAsm's step,
 * but 1.0 cycle per MAC on the M4 (LDM 1 + N) against 1.125, 0.875 on the M33 (LDM N) against 1.0,
 * 0.69 on the M7 (LDM ceil(N / 2)) against 0.75; and the per-block work (starts, the loop's entry,
 * the LDM of the records, the stores) is spread over eight outputs instead of four. Registers: r0..r3
 * P's accumulators (r pixel A, B; r + 256 s pixel A, B), r4..r7 Q's, r8 r9 the column words, r10 r11
 * the weight words, r12 the columns, lr the weights: all fourteen, so the loop's stop and entry and the
 * block's pointers live in the frame (tf_dsp_pw_run_t copied under the entry address) and come in
 * with LDR at the ends of a turn or a block. A block's first half step runs before the loop, its
 * words loaded in one run with the starts and each accumulator's first SMLAD adding to its start (no
 * copies of the starts: 6 cycles a block on the M4); the loop runs the other halves, `turn` steps a
 * turn (quadTurnSteps), entered part-way at a half step, the entry computed here from cols and stop
 * (`secondHalfEntry`: a B to the second half, the entry of every k4 a multiple of 4 turn steps).
 * Past the requantization the block's frame words (out_a, out_b - out_a, their end, the clamp's
 * bounds) come in one run of LDR, which the M4 pipelines, and pixel B's word is stored at out_a
 * plus that distance, so that only out_a goes back to the frame.
 * `sentinel` (the 1x1 layers' routine): the columns are followed by QUAD_SENTINEL, and each turn
 * ends by loading the next half step's words and testing the column word against it (the frame's
 * stop is not read: 3 cycles a turn on the M4, not 5); past the last turn those loads bring the
 * block's { start s, start s' } in, and the next block's columns address comes in with the frame's
 * other words. The im2col layers' columns have no sentinel: their routine reloads the stop.
 * `pixelLoop`: one call runs every whole pixel pair (pixelPairStep). `straightSteps` (the M33's and
 * M7's 1x1 layers of k4 up to quadStraightSteps' limit): the block's k4 / 2 halves in a row, no loop.
 */
export interface QuadRunForm {
  /** true: the M4's pipelined LDR; 'dual': the M7's dual-issue schedule; false (default): LDM */
  loadForm?: boolean | 'dual';
  /** steps of 4 values a turn of the loop (default 4) */
  turn?: number;
  /** the 1x1 layers' columns, followed by QUAD_SENTINEL */
  sentinel?: boolean;
  /** the floor at or above the zero point: the requantization without its SUB */
  floor?: boolean;
  /** the rounding records (roundLines) */
  round?: boolean;
  secondHalfEntry?: boolean;
  pixelLoop?: boolean;
  straightSteps?: number;
}

/** quadRunAsm's form with its defaults filled in, checked, and what follows from it. */
interface QuadShape {
  fast: number;
  clamp: RunClamp;
  loadForm: boolean | 'dual';
  turn: number;
  sentinel: boolean;
  floor: boolean;
  round: boolean;
  secondHalfEntry: boolean;
  pixelLoop: boolean;
  straightSteps: number | undefined;
  /** the Cortex-M7's dual-issue schedule */
  dual: boolean;
  /** single LDR (pipelined on the M4, or the dual schedule's) in place of LDM */
  pipelined: boolean;
  /** half steps a turn of the loop */
  halves: number;
  /** the straight block's rounding form loads the zero point right behind the starts */
  zpAfterStarts: boolean;
}

/** The form's defaults and the combinations quadRunAsm takes (it throws on any other). */
function quadShape(fast: number, clamp: RunClamp, form: QuadRunForm): QuadShape {
  const { loadForm = false, turn = 4, sentinel = false, floor = false, round = false, secondHalfEntry = false, pixelLoop = false, straightSteps } = form;
  if (round && !floor) throw new Error('quadRunAsm: the rounding records need the floor at the zero point');
  if (pixelLoop && !sentinel) throw new Error("quadRunAsm: the pixel-pair loop is the 1x1 layers' (sentinel) form");
  if (secondHalfEntry && !sentinel) throw new Error("quadRunAsm: the fixed entry is the 1x1 layers' (sentinel) form");
  if (straightSteps !== undefined && (!sentinel || secondHalfEntry || loadForm === true || straightSteps < 1))
    throw new Error("quadRunAsm: the straight block is the 1x1 layers' (sentinel) form with LDM or dual loads");
  if (fast !== 1 && fast !== 2) throw new Error('quadRunAsm: FAST or WIDE requantization only');
  if (turn !== 4 && turn !== 8 && turn !== 16) throw new Error('quadRunAsm: four, eight or sixteen steps a turn');
  const dual = loadForm === 'dual';
  if (dual && !sentinel) throw new Error('quadRunAsm: the dual-issue schedule ends its loop on the sentinel only');
  // the straight block's LDM loads put the rounding form's zero point (FAST) right behind the LDRD
  // of the starts, where the M33 issues it in 1 cycle, not the 2 it takes behind the records' LDM
  const zpAfterStarts = straightSteps !== undefined && !dual && round && fast !== 2;
  const pipelined = loadForm !== false;
  return { fast, clamp, loadForm, turn, sentinel, floor, round, secondHalfEntry, pixelLoop, straightSteps, dual, pipelined, halves: 2 * turn, zpAfterStarts };
}

/**
 * The half steps of quadRunAsm's MACs: the loads of one (`loads`), a whole one (`half`), the dual
 * schedule's (`dualHalf`, its loads in `dualLoads`), and the block's first from the starts.
 */
function quadHalfSteps(s: QuadShape) {
  const { dual, pipelined, sentinel } = s;
  // pipelined: four LDR in a row (2 + 1 + 1 + 1 cycles on the M4) in place of two LDM of two (3 + 3)
  const loads = pipelined
    ? ['ldr.w r9, [r12, #4]', 'ldr.w r8, [r12], #8', 'ldr.w r11, [lr, #4]', 'ldr.w r10, [lr], #8']
    : ['ldm.w r12!, {r8, r9}', 'ldm.w lr!, {r10, r11}'];
  const half = [...loads, ...quadHalfMacs()];
  // a block's starts with its first half step's words: LDR in a row on the M4, LDRD and two LDM
  // elsewhere; the sentinel form loads the columns' address with the block's end (one LDR more in a run)
  const colsLoad = sentinel ? [] : ['ldr r12, [sp, #4]'];
  // dual (the Cortex-M7, which issues a load beside a MAC, never two MACs): each load sits between
  // two MACs, after the last MAC that reads its register: a half step reads its own Q word and the
  // next half's P word and column words (so a half begins with A, B and P in r8 r9 r10, lr at its
  // Q word and r12 at the next half's columns), 9 cycles in the timing model against 11 for the LDM
  const dualLoads = { q: 'ldr.w r11, [lr], #4', p: 'ldr.w r10, [lr], #4', a: 'ldr.w r8, [r12], #4', b: 'ldr.w r9, [r12], #4' };
  const firstLoads = dual
    ? ['ldrd r0, r4, [lr], #8', dualLoads.a, dualLoads.b, dualLoads.p]
    : pipelined
      ? [...colsLoad, 'ldr r4, [lr, #4]', 'ldr r0, [lr], #8', ...loads]
      : [...colsLoad, 'ldrd r0, r4, [lr], #8', ...loads];
  // the first half step from the starts (quadBlockStartMacs), the dual schedule's with its loads
  // between the MACs
  const firstHalf = dual
    ? [
        'smlad r2, r8, r10, r0',
        dualLoads.q,
        'smlad r3, r9, r10, r0',
        'sxtb16 r10, r10',
        'smlad r1, r9, r10, r0',
        'smlad r0, r8, r10, r0',
        dualLoads.p,
        'smlad r6, r8, r11, r4',
        'smlad r7, r9, r11, r4',
        'sxtb16 r11, r11',
        'smlad r5, r9, r11, r4',
        'smlad r4, r8, r11, r4',
        dualLoads.a,
        dualLoads.b,
      ]
    : quadBlockStartMacs();
  const dualHalf = [
    'smlad r2, r8, r10, r2',
    dualLoads.q,
    'smlad r3, r9, r10, r3',
    'sxtb16 r10, r10',
    'smlad r0, r8, r10, r0',
    'smlad r1, r9, r10, r1',
    dualLoads.p,
    'smlad r6, r8, r11, r6',
    'smlad r7, r9, r11, r7',
    'sxtb16 r11, r11',
    'smlad r4, r8, r11, r4',
    dualLoads.a,
    'smlad r5, r9, r11, r5',
    dualLoads.b,
  ];
  return { loads, half, dualHalf, firstLoads, firstHalf };
}

/**
 * The frame's words into registers and the loop's entry address in r3. Frame: [sp] the loop's entry
 * address, then tf_dsp_pw_run_t's cols, out_a, out_b - out_a (the pixels' distance), end_a, lo4,
 * hi4, zp4, stop. The block's first half step runs before the loop (firstHalf), so the loop runs
 * k4 / 2 - 1 halves: (cols - stop + 8) & (8 halves - 1) is 8 times the halves skipped, times the
 * half's bytes / 8 (7 or 6). The straight block has no entry to compute.
 */
function quadEntry(s: QuadShape): string[] {
  const { pipelined, halves, straightSteps } = s;
  const entry = [
    'ldm r2, {r4-r11}',
    'sub r6, r6, r5', // out_b - out_a
  ];
  const computedEntry = [
    'sub r3, r4, r11',
    'add r3, r3, #8',
    `and r3, r3, #${8 * halves - 1}`,
    pipelined ? 'rsb r3, r3, r3, lsl #3' : 'add r3, r3, r3, lsl #1',
    'adr.w r12, 10f',
    pipelined ? 'add r3, r3, r12' : 'add r3, r12, r3, lsl #1',
  ];
  return [...entry, ...(straightSteps === undefined ? computedEntry : [])];
}

/**
 * The loop, `turn` steps a turn, entered part-way: the entry address from the frame;
 * secondHalfEntry: a B to the second half (2 cycles a block less on the M4), then a NOP never run,
 * so that the loop keeps its place against the flash accelerator's 64-bit words (without it VWW's
 * deep 1x1 layers ran 4 cycles a block slower)
 */
function quadLoopHalves(s: QuadShape, steps: ReturnType<typeof quadHalfSteps>): string[] {
  const { dual, secondHalfEntry, pipelined, halves, sentinel } = s;
  const { loads, half, dualHalf } = steps;
  const halfBytes = (pipelined ? QUAD_PIPELINED_STEP_BYTES : QUAD_STEP_BYTES) / 2;
  // the loop's entry address: r10 (r11 under dual, whose r10 holds the next P word by then)
  const jump = dual ? 'r11' : 'r10';
  return [
    ...(secondHalfEntry ? ['b 12f', 'nop'] : [`ldr ${jump}, [sp]`, `mov pc, ${jump}`]),
    '10:',
    ...(dual
      ? [...dualHalf, '12:', ...Array.from({ length: halves - 1 }, () => dualHalf).flat()]
      : [...loads, '11:', ...half.slice(loads.length), '12:', ...Array.from({ length: halves - 1 }, () => half).flat()]),
    '13:',
    `.if (12b - 10b) != ${halfBytes}`,
    '.error "quadRunAsm: the half step is no longer the bytes its entry assumes"',
    '.endif',
    `.if (13b - 10b) != ${halfBytes * halves}`,
    `.error "quadRunAsm: the turn is not ${halves} half steps"`,
    '.endif',
    // sentinel: the next turn's first words are loaded before the test, and past the last turn they
    // are the sentinel word that follows the columns (no pair of int8 values extends to it) with
    // the block's { start s, start s' }; else the stop is reloaded from the frame
    // (dual: the last half loaded the sentinel and start s, start s' follows)
    ...(dual
      ? [`cmp r8, #0x${QUAD_SENTINEL.toString(16)}`, 'bne 10b', 'ldr r11, [lr], #4']
      : sentinel
        ? [...loads, `cmp r8, #0x${QUAD_SENTINEL.toString(16)}`, 'bne 11b']
        : ['ldr r10, [sp, #32]', 'cmp r12, r10', 'bne 10b', 'ldrd r10, r11, [lr], #8']),
  ];
}

/**
 * The straight block (`straightSteps`, k4 / 4 steps): the halves past the first one in a row, no
 * entry to compute and no sentinel to test; past them the block's { start s, start s' } (dual: the
 * last half loaded start s into r10; its column loads read the sentinel words, unused), and with
 * LDM loads the rounding form's zero point (FAST) right behind the LDRD (zpAfterStarts; r12 is free
 * until the block's end)
 */
function quadStraightHalves(s: QuadShape, steps: ReturnType<typeof quadHalfSteps>, count: number): string[] {
  const { half, dualHalf } = steps;
  return s.dual
    ? [...Array.from({ length: 2 * count - 1 }, () => dualHalf).flat(), 'ldr r11, [lr], #4']
    : [...Array.from({ length: 2 * count - 1 }, () => half).flat(), 'ldrd r10, r11, [lr], #8', ...(s.zpAfterStarts ? ['ldr r12, [sp, #28]'] : [])];
}

/** The block's eight accumulators requantized and packed: pixel A's four channels in r0, pixel B's in r1. */
function quadRequantize(s: QuadShape): string[] {
  const { round, fast, floor, pipelined, dual, zpAfterStarts } = s;
  // the requantization of accumulator `acc` by the record words m, P (or K): roundLines under `round` (FAST: the zero point in r12)
  const rq = (acc: string, m: string, p: string) => (round ? roundLines(acc, m, p, fast, 'r12') : rqLines(acc, m, p, fast, 'r12', floor));
  return [
    // r10 r11: start s, start s'
    'sub r2, r2, r0',
    'add r2, r10, r2, asr #8',
    'sub r3, r3, r1',
    'add r3, r10, r3, asr #8',
    'sub r6, r6, r4',
    'add r6, r11, r6, asr #8',
    'sub r7, r7, r5',
    'add r7, r11, r7, asr #8',
    // m r, P r, m s, P s; the rounding form's zero point (FAST), from the frame's zp4 word
    // (conv_2d_dsp_pointwise_quads.h tf_dsp_pointwise_quad_body): on the M4 (pipelined) the zero point first and the
    // records in a run of LDR behind it, each pipelined (6 cycles, not the LDM's 5 and an LDR's 2)
    ...(round && fast !== 2
      ? pipelined && !dual
        ? ['ldr r12, [sp, #28]', 'ldr r9, [lr, #4]', 'ldr r10, [lr, #8]', 'ldr r11, [lr, #12]', 'ldr r8, [lr], #16']
        : ['ldm lr!, {r8, r9, r10, r11}', ...(zpAfterStarts ? [] : ['ldr r12, [sp, #28]'])]
      : ['ldm lr!, {r8, r9, r10, r11}']),
    ...rq('r0', 'r8', 'r9'),
    ...rq('r1', 'r8', 'r9'),
    ...rq('r2', 'r10', 'r11'),
    ...rq('r3', 'r10', 'r11'),
    'ldm lr!, {r8, r9, r10, r11}', // m r', P r', m s', P s'
    ...rq('r4', 'r8', 'r9'),
    ...rq('r5', 'r8', 'r9'),
    ...rq('r6', 'r10', 'r11'),
    ...rq('r7', 'r10', 'r11'),
    // pixel A's four channels r, s, r', s' in one word, pixel B's in another
    'bfi r0, r2, #8, #8',
    'bfi r0, r4, #16, #8',
    'bfi r0, r6, #24, #8',
    'bfi r1, r3, #8, #8',
    'bfi r1, r5, #16, #8',
    'bfi r1, r7, #24, #8',
  ];
}

/** The two pixels' words clamped and stored, the next block, and past the last the routine's return. */
function quadStoreAndReturn(s: QuadShape): string[] {
  const { pipelined, dual, fast, clamp, sentinel, pixelLoop, loadForm } = s;
  return [
    // out_a, the pixels' distance, end_a and the clamp's words in one run of loads (LDR on the M4, which pipelines them)
    ...(pipelined && !dual ? ['ldr r2, [sp, #8]', 'ldr r3, [sp, #12]'] : ['ldrd r2, r3, [sp, #8]']),
    'ldr r4, [sp, #16]',
    ...laneClampLoads(fast, clamp),
    // the sentinel form: the next block's columns address in the same run (the clamp's flags in r5)
    ...(sentinel ? ['ldr r12, [sp, #4]'] : []),
    ...laneClampOps(fast, clamp, ['r0', 'r1'], CLAMP_REGS, sentinel ? 'r5' : 'r12'),
    'str r1, [r2, r3]', // pixel B's word at out_b
    'str r0, [r2], #4',
    'str r2, [sp, #8]',
    'cmp r2, r4',
    'bne 1b',
    ...(pixelLoop ? pixelPairStep(loadForm === true) : []),
    'mov r0, lr',
    `add sp, #${pixelLoop ? 48 : 36}`,
    'pop {r4-r11, pc}',
  ];
}

/** The routine's comment: its load schedule, loop and requantization. */
function quadRunComment(s: QuadShape): string {
  const { dual, pipelined, straightSteps, turn, secondHalfEntry, fast, round, floor, clamp } = s;
  return `/* the channel quads of a 1x1 pairs layer in assembly (conv_2d/dsp.ts quadRunAsm${dual ? ', loads between the MACs' : pipelined ? ', pipelined loads' : ''}, ${straightSteps !== undefined ? `${straightSteps} steps a block, no loop` : `${turn} steps a turn`}${secondHalfEntry ? ', entered at the second half' : ''}): ${fast === 2 ? 'WIDE' : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : floor ? ' (floor at the zero point)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`;
}

export function quadRunAsm(name: string, fast: number, clamp: RunClamp, form: QuadRunForm = {}): string {
  const s = quadShape(fast, clamp, form);
  const { secondHalfEntry, pixelLoop, sentinel, straightSteps } = s;
  const steps = quadHalfSteps(s);
  const lines: string[] = [
    'push {r4-r11, lr}',
    // r3 the entry address (the straight block has none: the frame's word is left unread); cols,
    // out_a, out_b - out_a, end_a, lo4, hi4, zp4, stop
    ...quadEntry(s),
    // pixelLoop: the next pair's input and the pairs left from the frame, beside the weights' start,
    // in 8 bytes (the NOP), so that the loop keeps its place against the flash accelerator's words
    ...(pixelLoop ? ['ldr r0, [r2, #36]', 'ldr r2, [r2, #40]', 'push {r0, r1, r2}', 'nop'] : []),
    'push {r3-r11}',
    // secondHalfEntry: MOV.W puts the block's first instruction (32-bit, the target of every block's
    // branch back) on a word, one cycle a block on the M4; the 16-bit NOP past the B below gives the
    // two bytes back, so that the loop keeps its place
    secondHalfEntry ? 'mov.w lr, r1' : 'mov lr, r1',
    ...(sentinel ? ['mov r12, r4'] : []), // cols
    '1:',
    ...steps.firstLoads,
    ...steps.firstHalf,
    ...(straightSteps !== undefined ? quadStraightHalves(s, steps, straightSteps) : quadLoopHalves(s, steps)),
    ...quadRequantize(s),
    ...quadStoreAndReturn(s),
  ];
  const body = lines.map((l) => `      "${l.startsWith('.error') ? l.replace(/"/g, '\\"') : l}\\n\\t"`).join('\n');
  return [
    quadRunComment(s),
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused))) {`,
    '  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the quads in r0 */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
}

/**
 * quadRunAsm's move to the next pixel pair without leaving the routine (`pixelLoop`: the C loop's
 * call, entry and exit cost ~90 cycles a pair on the M4, ~75 on the M33). Frame past the run's nine
 * words: the next pair's pixel A, the weights' start, the pairs left. The outputs move by the
 * pixels' distance (out_a already stands past pixel A's outputs, at pixel B's); the columns are
 * packed as tf_dsp_pack_pair packs them (k4 bytes = (stop - cols) / 4): four values first where k4
 * is not a multiple of 8, then eight a turn, `pipelined` (the M4) with four LDR in a row and single
 * STR, which it pipelines, else (the M33, M7) with two LDRD and two STM of four, which cost those
 * cores less than single loads and stores.
 */
function pixelPairStep(pipelined: boolean): string[] {
  // r5 pixel A's values, r8 pixel B's, r11 the end of pixel A's, r12 the columns
  const eight = pipelined
    ? [
        'ldr r3, [r5, #4]',
        'ldr r2, [r5], #8',
        'ldr r1, [r8, #4]',
        'ldr r0, [r8], #8',
        'sxtb16 r4, r2',
        'sxtb16 r6, r0',
        'sxtb16 r2, r2, ror #8',
        'sxtb16 r0, r0, ror #8',
        'str r4, [r12], #32',
        'str r6, [r12, #-28]',
        'str r2, [r12, #-24]',
        'str r0, [r12, #-20]',
        'sxtb16 r4, r3',
        'sxtb16 r6, r1',
        'sxtb16 r3, r3, ror #8',
        'sxtb16 r1, r1, ror #8',
        'str r4, [r12, #-16]',
        'str r6, [r12, #-12]',
        'str r3, [r12, #-8]',
        'str r1, [r12, #-4]',
      ]
    : [
        'ldrd r2, r6, [r5], #8',
        'ldrd r3, r7, [r8], #8',
        'sxtb16 r0, r2',
        'sxtb16 r1, r3',
        'sxtb16 r2, r2, ror #8',
        'sxtb16 r3, r3, ror #8',
        'stm r12!, {r0, r1, r2, r3}',
        'sxtb16 r0, r6',
        'sxtb16 r1, r7',
        'sxtb16 r6, r6, ror #8',
        'sxtb16 r7, r7, ror #8',
        'stm r12!, {r0, r1, r6, r7}',
      ];
  const four = pipelined
    ? [
        'ldr r0, [r5], #4',
        'ldr r1, [r8], #4',
        'sxtb16 r2, r0',
        'sxtb16 r3, r1',
        'sxtb16 r0, r0, ror #8',
        'sxtb16 r1, r1, ror #8',
        'str r2, [r12], #16',
        'str r3, [r12, #-12]',
        'str r0, [r12, #-8]',
        'str r1, [r12, #-4]',
      ]
    : [
        'ldr r2, [r5], #4',
        'ldr r3, [r8], #4',
        'sxtb16 r0, r2',
        'sxtb16 r1, r3',
        'sxtb16 r2, r2, ror #8',
        'sxtb16 r3, r3, ror #8',
        'stm r12!, {r0, r1, r2, r3}',
      ];
  return [
    'ldr r2, [sp, #44]',
    'subs r2, r2, #1',
    'beq 20f',
    'str r2, [sp, #44]',
    'ldr r4, [sp, #8]',
    'ldr r9, [sp, #12]',
    'ldr r6, [sp, #4]',
    'ldr r7, [sp, #32]',
    'ldr r5, [sp, #36]',
    'add r4, r4, r9',
    'str r4, [sp, #8]',
    'add r4, r4, r9',
    'str r4, [sp, #16]',
    'sub r7, r7, r6', // 4 k4
    'add r11, r5, r7, lsr #2', // pixel B, the end of pixel A
    'add r8, r11, r7, lsr #2', // the pair after
    'str r8, [sp, #36]',
    'mov r8, r11',
    'mov r12, r6',
    'tst r7, #16',
    'beq 21f',
    ...four,
    '21:',
    'cmp r5, r11',
    'beq 23f',
    '22:',
    ...eight,
    'cmp r5, r11',
    'bne 22b',
    '23:',
    'ldr r12, [sp, #4]',
    'ldr lr, [sp, #40]',
    'b 1b',
    '20:',
  ];
}

/** A step of bandRunAsm's loop in code bytes: two halves of four LDR.W, 8 SMLAD and 2 SXTB16. */
export const BAND_STEP_BYTES = 112;

/** The same in the LDRD form (bandLoads 'ldrd'): two halves of an LDRD and two LDR.W, 8 SMLAD and 2 SXTB16. */
export const BAND_LDRD_STEP_BYTES = 104;

/** Steps of 4 values a turn of bandRunAsm's loop (the Cortex-M4's: its ART holds a turn and the block). */
export const BAND_TURN_STEPS = 4;

/**
 * How bandRunAsm's half step loads its four words, by core (not under `--prefer size`, which keeps the
 * pixel columns' LDM): on the Cortex-M4 four LDR.W in a row (2 + 1 + 1 + 1 cycles: a load pipelines
 * after a load); on the Cortex-M33 the weight pair in one LDRD and the two column words in LDR.W
 * after it (2 + 1 + 1: a load issues 1 cycle after any single load or store, LDRD included, where it
 * does not after an LDM), as cheap as the pixel columns' two LDM of two (2 + 2); elsewhere none (no
 * bands).
 */
export function bandLoads(isa: KernelIsa | undefined, prefer?: Prefer): 'pipelined' | 'ldrd' | undefined {
  if (prefer === 'size') return undefined;
  if (isa?.core === 'cortex-m4') return 'pipelined';
  if (isa?.core === 'cortex-m33') return 'ldrd';
  return undefined;
}

/**
 * Whether a compile's layers may read bands (bandLoads): the band kernels' scratch counts in every
 * Arm DSP kernel's (dspScratchBytes), as the planner reserved it when one variant hid them all. Where
 * the core is not known (transpose_conv's phases) they may.
 */
export function columnBands(facts: VariantFacts): boolean {
  return facts.isa === undefined || bandLoads(facts.isa, facts.prefer) !== undefined;
}

/** Steps of 4 values a turn of bandRunAsm's loop on the Cortex-M33 (bandTurn). */
export const BAND_M33_TURN_STEPS = 16;

/**
 * The steps a turn of bandRunAsm's loop: four on the Cortex-M4 (BAND_TURN_STEPS: its ART holds 1
 * KB); sixteen on the Cortex-M33, whose parts' caches (the STM32U5's 8 KB ICACHE) hold the 1,664 B
 * loop, and whose turn end (the stop from the frame, compare, branch: 5 cycles) then comes every 224
 * MACs instead of 112: IC's M33 estimate 85.23 -> 84.68 ms.
 */
export function bandTurn(isa: KernelIsa | undefined): number {
  return isa?.core === 'cortex-m33' ? BAND_M33_TURN_STEPS : BAND_TURN_STEPS;
}

/**
 * The channel quads of an im2col pixel pair read from a band of int16 columns (conv_2d_dsp_row_bands.h
 * tf_dsp_im2col_band_run_body) as a naked function, one per model, mode, clamp and pixel offset: the
 * Cortex-M4 schedule of quadRunAsm's loop (four LDR.W in a row, 2 + 1 + 1 + 1 cycles, 15 cycles per
 * 16 MACs), pixel A's column word post-indexed and B's at `off` bytes past it, since the two
 * pixels' fields lie in the band `off` (stride_w k_h in_c 2) bytes apart instead of interleaved;
 * `ldrd` (the Cortex-M33's, bandLoads): the weight pair in one LDRD, then the two column words
 * (2 + 1 + 1 cycles there, 14 per 16 MACs). The block's first half step runs before the loop from
 * the starts (as quadRunAsm's) and the loop is entered at a half step. The frame as quadRunAsm's
 * (tf_dsp_pw_run_t under the loop's entry address), the entry taken from the struct's `entry`
 * bytes; registers, records, requantization, clamp and stores as there. `off` undefined: the
 * interleaved columns' LDM step (the signed WIDE form of the pixel columns), entered at a step.
 * `halves` (a stem's, whose k4 is a constant of its instance): the block's first half branches to
 * the loop's half that leaves whole turns, or runs the rest straight where they are fewer than a
 * turn, with no entry read from the frame.
 */
export interface BandRunForm {
  /** bytes between the pair's fields in the band; undefined: the interleaved columns' LDM step */
  off: number | undefined;
  /** steps of 4 values a turn (default BAND_TURN_STEPS) */
  turn?: number;
  /** the zero point added before an SSAT (signed WIDE) */
  zp?: number;
  /** the Cortex-M33's LDRD step */
  ldrd?: boolean;
  /** the rounding records (roundLines) */
  round?: boolean;
  /** a stem's fixed field length in halves */
  halves?: number;
}

/** bandRunAsm's form with its defaults filled in, checked, and what follows from it. */
interface BandShape {
  fast: number;
  clamp: RunClamp;
  off: number | undefined;
  turn: number;
  zp: number | undefined;
  ldrd: boolean;
  round: boolean;
  halves: number | undefined;
  /** the columns read from a band (off given), not interleaved */
  band: boolean;
  /** a fixed field length of fewer halves past the first than a turn: no loop */
  straight: boolean;
  /** the loop's half the block enters at after its first (a fixed field length), else 0 */
  entryHalf: number;
  /** the rounding form's zero point loaded right after the starts' LDRD */
  zpEarly: boolean;
  /** the loads and MACs of one half step */
  half: string[];
  loads: string[];
}

/** The form's defaults and the combinations bandRunAsm takes (it throws on any other). */
function bandShape(fast: number, clamp: RunClamp, form: BandRunForm): BandShape {
  const { off, turn = BAND_TURN_STEPS, zp, ldrd = false, round = false, halves } = form;
  if (fast !== 1 && fast !== 2) throw new Error('bandRunAsm: FAST or WIDE requantization only');
  if (halves !== undefined && (off === undefined || halves < 1)) throw new Error('bandRunAsm: a fixed field length reads a band');
  if (round && zp !== undefined) throw new Error('bandRunAsm: the rounding records under FAST or unsigned WIDE only');
  if (off !== undefined && (off <= 0 || off > 4088 || off % 4 !== 0)) throw new Error(`bandRunAsm: pixel offset ${off} out of the LDR immediate's range`);
  if (zp !== undefined && (fast !== 2 || zp < -128 || zp > 127)) throw new Error('bandRunAsm: a zero point before the SSAT under WIDE only');
  if (ldrd && off === undefined) throw new Error('bandRunAsm: the LDRD form reads a band');
  // the band's: pixel B's word at `off` past A's, four LDR in a row (or the weights' LDRD, then the
  // two column words); else the interleaved columns' two LDM of two
  const loads =
    off === undefined
      ? ['ldm.w r12!, {r8, r9}', 'ldm.w lr!, {r10, r11}']
      : ldrd
        ? ['ldrd r10, r11, [lr], #8', `ldr.w r9, [r12, #${off}]`, 'ldr.w r8, [r12], #4']
        : [`ldr.w r9, [r12, #${off}]`, 'ldr.w r8, [r12], #4', 'ldr.w r11, [lr, #4]', 'ldr.w r10, [lr], #8'];
  const half = [...loads, ...quadHalfMacs()];
  // the rounding form's zero point loaded where it pipelines, after the starts' LDRD (the M33's)
  const zpEarly = round && fast !== 2 && ldrd;
  // a fixed field length (halves): the loop's half the block enters at after its first, or none
  const straight = halves !== undefined && halves - 1 < 2 * turn;
  const entryHalf = halves === undefined || straight ? 0 : (2 * turn - ((halves - 1) % (2 * turn))) % (2 * turn);
  return { fast, clamp, off, turn, zp, ldrd, round, halves, band: off !== undefined, straight, entryHalf, zpEarly, half, loads };
}

/**
 * The start of a block. The interleaved columns: the starts copied into the accumulators, the loop
 * entered at a step; the band's: the block's first half step before the loop from the starts (as
 * quadRunAsm's), the loop entered at a half step (conv_2d_dsp_row_bands.h tf_dsp_im2col_band_run_body's `entry`)
 */
function bandBlockStart(s: BandShape): string[] {
  const { off, ldrd, loads, half, halves, straight, entryHalf } = s;
  return off === undefined
    ? [
        'ldr r4, [lr, #4]', // start r'
        'ldr r0, [lr], #8', // start r
        'ldr r10, [sp]', // entry address
        'ldr r12, [sp, #4]', // cols
        'mov r1, r0',
        'mov r2, r0',
        'mov r3, r0',
        'mov r5, r4',
        'mov r6, r4',
        'mov r7, r4',
        'mov pc, r10',
      ]
    : [
        'ldr r12, [sp, #4]', // cols
        ...(ldrd ? ['ldrd r0, r4, [lr], #8'] : ['ldr r4, [lr, #4]', 'ldr r0, [lr], #8']), // start r, start r'
        ...loads,
        ...quadBlockStartMacs(),
        // a fixed field length: the loop entered by a branch to its half (`11:`); past the first, fewer
        // halves than a turn run straight on, with no loop
        ...(halves === undefined
          ? ['ldr r10, [sp]', 'mov pc, r10']
          : straight
            ? Array.from({ length: halves - 1 }, () => half).flat()
            : entryHalf
              ? ['b 11f']
              : []),
      ];
}

/** The loop, `turn` steps a turn, with the assembler's checks of the step bytes its entry assumes; none where the block runs straight. */
function bandLoop(s: BandShape): string[] {
  const { off, ldrd, turn, half, halves, straight, entryHalf } = s;
  if (straight) return ['10:'];
  const stepBytes = off === undefined ? QUAD_STEP_BYTES : ldrd ? BAND_LDRD_STEP_BYTES : BAND_STEP_BYTES;
  return [
    // a fixed field length's loop on a word (never run: the branch above is unconditional): a taken
    // branch to a 32-bit instruction on a halfword refills for a cycle more, at every turn
    ...(halves !== undefined ? ['.balign 4'] : []),
    '10:',
    ...Array.from({ length: 2 * turn }, (_, i) => [...(i === 2 ? ['12:'] : []), ...(i > 0 && i === entryHalf ? ['11:'] : []), ...half]).flat(),
    ...(turn === 1 ? ['12:'] : []),
    '13:',
    `.if (12b - 10b) != ${stepBytes}`,
    '.error "bandRunAsm: the step is no longer the bytes its entry assumes"',
    '.endif',
    `.if (13b - 10b) != ${stepBytes * turn}`,
    `.error "bandRunAsm: the turn is not ${turn} steps"`,
    '.endif',
    'ldr r10, [sp, #32]', // stop
    'cmp r12, r10',
    'bne 10b',
  ];
}

/** The block's eight accumulators from the starts s, s', requantized and packed: pixel A's four channels in r0, pixel B's in r1. */
function bandRequantize(s: BandShape): string[] {
  const { round, zp, fast, zpEarly } = s;
  // the signed WIDE form: the zero point added before an SSAT, the clamp on signed lanes as FAST's
  // `round`: the records hold K in place of P (roundRecords), three instructions an output (FAST: the zero point in r12)
  const rq = (acc: string, m: string, p: string) =>
    round
      ? roundLines(acc, m, p, fast, 'r12')
      : zp === undefined
        ? rqLines(acc, m, p, fast, 'r12')
        : [...rqLines(acc, m, p, fast, 'r12').slice(0, 4), zp < 0 ? `sub ${acc}, ${acc}, #${-zp}` : `add ${acc}, ${acc}, #${zp}`, `ssat ${acc}, #8, ${acc}`];
  return [
    'ldrd r8, r9, [lr], #8', // start s, start s'
    // the rounding form's zero point (FAST), from the frame's zp4 word (conv_2d_dsp.h
    // tf_dsp_im2col_stem_band_body): on the M33 right after the LDRD, where a load pipelines (VWW's
    // stem 750,649 -> 748,345 est. cycles); on the M4 after the LDM (two LDR for the LDRD and this
    // load after them moved the code against the ART: 856,729 -> 864,778)
    ...(zpEarly ? ['ldr r12, [sp, #28]'] : []),
    'sub r2, r2, r0',
    'add r2, r8, r2, asr #8',
    'sub r3, r3, r1',
    'add r3, r8, r3, asr #8',
    'sub r6, r6, r4',
    'add r6, r9, r6, asr #8',
    'sub r7, r7, r5',
    'add r7, r9, r7, asr #8',
    'ldm lr!, {r8, r9, r10, r11}', // m r, P r, m s, P s
    ...(round && fast !== 2 && !zpEarly ? ['ldr r12, [sp, #28]'] : []),
    ...rq('r0', 'r8', 'r9'),
    ...rq('r1', 'r8', 'r9'),
    ...rq('r2', 'r10', 'r11'),
    ...rq('r3', 'r10', 'r11'),
    'ldm lr!, {r8, r9, r10, r11}', // m r', P r', m s', P s'
    ...rq('r4', 'r8', 'r9'),
    ...rq('r5', 'r8', 'r9'),
    ...rq('r6', 'r10', 'r11'),
    ...rq('r7', 'r10', 'r11'),
    // pixel A's four channels r, s, r', s' in one word, pixel B's in another
    'bfi r0, r2, #8, #8',
    'bfi r0, r4, #16, #8',
    'bfi r0, r6, #24, #8',
    'bfi r1, r3, #8, #8',
    'bfi r1, r5, #16, #8',
    'bfi r1, r7, #24, #8',
  ];
}

/** The two pixels' words clamped and stored, the next block, the band's next pixel pair, and the routine's return. */
function bandStoreAndReturn(s: BandShape): string[] {
  const { zp, fast, clamp, band, off } = s;
  const clampMode = zp === undefined ? fast : 1;
  return [
    // out_a, out_b, end_a and the clamp's words in one run of LDR
    'ldr r2, [sp, #8]',
    'ldr r3, [sp, #12]',
    'ldr r4, [sp, #16]',
    ...laneClampLoads(clampMode, clamp),
    ...laneClampOps(clampMode, clamp, ['r0', 'r1']),
    'str r0, [r2], #4',
    'str r1, [r3], #4',
    'str r2, [sp, #8]',
    'str r3, [sp, #12]',
    'cmp r2, r4',
    'bne 1b',
    // the band's next pixel pair: its columns and stop 2 off bytes on; out_a from B's end (r3),
    // out_b and end_a out_c (B's end less A's, r4) past it; the weights from their start
    ...(band
      ? [
          'ldr r5, [sp, #40]', // pairs left
          'subs r5, r5, #1',
          'beq 2f',
          'str r5, [sp, #40]',
          'ldr r5, [sp, #4]',
          'ldr r6, [sp, #32]',
          `movw r7, #${2 * off!}`,
          'add r5, r5, r7',
          'add r6, r6, r7',
          'str r5, [sp, #4]',
          'str r6, [sp, #32]',
          'sub r5, r3, r4',
          'add r4, r3, r5',
          'str r3, [sp, #8]',
          'str r4, [sp, #12]',
          'str r4, [sp, #16]',
          'ldr lr, [sp, #36]',
          'b 1b',
          '2:',
        ]
      : []),
    'mov r0, lr',
    `add sp, #${band ? 44 : 36}`,
    'pop {r4-r11, pc}',
  ];
}

/** The routine's text around its lines: the comment, the naked function and its signature (the band's takes the pairs too). */
function bandRunText(name: string, s: BandShape, lines: string[]): string {
  const { band, off, ldrd, turn, fast, zp, round, clamp } = s;
  const body = lines.map((l) => `      "${l.startsWith('.error') ? l.replace(/"/g, '\\"') : l}\\n\\t"`).join('\n');
  if (band)
    return [
      `/* the channel quads of im2col pixel pairs in assembly (conv_2d/dsp.ts bandRunAsm, from a band of columns, pixel B ${off} bytes past A${ldrd ? ', weights by LDRD' : ''}, ${turn} steps a turn, \`pairs\` pairs ${2 * off!} bytes apart): ${fast === 2 ? (zp === undefined ? 'WIDE' : `WIDE, zero point ${zp} before the SSAT`) : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
      `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused)), int pairs __attribute__((unused))) {`,
      '  /* r0 cols, r1 w, r2 s, r3 pairs (AAPCS); returns the weights past the quads in r0 */',
      '  __asm__ volatile(',
      body + ');',
      '}',
    ].join('\n');
  return [
    `/* the channel quads of an im2col pixel pair in assembly (conv_2d/dsp.ts bandRunAsm, ${off === undefined ? 'interleaved columns' : `from a band of columns, pixel B ${off} bytes past A${ldrd ? ', weights by LDRD' : ''}`}, ${turn} steps a turn): ${fast === 2 ? (zp === undefined ? 'WIDE' : `WIDE, zero point ${zp} before the SSAT`) : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused))) {`,
    '  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the quads in r0 */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
}

export function bandRunAsm(name: string, fast: number, clamp: RunClamp, form: BandRunForm): string {
  const s = bandShape(fast, clamp, form);
  const { band, halves } = s;
  // the band's: r3 the pixel pairs of the call, each `2 off` bytes of band on from the one before,
  // its outputs 2 out_c bytes on; the weights' start and the pairs left lie past the frame
  const lines: string[] = [
    'push {r4-r11, lr}',
    ...(band ? ['push {r1, r3}'] : []), // weights, pairs
    // the loop's entry address into the frame's first word (a fixed field length reads none: the word is left as it is)
    ...(halves === undefined ? ['ldr r3, [r2, #32]', 'adr.w r12, 10f', 'add r3, r3, r12'] : []), // entry bytes
    'ldm r2, {r4-r11}', // cols, out_a, out_b, end_a, lo4, hi4, zp4, stop
    'push {r3-r11}',
    'mov lr, r1',
    '1:',
    ...bandBlockStart(s),
    ...bandLoop(s),
    ...bandRequantize(s),
    ...bandStoreAndReturn(s),
  ];
  return bandRunText(name, s, lines);
}

/** A step of quadLoneAsm's loop in code bytes: two halves of three LDR.W, 4 SMLAD and 2 SXTB16. */
const QUAD_LONE_STEP_BYTES = 72;

/** Steps of 4 values a turn of quadLoneAsm's loop (the stop stays in a register: the turn costs 3 cycles). */
const QUAD_LONE_STEPS_PER_TURN = 4;

/**
 * The channel quads of a 1x1 `pairs` layer over one pixel: the last pixel of an odd pixel count, or
 * a lone pixel (a head), which quadRunAsm would compute as a pair with itself, half its MACs thrown
 * away. The same weights and frame (tf_dsp_pw_run_t; out_b unused), the columns as the pair's packing
 * leaves them with the pixel twice (its words 0 and 2 of every four read). A half step is one LDR of
 * a column word, two LDR of the pairs' weight words, 2 SXTB16 and 4 SMLAD: 10 cycles per 8 MACs on
 * the M4, where the pair with itself spends 15 per 8 that count. Registers: r0 r1 P's accumulators
 * (r; r + 256 s), r2 r3 Q's, r8 the column word, r9 the stop, r10 r11 the weight words, r12 the
 * columns, lr the weights; per block the four outputs requantized into one word.
 */
export function quadLoneAsm(name: string, fast: number, clamp: RunClamp, floor = false, round = false): string {
  if (round && !floor) throw new Error('quadLoneAsm: the rounding records need the floor at the zero point');
  const rq = (acc: string, m: string, p: string) => (round ? roundLines(acc, m, p, fast, 'r8') : rqLines(acc, m, p, fast, 'r8', floor));
  if (fast !== 1 && fast !== 2) throw new Error('quadLoneAsm: FAST or WIDE requantization only');
  const half = [
    'ldr.w r8, [r12], #8', // the pixel's word; the twin's after it is skipped
    'ldr.w r11, [lr, #4]',
    'ldr.w r10, [lr], #8',
    'smlad r1, r8, r10, r1',
    'sxtb16 r10, r10',
    'smlad r0, r8, r10, r0',
    'smlad r3, r8, r11, r3',
    'sxtb16 r11, r11',
    'smlad r2, r8, r11, r2',
  ];
  const step = [...half, ...half];
  const turn = QUAD_LONE_STEPS_PER_TURN;
  const regs: ClampRegs = { lo: 'r5', hi: 'r6', zp: 'r7' };
  const lines: string[] = [
    'push {r4-r11, lr}',
    'ldm r2, {r4-r11}', // cols, out_a, out_b, end_a, lo4, hi4, zp4, stop
    // the entry: (cols - stop) & (16 turn - 1) is 16 times the steps skipped, times 72 / 16
    'sub r3, r4, r11',
    `and r3, r3, #${16 * turn - 1}`,
    'lsr r3, r3, #1',
    'add r3, r3, r3, lsl #3',
    'adr.w r12, 10f',
    'add r3, r3, r12',
    'push {r3-r11}', // the frame of quadRunAsm: entry address, cols, out_a, out_b, end_a, lo4, hi4, zp4, stop
    'mov r9, r11',
    'mov lr, r1',
    '1:',
    'ldrd r0, r2, [lr], #8', // start r, start r'
    'mov r1, r0',
    'mov r3, r2',
    'ldrd r4, r12, [sp]', // entry address, cols
    'mov pc, r4',
    '10:',
    ...step,
    '12:',
    ...Array.from({ length: turn - 1 }, () => step).flat(),
    '13:',
    `.if (12b - 10b) != ${QUAD_LONE_STEP_BYTES}`,
    '.error "quadLoneAsm: the step is no longer the bytes its entry assumes"',
    '.endif',
    `.if (13b - 10b) != ${QUAD_LONE_STEP_BYTES * turn}`,
    `.error "quadLoneAsm: the turn is not ${turn} steps"`,
    '.endif',
    'cmp r12, r9',
    'bne 10b',
    'ldrd r4, r5, [lr], #8', // start s, start s'
    'sub r1, r1, r0',
    'add r1, r4, r1, asr #8',
    'sub r3, r3, r2',
    'add r3, r5, r3, asr #8',
    'ldm lr!, {r4, r5, r6, r7}', // m r, P r, m s, P s
    // the rounding form's zero point (FAST), from the frame's zp4 word
    ...(round && fast !== 2 ? ['ldr r8, [sp, #28]'] : []),
    ...rq('r0', 'r4', 'r5'),
    ...rq('r1', 'r6', 'r7'),
    'ldm lr!, {r4, r5, r6, r7}', // m r', P r', m s', P s'
    ...rq('r2', 'r4', 'r5'),
    ...rq('r3', 'r6', 'r7'),
    // the pixel's four channels r, s, r', s' in one word
    'bfi r0, r1, #8, #8',
    'bfi r0, r2, #16, #8',
    'bfi r0, r3, #24, #8',
    'ldr r4, [sp, #8]', // out_a
    'ldr r11, [sp, #16]', // end_a
    ...laneClampLoads(fast, clamp, regs),
    ...laneClampOps(fast, clamp, ['r0'], regs),
    'str r0, [r4], #4',
    'str r4, [sp, #8]',
    'cmp r4, r11',
    'bne 1b',
    'mov r0, lr',
    'add sp, #36',
    'pop {r4-r11, pc}',
  ];
  const body = lines.map((l) => `      "${l.startsWith('.error') ? l.replace(/"/g, '\\"') : l}\\n\\t"`).join('\n');
  return [
    `/* the channel quads of a 1x1 pairs layer over one pixel in assembly (conv_2d/dsp.ts quadLoneAsm): ${fast === 2 ? 'WIDE' : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : floor ? ' (floor at the zero point)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused))) {`,
    '  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the quads in r0 */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
}

/**
 * Whether an im2col layer in the `pairs` layout runs its pixel triples' channel pairs in the
 * assembly routine (tripleRunAsm): one extraction chunk (k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS) and the
 * requantizations the 1x1 run takes (pairsRunApplies).
 */
export function tripleRunApplies(k4: number, fast: number, actMin: number, outputZeroPoint: number): boolean {
  return pairsRunApplies(k4, fast, actMin, outputZeroPoint);
}

/**
 * The fewest values per output (k4) from which an im2col layer runs in tripleRunAsm: the run's
 * per-block work is small enough that stems gain too (3x3 over 3 channels, k4 28, and over 1, k4 12),
 * where the C pair loop's did not pay (PAIRS_MIN_K4).
 */
export const TRIPLE_RUN_MIN_K4 = 12;

/**
 * The most values per output (k4) for which tripleRunAsm's loop turns every 4 steps instead of 8 on
 * the Cortex-M4: a stem's (3x3 over 3 channels, k4 28) loop unrolled 8 steps is 544 code bytes, and
 * with the packing and the C loop around it overflows a 1 KB instruction cache (the STM32L4's and
 * STM32F4's ART accelerator: every fetch of the loop then misses); 4 steps a turn cost one more
 * compare and branch per 16 values. Cores whose parts carry larger caches (the M33's, the M7's)
 * keep 8.
 */
export const TRIPLE_SHORT_TURN_K4 = 32;

/** The steps a turn of tripleRunAsm's loop for k4 values per output on `core` (KernelIsa.core). */
export function tripleTurn(k4: number, core: string | undefined): number {
  return core === 'cortex-m4' && k4 <= TRIPLE_SHORT_TURN_K4 ? 4 : 8;
}

/** Whether an im2col layer (weights aside: channelPairsFit) takes tripleRunAsm. */
function tripleRunTaken(p: Conv2DParams, k4: number, fast: number): boolean {
  return p.outC >= 2 && k4 >= TRIPLE_RUN_MIN_K4 && tripleRunApplies(k4, fast, p.actMin, p.outputZeroPoint);
}

/**
 * Whether an im2col layer (weights aside: channelPairsFit) runs in pixel pairs by channel quads in
 * quadRunAsm (conv_2d_dsp_im2col_quads.h tf_dsp_im2col_quad_run_body) instead of tripleRunAsm: input channels a
 * multiple of 4 (filter rows packed as the 1x1 layers' pixel pairs), whole channel quads, the run's
 * requantization and one extraction chunk, on the cores without dual issue. The quad step's loads
 * cost the Cortex-M4 15 cycles per 16 MACs in pipelined LDRs (0.94 a MAC, the triple's LDMs 1.04)
 * and the Cortex-M33 14 (0.875, the triple's 0.92), and a block's fixed work is spread over eight
 * outputs instead of six; the Cortex-M7 keeps the triple's dual-issue schedule (0.54 a MAC).
 */
export function quadIm2colTaken(p: Conv2DParams, k4: number, fast: number, isa: KernelIsa | undefined, rows?: Int8Array | boolean): boolean {
  const core = isa?.core;
  if (core !== 'cortex-m4' && core !== 'cortex-m33') return false;
  if (!quadRows(p) || !quadRunApplies(p.outC) || k4 < TRIPLE_RUN_MIN_K4) return false;
  // past one chunk's k4, the weights themselves bound the extraction (pairsOneChunk)
  // (`rows` true: pairsOneChunk holds for the layer's rows, as ConvDspWeights.oneChunk records it)
  const oneChunk = typeof rows === 'boolean' ? rows : rows !== undefined && pairsOneChunk(rows, p.outC, k4);
  const chunk = k4 <= 4 * PAIR_CHUNK_STEPS ? k4 : oneChunk ? 4 : k4;
  if (pairsRunApplies(chunk, fast, p.actMin, p.outputZeroPoint)) return true;
  // WIDE under a floor below the zero point: bandRunAsm's signed form (the M4's bands, the M33's LDM loads)
  return chunk <= 4 * PAIR_CHUNK_STEPS && signedWide(fast, p);
}

/**
 * Whether an im2col layer's filter rows pack as the 1x1 layers' pixel pairs (conv_2d_dsp_im2col_quads.h
 * tf_dsp_im2col_quad_run_body, one tf_dsp_pack_pair a filter row): input channels a multiple of 4,
 * or filter rows of one word (k_w in_c = 4: KWS's 10x4 stem over 1 channel), which the packing reads
 * with one LDR (unaligned allowed) where longer rows at any byte would take its LDRD.
 */
export function quadRows(p: Pick<Conv2DParams, 'inC' | 'kW'>): boolean {
  return p.inC % 4 === 0 || p.kW * p.inC === 4;
}

/**
 * Whether a WIDE layer's activation floor lies below its output zero point (a layer without an
 * activation): the run's unsigned clamp (USAT, the zero point added after it) does not hold there,
 * and bandRunAsm adds the zero point before an SSAT instead (an immediate of the routine's instance).
 */
export function signedWide(fast: number, p: Pick<Conv2DParams, 'actMin' | 'outputZeroPoint'>): boolean {
  return fast === 2 && p.actMin < p.outputZeroPoint;
}

/**
 * Whether the `pairs` extraction s = (c - r) >> 8 is exact over all k4 values at once for these
 * rows (k4 int8 weights each), whatever k4: c - r is 256 S modulo 2^32 with S = sum s_k x_k, exact
 * while |S| < 2^23; the columns are int8 (the input offset is in the start), so |S| <= 128 sum |s_k|,
 * and every row with sum |w_k| < 2^16 keeps it. PAIR_CHUNK_STEPS bounds it for any int8 weights
 * (480 values); a 3x3 layer over 64 channels (576 values) of int8 weights spread over the whole
 * range sums some 37,000.
 */
export function pairsOneChunk(rows: Int8Array, count: number, k4: number): boolean {
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let k = 0; k < k4; k++) sum += Math.abs(rows[r * k4 + k]!);
    if (sum >= 65536) return false;
  }
  return true;
}

/** One step of the triple loop (4 values of three pixels by one channel pair, conv_2d_dsp_im2col.h TF_DSP_STEP3X2P), registers pinned. */
function tripleStep(dual: boolean): string[] {
  // r0..r2 r of pixels A, B, C; r3..r5 r + 256 s; r6 r8 r9 the column words; r10 r11 the weight words; r12 the columns; lr the weights
  if (!dual)
    return [
      'ldm.w r12!, {r6, r8, r9}',
      'ldm.w lr!, {r10, r11}',
      'smlad r3, r6, r10, r3',
      'smlad r4, r8, r10, r4',
      'smlad r5, r9, r10, r5',
      'sxtb16 r10, r10',
      'smlad r0, r6, r10, r0',
      'smlad r1, r8, r10, r1',
      'smlad r2, r9, r10, r2',
      'ldm.w r12!, {r6, r8, r9}',
      'smlad r3, r6, r11, r3',
      'smlad r4, r8, r11, r4',
      'smlad r5, r9, r11, r5',
      'sxtb16 r11, r11',
      'smlad r0, r6, r11, r0',
      'smlad r1, r8, r11, r1',
      'smlad r2, r9, r11, r2',
    ];
  // the Cortex-M7's schedule (conv_2d_dsp_im2col.h): a load beside each MAC, the next step's first words loaded ahead
  return [
    'smlad r3, r6, r10, r3',
    'ldr.w r8, [r12], #4',
    'smlad r4, r8, r10, r4',
    'ldr.w r9, [r12], #4',
    'smlad r5, r9, r10, r5',
    'sxtb16 r10, r10',
    'smlad r0, r6, r10, r0',
    'ldr.w r11, [lr], #4',
    'smlad r1, r8, r10, r1',
    'ldr.w r6, [r12], #4',
    'smlad r2, r9, r10, r2',
    'sxtb16 r10, r11',
    'smlad r0, r6, r10, r0',
    'ldr.w r8, [r12], #4',
    'smlad r3, r6, r11, r3',
    'ldr.w r9, [r12], #4',
    'smlad r1, r8, r10, r1',
    'smlad r2, r9, r10, r2',
    'ldr.w r10, [lr], #4',
    'smlad r4, r8, r11, r4',
    'ldr.w r6, [r12], #4',
    'smlad r5, r9, r11, r5',
  ];
}

/**
 * conv_2d_dsp_im2col_triples.h's channel pairs of an im2col pixel triple in the `pairs` layout as a naked function
 * (one per model and mode; `dual`: the Cortex-M7's schedule, which the header picks with
 * TF_DSP_DUAL_ISSUE). Per block: the start r in six accumulators, the loop entered part-way (the
 * entry address on the frame), one LDM of { start s, m r, P r, m s, P s }, the extraction of s for
 * the three pixels, six requantizations, the outputs packed (A and B in one word, C in another), the
 * clamp on their lanes where it cuts, three halfword stores (A at out, B out_c and C 2 out_c on).
 * Registers: the loop's thirteen (tripleStep) and r7 the stop; the frame holds the entry address,
 * then tf_dsp_tr_run_t's cols, out, end, out_c, lo4, hi4, zp4 (copied from it).
 */
export function tripleRunAsm(name: string, fast: number, clamp: RunClamp, dual: boolean, turn = 8): string {
  if (fast !== 1 && fast !== 2) throw new Error('tripleRunAsm: FAST or WIDE requantization only');
  if (turn !== 2 && turn !== 4 && turn !== 8) throw new Error('tripleRunAsm: turns of 2, 4 or 8 steps');
  const step = tripleStep(dual);
  const lines: string[] = [
    'push {r4-r11, lr}',
    'ldr r3, [r2, #32]', // entry bytes
    'adr.w r4, 10f',
    'add r3, r3, r4',
    'ldr r7, [r2, #28]', // stop
    'ldm r2, {r4, r5, r6, r8, r9, r10, r11}', // cols, out, end, out_c, lo4, hi4, zp4
    'push {r3, r4, r5, r6, r8, r9, r10, r11}',
    'mov lr, r1',
    '1:',
    'ldr r0, [lr], #4', // start r
    'mov r1, r0',
    'mov r2, r0',
    'mov r3, r0',
    'mov r4, r0',
    'mov r5, r0',
    'ldrd r11, r12, [sp]', // entry address, cols
    ...(dual ? ['ldr.w r10, [lr], #4', 'ldr.w r6, [r12], #4'] : []),
    'mov pc, r11',
    '10:',
    ...step,
    '12:',
    ...Array.from({ length: turn - 1 }, () => step).flat(),
    '13:',
    '.if (12b - 10b) != " TF_DSP_STR(TF_DSP_STEP3X2P_BYTES) "',
    '.error "tripleRunAsm: the step is no longer TF_DSP_STEP3X2P_BYTES of code (tf_dsp_entry_triple)"',
    '.endif',
    `.if (13b - 10b) != " TF_DSP_STR(TF_DSP_STEP3X2P_BYTES) " * ${turn}`,
    `.error "tripleRunAsm: the turn is not ${turn} steps (tf_dsp_im2col_triple_run_body's entry)"`,
    '.endif',
    'cmp r12, r7',
    'bne 10b',
    ...(dual ? ['sub lr, lr, #4'] : []), // the weight word read ahead
    'ldm lr!, {r6, r8, r9, r10, r11}', // start s, m r, P r, m s, P s
    'sub r3, r3, r0',
    'add r3, r6, r3, asr #8',
    'sub r4, r4, r1',
    'add r4, r6, r4, asr #8',
    'sub r5, r5, r2',
    'add r5, r6, r5, asr #8',
    ...rqLines('r0', 'r8', 'r9', fast, 'r12'),
    ...rqLines('r1', 'r8', 'r9', fast, 'r12'),
    ...rqLines('r2', 'r8', 'r9', fast, 'r12'),
    ...rqLines('r3', 'r10', 'r11', fast, 'r12'),
    ...rqLines('r4', 'r10', 'r11', fast, 'r12'),
    ...rqLines('r5', 'r10', 'r11', fast, 'r12'),
    // pixel A's (r, s) and B's in one word, C's in the low half of another
    'bfi r0, r3, #8, #8',
    'bfi r0, r1, #16, #8',
    'bfi r0, r4, #24, #8',
    'bfi r2, r5, #8, #8',
  ];
  lines.push(...laneClampLines(fast, clamp, ['r0', 'r2']));
  lines.push(
    'ldrd r8, r9, [sp, #8]', // out, end
    'ldr r10, [sp, #16]', // out_c
    'strh r0, [r8]',
    'lsr r0, r0, #16',
    'strh r0, [r8, r10]',
    'strh r2, [r8, r10, lsl #1]',
    'add r8, r8, #2',
    'str r8, [sp, #8]',
    'cmp r8, r9',
    'bne 1b',
    'mov r0, lr',
    'add sp, #32',
    'pop {r4-r11, pc}',
  );
  const body = lines.map((l) => `      "${l.startsWith('.error') ? l.replace(/"/g, '\\"') : l}\\n\\t"`).join('\n');
  return [
    `/* the channel pairs of an im2col pixel triple in assembly (conv_2d/dsp.ts tripleRunAsm${dual ? ', the Cortex-M7 schedule' : ''}): ${fast === 2 ? 'WIDE' : 'FAST'} requantization, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_tr_run_t *s __attribute__((unused))) {`,
    '  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the pairs in r0 */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
}

/**
 * A padded head's call (paddedQuadHead): the quad routine over `padded` channels writes the pixel,
 * and its twin, into the scratch past the columns; the layer's own `outC` bytes are copied out.
 */
function headStatements(call: {
  callee: string;
  input: string;
  k4: number;
  weights: string;
  padded: number;
  outC: number;
  output: string;
  scratch: string;
}): Statement[] {
  const { callee, input, k4, weights, padded, outC, output, scratch } = call;
  // columns k4 words, the sentinel, then the twin's `padded` bytes, then the pixel's
  const quads = `(int8_t *)(void *)(${scratch} + ${k4 * 4 + QUAD_SENTINEL_BYTES + padded})`;
  return [
    { callee, args: [input, '1', `${k4}`, weights, `${padded}`, { addressOf: 'rq' }, quads, `(uint32_t *)(void *)${scratch}`] },
    { line: `  for (int c = 0; c < ${outC}; c++) (${output})[c] = (${quads})[c];` },
  ];
}

/**
 * The weight facts that pick a layer's Arm DSP kernel (dspKernel), beyond its shape and the
 * compile's facts: the requantization the bounds of its accumulators allow, whether its rows fit
 * the `pairs` layout and one extraction chunk, whether its model carries the 1x1 pairs instance.
 * CONV_2D's prepare records them (Conv2DParams.dspWeights), so that each kernel's `applies` reads
 * them rather than the weights.
 */
export interface ConvDspWeights {
  fast: RequantKind;
  /** channelPairsFit over the layer's rows (padded to k4) */
  pairsFit: boolean;
  /** pairsOneChunk over the same rows */
  oneChunk: boolean;
  /** GraphFacts.pointwisePairs of the layer's model, as settled when it was prepared */
  modelPairs: boolean;
}

/** What an assembly run's emitter takes: the layer (settled), its context, its rows padded to k4 and their records. */
interface DspRows {
  p: Conv2DParams;
  ctx: LayerEmitContext;
  summary: string;
  plain: Int8Array;
  records: Int32Array;
  k4: number;
  fast: RequantKind;
}

/** A layer as its DSP kernels see it: near-constant channels settled, its requantization, its rows padded to k4. */
interface DspLayer {
  p: Conv2DParams;
  bias: Int32Array | undefined;
  summary: string;
  fast: RequantKind;
  k: number;
  k4: number;
  direct: boolean;
  plain: Int8Array;
}

function dspLayer(model: Conv2DParams, summary: string, filter: Int8Array, modelBias: Int32Array | undefined): DspLayer {
  const k = model.kH * model.kW * model.inC;
  const k4 = roundUp4(k);
  // near-constant channels (pruned ones) re-expressed so that they do not hold the layer to the exact path
  const settled = settleChannels({ weights: filter, rows: model.outC, rowLength: k, bias: modelBias }, model, (b, m, s) =>
    fastRequantHolds([b], { multiplier: [m], shift: [s] }, model.outputZeroPoint, true),
  );
  const p: Conv2DParams = settled ? { ...model, ...settled.m } : model;
  const bias = settled ? settled.bias : modelBias;
  if (settled) summary = `${summary}; ${settled.settled} near-constant channels requantized by equivalent records`;
  const fast = requantKind(accumulatorBounds(filter, p.outC, k, p.inputOffset, bias), p, p.outputZeroPoint, true);
  const direct = pointwiseDirect(p);
  const plain = direct ? filter : paddedRows(filter, p.outC, k, k4);
  return { p, bias, summary, fast, k, k4, direct, plain };
}

/** The weight facts of a layer (ConvDspWeights) of a model whose 1x1 layers carry the pairs instance or not (`modelPairs`). */
export function convDspWeights(model: Conv2DParams, filter: Int8Array, bias: Int32Array | undefined, modelPairs: boolean): ConvDspWeights {
  return weightFacts(dspLayer(model, '', filter, bias), modelPairs);
}

function weightFacts(l: DspLayer, modelPairs: boolean): ConvDspWeights {
  return { fast: l.fast, pairsFit: channelPairsFit(l.plain, l.p.outC, l.k4), oneChunk: pairsOneChunk(l.plain, l.p.outC, l.k4), modelPairs };
}

/**
 * The Arm DSP kernels of a CONV_2D layer, one KernelVariant each (conv_2d/index.ts): im2col from
 * row bands or stem bands, im2col pixel pairs by channel quads, im2col pixel triples, 1x1 channel
 * quads, 1x1 channel pairs (the assembly runs), else the C loops over pixel pairs or triples.
 */
export type DspKernel = 'row bands' | 'stem bands' | 'im2col quads' | 'im2col triples' | 'pointwise quads' | 'pointwise pairs' | 'blocks';

/**
 * The C files of each kernel (conv_2d_dsp.h and what its own header includes come with them): a
 * model ships only its layers' kernels'. The 1x1 runs carry the 1x1 C loops too, which their layers
 * took where the weight facts at emit differed from prepare's (before GraphFacts).
 */
const POINTWISE_BLOCKS = 'conv_2d/conv_2d_dsp_pointwise_blocks.h';
export const DSP_KERNEL_FILES: Record<DspKernel, readonly string[]> = {
  'row bands': ['conv_2d/conv_2d_dsp_row_bands.h'],
  'stem bands': ['conv_2d/conv_2d_dsp_stem_bands.h'],
  'im2col quads': ['conv_2d/conv_2d_dsp_im2col_quads.h'],
  'im2col triples': ['conv_2d/conv_2d_dsp_im2col_triples.h'],
  'pointwise quads': ['conv_2d/conv_2d_dsp_pointwise_quads.h', POINTWISE_BLOCKS],
  'pointwise pairs': ['conv_2d/conv_2d_dsp_pointwise_pairs.h', POINTWISE_BLOCKS],
  blocks: [POINTWISE_BLOCKS, 'conv_2d/conv_2d_dsp_im2col_blocks.h'],
};

/** The kernels' files a layer over one input channel may take (DEPTHWISE_CONV_2D's: no 1x1, no band). */
export const DSP_ONE_CHANNEL_FILES: readonly string[] = [
  'conv_2d/conv_2d_dsp_im2col_blocks.h',
  ...DSP_KERNEL_FILES['im2col triples'],
  ...DSP_KERNEL_FILES['im2col quads'],
];

/** Which of the Arm DSP kernels runs a layer (dspApplies) of these weights on `isa` under `prefer`: the first that takes it. */
export function dspKernel(p: Conv2DParams, w: ConvDspWeights, isa: KernelIsa | undefined, prefer: Prefer | undefined): DspKernel {
  const k4 = roundUp4(p.kH * p.kW * p.inC);
  const { fast, pairsFit } = w;
  if (pointwiseDirect(p)) {
    const pairs = pairsChosen(k4, true, w.modelPairs) && p.outC >= 2 && pairsFit;
    if (!pairs || !pairsRunApplies(k4, fast, p.actMin, p.outputZeroPoint)) return 'blocks';
    return quadRunApplies(p.outC) || paddedQuadHead(p) ? 'pointwise quads' : 'pointwise pairs';
  }
  if (!pairsFit) return 'blocks';
  if (bandRunTaken(p, k4, fast, isa, prefer, w.oneChunk)) return 'row bands';
  if (stemBandTaken(p, k4, fast, isa, prefer)) return 'stem bands';
  // signed WIDE runs in bandRunAsm's LDM form: not where the M4's pipelined loads would have taken a band
  const quadLoads = !signedWide(fast, p) || !loadsPipeline(isa, prefer);
  if (quadLoads && quadIm2colTaken(p, k4, fast, isa, w.oneChunk)) return 'im2col quads';
  if (tripleRunTaken(p, k4, fast)) return 'im2col triples';
  return 'blocks';
}

/** A convolution layer for dspConvLayer: its params, context and summary, its filter (OHWI) and bias. */
export interface DspConvLayer {
  p: Conv2DParams;
  ctx: LayerEmitContext;
  summary: string;
  filter: Int8Array;
  bias: Int32Array | undefined;
  /** the kernel of the variant that emits it (dspKernel's from the facts prepare recorded), if any */
  expected?: DspKernel;
}

/**
 * The C of a convolution layer (dspApplies) in the Arm DSP kernels: CONV_2D's, and other ops' layers
 * that are convolutions (DEPTHWISE_CONV_2D's single-channel ones, TRANSPOSE_CONV's phases). The
 * kernel is dspKernel's for these weights, which `expected` (a variant's own kernel) must be.
 */
export function dspConvLayer(given: DspConvLayer): LayerCode {
  const { p: model, ctx, summary: modelSummary } = given;
  const layer = dspLayer(model, modelSummary, given.filter, given.bias);
  // the facts prepare recorded, else (a layer of another op) these weights' in a model as settled
  const facts = model.dspWeights ?? weightFacts(layer, ctx.graphFacts?.pointwisePairs ?? pointwisePairsShape(ctx.graph));
  const kernel = dspKernel(layer.p, facts, ctx.isa, ctx.prefer);
  // the planner sized the scratch for the variant's kernel alone (dspKernelScratchBytes)
  if (given.expected && given.expected !== kernel) throw new Error(`dspConvLayer: the ${given.expected} variant's layer takes ${kernel} at emit`);
  const { p, summary, fast, k, k4, direct, plain } = layer;
  // the input offset folds into the start values: im2col pads with the input zero point
  const start = foldedAccumulatorInit(given.filter, p.outC, k, p.inputOffset, layer.bias);
  const records = requantRecords(start, p, p.outC, p.outputZeroPoint, fast);
  const asmRun: DspRows = { p, ctx, summary, plain, records, k4, fast };
  if (kernel === 'row bands') return emitBandRun(asmRun);
  if (kernel === 'stem bands') return emitBandRun(asmRun, true);
  if (kernel === 'im2col quads') return emitQuadIm2col(asmRun);
  if (kernel === 'im2col triples') return emitTripleRun(asmRun);
  const pairs = pairsLayout(p, facts);
  const run = direct && pairs && pairsRunApplies(k4, fast, p.actMin, p.outputZeroPoint);
  const padHead = run && paddedQuadHead(p);
  const quad = run && (quadRunApplies(p.outC) || padHead);
  // a padded head's extra channels: zero weights, channel 0's record (computed, then not copied out)
  const outC = padHead ? roundUp4(p.outC) : p.outC;
  const channels = padHead ? Int8Array.from({ length: outC * k4 }, (_, i) => (i < plain.length ? plain[i]! : 0)) : plain;
  const channelRecords = padHead ? Int32Array.from({ length: outC * RQ_FIELDS }, (_, i) => records[i < records.length ? i : i % RQ_FIELDS]!) : records;
  const rows = pairs ? halfwordPairs(channels, outC, k4) : interleavedPairs(channels, outC, k4);
  // the quads' requantization without its SUB where the floor is at or above the zero point ('z'),
  // in three instructions where every channel's shift allows the rounding records ('r')
  const floor = quad && floorAtZeroPoint(fast, p.actMin, p.outputZeroPoint);
  const rounded = floor ? roundRecords(channelRecords, fast) : undefined;
  const quadRecords = rounded ?? channelRecords;
  const blob = quad ? withQuadRecords(halfwordQuads(rows, outC, k4), quadRecords, outC, k4) : withRecords(rows, channelRecords, outC, k4, run);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const pairsTag = quad ? '_quad' : run ? '_run' : pairs ? '_pairs' : '';
  // one run per model, mode and the clamp's bounds (RELU6 under zero point -128: the ceiling only)
  const clamp = runClamp(fast, p.actMin, p.actMax, p.outputZeroPoint);
  const secondHalf = quad && quadSecondHalfEntry(k4, ctx.isa, ctx.prefer);
  const straight = quad ? quadStraightSteps(k4, ctx.isa, ctx.prefer) : undefined;
  const runTag = run
    ? `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${rounded ? 'r' : floor ? 'z' : ''}${secondHalf ? 'j' : ''}${straight !== undefined ? `k${k4}` : ''}`
    : mode.mode;
  const runName = `tf_dsp_pw_${quad ? 'quad' : 'run'}_${runTag}`;
  const pixels = p.batches * p.outH * p.outW;
  // an odd pixel count's last pixel runs one pixel by four channels (quadLoneAsm), not as a pair with itself
  const lone = quad && pixels % 2 === 1;
  // the Cortex-M4's routine moves to the next pixel pair itself (quadRunAsm `pixelLoop`)
  const pixelLoop = quad && quadPixelLoop(ctx.isa, ctx.prefer);
  const vars = { pointwise: direct, pairs: pairs ? 1 : 0, pairsTag, run, quad, runName, ...mode, runTag, round: rounded ? 1 : 0, pixelLoop: pixelLoop ? 1 : 0 };
  if (quad) {
    const loneName = `tf_dsp_pw_quad1_${runTag}`;
    ctx.defineOnce(
      runName,
      renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', {
        ...vars,
        quadAsm: true,
        runAsm: quadRunAsm(runName, fast, clamp, {
          loadForm: pointwiseQuadLoads(ctx.isa, ctx.prefer),
          turn: pointwiseQuadTurn(ctx.isa, ctx.prefer),
          sentinel: true,
          floor,
          round: rounded !== undefined,
          secondHalfEntry: secondHalf,
          pixelLoop,
          straightSteps: straight,
        }),
      }),
    );
    ctx.defineOnce(
      `tf_dsp_pointwise_quad${lone ? '1' : ''}_${runTag}`,
      renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', {
        ...vars,
        quadAsm: false,
        lone,
        loneName,
        loneAsm: lone ? quadLoneAsm(loneName, fast, clamp, floor, rounded !== undefined) : '',
      }),
    );
  } else {
    // rendered from this folder: DEPTHWISE_CONV_2D lowers its single-channel layers here too
    ctx.defineOnce(
      `tf_dsp_${direct ? 'pointwise' : 'im2col'}${pairsTag}_${runTag}`,
      renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', { ...vars, runAsm: run ? pairsRunAsm(runName, fast, clamp) : '' }),
    );
  }
  const how = `${direct ? 'pointwise matrix product' : 'im2col'}, ${pairs && !direct ? 3 : 2} pixels x 2 channels${pairs ? ' in one halfword' : ''}${quad ? `, 4 channels a block (assembly run${lone && !padHead ? ', the last pixel alone' : ''}${padHead ? `, ${p.outC} channels padded to ${roundUp4(p.outC)}` : ''})` : run ? ' (assembly run)' : ''}, ${REQUANT_NAMES[fast]} requantization`;
  const input = ctx.input(0);
  const output = ctx.output(0);
  const scratch = `(uint32_t *)(void *)${ctx.scratch()}`;
  const callMode = run ? runTag : mode.mode;
  const callee = `tf_dsp_pointwise${pairsTag}${lone ? '1' : ''}_${callMode}`;
  const rq: StaticDecl = { ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) };
  const comment = [`/* ${summary} (Arm DSP: ${how}) */`];
  if (direct)
    return {
      comment,
      fnName: ctx.fnName,
      decls: [rq],
      body: [
        {
          comment: [
            `/* ${pixels} pixels of ${k4} input channels (k4) into ${p.outC} output channels; the weights blob`,
            ` * interleaves channel pairs' rows with their requantization records (conv_2d/dsp.ts withRecords) */`,
          ],
        },
        ...(padHead
          ? headStatements({ callee, input, k4, weights, padded: outC, outC: p.outC, output, scratch: ctx.scratch() })
          : [
              {
                callee,
                args: [input, `${pixels}`, `${k4}`, weights, `${p.outC}`, { addressOf: 'rq' }, output, scratch],
              },
            ]),
      ],
    };
  const f = (name: string, value: number): Field => ({ name, value: `${value}` });
  const geom: InitLine[] = [
    { fields: [f('in_h', p.inH), f('in_w', p.inW), f('in_c', p.inC)] },
    { fields: [f('out_h', p.outH), f('out_w', p.outW), f('out_c', p.outC)] },
    { fields: [f('k_h', p.kH), f('k_w', p.kW)] },
    { fields: [f('stride_h', p.strideH), f('stride_w', p.strideW), f('dilation_h', p.dilationH), f('dilation_w', p.dilationW)] },
    { fields: [f('pad_top', p.padTop), f('pad_left', p.padLeft)] },
    { fields: [f('input_offset', p.inputOffset)] },
    { fields: [f('k4', k4)] },
  ];
  return {
    comment,
    fnName: ctx.fnName,
    decls: [rq, { ctype: 'tf_conv_geom_t', name: 'geom', init: geom }],
    body: [
      {
        callee: `tf_dsp_im2col${pairsTag}_${callMode}`,
        args: [input, `${p.batches}`, { addressOf: 'geom' }, weights, { addressOf: 'rq' }, output, scratch],
      },
    ],
  };
}

/** The `split` order of an im2col layer's values: k_h filter rows of 4 q values, then a tail of one value a row (or none). */
export interface SplitShape {
  kh: number;
  q: number;
  tail: 0 | 1;
}

/**
 * Whether the triple run's layer packs its fields in the `split` order (conv_2d_dsp_im2col_triples.h
 * tf_dsp_pack_split), and its shape: input channels not a multiple of 4 (whose filter rows straddle
 * the words of the filter order), dilation_w 1 and k_w in_c = 4 q + 1 or 4 q (q >= 1), as a stem's
 * 3x3 over 3 channels (9 = 4 * 2 + 1) or 10x4 over 1. Each filter row's first 4 q values are q
 * words straight from the image and the rows' last values make a tail: k4 is unchanged (k_h 4 q +
 * roundUp4(k_h)), and no field is copied before it is packed, where it lies inside the image.
 */
export function splitShape(p: Pick<Conv2DParams, 'inC' | 'kH' | 'kW' | 'dilationW'>): SplitShape | undefined {
  const run = p.kW * p.inC;
  if (p.inC % 4 === 0 || p.dilationW !== 1 || run < 4 || run % 4 > 1) return undefined;
  return { kh: p.kH, q: run >> 2, tail: (run % 4) as 0 | 1 };
}

/** Rows of k4 values in filter order into the `split` order (splitShape), zeros past them. */
export function splitRows(plain: Int8Array, outC: number, k4: number, split: SplitShape): Int8Array {
  const { kh, q, tail } = split;
  const run = 4 * q + tail;
  const out = new Int8Array(outC * k4);
  for (let r = 0; r < outC; r++) {
    const from = r * k4;
    for (let ky = 0; ky < kh; ky++) {
      for (let j = 0; j < 4 * q; j++) out[from + ky * 4 * q + j] = plain[from + ky * run + j]!;
      if (tail) out[from + kh * 4 * q + ky] = plain[from + ky * run + 4 * q]!;
    }
  }
  return out;
}

/** A routine instance's tag for signed WIDE's zero point (`_z5`, `_zm128`), else none. */
function zpTag(sw: boolean, zp: number): string {
  return sw ? `_z${zp < 0 ? `m${-zp}` : zp}` : '';
}

/** The bytes between two neighbouring pixels' fields in the band (conv_2d_dsp_row_bands.h tf_dsp_im2col_band_run_body). */
export function bandPixelOffset(p: Pick<Conv2DParams, 'strideW' | 'kH' | 'inC'>): number {
  return p.strideW * p.kH * p.inC * 2;
}

/** The band's bytes (out_w stride_w + k_w columns of k_h in_c int16) and a lone pixel's twin outputs. */
export function bandScratchBytes(p: Pick<Conv2DParams, 'outW' | 'strideW' | 'kW' | 'kH' | 'inC' | 'outC'>): number {
  return (p.outW * p.strideW + p.kW) * p.kH * p.inC * 2 + roundUp4(p.outC);
}

/** Steps of 4 values a turn of a stem band's routine on the Cortex-M4 (bandRunAsm; the other bands' BAND_TURN_STEPS). */
export const STEM_BAND_M4_TURN_STEPS = 2;

/** Pixels of an output row a stem band holds (conv_2d_dsp_stem_bands.h tf_dsp_im2col_stem_band_body): a band of a few hundred bytes, not a row's. */
export const STEM_BAND_PIXELS = 16;

/**
 * Whether an im2col layer's fields can come from a stem band (conv_2d_dsp_stem_bands.h
 * tf_dsp_im2col_stem_band_body): input channels not a multiple of 4 (RGB stems: 3), dilation 1, and
 * an even count of halves between neighbouring fields (stride_w k_h in_c), so that every field starts
 * on a word.
 */
export function stemBandShape(p: Pick<Conv2DParams, 'inC' | 'kH' | 'strideW' | 'dilationH' | 'dilationW'>): boolean {
  return p.inC === 3 && p.dilationH === 1 && p.dilationW === 1 && (p.strideW * p.kH * p.inC) % 2 === 0;
}

/** A stem band's bytes (STEM_BAND_PIXELS stride_w + k_w columns of k_h in_c int16, the k4 - k values past them) and a lone pixel's twin outputs. */
export function stemBandScratchBytes(p: Pick<Conv2DParams, 'strideW' | 'kW' | 'kH' | 'inC' | 'outC'>, k4: number): number {
  const col = p.kH * p.inC;
  return roundUp4(((STEM_BAND_PIXELS * p.strideW + p.kW) * col + k4 - p.kW * col) * 2) + roundUp4(p.outC);
}

/**
 * Whether an im2col layer over 3 input channels (an RGB stem) reads its fields from a stem band of
 * plain int16 values (stemBandShape) in the band routine (bandRunAsm, two pixels by four channels a
 * block, a chunk's pixel pairs in one call) instead of the triple run: where the core reads bands,
 * whole channel quads, the run's requantization in one extraction chunk, not signed WIDE, the pixel
 * offset within an LDR immediate. The quad step's loads cost the M4 15 cycles per 16 MACs against
 * the triple's 25 per 24, a block's fixed work is spread over eight outputs, and each value is
 * widened k_w / stride_w times per output row instead of k_w k_h / stride_h... as the triple's.
 */
export function stemBandTaken(p: Conv2DParams, k4: number, fast: number, isa: KernelIsa | undefined, prefer: Prefer | undefined): boolean {
  if (!bandLoads(isa, prefer) || !stemBandShape(p) || !quadRunApplies(p.outC)) return false;
  if (k4 < TRIPLE_RUN_MIN_K4 || k4 > 4 * PAIR_CHUNK_STEPS || signedWide(fast, p)) return false;
  return pairsRunApplies(k4, fast, p.actMin, p.outputZeroPoint) && bandPixelOffset(p) <= 4088;
}

/**
 * Rows of k4 values in filter order (ky, kx, c; zeros past k) into a stem band's: (kx, ky, c), and
 * per 4 values the lanes 0 2 1 3, since halfwordPairs pairs lanes 0 and 2, 1 and 3 (SXTB16's) and
 * the band's words hold values 0 and 1, 2 and 3.
 */
export function stemBandRows(plain: Int8Array, outC: number, k4: number, kH: number, kW: number, inC: number): Int8Array {
  const major = new Int8Array(outC * k4);
  for (let r = 0; r < outC; r++) {
    for (let ky = 0; ky < kH; ky++) {
      for (let kx = 0; kx < kW; kx++) {
        for (let c = 0; c < inC; c++) major[r * k4 + (kx * kH + ky) * inC + c] = plain[r * k4 + (ky * kW + kx) * inC + c]!;
      }
    }
  }
  const out = new Int8Array(major.length);
  for (let g = 0; g + 4 <= major.length; g += 4) {
    out[g] = major[g]!;
    out[g + 1] = major[g + 2]!;
    out[g + 2] = major[g + 1]!;
    out[g + 3] = major[g + 3]!;
  }
  return out;
}

/**
 * Whether an im2col quad layer (quadIm2colTaken) reads its fields from a band of int16 columns per
 * output row (bandRunAsm): where the core reads bands (bandLoads: the Cortex-M4's pipelined loads,
 * the Cortex-M33's LDRD form; not under `--prefer size`), over input channels a
 * multiple of 4, at dilation 1, the pixel offset within an LDR immediate. The loop costs what the
 * pixel columns' does (four LDR in a row on the M4; on the M33 an LDRD and two LDR, as its two LDM),
 * and the packing drops to stride_h / k_w of theirs (a 3x3 layer at stride 1: a third).
 */
export function bandRunTaken(
  p: Conv2DParams,
  k4: number,
  fast: number,
  isa: KernelIsa | undefined,
  prefer: Prefer | undefined,
  rows?: Int8Array | boolean,
): boolean {
  if (!bandLoads(isa, prefer) || p.inC % 4 !== 0 || !quadIm2colTaken(p, k4, fast, isa, rows)) return false;
  return p.dilationH === 1 && p.dilationW === 1 && bandPixelOffset(p) <= 4088;
}

/** Rows of k_h k_w in_c values in filter order (ky, kx, c) into the band's order (kx, ky, c). */
export function kxMajorRows(plain: Int8Array, outC: number, kH: number, kW: number, inC: number): Int8Array {
  const k = kH * kW * inC;
  const out = new Int8Array(plain.length);
  for (let r = 0; r < outC; r++) {
    for (let ky = 0; ky < kH; ky++) {
      for (let kx = 0; kx < kW; kx++) out.set(plain.subarray(r * k + (ky * kW + kx) * inC, r * k + (ky * kW + kx + 1) * inC), r * k + (kx * kH + ky) * inC);
    }
  }
  return out;
}

/** An im2col quad layer read from bands (bandRunTaken): the weights in (kx, ky, c) order in withQuadRecords' layout. */
function emitBandRun(layer: DspRows, stem = false): LayerCode {
  const { p, ctx, summary, plain, records, k4, fast } = layer;
  const rows = stem ? stemBandRows(plain, p.outC, k4, p.kH, p.kW, p.inC) : kxMajorRows(plain, p.outC, p.kH, p.kW, p.inC);
  const sw = signedWide(fast, p);
  // a stem's requantization in three instructions where its floor is at or above the zero point and
  // every channel's shift allows the rounding records ('r'): RGB stems run before any clamp that
  // would need the SUB, and their eight outputs a block pay the five-instruction form 40 cycles
  const rounded = stem && !sw && floorAtZeroPoint(fast, p.actMin, p.outputZeroPoint) ? roundRecords(records, fast) : undefined;
  const blob = withQuadRecords(halfwordQuads(halfwordPairs(rows, p.outC, k4), p.outC, k4), rounded ?? records, p.outC, k4);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const clamp = runClamp(sw ? 1 : fast, p.actMin, p.actMax, p.outputZeroPoint);
  const off = bandPixelOffset(p);
  const ldrd = bandLoads(ctx.isa, ctx.prefer) === 'ldrd';
  // a stem band's hot code (the routine, the band's packing) keeps to the STM32L4+'s 1 KB ART in turns of 2 steps on the M4
  const turn = stem && ctx.isa?.core === 'cortex-m4' ? STEM_BAND_M4_TURN_STEPS : bandTurn(ctx.isa);
  // a stem's routine runs its one field length (k4 / 2 halves, `_k<k4>`) with no entry computed per block
  const runTag = `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${rounded ? 'r' : ''}_o${off}${zpTag(sw, p.outputZeroPoint)}${turn !== bandTurn(ctx.isa) ? `_t${turn}` : ''}${stem ? `_k${k4}` : ''}`;
  const runName = `tf_dsp_band_run_${runTag}`;
  ctx.defineOnce(
    runName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_im2col_band.c.hbs', {
      asm: true,
      runName,
      runTag,
      runAsm: bandRunAsm(runName, fast, clamp, {
        off,
        turn,
        zp: sw ? p.outputZeroPoint : undefined,
        ldrd,
        round: rounded !== undefined,
        halves: stem ? k4 / 2 : undefined,
      }),
    }),
  );
  // a stem band's body, one per model, mode, offset and shape (its channels and filter rows are constants of it)
  const bodyName = stem ? `tf_dsp_im2col_stem_band_${runTag}_c${p.inC}k${p.kH}` : `tf_dsp_im2col_band_${runTag}`;
  ctx.defineOnce(
    bodyName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_im2col_band.c.hbs', {
      asm: false,
      stem,
      bodyName,
      runTag,
      off,
      stepBytes: ldrd ? BAND_LDRD_STEP_BYTES : BAND_STEP_BYTES,
      turn,
      signedWide: sw ? 1 : 0,
      inC: p.inC,
      kH: p.kH,
      chunk: STEM_BAND_PIXELS,
      round: rounded ? 1 : 0,
      ...mode,
    }),
  );
  const f = (name: string, value: number): Field => ({ name, value: `${value}` });
  const geom: InitLine[] = [
    { fields: [f('in_h', p.inH), f('in_w', p.inW), f('in_c', p.inC)] },
    { fields: [f('out_h', p.outH), f('out_w', p.outW), f('out_c', p.outC)] },
    { fields: [f('k_h', p.kH), f('k_w', p.kW)] },
    { fields: [f('stride_h', p.strideH), f('stride_w', p.strideW), f('dilation_h', p.dilationH), f('dilation_w', p.dilationW)] },
    { fields: [f('pad_top', p.padTop), f('pad_left', p.padLeft)] },
    { fields: [f('input_offset', p.inputOffset)] },
    { fields: [f('k4', k4)] },
  ];
  const rq: StaticDecl = { ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) };
  return {
    comment: [
      `/* ${summary} (Arm DSP: im2col from a ${stem ? 'stem band of int16 values' : 'band of columns'}, 2 pixels x 4 channels in one halfword (assembly run), ${REQUANT_NAMES[fast]} requantization) */`,
    ],
    fnName: ctx.fnName,
    decls: [rq, { ctype: 'tf_conv_geom_t', name: 'geom', init: geom }],
    body: [
      {
        callee: bodyName,
        args: [ctx.input(0), `${p.batches}`, { addressOf: 'geom' }, weights, { addressOf: 'rq' }, ctx.output(0), `(uint32_t *)(void *)${ctx.scratch()}`],
      },
    ],
  };
}

/**
 * An im2col layer whose pixel pairs run in the 1x1 layers' channel-quad routine (quadIm2colTaken):
 * the weights in withQuadRecords' layout, the routine shared with the model's 1x1 quad layers (the
 * same name, turn and loads), one C body per model and mode.
 */
function emitQuadIm2col(layer: DspRows): LayerCode {
  const { p, ctx, summary, plain, records, k4, fast } = layer;
  const blob = withQuadRecords(halfwordQuads(halfwordPairs(plain, p.outC, k4), p.outC, k4), records, p.outC, k4);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const sw = signedWide(fast, p);
  const clamp = runClamp(sw ? 1 : fast, p.actMin, p.actMax, p.outputZeroPoint);
  const turn = quadTurnSteps(ctx.isa, ctx.prefer);
  const pipelined = loadsPipeline(ctx.isa, ctx.prefer);
  if (sw && pipelined) throw new Error('emitQuadIm2col: the signed WIDE form runs the LDM loads only (the M4 takes bands)');
  const runTag = `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${zpTag(sw, p.outputZeroPoint)}`;
  // the signed WIDE form in bandRunAsm's interleaved-column instance, else the 1x1 layers' own routine
  // (the 1x1 layers' routine ends its loop on a sentinel after their columns: this one on the stop)
  const runName = sw ? `tf_dsp_q2_run_${runTag}_t${turn}` : `tf_dsp_im2col_qrun_${runTag}`;
  const quadTag = sw ? `${runTag}_t${turn}` : `im_${runTag}`;
  ctx.defineOnce(
    runName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_kernel.c.hbs', {
      quad: true,
      quadAsm: true,
      runName,
      runTag: quadTag,
      runAsm: sw
        ? bandRunAsm(runName, fast, clamp, { off: undefined, turn, zp: p.outputZeroPoint })
        : quadRunAsm(runName, fast, clamp, { loadForm: pipelined, turn }),
    }),
  );
  ctx.defineOnce(
    `tf_dsp_im2col_quad_${runTag}`,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_im2col_quad.c.hbs', {
      runTag,
      quadTag,
      stepBytes: QUAD_STEP_BYTES,
      turn,
      signedWide: sw ? 1 : 0,
      ...mode,
    }),
  );
  const f = (name: string, value: number): Field => ({ name, value: `${value}` });
  const geom: InitLine[] = [
    { fields: [f('in_h', p.inH), f('in_w', p.inW), f('in_c', p.inC)] },
    { fields: [f('out_h', p.outH), f('out_w', p.outW), f('out_c', p.outC)] },
    { fields: [f('k_h', p.kH), f('k_w', p.kW)] },
    { fields: [f('stride_h', p.strideH), f('stride_w', p.strideW), f('dilation_h', p.dilationH), f('dilation_w', p.dilationW)] },
    { fields: [f('pad_top', p.padTop), f('pad_left', p.padLeft)] },
    { fields: [f('input_offset', p.inputOffset)] },
    { fields: [f('k4', k4)] },
  ];
  const rq: StaticDecl = { ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) };
  return {
    comment: [`/* ${summary} (Arm DSP: im2col, 2 pixels x 4 channels in one halfword (assembly run), ${REQUANT_NAMES[fast]} requantization) */`],
    fnName: ctx.fnName,
    decls: [rq, { ctype: 'tf_conv_geom_t', name: 'geom', init: geom }],
    body: [
      {
        callee: `tf_dsp_im2col_quad_${runTag}`,
        args: [ctx.input(0), `${p.batches}`, { addressOf: 'geom' }, weights, { addressOf: 'rq' }, ctx.output(0), `(uint32_t *)(void *)${ctx.scratch()}`],
      },
    ],
  };
}

/**
 * An im2col layer in the `pairs` layout whose channel pairs run in tripleRunAsm: the weights in the
 * run's split layout (withRecords), one routine per model, mode and clamp, in both schedules (the
 * header picks the Cortex-M7's where TF_DSP_DUAL_ISSUE).
 */
function emitTripleRun(layer: DspRows): LayerCode {
  const { p, ctx, summary, plain, records, k4, fast } = layer;
  const split = splitShape(p);
  const rows = split ? splitRows(plain, p.outC, k4, split) : plain;
  const blob = withRecords(halfwordPairs(rows, p.outC, k4), records, p.outC, k4, true);
  const weights = ctx.addConst('w_dsp', 'int8_t', blob);
  const mode = kernelMode(fast, p.actMin, p.actMax);
  const clamp = runClamp(fast, p.actMin, p.actMax, p.outputZeroPoint);
  const turn = tripleTurn(k4, ctx.isa?.core);
  const runTag = `${mode.mode}${clamp.lo ? 'l' : ''}${clamp.hi ? 'h' : ''}${turn === 8 ? '' : `_t${turn}`}`;
  const runName = `tf_dsp_tr_run_${runTag}`;
  const fnTag = split ? `${runTag}_s${split.kh}x${split.q}${split.tail ? 't' : ''}` : runTag;
  ctx.defineOnce(
    runName,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_triple.c.hbs', {
      asm: true,
      runName,
      runTag,
      runAsm: tripleRunAsm(runName, fast, clamp, false, turn),
      // the Cortex-M7's own schedule keeps 8 steps a turn: its caches hold the layer's code
      runAsmDual: tripleRunAsm(runName, fast, clamp, true),
    }),
  );
  ctx.defineOnce(
    `tf_dsp_im2col_triple_${fnTag}`,
    renderOpTemplate(import.meta.dirname, 'dsp_conv_triple.c.hbs', {
      asm: false,
      runTag,
      fnTag,
      turn,
      splitKh: split?.kh ?? 0,
      splitQ: split?.q ?? 0,
      splitTail: split?.tail ?? 0,
      ...mode,
    }),
  );
  const f = (name: string, value: number): Field => ({ name, value: `${value}` });
  const geom: InitLine[] = [
    { fields: [f('in_h', p.inH), f('in_w', p.inW), f('in_c', p.inC)] },
    { fields: [f('out_h', p.outH), f('out_w', p.outW), f('out_c', p.outC)] },
    { fields: [f('k_h', p.kH), f('k_w', p.kW)] },
    { fields: [f('stride_h', p.strideH), f('stride_w', p.strideW), f('dilation_h', p.dilationH), f('dilation_w', p.dilationW)] },
    { fields: [f('pad_top', p.padTop), f('pad_left', p.padLeft)] },
    { fields: [f('input_offset', p.inputOffset)] },
    { fields: [f('k4', k4)] },
  ];
  const rq: StaticDecl = { ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) };
  return {
    comment: [
      `/* ${summary} (Arm DSP: im2col, 3 pixels x 2 channels in one halfword (assembly run)${split ? ', fields packed from the image' : ''}, ${REQUANT_NAMES[fast]} requantization) */`,
    ],
    fnName: ctx.fnName,
    decls: [rq, { ctype: 'tf_conv_geom_t', name: 'geom', init: geom }],
    body: [
      {
        callee: `tf_dsp_im2col_triple_${fnTag}`,
        args: [ctx.input(0), `${p.batches}`, { addressOf: 'geom' }, weights, { addressOf: 'rq' }, ctx.output(0), `(uint32_t *)(void *)${ctx.scratch()}`],
      },
    ],
  };
}
