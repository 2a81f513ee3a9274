// SPDX-License-Identifier: Apache-2.0
/**
 * The weight layouts of the Arm DSP convolution kernels, laid out at compile time in the order
 * their loops read them: rows padded to k4, channel pairs in halfwords (`pairs`), channel quads
 * with their records, the triple run's `split` order and the bands' (kx, ky, c) orders.
 */
import { recordBlob } from '../dsp.ts';
import type { Conv2DParams } from '../../../conv_2d/contract.ts';

/** Weight rows of `rowLength` int8 padded with zeros to `k4`. */
export function paddedRows(weights: Int8Array, rows: number, rowLength: number, k4: number): Int8Array {
  const out = new Int8Array(rows * k4);
  for (let r = 0; r < rows; r++) out.set(weights.subarray(r * rowLength, (r + 1) * rowLength), r * k4);
  return out;
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
export const PAIR_CHUNK_STEPS = 120;

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

/** The `split` order of an im2col layer's values: k_h filter rows of 4 q values, then a tail of one value a row (or none). */
interface SplitShape {
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
