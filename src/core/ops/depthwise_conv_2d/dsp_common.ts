// SPDX-License-Identifier: Apache-2.0
/**
 * What DEPTHWISE_CONV_2D's Arm DSP variants share (one file each beside this one, dsp_*.ts; their C
 * in depthwise_conv_2d_dsp.h): which kernel takes a layer (dspKernel, in the variant table's order),
 * the shapes their eligibility and scratch read, and the emission they all go through: the layer's
 * channels settled, its requantization records, the kernel instance made from
 * depthwise_conv_2d_dsp_kernel.c.hbs, the tables and the call, each kernel adding its own
 * (DepthwiseDspForm). Weights are int8 in flash, re-laid at compile time in the order the loops read
 * them (same byte count as the model's, unless a kernel says otherwise).
 */
import type { KernelIsa, KernelVariant, LayerEmitContext, OverlapRule } from '../op.ts';
import { summary } from './describe.ts';
import type { CallArg, Field, InitLine, LayerCode, Statement } from '../layer_code.ts';
import { channelMajor } from './filter_layout.ts';
import type { Conv2DParams } from '../conv_2d/index.ts';
import { dspApplies as convDspApplies } from '../common/isa/dsp_conv/choice.ts';
import { type ChannelMultipliers, constInt32, constInt8, foldedAccumulatorInit } from '../common/families/weighted.ts';
import { settleChannels } from '../common/numerics/settled_channels.ts';
import {
  accumulatorBounds,
  fastRequantHolds,
  roundRequantHolds,
  kernelMode,
  requantRecords,
  roundUp4,
  rowWindowGap,
  rqInit,
  REQUANT_NAMES,
  RQ_FAST,
  type RequantKind,
  RQ_EXACT,
  RQ_FIELDS,
  RQ_ORT,
  floorAtZeroPoint,
  roundRecords,
} from '../common/isa/dsp.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { insideRange } from '../common/families/conv_geometry.ts';

const INT16_MAX = 32767;

function mult1Applies(p: DepthwiseConv2DParams): boolean {
  const dims = [p.inH, p.inW, p.inC, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft, p.kH * p.kW];
  return p.depthMultiplier === 1 && p.inC % 4 === 0 && dims.every((d) => d <= INT16_MAX);
}

/**
 * Multiplier-1 layers under an undilated 3x3 window with pixels read in place: their own instance
 * of the loop, channels and row bytes constants, so that the in-place taps load at immediate
 * offsets (depthwise_conv_2d_dsp.h tf_dwk_row3k) and the loop keeps its pointers in registers
 * (M4 VWW 24x24x32: 4.43 -> 4.17 estimated cycles/MAC). Its stride along rows `ks` is a constant
 * too: pixels in place go two at a time (tf_dwk_pair3k), every weight word pair feeding both; 0 when
 * the second pixel's offsets pass 4095. Narrow maps with a border (stride 1) are read from a padded
 * copy of bands of their rows (kpad: the output rows of a band), every pixel in place, when `copy`
 * (`arm-dsp padded-row channel quads`: the copy is arena the planner may refuse). Layers of one shape,
 * stride and band share it; without a pixel in place and no copy, or with offsets past an LDR's
 * immediate, the shared loop.
 */
export function mult1Constants(p: DepthwiseConv2DParams, copy: boolean): { kc: number; krow: number; ks: number; kpad: number; kw: number } | undefined {
  if (p.kH !== 3 || p.kW !== 3 || p.dilationH !== 1 || p.dilationW !== 1) return undefined;
  const [rowsLo, rowsHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colsLo, colsHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  // pixels in pairs (tf_dwk_pair3k) when the second pixel's taps are immediates too
  const fits = (krow: number) => 2 * krow + 2 * p.inC <= 4095;
  const pairs = (krow: number) => (2 * krow + (2 + p.strideW) * p.inC <= 4095 ? p.strideW : 0);
  const border = (rowsLo > 0 || rowsHi < p.outH || colsLo > 0 || colsHi < p.outW) && p.outW <= PAD_COPY_WIDTH && p.strideH === 1 && p.strideW === 1;
  const padded = paddedRows(p);
  if (copy && border && padded.band > 0 && fits(padded.krow)) return { kc: p.inC, krow: padded.krow, ks: pairs(padded.krow), kpad: padded.band, kw: 0 };
  const shared = !copy && border ? sharedRows(p) : undefined;
  if (shared && fits(shared.krow)) return { kc: p.inC, krow: shared.krow, ks: pairs(shared.krow), kpad: shared.band, kw: 1 };
  const krow = p.inW * p.inC;
  if (rowsLo >= rowsHi || colsLo >= colsHi || !fits(krow)) return undefined;
  return { kc: p.inC, krow, ks: pairs(krow), kpad: 0, kw: 0 };
}

/**
 * The bytes of the zero-point-padded copy of a 3x3 layer's rows that tf_dwk_mult1_body makes in its
 * scratch, a band of output rows' windows at a time, so that pixels at the border are read in place
 * and in pairs like the others (VWW's 6x6x128 maps: 20 of 36 pixels at the border); at most this:
 * VWW's 6x6x128 in one band (2 output rows a band at 4 KiB: 1.45 -> 1.42 est. ms on the M4), its
 * 24x24x32 in bands of 7 (KWS 25x5x64: 16 output rows a band). Where the copy raises the arena's
 * peak, plan/fast_forms.ts weighs it (KWS on the M4: declined). The mask kernel (maskApplies), which
 * reads the border pixels in place with no copy, now takes VWW's small maps ahead of it: the copy
 * there costs more than it saves (M4 est. cycles/MAC, 6x6x128 3.73 -> 3.97, 3x3x256 3.81 -> 4.46).
 */
const PAD_COPY_BYTES = 8192;
/**
 * And the widest output rows copied so: in wider maps (and in row bands of them) the two border
 * columns are a small share (VWW 48x48x8: +1 % with a copy; 24x24x32: -7.5 %). Stride 1 only: under
 * stride 2 SAME pads one side, and the copy did not pay (VWW 6x6x128 s2: +2 %).
 */
const PAD_COPY_WIDTH = 24;

/**
 * Whether a layer's own multiplier-1 instance reads each tap's weight words by two LDRs instead of
 * one LDRD (depthwise_conv_2d_dsp.h TF_DWK_MAC2_ASM): the Cortex-M4 issues an LDR 1 cycle after
 * another LDR but 2 after an LDRD (LDRD 3), so the weights and the input word cost 4 cycles, not 5
 * (VWW's depthwise layers -3 % estimated cycles). The Cortex-M33 (LDRD 2, an LDR pipelined after
 * it) and the Cortex-M7 (LDRD 1) keep the LDRD. The instance's code is the same size.
 */
export function splitLoads(isa: KernelIsa | undefined): boolean {
  return isa?.core === 'cortex-m4';
}

/**
 * Multiplier-1 layers under an undilated 3x3 window at stride 1 (channels a multiple of 4):
 * tf_dwk_plane_body, every image row widened once into int16 planes, a channel's nine weights held
 * over a whole output row, two horizontally adjacent taps per SMLAD. `wh`: words (column pairs) of
 * a plane row, out_w + 2 columns rounded up; the ring's offsets (8 * wh + 4 bytes) and the output
 * step (2 * in_c) stay LDR and ADD immediates.
 */
/**
 * The narrowest output rows the plane kernel takes: each channel's row costs its weights, record and
 * loop entry once, which narrow rows do not repay (M4, VWW: 48x48x8 -17 %, 24x24x32 -12 %, but
 * 12x12x64 +7 %, 6x6x128 +52 % against the in-place pairs).
 */
const PLANE_MIN_WIDTH = 20;
export function planeWords(p: DepthwiseConv2DParams): number {
  return Math.ceil((p.outW + 2) / 2);
}
export function planeApplies(p: DepthwiseConv2DParams): boolean {
  if (p.planeRows === false || !mult1Applies(p) || p.kH !== 3 || p.kW !== 3 || p.dilationH !== 1 || p.dilationW !== 1) return false;
  if (p.strideH !== 1 || p.strideW !== 1) return false;
  if (p.outW < PLANE_MIN_WIDTH && planeGroupRows(p) === 0) return false;
  return 8 * planeWords(p) + 4 <= 4095 && 2 * p.inC <= 4095;
}

/**
 * Narrower rows of PLANE_GROUP_MIN_WIDTH pixels and more (tf_dwk_gplane_body): four channels' whole
 * padded images widened at a time, each channel then held over every output row (one asm block
 * for the image when rows are even), its entry paid once per image (M4, VWW 12x12x64: 2.72 -> 2.39
 * est. ms); the planes' rows a channel (out_h + 2), or 0 when they would pass PLANE_GROUP_BYTES.
 * Rows of 6 did not pay: the in-place pairs cost as many instructions a MAC, and the widening
 * comes on top (VWW 6x6x128: +2.5 %; against the mask kernel, est. cycles/MAC on the M4, 6x6x128
 * 3.73 -> 4.14, 3x3x256 3.81 -> 4.56).
 * Wider rows take it too where the image has WIDE_GROUP_MIN_ROWS rows or more, in bands of output
 * rows whose four planes fit WIDE_GROUP_BYTES (about the ring of three rows of every channel that
 * tf_dwk_plane_body takes for VWW's 24x24x32, 4,992 B): VWW's 24x24x32 in one band (5,408 B),
 * 48x48x8 in four of 12 rows (5,600 B). Its output lies exactly over its input (dsp_planes.ts planeOverlap), so
 * the arena keeps the ring kernel's size. A row-band stage's instance (a few rows) keeps the ring:
 * a group's entry per band would not be repaid, and its halo rows would be widened for every band.
 */
const PLANE_GROUP_BYTES = 4096;
const PLANE_GROUP_MIN_WIDTH = 8;
const WIDE_GROUP_MIN_ROWS = 16;
const WIDE_GROUP_BYTES = 6144;
/** Whether the layer takes four channels' planes at a time (tf_dwk_gplane_body). */
function groupPlanes(p: DepthwiseConv2DParams): boolean {
  return dspKernel(p) === 'plane' && planeGroupRows(p) > 0;
}
export function planeGroupRows(p: DepthwiseConv2DParams): number {
  if (p.outW < PLANE_GROUP_MIN_WIDTH) return 0;
  const rowBytes = 16 * planeWords(p);
  if (p.outW < PLANE_MIN_WIDTH) return rowBytes * (p.outH + 2) <= PLANE_GROUP_BYTES ? p.outH + 2 : 0;
  const most = Math.floor(WIDE_GROUP_BYTES / rowBytes) - 2;
  if (p.outH < WIDE_GROUP_MIN_ROWS || most < 4) return 0;
  // bands of equal height (the last one shorter at most by the rounding)
  const bands = Math.ceil(p.outH / most);
  return Math.ceil(p.outH / bands) + 2;
}

/** The padded copy: rows of out_w + 2 pixels, `band` output rows' windows (band + 2 rows) at a time, 0 when 3 rows do not fit. */
export function paddedRows(p: DepthwiseConv2DParams): { krow: number; band: number; bytes: number } {
  const krow = (p.outW + 2) * p.inC;
  const band = Math.min(p.outH, Math.floor(PAD_COPY_BYTES / krow) - 2);
  return band > 0 ? { krow, band, bytes: (band + 2) * krow } : { krow, band: 0, bytes: 0 };
}

/**
 * Narrow maps with a border of one pixel all round (3x3 SAME at stride 1, rows of up to 5 pixels:
 * KWS's 25x5x64): the padded copy in the arena the kernel without it takes (its extended weights,
 * tap pointers and zero-point row), so that it costs no arena. The weights come extended from the
 * table (twice the model's bytes, in flash), and the copy's rows sit in_w + 1 pixels apart, a row's
 * right padding the next one's left, in_c bytes of padding after the last: bands of `band` output
 * rows' windows, the most that fit (M4, KWS 25x5x64 before the mask kernel took it: 2.79 -> 2.70 est. ms; every pixel in place and in
 * pairs instead of 56 of 125 through tap pointers). Undefined when not one band fits.
 */
export function sharedRows(p: DepthwiseConv2DParams): { krow: number; band: number; bytes: number } | undefined {
  // the table of extended weights doubles the model's bytes: not under --prefer size
  if (p.planeRows === false || p.padLeft !== 1 || p.outW !== p.inW || p.strideW !== 1) return undefined;
  const krow = (p.inW + 1) * p.inC;
  const budget = p.kH * p.kW * p.inC * 2 + p.kH * p.kW * 8 + p.inC;
  const band = Math.min(p.outH, Math.floor((budget - p.inC) / krow) - 2);
  return band > 0 ? { krow, band, bytes: (band + 2) * krow + p.inC } : undefined;
}

/** tf_dwk_mult1_body's weights extended at compile time (kw): per group of four channels per tap the words (c0, c2), (c1, c3), scaled by 2^lsh. */
export function extendedWeights(filter: Int8Array, p: DepthwiseConv2DParams, lsh: readonly number[] | undefined): Int32Array {
  const taps = p.kH * p.kW;
  const out = new Int32Array((taps * p.outC) / 2);
  const half = (t: number, c: number) => (filter[t * p.outC + c]! * 2 ** (lsh?.[c] ?? 0)) & 0xffff;
  let at = 0;
  for (let c = 0; c < p.outC; c += 4) {
    for (let t = 0; t < taps; t++) {
      out[at++] = half(t, c) | (half(t, c + 2) << 16);
      out[at++] = half(t, c + 1) | (half(t, c + 3) << 16);
    }
  }
  return out;
}

/** The layer as a CONV_2D over one input channel (depthwise with in_c 1 is exactly that). */
export function asConv(p: DepthwiseConv2DParams): Conv2DParams | undefined {
  if (p.inC !== 1) return undefined;
  return {
    batches: p.batches,
    inH: p.inH,
    inW: p.inW,
    inC: 1,
    outH: p.outH,
    outW: p.outW,
    outC: p.outC,
    kH: p.kH,
    kW: p.kW,
    filterInC: 1,
    groups: 1,
    strideH: p.strideH,
    strideW: p.strideW,
    dilationH: p.dilationH,
    dilationW: p.dilationW,
    padTop: p.padTop,
    padLeft: p.padLeft,
    inputOffset: p.inputOffset,
    outputZeroPoint: p.outputZeroPoint,
    actMin: p.actMin,
    actMax: p.actMax,
    hasBias: p.hasBias,
    multiplier: p.multiplier,
    shift: p.shift,
    ortScale: p.ortScale,
  };
}

/** Kernel rows (k_w pixels of in_c bytes) rounded up to whole words, and the columns of a pixel (1 to 3 input channels). */
export function singleK4(p: DepthwiseConv2DParams): { kw4: number; k4: number } {
  const kw4 = roundUp4(p.kW * p.inC);
  return { kw4, k4: p.kH * kw4 };
}

/**
 * One to three input channels: the layer's own row kernel (depthwise_conv_2d_dsp.h), kernel rows read
 * as words. One channel with dilated rows keeps CONV_2D's im2col kernel (below); 2 or 3 channels
 * gather dilated rows into the run (56x56x3 3x3: portable C 21.4 instructions/MAC).
 */
function singleApplies(p: DepthwiseConv2DParams): boolean {
  const dims = [p.inH, p.inW, p.inC, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft, singleK4(p).k4];
  return p.inC <= 3 && (p.inC > 1 || p.dilationW === 1) && dims.every((d) => d <= INT16_MAX);
}

/**
 * Three input channels under an undilated 3x3 window, any multiplier and stride (RGB stems):
 * tf_dwk_c3_body, the any-multiplier loop reading each pixel's 3 bytes and the next pixel's first as
 * one word, lane 3 at weight 0 (left out by the device's assembly): 3 SMLAxy per tap, against the
 * row kernel's 36 MACs per 9. M4 56x56x3 multiplier 1: 11.74 -> 5.24 instructions/MAC.
 */
function narrowApplies(p: DepthwiseConv2DParams): boolean {
  if (p.inC !== 3 || p.kH !== 3 || p.kW !== 3 || p.dilationH !== 1 || p.dilationW !== 1) return false;
  const dims = [p.inH, p.inW, p.inC, p.outC, p.outH, p.outW, p.strideH, p.strideW, p.padTop, p.padLeft];
  return dims.every((d) => d <= INT16_MAX);
}

/** Any depth multiplier over in_c >= 4 (what the kernels above leave): tf_dwk_multm. */
function multmApplies(p: DepthwiseConv2DParams): boolean {
  if (p.inC < 4) return false;
  const dims = [p.inH, p.inW, p.inC, p.outC, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft, p.kH * p.kW];
  return dims.every((d) => d <= INT16_MAX);
}

/**
 * Multiplier-1 3x3 layers with a border (strides 1 and 2) whose every pixel tf_dwk_mask_body reads
 * in place: the border pixels' taps in the padding are left out, the start of their border class
 * (dsp_mask.ts maskClass) holding them, or read the input zero point's word stored after each lane
 * group's extended weights (maskWeights), known when the instance is made, with every shape a constant. Applies where the border is at most the first and last row (a row or two of
 * the image) and the pixel pairs between the first and the last are inside, and the offsets of a
 * pair's taps stay LDR immediates. No scratch (KWS 25x5x64 on the M4: 1,288 B less arena; border
 * taps cost nothing, not a pointer load more). Not under --prefer size (the weights and starts up
 * to six times the model's bytes).
 */
function maskApplies(p: DepthwiseConv2DParams): boolean {
  if (p.planeRows === false || !mult1Applies(p) || p.kH !== 3 || p.kW !== 3 || p.dilationH !== 1 || p.dilationW !== 1) return false;
  if (p.strideH > 2 || p.strideW > 2) return false;
  const [rowsLo, rowsHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colsLo, colsHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  if (rowsLo === 0 && rowsHi === p.outH && colsLo === 0 && colsHi === p.outW && rowsHi > 0 && colsHi > 0) return false;
  // row 0 the top border row when the padding is above, the last row the bottom one when its
  // windows pass the image; the rows between inside (as tf_dwk_mask_body takes them)
  const top = p.padTop > 0 ? 1 : 0;
  const ylast = (p.outH - 1) * p.strideH - p.padTop;
  const bottom = p.outH - 1 >= top && ylast + 2 >= p.inH ? 1 : 0;
  const rowInside = (oy: number) => oy * p.strideH - p.padTop >= 0 && oy * p.strideH - p.padTop + 2 < p.inH;
  if (top < p.outH - bottom && (!rowInside(top) || !rowInside(p.outH - 1 - bottom))) return false;
  // the pairs between the first and the last inside
  const colInside = (ox: number) => ox * p.strideW - p.padLeft >= 0 && ox * p.strideW - p.padLeft + 2 < p.inW;
  const pairs = Math.floor(p.outW / 2);
  if (pairs > 2 && (!colInside(2) || !colInside(2 * pairs - 3))) return false;
  const krow = p.inW * p.inC;
  return 2 * krow + (2 + p.strideW) * p.inC <= 4095;
}

/** The Arm DSP kernels of DEPTHWISE_CONV_2D, one variant each (index.ts). */
export type DepthwiseDspKernel = 'plane' | 'mask' | 'mult1' | 'narrow' | 'single' | 'conv' | 'multm';

/**
 * The kernel a layer runs, the first that takes it in the order of the variant table (index.ts):
 * each variant applies exactly where this names its kernel, so that a layer has one Arm DSP variant
 * and a RAM budget's fallbacks (plan/budget.ts) are the portable C or, for the padded copy, the same
 * kernel without it.
 */
export function dspKernel(p: DepthwiseConv2DParams): DepthwiseDspKernel | undefined {
  if (planeApplies(p)) return 'plane';
  if (maskApplies(p)) return 'mask';
  if (mult1Applies(p)) return 'mult1';
  if (narrowApplies(p)) return 'narrow';
  if (singleApplies(p)) return 'single';
  const conv = asConv(p);
  if (conv !== undefined && convDspApplies(conv)) return 'conv';
  if (multmApplies(p)) return 'multm';
  return undefined;
}

export function dspApplies(p: DepthwiseConv2DParams): boolean {
  return dspKernel(p) !== undefined;
}

/** Layers the padded copy serves: multiplier-1 3x3 layers with a border whose rows get a copy. */
export function paddedCopyApplies(p: DepthwiseConv2DParams): boolean {
  return dspKernel(p) === 'mult1' && (mult1Constants(p, true)?.kpad ?? 0) > 0;
}

/**
 * tf_dwk_multm's lanes in the order it reads them: per group of four input channels (the last one
 * starting at in_c - 4 when in_c is not a multiple of 4), per m, the four output channels
 * (s + j) * mult + m. Under 4 input channels (the `narrow` kernel) one group from channel 0, the
 * lanes past in_c -1: weight 0, never stored.
 */
export function multmLanes(p: DepthwiseConv2DParams): number[] {
  const c = p.inC;
  const m = p.depthMultiplier;
  const lanes: number[] = [];
  for (let g = 0; g < Math.ceil(c / 4); g++) {
    const s = Math.max(Math.min(4 * g, c - 4), 0);
    for (let k = 0; k < m; k++) for (let j = 0; j < 4; j++) lanes.push(s + j < c ? (s + j) * m + k : -1);
  }
  return lanes;
}

/**
 * Records of the lanes (output channels, in groups of four) as depthwise_conv_2d_dsp.h reads them:
 * per group the four starts (loaded together), then each lane's { m, P }. An unused lane (-1) starts
 * at 0 with the group's first lane's { m, P }: its accumulator stays 0 (weights 0), which every
 * requantization mode takes in range, and its result is dropped.
 */
export function groupRecords(records: Int32Array, lanes: readonly number[]): Int32Array {
  if (RQ_FIELDS !== 3) throw new Error('groupRecords expects { start, m, P } records');
  const out = new Int32Array(lanes.length * RQ_FIELDS);
  for (let l = 0; l < lanes.length; l++) {
    const g = l - (l % 4);
    const j = l % 4;
    const unused = lanes[l]! < 0;
    const r = (unused ? lanes[g]! : lanes[l]!) * RQ_FIELDS;
    out[g * RQ_FIELDS + j] = unused ? 0 : records[r]!;
    out[g * RQ_FIELDS + 4 + 2 * j] = records[r + 1]!;
    out[g * RQ_FIELDS + 5 + 2 * j] = records[r + 2]!;
  }
  return out;
}

/**
 * The rule of the kernels that walk output rows in order (the output at least the window's rows
 * behind), where the DSP kernel does: not on the shapes it takes four channels' planes at a time,
 * which the Helium kernel (mve.ts) keeps out of the plan's overlaps as it always has.
 */
export function rowOrderOverlap(p: DepthwiseConv2DParams): OverlapRule | undefined {
  if (p.batches !== 1 || groupPlanes(p)) return undefined;
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

/** tf_dwk_multm's weights (per lane of multmLanes, the taps' bytes; 0 in unused lanes) and records in that order. */
export function multmTables(
  filter: Int8Array,
  records: Int32Array,
  p: DepthwiseConv2DParams,
  addConst: LayerEmitContext['addConst'],
): { weights: string; records: string } {
  const taps = p.kH * p.kW;
  const lanes = multmLanes(p);
  const weights = new Int8Array(lanes.length * taps);
  for (let l = 0; l < lanes.length; l += 4) {
    for (let t = 0; t < taps; t++) {
      for (let j = 0; j < 4; j++) {
        const lane = lanes[l + j]!;
        weights[l * taps + t * 4 + j] = lane < 0 ? 0 : filter[t * p.outC + lane]!;
      }
    }
  }
  return { weights: addConst('w_dsp', 'int8_t', weights), records: addConst('rq', 'int32_t', groupRecords(records, lanes)) };
}

/**
 * Channels whose requantization shifts left (a multiplier above 1: TFLite Micro computes
 * SRDHM(acc * 2^s, m), no right shift) take FAST requantization on an accumulator scaled by 2^s in
 * the 4-lane kernels: their widened weights (int16, |w| * 2^s within it for s <= 8) and their start
 * times 2^s, and a record with shift 0. Exact as long as FAST holds for the scaled bounds; else
 * (or without a left shift) undefined, and the layer keeps its plain records.
 */
function laneScaling(p: DepthwiseConv2DParams, kernel: DepthwiseDspKernel, bounds: readonly number[]): { lsh: number[]; m: ChannelMultipliers } | undefined {
  // ONNX Runtime's float32 steps take the accumulator as it is
  if (p.ortScale || (kernel !== 'plane' && kernel !== 'mask' && kernel !== 'mult1' && kernel !== 'multm' && kernel !== 'narrow')) return undefined;
  const lsh = p.shift.map((s) => Math.max(s, 0));
  if (lsh.every((s) => s === 0) || lsh.some((s) => s > 8)) return undefined;
  const m: ChannelMultipliers = { multiplier: p.multiplier, shift: p.shift.map((s) => Math.min(s, 0)) };
  const scaledBounds = bounds.map((b, c) => b * 2 ** lsh[c]!);
  return fastRequantHolds(scaledBounds, m, p.outputZeroPoint) ? { lsh, m } : undefined;
}

/**
 * The mask and plane kernels' records for their three-instruction requantization (depthwise_conv_2d_dsp.h
 * TF_DWK_RQK2_ASM, TF_DWK_PLANE_RQK, TF_DWK_QUAD_RQK: SMMLAR by m, SMMLAR by K = 2^(32 - e) with the zero point, SSAT), or undefined
 * where it is not exact: FAST only, every channel's right shift e at least 2 (K an int32), and the
 * activation floor at or above the output zero point, so that rounding half up instead of TFLite
 * Micro's half away from zero, which differs only for h < 0 where both give at most the zero point,
 * gives the same output after the floor (common/isa/dsp.ts floorAtZeroPoint, roundRecords). M4 VWW
 * 6x6x128 3.90 -> 3.73 est. cycles/MAC, 24x24x32 3.09 -> 2.92.
 */
export function roundsHalfUp(records: Int32Array, fast: number, p: DepthwiseConv2DParams): Int32Array | undefined {
  if (fast !== RQ_FAST || !floorAtZeroPoint(fast, p.actMin, p.outputZeroPoint)) return undefined;
  return roundRecords(records, fast);
}

/** What emitDepthwiseDsp decides before it writes anything: the settled layer, its kernel and its records. */
export interface DepthwisePlan {
  filter: Int8Array;
  /** the layer, its near-constant channels' multipliers replaced by equivalent ones */
  p: DepthwiseConv2DParams;
  /** the layer's summary, with how many channels were settled */
  summary: string;
  kernel: DepthwiseDspKernel;
  single: boolean;
  narrow: boolean;
  /** the any-multiplier loop, the narrow kernel included */
  multm: boolean;
  plane: boolean;
  mask: boolean;
  bounds: number[];
  scaled: ReturnType<typeof laneScaling>;
  fast: RequantKind;
  records: Int32Array;
  laneOrder: number[];
  /** the border classes whose starts a mask layer's weights hold (dsp_mask.ts maskClasses) */
  cls: number;
  k: ReturnType<typeof mult1Constants>;
}

/**
 * The layer with its near-constant channels (pruned ones) re-expressed by equivalent records, so that
 * they do not hold it to the exact path; `fits` tells whether FAST records hold for given bounds.
 */
function settledLayer(model: DepthwiseConv2DParams, kernel: DepthwiseDspKernel, byChannel: Int8Array, modelBias: Int32Array | undefined, modelSummary: string) {
  const taps = model.kH * model.kW;
  // the mask kernel, and the plane kernel without a floor clamp, requantize in three instructions
  // (roundsHalfUp) where the floor is at or above the zero point: exact for any right shift from 2
  const roundable = (kernel === 'mask' || (kernel === 'plane' && model.actMin === -128)) && floorAtZeroPoint(RQ_FAST, model.actMin, model.outputZeroPoint);
  const fits = (bounds: readonly number[], m: ChannelMultipliers) =>
    fastRequantHolds(bounds, m, model.outputZeroPoint) || (roundable && roundRequantHolds(bounds, m));
  const settled = settleChannels({ weights: byChannel, rows: model.outC, rowLength: taps, bias: modelBias }, model, (b, m, s) =>
    fits([b], { multiplier: [m], shift: [s] }),
  );
  const p: DepthwiseConv2DParams = settled ? { ...model, ...settled.m } : model;
  const bias = settled ? settled.bias : modelBias;
  const summary = settled ? `${modelSummary}; ${settled.settled} near-constant channels requantized by equivalent records` : modelSummary;
  return { p, bias, summary, fits };
}

/** The settled layer, its requantization form and records, and the kernel's shape (DepthwisePlan). */
function planDepthwise(
  model: DepthwiseConv2DParams,
  filter: Int8Array,
  modelBias: Int32Array | undefined,
  form: DepthwiseDspForm,
  modelSummary: string,
): DepthwisePlan {
  const kernel = form.kernel;
  const taps = model.kH * model.kW;
  // rows of the bound: channel c's taps
  const byChannel = channelMajor(filter, model.outC);
  const { p, bias, summary, fits } = settledLayer(model, kernel, byChannel, modelBias, modelSummary);
  const bounds = accumulatorBounds(byChannel, p.outC, taps, p.inputOffset, bias);
  const narrow = kernel === 'narrow';
  // the narrow kernel is the any-multiplier loop's instance with nc = 3
  const multm = kernel === 'multm' || narrow;
  const scaled = laneScaling(p, kernel, bounds);
  const fast = p.ortScale ? RQ_ORT : scaled !== undefined || fits(bounds, p) ? RQ_FAST : RQ_EXACT;
  const unscaledStart = foldedAccumulatorInit(byChannel, p.outC, taps, p.inputOffset, bias);
  const start = scaled ? Array.from(unscaledStart, (v, c) => v * 2 ** scaled.lsh[c]!) : unscaledStart;
  const records = requantRecords(start, scaled ? scaled.m : p, p.outC, p.outputZeroPoint, fast);
  const laneOrder = multm ? multmLanes(p) : Array.from({ length: p.outC }, (_, c) => c);
  const mask = kernel === 'mask';
  return {
    filter,
    p,
    summary,
    kernel,
    single: kernel === 'single',
    narrow,
    multm,
    plane: kernel === 'plane',
    mask,
    bounds,
    scaled,
    fast,
    records,
    laneOrder,
    // for the mask layer's table and its instance
    cls: form.borderClasses?.(p) ?? 0,
    k: form.constants?.(p),
  };
}

/** The per-lane left shifts of the scaled layers, or a null pointer where the weights carry the scaling. */
function laneShiftsConst(plan: DepthwisePlan, ctx: LayerEmitContext): string {
  const { scaled, plane, mask, k, laneOrder } = plan;
  // the plane kernel's weights are scaled in its table, and so are the weights extended at compile time
  return scaled && !plane && !mask && !k?.kw
    ? ctx.addConst(
        'lsh',
        'uint8_t',
        laneOrder.map((c) => (c < 0 ? 0 : scaled.lsh[c]!)),
      )
    : '(const uint8_t *)0';
}

/**
 * Defines the kernel instance (once per model) from the template, with its clamp and requantization
 * mode; returns its name and the rounding records where it takes them.
 */
function defineKernelInstance(plan: DepthwisePlan, form: DepthwiseDspForm, ctx: LayerEmitContext): { callee: string; roundedRecords: Int32Array | undefined } {
  const { p, single, multm, narrow, plane, mask, k, fast, records, bounds, scaled, cls } = plan;
  const mode = kernelMode(fast, p.actMin, p.actMax);
  // one input channel and undilated rows known when the loop is instantiated: its own copy
  const one = single && p.inC === 1 ? 1 : 0;
  // multiplier 1 over channels not a multiple of 4 (10, 6, ...): its own copy of the any-multiplier
  // loop with the multiplier a constant, so the pass loop and the strided stores fold away
  const multm1 = multm && p.depthMultiplier === 1;
  const split = (k || mask) && splitLoads(ctx.isa) ? 1 : 0;
  const kname = form.instanceName(plan, one, multm1);
  // the four-lane kernels clamp only the ceiling when the floor is -128 (SSAT already floors there):
  // their own instance, `full` TF_DWK_CEILING_ONLY
  const ceilingOnly = !single && mode.full === 0 && p.actMin === -128;
  // the plane kernels' loops hold the zero point where a floor clamp would read the floor: not with both clamps
  const roundedRecords = mask || (plane && (mode.full === 1 || ceilingOnly)) ? roundsHalfUp(records, fast, p) : undefined;
  if (fast === RQ_FAST && !roundedRecords && !scaled && !fastRequantHolds(bounds, p, p.outputZeroPoint))
    throw new Error(`depthwise DSP: ${kname} takes FAST records its requantization does not hold for`);
  const clampMode = ceilingOnly ? { ...mode, mode: `${mode.mode}h`, full: 2 } : mode;
  const kmode = roundedRecords ? { ...clampMode, mode: `${clampMode.mode}k` } : clampMode;
  ctx.defineOnce(
    `tf_dwk_${kname}_${kmode.mode}`,
    ctx.render('depthwise_conv_2d_dsp_kernel.c.hbs', {
      single,
      multm,
      one,
      kname,
      plane,
      mask,
      ih: p.inH,
      iw: p.inW,
      oh: p.outH,
      ow: p.outW,
      sh: p.strideH,
      sw: p.strideW,
      pt: p.padTop,
      pl: p.padLeft,
      wh: plane ? planeWords(p) : 0,
      pc: plane ? p.inC : 0,
      prows: plane ? planeGroupRows(p) : 0,
      mult1: multm1,
      nc: narrow ? 3 : 0,
      kc: mask ? p.inC : (k?.kc ?? 0),
      krow: k?.krow ?? 0,
      ks: k?.ks ?? 0,
      kpad: k?.kpad ?? 0,
      kw: k?.kw ?? 0,
      split,
      cls,
      round: roundedRecords ? 1 : 0,
      ...kmode,
    }),
  );
  return { callee: `tf_dwk_${kname}_${kmode.mode}`, roundedRecords };
}

/** The layer's geometry, for the kernels that read it at run time (all but the mask kernel). */
function geomInit(p: DepthwiseConv2DParams): InitLine[] {
  const [rowsLo, rowsHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colsLo, colsHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  const f = (name: string, value: number): Field => ({ name, value: `${value}` });
  return [
    { fields: [f('in_h', p.inH), f('in_w', p.inW), f('in_c', p.inC)] },
    { fields: [f('out_h', p.outH), f('out_w', p.outW)] },
    { fields: [f('k_h', p.kH), f('k_w', p.kW)] },
    { fields: [f('stride_h', p.strideH), f('stride_w', p.strideW), f('dilation_h', p.dilationH), f('dilation_w', p.dilationW)] },
    { fields: [f('pad_top', p.padTop), f('pad_left', p.padLeft)] },
    { comment: '/* output rows and columns whose window lies inside the image, [lo, hi) */' },
    { fields: [f('oy_lo', rowsLo), f('oy_hi', rowsHi), f('ox_lo', colsLo), f('ox_hi', colsHi)] },
    { fields: [f('input_zero_point', -p.inputOffset)] },
  ];
}

/** The arguments of the kernel's call that come from the layer's buffers and tables. */
export interface KernelCallArgs {
  input: string;
  output: string;
  scratch: string;
  laneShifts: string;
  tables: { weights: string; records?: string };
}

/**
 * The call of the kernels that read the layer's geometry and four-lane records (all but the mask and
 * one-to-three-channel row kernels); the any-multiplier loop's with its multiplier.
 */
export function laneCall(plan: DepthwisePlan, callee: string, a: KernelCallArgs): Statement[] {
  const { p, multm } = plan;
  const { input, output, scratch, laneShifts, tables } = a;
  const rq: CallArg = { addressOf: 'rq' };
  return [
    ...(multm ? [{ comment: [`/* depth multiplier ${p.depthMultiplier}: ${p.outC} output channels from ${p.inC} */`] }] : []),
    {
      callee,
      args: [
        input,
        `${p.batches}`,
        { addressOf: 'geom' },
        ...(multm ? [`${p.depthMultiplier}`] : []),
        tables.weights,
        laneShifts,
        tables.records!,
        rq,
        output,
        scratch,
      ],
    },
  ];
}

/** A kernel's weight and record tables: their symbols. */
export interface KernelTables {
  weights: string;
  records?: string;
}

/**
 * What one Arm DSP kernel (a file of its own beside this one) adds to the emission all of them share
 * (emitDepthwiseDsp): its instance's name and constants, its comment, the layout of its tables and
 * its call.
 */
export interface DepthwiseDspForm {
  kernel: Exclude<DepthwiseDspKernel, 'conv'>;
  /** the constants of a multiplier-1 layer's own instance of tf_dwk_mult1_body (mult1Constants) */
  constants?(p: DepthwiseConv2DParams): ReturnType<typeof mult1Constants>;
  /** the border classes whose starts the mask kernel's weights hold */
  borderClasses?(p: DepthwiseConv2DParams): number;
  /** the kernel instance's name, from the constants it is instantiated with */
  instanceName(plan: DepthwisePlan, one: number, multm1: boolean): string;
  /** how the kernel computes, for the layer's comment (its requantization follows) */
  how(plan: DepthwisePlan): string;
  /** the kernel's weight and record tables, each in the layout it reads */
  tables(plan: DepthwisePlan, roundedRecords: Int32Array | undefined, ctx: LayerEmitContext): KernelTables;
  call(plan: DepthwisePlan, callee: string, a: KernelCallArgs): Statement[];
}

/** The C of a layer on one of the Arm DSP kernels (all but the CONV_2D one, dsp_as_conv.ts). */
export function emitDepthwiseDsp(model: DepthwiseConv2DParams, ctx: LayerEmitContext, modelSummary: string, form: DepthwiseDspForm): LayerCode {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const modelBias = model.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const plan = planDepthwise(model, filter, modelBias, form, modelSummary);
  const p = plan.p;
  // the constants in the order the layer has always added them: lane shifts, kernel, tables
  const laneShifts = laneShiftsConst(plan, ctx);
  const { callee, roundedRecords } = defineKernelInstance(plan, form, ctx);
  const input = ctx.input(0);
  const output = ctx.output(0);
  const scratch = plan.mask ? '' : `(void *)${ctx.scratch()}`;
  const tables = form.tables(plan, roundedRecords, ctx);
  const requant = plan.fast === RQ_FAST ? 'SMMULR' : REQUANT_NAMES[plan.fast];
  return {
    comment: [`/* ${plan.summary} (Arm DSP: ${form.how(plan)}, ${requant} requantization) */`],
    fnName: ctx.fnName,
    decls: [
      { ctype: 'tf_rq_t', name: 'rq', init: rqInit(p.outputZeroPoint, p.actMin, p.actMax) },
      // the mask kernel's instance holds its shape
      ...(plan.mask ? [] : [{ ctype: 'tf_dwk_geom_t', name: 'geom', init: geomInit(p) }]),
    ],
    body: form.call(plan, callee, { input, output, scratch, laneShifts, tables }),
  };
}

/**
 * The C files of a kernel (all but the CONV_2D one): its own header (`depthwise_conv_2d_dsp_<kernel>.h`),
 * and the pieces the kernels share, depthwise_conv_2d_dsp.h, which includes conv_2d_dsp.h (its
 * rounding requantization, the few-channel kernel's pair loop).
 */
function dspFiles(kernel: string): readonly string[] {
  return ['conv_2d/conv_2d_dsp.h', 'depthwise_conv_2d/depthwise_conv_2d_dsp.h', `depthwise_conv_2d/depthwise_conv_2d_dsp_${kernel}.h`];
}

/** How one kernel's variant differs from the others': its header, scratch and, where it has them, its own rules. */
interface DspVariantOptions {
  /** `<kernel>` of its header, depthwise_conv_2d_dsp_<kernel>.h */
  header: string;
  scratchBytes(p: DepthwiseConv2DParams): number;
  /** default: the layers dspKernel gives the form's kernel */
  applies?(p: DepthwiseConv2DParams): boolean;
  /** default: rowOrderOverlap */
  overlap?(p: DepthwiseConv2DParams): OverlapRule | undefined;
  arenaForSpeed?: boolean;
}

/** A kernel's variant: the layers dspKernel gives it, emitted through emitDepthwiseDsp with its form. */
export function depthwiseDspVariant(name: string, form: DepthwiseDspForm, o: DspVariantOptions): KernelVariant<DepthwiseConv2DParams> {
  return {
    name,
    family: 'arm-dsp',
    applies: o.applies ?? ((p) => dspKernel(p) === form.kernel),
    scratchBytes: o.scratchBytes,
    overlap: o.overlap ?? rowOrderOverlap,
    emit: (p, ctx) => emitDepthwiseDsp(p, ctx, summary(p), form),
    cFiles: dspFiles(o.header),
    ortExact: true,
    ...(o.arenaForSpeed ? { arenaForSpeed: true } : {}),
  };
}
