// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Armv6-M variants (Cortex-M0/M0+, the RP2040), depthwise_conv_2d_m0plus.h (+ .S): one copy of
 * each loop per model, layers passing their geometry and tables. One input channel (micro_speech's and
 * person_detect's first layers): an assembly loop loads each input byte once for 8 output channels
 * whose accumulators all stay in registers (weights a word at a time), rows of windows inside the image
 * in one call; kernel rows or columns in the padding are skipped, corners gathered with the zero point.
 * Depth multiplier 1 over channels that are a multiple of 4: four channels per pass, a word of input
 * and of weights per tap, inside windows at constant tap offsets. Both fold the input offset into
 * per-channel starts and requantize exactly with 16x16 products instead of a 64-bit multiply. Weights
 * are re-laid at compile time in the order the loops read them (same byte count). Other shapes with
 * 4-channel blocks (in_c > 1 and a multiplier that is a multiple of 4) keep the per-layer loop of
 * depthwise_conv_2d_m0plus.c.hbs; the rest the portable kernel.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import type { Field, InitLine, LayerEmission } from '../layer_code.ts';
import { summary } from './describe.ts';
import { channelMajor } from './filter_layout.ts';
import { constInt32, constInt8, cTerm, foldedAccumulatorInit, requantExprs } from '../common/families/weighted.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import { rowWindowGap } from '../common/isa/dsp.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { insideRange } from '../common/families/conv_geometry.ts';
import type { Conv2DParams } from '../conv_2d/index.ts';
import { emitConvM0plusWith, packedConvScratchBytes as convScratchBytes } from '../common/isa/m0plus_conv.ts';

const INT16_MAX = 32767;

function fitsGeometry(p: DepthwiseConv2DParams): boolean {
  const dims = [p.inH, p.inW, p.inC, p.outH, p.outW, p.outC, p.kH, p.kW, p.strideH, p.strideW, p.dilationH, p.dilationW, p.padTop, p.padLeft];
  return dims.every((d) => d <= INT16_MAX) && p.multiplier.every((m) => m >= 0) && p.shift.every((s) => s >= -31 && s <= 31);
}

/**
 * One input channel, out_c a multiple of 4: tf_m0dw_single. Its weight sums are int16 (foldSums)
 * and its channel pairs' second sums exact (tf_m0dw_pair_word) over at most 255 taps of |w| <= 128;
 * the pairs must fit their halfword (TFLite's symmetric weights, in [-127, 127], always do).
 */
function singleApplies(p: DepthwiseConv2DParams): boolean {
  return p.inC === 1 && p.outC % 4 === 0 && p.kH * p.kW <= 255 && p.channelPairsFit !== false && fitsGeometry(p);
}

/** The high byte of the halfword w_a + 256 w_b as stored (low byte w_a): w_b - [w_a < 0]. */
function pairHigh(a: number, b: number): number {
  return b - (a < 0 ? 1 : 0);
}

/** Whether every channel pair (2i, 2i + 1) of a [1, kH, kW, outC] filter fits its halfword. */
export function channelPairsFit(filter: Int8Array, outC: number): boolean {
  for (let t = 0; t + outC <= filter.length; t += outC) {
    for (let c = 0; c + 1 < outC; c += 2) if (pairHigh(filter[t + c]!, filter[t + c + 1]!) < -128) return false;
  }
  return true;
}

/**
 * tf_m0dw_single's weights: groupedWeights' order (per group of 8 channels, then a 4, every tap's
 * bytes) with each channel pair (a, b) stored as the int16 w_a + 256 w_b (depthwise_conv_2d_m0plus.h,
 * tf_m0dw_pair_word): bytes (w_a, w_b - [w_a < 0]).
 */
export function pairedWeights(grouped: Int8Array): Int8Array {
  const out = Int8Array.from(grouped);
  for (let i = 0; i + 1 < out.length; i += 2) {
    const high = pairHigh(grouped[i]!, grouped[i + 1]!);
    if (high < -128) throw new Error('depthwise: a channel pair does not fit its halfword (channelPairsFit)');
    out[i + 1] = high;
  }
  return out;
}

/**
 * tf_m0dw_row8s's weights, for the windows inside the image: per group of 8 channels, per kernel row,
 * per tap pair (kx, kx + 1) and per channel pair (a, b), the int32 words w_a + 65536 w_b of the two
 * taps (twice groupedWeights' bytes). One MULS then gives both channels' products, and a step's two
 * products of channel a sum to |lo| <= 32640 < 2^15 (so that SXTH splits them off exactly) unless
 * both weights are -128: undefined then, for an odd k_w (rows of whole tap pairs) and for fewer than 8
 * channels (the loops of 4 keep groupedWeights').
 */
export function tapPairWeights(filter: Int8Array, p: DepthwiseConv2DParams): Int8Array | undefined {
  const groups = Math.floor(p.outC / 8);
  if (p.kW % 2 !== 0 || groups === 0) return undefined;
  const taps = p.kH * p.kW;
  const weight = (t: number, c: number) => filter[t * p.outC + c]!;
  for (let c = 0; c < groups * 8; c++) {
    for (let t = 0; t < taps; t += 2) if (weight(t, c) === -128 && weight(t + 1, c) === -128) return undefined;
  }
  const out = new Int8Array(groups * taps * 16);
  const view = new DataView(out.buffer);
  let at = 0;
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < taps; t += 2) {
      for (let j = 0; j < 8; j += 2) {
        for (const tap of [t, t + 1]) {
          view.setInt32(at, weight(tap, 8 * g + j) + 65536 * weight(tap, 8 * g + j + 1), true);
          at += 4;
        }
      }
    }
  }
  return out;
}

/** The pixel columns outside the inside range with tap-pair tables of their own (edgeTables). */
export interface EdgeTables {
  /** count, then per column { ox, first input column, taps a row, byte offset in `weights` } */
  info: Int32Array;
  /** per column, per group of 8 channels: tapPairWeights' layout over the column's taps */
  weights: Int8Array;
  /**
   * per column, the groups of 8's records with the starts less the padded columns' share of the fold;
   * then the same block for each output row cut by the padding above or below (rows [0, oy_lo), then
   * [oy_hi, out_h)), the starts less the skipped kernel rows' share too (rowSums)
   */
  records: Int32Array;
  /**
   * per column, per kernel row boundary ky (0..k_h), per channel of the groups of 8: the sum of the
   * column's weights in the image over kernel rows [0, ky), for rows cut by the padding above or below
   */
  rowSums: Int16Array;
}

/**
 * The output pixels whose window lies inside the image (insideRange): columns [oxLo, oxHi) and rows
 * [oyLo, oyHi), every row by default.
 */
export interface InsideRanges {
  oxLo: number;
  oxHi: number;
  oyLo?: number;
  oyHi?: number;
}

/**
 * The tap-pair tables of the pixel columns outside [oxLo, oxHi) (undilated columns): the window's
 * columns in the image, one more where their count is odd (zero weights, on the side that stays
 * inside the image), as whole tap pairs, so that tf_m0dw_single_edges runs those pixels of whole
 * kernel rows through tf_m0dw_row8s, reading only the image. A column whose pairs would hold -128
 * twice for a channel (or wider than the image) keeps tf_m0dw_single_pixel. Undefined when none is left.
 */
export function edgeTables(filter: Int8Array, recs: Int32Array, p: DepthwiseConv2DParams, inside: InsideRanges): EdgeTables | undefined {
  const { oxLo, oxHi, oyLo = 0, oyHi = p.outH } = inside;
  const groups = Math.floor(p.outC / 8);
  if (groups === 0 || p.dilationW !== 1 || oxLo >= oxHi) return undefined;
  const off = p.inputOffset;
  const info: number[] = [0];
  const weights: number[] = [];
  const records: number[] = [];
  const rowSums: number[] = [];
  for (let ox = 0; ox < p.outW; ox++) {
    if (ox >= oxLo && ox < oxHi) continue;
    const ix0 = ox * p.strideW - p.padLeft;
    const fxLo = Math.max(0, -ix0);
    const fxHi = Math.min(p.kW, p.inW - ix0);
    const cols = fxHi - fxLo;
    if (cols <= 0) continue;
    const n = cols + (cols % 2);
    let sx = ix0 + fxLo;
    if (sx + n > p.inW) sx -= n - cols;
    if (sx < 0 || n > p.inW) continue;
    const weight = (ky: number, ix: number, c: number) => {
      const kx = ix - ix0;
      return kx >= 0 && kx < p.kW ? filter[(ky * p.kW + kx) * p.outC + c]! : 0;
    };
    let fits = true;
    for (let c = 0; c < groups * 8 && fits; c++) {
      for (let ky = 0; ky < p.kH && fits; ky++) {
        for (let t = 0; t < n; t += 2) if (weight(ky, sx + t, c) === -128 && weight(ky, sx + t + 1, c) === -128) fits = false;
      }
    }
    if (!fits) continue;
    info[0]!++;
    info.push(ox, sx, n, weights.length);
    for (let g = 0; g < groups; g++) {
      for (let ky = 0; ky < p.kH; ky++) {
        for (let t = 0; t < n; t += 2) {
          for (let j = 0; j < 8; j += 2) {
            for (const ix of [sx + t, sx + t + 1]) {
              const word = weight(ky, ix, 8 * g + j) + 65536 * weight(ky, ix, 8 * g + j + 1);
              weights.push(word & 0xff, (word >> 8) & 0xff, (word >> 16) & 0xff, (word >> 24) & 0xff);
            }
          }
        }
      }
    }
    for (let c = 0; c < groups * 8; c++) {
      // the start holds off * (every weight): the columns in the padding read nothing
      let cut = 0;
      for (let ky = 0; ky < p.kH; ky++) {
        for (let kx = 0; kx < p.kW; kx++) if (kx < fxLo || kx >= fxHi) cut += filter[(ky * p.kW + kx) * p.outC + c]!;
      }
      records.push((recs[3 * c]! - off * cut) | 0, recs[3 * c + 1]!, recs[3 * c + 2]!);
    }
    for (let ky = 0, sums = new Array<number>(groups * 8).fill(0); ky <= p.kH; ky++) {
      rowSums.push(...sums);
      if (ky === p.kH) break;
      for (let c = 0; c < groups * 8; c++) for (let kx = fxLo; kx < fxHi; kx++) sums[c] = sums[c]! + filter[(ky * p.kW + kx) * p.outC + c]!;
    }
  }
  if (info[0] === 0) return undefined;
  // the rows cut by the padding: the whole rows' records less the skipped kernel rows' share of the fold
  const whole = records.slice();
  const n8 = groups * 8;
  for (let oy = 0; oy < p.outH; oy++) {
    if (oy >= oyLo && oy < oyHi) continue;
    const dh = p.dilationH;
    const iy0 = oy * p.strideH - p.padTop;
    const fyLo = iy0 < 0 ? Math.floor((dh - 1 - iy0) / dh) : 0;
    const fyHi = Math.min(p.kH, Math.floor((p.inH + dh - 1 - iy0) / dh));
    for (let col = 0; col < info[0]!; col++) {
      const sums = rowSums.slice(col * (p.kH + 1) * n8, (col + 1) * (p.kH + 1) * n8);
      for (let c = 0; c < n8; c++) {
        const at = (col * n8 + c) * 3;
        const skipped = fyHi > fyLo ? sums[fyHi * n8 + c]! - sums[fyLo * n8 + c]! - sums[p.kH * n8 + c]! : 0;
        records.push((whole[at]! + off * skipped) | 0, whole[at + 1]!, whole[at + 2]!);
      }
    }
  }
  return {
    info: Int32Array.from(info),
    weights: Int8Array.from(weights, (b) => (b << 24) >> 24),
    records: Int32Array.from(records),
    rowSums: Int16Array.from(rowSums),
  };
}

/**
 * Whether a one-input-channel layer's rows may run over tap pairs (tapPairWeights decides on the
 * weights): not under `--prefer size` (tapPairRows false), which keeps tf_m0dw_row8's one table.
 */
function pairRowsPossible(p: DepthwiseConv2DParams): boolean {
  return p.tapPairRows !== false && p.kW % 2 === 0 && p.outC >= 8 && p.dilationW === 1 && p.shift.every((v) => v < 0);
}

/** Depth multiplier 1, channels a multiple of 4: tf_m0dw_mult1. */
function mult1Applies(p: DepthwiseConv2DParams): boolean {
  return p.depthMultiplier === 1 && p.inC % 4 === 0 && fitsGeometry(p);
}

/** The per-layer loop: 4-channel blocks sharing one input load (multiplier a multiple of 4). */
function blockApplies(p: DepthwiseConv2DParams): boolean {
  return p.outC % 4 === 0 && p.depthMultiplier % 4 === 0;
}

/**
 * Any depth multiplier over in_c >= 2: tf_m0dw_multm (ahead of the per-layer block loop, which it
 * beats: 17.4 against 32.2 cycles/MAC on 28x28x8 multiplier 4). Not one input channel with out_c off
 * a multiple of 4: a pass of 4 lanes per multiplier would use one lane (74 cycles/MAC on 112x112x1
 * multiplier 2, against the portable C's 54).
 */
function multmApplies(p: DepthwiseConv2DParams): boolean {
  return p.inC > 1 && fitsGeometry(p);
}

/**
 * One input channel with out_c off a multiple of 4 is a convolution of one input channel: CONV_2D's
 * packed im2col loop (two pixels per multiply, channels in pairs, an odd last one alone; see
 * docs/kernels.md for the figures against the portable C). Not where its packed sums could overflow
 * (two -128 weights in one step of a channel: convStepsFit, from the weights at prepare time).
 */
function asConvApplies(p: DepthwiseConv2DParams): boolean {
  return p.inC === 1 && p.outC % 4 !== 0 && p.convStepsFit !== false && fitsGeometry(p) && convScratchBytes(asConv(p)) > 0;
}

/**
 * Whether a one-input-channel [1, k_h, k_w, out_c] filter, read as CONV_2D's OHWI rows, has no
 * channel with -128 on both taps of a step (i, i + 1 for even i): common/isa/m0plus_conv.ts's packedHolds.
 */
export function convStepsFit(filter: Int8Array, outC: number): boolean {
  const taps = filter.length / outC;
  for (let c = 0; c < outC; c++) {
    for (let t = 0; t + 1 < taps; t += 2) if (filter[t * outC + c] === -128 && filter[(t + 1) * outC + c] === -128) return false;
  }
  return true;
}

/** The one-input-channel layer as a CONV_2D (filter OHWI [out_c, k_h, k_w, 1]). */
export function asConv(p: DepthwiseConv2DParams): Conv2DParams {
  return { ...p, filterInC: 1, groups: 1 };
}

/** The loop a layer runs, in order of preference. */
function m0plusKernel(p: DepthwiseConv2DParams): 'conv' | 'single' | 'mult1' | 'block' | 'multm' | undefined {
  if (asConvApplies(p)) return 'conv';
  if (singleApplies(p)) return 'single';
  if (mult1Applies(p)) return 'mult1';
  if (multmApplies(p)) return 'multm';
  if (blockApplies(p)) return 'block';
  return undefined;
}

export function m0plusApplies(p: DepthwiseConv2DParams): boolean {
  return m0plusKernel(p) !== undefined;
}

/**
 * The one-input-channel and multiplier-1 loops walk output rows in order, writing each pixel after
 * reading its window and reading no input row above the current row's window, so the output may
 * start rowWindowGap bytes before the input. (The planner places each tensor on its own, so the
 * overlap does not widen a merged buffer for the next layer.) Not declared for the multiplier-m
 * and block loops, whose passes are not checked for it.
 */
export function m0plusOverlap(p: DepthwiseConv2DParams): { input: number; gap: number } | undefined {
  const kernel = m0plusKernel(p);
  if (p.batches !== 1 || (kernel !== 'single' && kernel !== 'mult1')) return undefined;
  return { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) };
}

/**
 * One input channel: a gathered window (the fold's shares of skipped rows and columns are a constant
 * table, foldSums). Multiplier 1: a pixel's accumulators, a pointer
 * per tap (room for 8-byte host pointers, whole groups of 8 so that what follows stays aligned), an
 * offset per tap and a zero-point row.
 */
export function m0plusScratchBytes(p: DepthwiseConv2DParams): number {
  if (asConvApplies(p)) return convScratchBytes(asConv(p));
  // rows cut by the padding copy the records (12 bytes each) of the groups of 8 there when they run over tap pairs
  if (singleApplies(p)) return pairRowsPossible(p) ? Math.max(p.kH * p.kW, 12 * (p.outC - (p.outC % 8))) : p.kH * p.kW;
  if (mult1Applies(p)) return p.inC * 4 + Math.ceil((p.kH * p.kW) / 8) * 64 + p.kH * p.kW * 4 + p.inC;
  if (m0plusKernel(p) === 'multm') {
    const c4 = Math.ceil(p.inC / 4) * 4;
    const taps = p.kH * p.kW;
    return c4 * p.depthMultiplier * 4 + Math.ceil(taps / 8) * 64 + taps * 8 + c4 + taps * c4 + c4;
  }
  return 0;
}

/** Filter [taps][C] regrouped: per group of `size` channels (8s then a 4 when `size` is 8), every tap's bytes. */
function groupedWeights(filter: Int8Array, taps: number, channels: number, size: number): Int8Array {
  const out = new Int8Array(taps * channels);
  let at = 0;
  for (let c = 0; c < channels; ) {
    const g = channels - c >= size ? size : 4;
    for (let t = 0; t < taps; t++) for (let j = 0; j < g; j++) out[at++] = filter[t * channels + c + j]!;
    c += g;
  }
  return out;
}

/**
 * tf_m0dw_single's `sums`: per kernel row boundary ky (0..k_h) and channel the sum of the channel's
 * weights in rows [0, ky), then per column boundary kx (0..k_w) in columns [0, kx) over every row.
 * Constant, so that the layer's scratch is the gathered window alone (the int32 tables it replaced
 * were computed per call into (k_h + k_w + 2) * out_c * 4 bytes of the arena).
 */
export function foldSums(filter: Int8Array, p: DepthwiseConv2DParams): Int16Array {
  const out = new Int16Array((p.kH + p.kW + 2) * p.outC);
  const cols = (p.kH + 1) * p.outC;
  for (let c = 0; c < p.outC; c++) {
    for (let ky = 0; ky < p.kH; ky++) {
      let row = 0;
      for (let kx = 0; kx < p.kW; kx++) row += filter[(ky * p.kW + kx) * p.outC + c]!;
      out[(ky + 1) * p.outC + c] = out[ky * p.outC + c]! + row;
    }
    for (let kx = 0; kx < p.kW; kx++) {
      let col = 0;
      for (let ky = 0; ky < p.kH; ky++) col += filter[(ky * p.kW + kx) * p.outC + c]!;
      out[cols + (kx + 1) * p.outC + c] = out[cols + kx * p.outC + c]! + col;
    }
  }
  return out;
}

/**
 * Whether channel c's requantization takes tf_m0dw_rqn's form (m0plus_rq.h tf_m0_requant_raw): no left
 * shift, e + 1 <= 31, and every accumulator the loops can pass within its bounds. An accumulator is
 * the bias plus w (x + off) over a subset of the taps (skipped taps leave their share of the fold
 * with them, padded taps read -off), |x + off| <= 255: |acc| <= |bias| + 255 sum |w| < 2^30; the
 * rounding numerator as common/isa/m0plus_conv.ts's fastChannel bounds it.
 */
function fastChannel(byChannel: Int8Array, taps: number, bias: Int32Array | undefined, p: DepthwiseConv2DParams, c: number): boolean {
  const shift = p.shift[c]!;
  if (shift > 0 || -shift + 1 > 31) return false;
  let sumAbs = 0;
  for (let t = 0; t < taps; t++) sumAbs += Math.abs(byChannel[c * taps + t]!);
  const bound = Math.abs(bias ? bias[c]! : 0) + 255 * sumAbs;
  if (bound >= 2 ** 30) return false;
  const e = -shift;
  const rnd = Math.abs(2 ** e + p.outputZeroPoint * 2 ** (e + 1));
  const h = Math.floor((bound * p.multiplier[c]!) / 2 ** 31) + 2;
  return rnd < 2 ** 22 && 2 * h + rnd + 2 ** 19 < 2 ** 31;
}

/** The most breakpoints thresholdTables checks a channel at (else the layer keeps the multiplies). */
const THRESHOLD_CHECKS = 20000;

/**
 * tf_m0dw_rqn8's threshold form of an rq_fast layer of one group of 8 channels: per channel c the words
 * A, S, B, then T[1..N-1] (N = act_max - act_min + 1 outputs), T[k] the least accumulator whose output
 * is at least act_min + k. The output is monotonic in the accumulator, so with q0 = (acc A >> S) + B
 * (acc A within int32 for every accumulator the loops can pass, fastChannel's bound) it is act_min
 * plus 0 when q0 < 0, N - 1 when q0 > N - 2, else q0 + [acc >= T[q0 + 1]]: one multiply instead of
 * four. A and B are chosen so that this equals TFLite Micro's requantization and clamp at every
 * accumulator in the bound: both sides are steps, checked at every step of either. Undefined when no
 * choice passes (or the steps are too many to check): the layer keeps tf_m0_requant_raw's form.
 */
export function thresholdTables(byChannel: Int8Array, taps: number, bias: Int32Array | undefined, p: DepthwiseConv2DParams): Int32Array | undefined {
  const n = p.actMax - p.actMin + 1;
  if (p.outC !== 8 || n < 2 || n > 256) return undefined;
  const out: number[] = [];
  for (let c = 0; c < p.outC; c++) {
    let sumAbs = 0;
    for (let t = 0; t < taps; t++) sumAbs += Math.abs(byChannel[c * taps + t]!);
    const bound = Math.abs(bias ? bias[c]! : 0) + 255 * sumAbs;
    const m = p.multiplier[c]!;
    const shift = p.shift[c]!;
    if (shift > 0 || m <= 0 || bound >= 2 ** 30) return undefined;
    const level = (acc: number) => clamp(mbqm(acc, m, shift) + p.outputZeroPoint, p.actMin, p.actMax) - p.actMin;
    // T[k]: the least accumulator in [-bound, bound + 1] with level >= k (bound + 1: none)
    const t = [0];
    for (let k = 1; k < n; k++) {
      let lo = -bound;
      let hi = bound + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (level(mid) >= k) hi = mid;
        else lo = mid + 1;
      }
      t.push(lo);
    }
    // the widest S whose A = floor(m 2^(shift + S - 31)) keeps acc A within int32
    let a = 0;
    let sh = -1;
    for (let s = 31; s >= 0; s--) {
      const cand = Math.floor(m * 2 ** (shift + s - 31));
      if (cand >= 1 && cand * bound < 2 ** 31) {
        a = cand;
        sh = s;
        break;
      }
    }
    if (sh < 0) return undefined;
    const steps = Math.ceil((2 * bound * a) / 2 ** sh);
    if (steps > THRESHOLD_CHECKS) return undefined;
    const points: number[] = [-bound, bound];
    for (let k = 1; k < n; k++) points.push(t[k]!, t[k]! - 1);
    const first = Math.floor((-bound * a) / 2 ** sh);
    for (let j = first; j <= first + steps + 1; j++) {
      const at = Math.ceil((j * 2 ** sh) / a);
      points.push(at, at - 1);
    }
    const inside = points.filter((x) => x >= -bound && x <= bound);
    const guess = p.outputZeroPoint - p.actMin;
    let chosen: number | undefined;
    for (const b of [guess, guess - 1, guess + 1, guess - 2, guess + 2]) {
      const ok = inside.every((acc) => {
        const q0 = Math.floor((acc * a) / 2 ** sh) + b;
        const got = q0 < 0 ? 0 : q0 > n - 2 ? n - 1 : acc >= t[q0 + 1]! ? q0 + 1 : q0;
        return got === level(acc);
      });
      if (ok) {
        chosen = b;
        break;
      }
    }
    if (chosen === undefined) return undefined;
    out.push(a, sh, chosen, ...t.slice(1));
  }
  return Int32Array.from(out);
}

/**
 * Per channel { start, multiplier, third }: when every channel is fast (fastChannel; the layer's
 * rq_fast), third is CONV_2D's P = (2^e + zp 2^(e + 1) - 2^16) 256 + e + 1 (the output zero point
 * and the rounding folded in, e + 1 in the low byte); otherwise left | right << 8.
 */
function records(start: Int32Array, p: DepthwiseConv2DParams, fast: boolean): Int32Array {
  const out = new Int32Array(p.outC * 3);
  for (let c = 0; c < p.outC; c++) {
    const s = p.shift[c]!;
    const e = -s;
    const third = fast ? (2 ** e + p.outputZeroPoint * 2 ** (e + 1) - 2 ** 16) * 256 + e + 1 : Math.max(s, 0) | (Math.max(-s, 0) << 8);
    out.set([start[c]!, p.multiplier[c]!, third], c * 3);
  }
  return out;
}

/** The shared loops' one copy per model (depthwise_conv_2d_m0plus.h), placed before the first layer calling it. */
const SHARED_LOOPS = {
  single: {
    name: 'tf_m0dw_single',
    code: `/* the shared Armv6-M depthwise loop (one input channel), one copy per model */
static __attribute__((noinline)) void tf_m0dw_single(const int8_t *in, int batches, const tf_m0dw_geom_t *g, const int8_t *w, const int32_t *q,
                           const int16_t *sums, const int8_t *w2, int8_t *out, void *scratch) {
  tf_m0dw_single_body(in, batches, g, w, q, sums, w2, (const tf_m0dw_edges_t *)0, out, scratch);
}
`,
  },
  singleEdges: {
    name: 'tf_m0dw_single_e',
    code: `/* the shared Armv6-M depthwise loop (one input channel, pixel columns with tap-pair tables of their own), one copy per model */
static __attribute__((noinline)) void tf_m0dw_single_e(const int8_t *in, int batches, const tf_m0dw_geom_t *g, const int8_t *w, const int32_t *q,
                             const int16_t *sums, const int8_t *w2, const tf_m0dw_edges_t *ed, int8_t *out, void *scratch) {
  tf_m0dw_single_body(in, batches, g, w, q, sums, w2, ed, out, scratch);
}
`,
  },
  multm: {
    name: 'tf_m0dw_multm',
    code: `/* the shared Armv6-M depthwise loop (any depth multiplier over any channels), one copy per model */
static __attribute__((noinline)) void tf_m0dw_multm(const int8_t *in, int batches, const tf_m0dw_geom_t *g, const int8_t *w, const int32_t *q,
                          int8_t *out, void *scratch) {
  tf_m0dw_multm_body(in, batches, g, w, q, out, scratch);
}
`,
  },
  mult1: {
    name: 'tf_m0dw_mult1',
    code: `/* the shared Armv6-M depthwise loop (depth multiplier 1), one copy per model */
static __attribute__((noinline)) void tf_m0dw_mult1(const int8_t *in, int batches, const tf_m0dw_geom_t *g, const int8_t *w, const int32_t *q,
                          int8_t *out, void *scratch) {
  tf_m0dw_mult1_body(in, batches, g, w, q, out, scratch);
}
`,
  },
};

/**
 * tf_m0dw_multm's tables: per m, per group of four input channels (in_c rounded up to c4), every
 * tap's four weights (0 past in_c); records per m in lane order (zeros past in_c).
 */
function multmTables(filter: Int8Array, recs: Int32Array, p: DepthwiseConv2DParams): { weights: Int8Array; records: Int32Array } {
  const c = p.inC;
  const mult = p.depthMultiplier;
  const c4 = Math.ceil(c / 4) * 4;
  const taps = p.kH * p.kW;
  const weights = new Int8Array(mult * c4 * taps);
  const records = new Int32Array(mult * c4 * 3);
  let at = 0;
  for (let m = 0; m < mult; m++) {
    for (let g = 0; g < c4; g += 4) {
      for (let t = 0; t < taps; t++) for (let j = 0; j < 4; j++) weights[at++] = g + j < c ? filter[t * p.outC + (g + j) * mult + m]! : 0;
    }
    for (let ch = 0; ch < c; ch++) {
      const oc = ch * mult + m;
      records.set(recs.subarray(oc * 3, oc * 3 + 3), (m * c4 + ch) * 3);
    }
  }
  return { weights, records };
}

export function emitDepthwiseM0plus(p: DepthwiseConv2DParams, ctx: LayerEmitContext, summary: string): LayerEmission {
  const kernel = m0plusKernel(p);
  if (kernel === 'conv') {
    const ohwi = channelMajor(constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!), p.outC);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    const emitted = emitConvM0plusWith(asConv(p), ctx, summary, ohwi, bias);
    if (emitted === undefined) throw new Error('depthwise: the packed loop refused a layer convStepsFit passed');
    return emitted;
  }
  const single = kernel === 'single';
  if (kernel === 'single' || kernel === 'mult1' || kernel === 'multm') {
    const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    const taps = p.kH * p.kW;
    const byChannel = channelMajor(filter, p.outC);
    const start = foldedAccumulatorInit(byChannel, p.outC, taps, p.inputOffset, bias);
    const fast = Array.from({ length: p.outC }, (_, c) => fastChannel(byChannel, taps, bias, p, c)).every((f) => f);
    const recs = records(start, p, fast);
    const [oyLo, oyHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
    const [oxLo, oxHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
    // the windows inside the image over tap pairs, where the layer's rows run tf_m0dw_row8s
    const pairTable = single && pairRowsPossible(p) && oxLo < oxHi ? tapPairWeights(filter, p) : undefined;
    // the pixel columns outside the inside range over tap pairs too, each with its own table
    const edges = pairTable && fast ? edgeTables(filter, recs, p, { oxLo, oxHi, oyLo, oyHi }) : undefined;
    // the pixels of the rows' loop requantized through thresholds (one group of 8 channels)
    const thresholds = pairTable && fast ? thresholdTables(byChannel, taps, bias, p) : undefined;
    const thr = thresholds ? ctx.addConst('rq_thr', 'int32_t', thresholds) : undefined;
    const loop = SHARED_LOOPS[edges ? 'singleEdges' : kernel];
    ctx.defineOnce(loop.name, loop.code);
    const tables =
      kernel === 'multm'
        ? multmTables(filter, recs, p)
        : single
          ? { weights: pairedWeights(groupedWeights(filter, taps, p.outC, 8)), records: recs }
          : { weights: groupedWeights(filter, taps, p.outC, 4), records: recs };
    const how = single
      ? `one input load per tap for 8 channels${pairTable ? ', two products per multiply inside the image' : ''}, assembly`
      : kernel === 'multm'
        ? `4 input channels per pass over tap pointers, ${p.depthMultiplier} passes`
        : '4 channels per pass over tap pointers';
    const input = ctx.input(0);
    const output = ctx.output(0);
    const scratch = `(void *)${ctx.scratch()}`;
    const weights = ctx.addConst('w_m0', 'int8_t', tables.weights);
    const recordTable = ctx.addConst('rq', 'int32_t', tables.records);
    const sums = single ? ctx.addConst('wsum', 'int16_t', foldSums(filter, p)) : '';
    const w2 = pairTable ? ctx.addConst('w_m0_pairs', 'int8_t', pairTable) : '(const int8_t *)0';
    const f = (name: string, value: number): Field => ({ name, value: `${value}` });
    const geom: InitLine[] = [
      { fields: [f('in_h', p.inH), f('in_w', p.inW), f('in_c', p.inC), f('out_h', p.outH), f('out_w', p.outW), f('out_c', p.outC)] },
      {
        fields: [
          f('k_h', p.kH),
          f('k_w', p.kW),
          f('stride_h', p.strideH),
          f('stride_w', p.strideW),
          f('dilation_h', p.dilationH),
          f('dilation_w', p.dilationW),
        ],
      },
      { fields: [f('pad_top', p.padTop), f('pad_left', p.padLeft), f('oy_lo', oyLo), f('oy_hi', oyHi), f('ox_lo', oxLo), f('ox_hi', oxHi)] },
      { fields: [f('input_zero_point', -p.inputOffset), f('output_zero_point', p.outputZeroPoint), f('act_min', p.actMin), f('act_max', p.actMax)] },
      { fields: [f('rq_fast', fast ? 1 : 0), ...(thr ? [{ name: 'thr', value: thr }] : [])] },
    ];
    const edgeDecl = edges
      ? [
          {
            ctype: 'tf_m0dw_edges_t',
            name: 'edges',
            init: [
              {
                fields: [
                  { name: 'info', value: ctx.addConst('edges', 'int32_t', edges.info) },
                  { name: 'w', value: ctx.addConst('w_m0_edges', 'int8_t', edges.weights) },
                  { name: 'q', value: ctx.addConst('rq_edges', 'int32_t', edges.records) },
                  {
                    name: 'k8',
                    value: [
                      f('n', 8),
                      f('output_zero_point', p.outputZeroPoint),
                      f('act_min', p.actMin),
                      f('act_max', p.actMax),
                      ...(thr ? [{ name: 'thr', value: thr }] : []),
                    ],
                  },
                ],
              },
            ],
          },
        ]
      : [];
    return {
      comment: [`/* ${summary} (Armv6-M: ${how}) */`],
      fnName: ctx.fnName,
      decls: [{ ctype: 'tf_m0dw_geom_t', name: 'geom', init: geom }, ...edgeDecl],
      body: [
        {
          callee: loop.name,
          args: [
            input,
            `${p.batches}`,
            { addressOf: 'geom' },
            weights,
            recordTable,
            ...(sums ? [sums, w2] : []),
            ...(edges ? [{ addressOf: 'edges' }] : []),
            output,
            scratch,
          ],
        },
      ],
    };
  }
  const { mult, shift } = requantExprs(p, 'c', (s, t, v) => ctx.addConst(s, t, v));
  return ctx.render('depthwise_conv_2d_m0plus.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary,
    input: ctx.input(0),
    filter: ctx.input(1),
    output: ctx.output(0),
    bias: p.hasBias ? ctx.input(2) : '',
    inImage: p.inH * p.inW * p.inC,
    inRow: p.inW * p.inC,
    tapStep: p.dilationW * p.inC,
    inputOffsetTerm: cTerm(p.inputOffset),
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
  });
}

export const depthwiseM0plusVariant: KernelVariant<DepthwiseConv2DParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: m0plusApplies,
  scratchBytes: m0plusScratchBytes,
  overlap: m0plusOverlap,
  emit: (p, ctx) => emitDepthwiseM0plus(p, ctx, summary(p)),
  cFiles: [
    'depthwise_conv_2d/depthwise_conv_2d_m0plus.h',
    'depthwise_conv_2d/depthwise_conv_2d_m0plus.S',
    'common/isa/m0plus_mac.h',
    // one input channel off multiples of 4 runs CONV_2D's packed loop (unused functions: --gc-sections)
    'conv_2d/conv_2d_m0plus.h',
    'conv_2d/conv_2d_m0plus.S',
  ],
};
