// SPDX-License-Identifier: Apache-2.0
/**
 * Which Arm DSP kernel runs a convolution layer (CONV_2D's, DEPTHWISE_CONV_2D's single-channel ones,
 * TRANSPOSE_CONV's phases): the layers each covers, the weight facts that pick among them
 * (ConvDspWeights), and the forms each core's timings call for (turns, loads, bands). dspKernel is
 * the one choice; conv_2d's variants each take the layers it gives their kernel.
 */
import type { KernelIsa, Prefer, VariantFacts } from '../../../op.ts';
import type { Graph } from '../../../../ir/graph.ts';
import { isPointwise } from '../../families/conv_geometry.ts';
import { type RequantKind, roundUp4 } from '../dsp.ts';
import type { Conv2DParams } from '../../../conv_2d/contract.ts';
import { PAIR_CHUNK_STEPS, pairsOneChunk } from './layouts.ts';

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
export function paddedQuadHead(p: Conv2DParams): boolean {
  return pointwiseDirect(p) && p.batches * p.outH * p.outW === 1 && !quadRunApplies(p.outC);
}

export function pointwiseDirect(p: Conv2DParams): boolean {
  return isPointwise(p) && p.inC % 4 === 0;
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
const PAIRS_MIN_K4 = 32;

/** The 1x1 kernel (no gathering around the blocks) gains from this many on. */
const PAIRS_MIN_K4_POINTWISE = 64;

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
export function pairsChosen(k4: number, pointwise: boolean, modelPairs: boolean): boolean {
  return pairsPay(k4, pointwise) || (pointwise && k4 >= PAIRS_MIN_K4_POINTWISE_SHARED && modelPairs);
}

/**
 * Whether a 1x1 `pairs` layer runs its channel pairs in the assembly routine (pairsRunAsm): one
 * chunk (the stop stays in a register), FAST or WIDE requantization (TFLM's 64-bit steps keep the C),
 * and under WIDE an activation floor at or above the zero point (the unsigned clamp, conv_2d_dsp.h).
 */
export function pairsRunApplies(k4: number, fast: number, actMin: number, outputZeroPoint: number): boolean {
  return k4 <= 4 * PAIR_CHUNK_STEPS && (fast === 1 || (fast === 2 && actMin >= outputZeroPoint));
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
const BAND_M33_TURN_STEPS = 16;

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
 * Whether an im2col layer in the `pairs` layout runs its pixel triples' channel pairs in the
 * assembly routine (tripleRunAsm): one extraction chunk (k4 <= 4 TF_DSP_PAIR_CHUNK_STEPS) and the
 * requantizations the 1x1 run takes (pairsRunApplies).
 */
function tripleRunApplies(k4: number, fast: number, actMin: number, outputZeroPoint: number): boolean {
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
const TRIPLE_SHORT_TURN_K4 = 32;

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

/** The bytes between two neighbouring pixels' fields in the band (conv_2d_dsp_row_bands.h tf_dsp_im2col_band_run_body). */
export function bandPixelOffset(p: Pick<Conv2DParams, 'strideW' | 'kH' | 'inC'>): number {
  return p.strideW * p.kH * p.inC * 2;
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

/**
 * Whether an im2col layer over 3 input channels (an RGB stem) reads its fields from a stem band of
 * plain int16 values (stemBandShape) in the band routine (bandRunAsm, two pixels by four channels a
 * block, a chunk's pixel pairs in one call) instead of the triple run: where the core reads bands,
 * whole channel quads, the run's requantization in one extraction chunk, not signed WIDE, the pixel
 * offset within an LDR immediate. The quad step's loads cost the M4 15 cycles per 16 MACs against
 * the triple's 25 per 24, a block's fixed work is spread over eight outputs, and each value is
 * widened k_w / stride_w times per output row instead of k_w k_h / stride_h... as the triple's.
 */
function stemBandTaken(p: Conv2DParams, k4: number, fast: number, isa: KernelIsa | undefined, prefer: Prefer | undefined): boolean {
  if (!bandLoads(isa, prefer) || !stemBandShape(p) || !quadRunApplies(p.outC)) return false;
  if (k4 < TRIPLE_RUN_MIN_K4 || k4 > 4 * PAIR_CHUNK_STEPS || signedWide(fast, p)) return false;
  return pairsRunApplies(k4, fast, p.actMin, p.outputZeroPoint) && bandPixelOffset(p) <= 4088;
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

/**
 * The Arm DSP kernels of a CONV_2D layer, one KernelVariant each (conv_2d/index.ts): im2col from
 * row bands or stem bands, im2col pixel pairs by channel quads, im2col pixel triples, 1x1 channel
 * quads, 1x1 channel pairs (the assembly runs), else the C loops over pixel pairs or triples.
 */
export type DspKernel = 'row bands' | 'stem bands' | 'im2col quads' | 'im2col triples' | 'pointwise quads' | 'pointwise pairs' | 'blocks';

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
