// SPDX-License-Identifier: Apache-2.0
/**
 * Compile-time side of the DSP kernel variants (`common/isa/dsp_requant.h` and the ops' `*_dsp.h`): per-channel requantization
 * records, the accumulator bound that licenses the SMMULR requantization, and weight layouts.
 */
import type { ChannelMultipliers } from '../families/weighted.ts';
import { f32Bits } from '../numerics/requant_f32.ts';

/**
 * int32 fields of one channel's record: start, multiplier, and one word P packing the shifts and
 * the rounding (see dsp_requant.h). FAST: the multiplier stored as 2m - 2^32 (so that SMMLAR(acc,
 * 2m - 2^32, acc) = SMMULR(2 acc, m)), P = rnd * 256 + (e + 9) with rnd = 2^e + zp * 2^(e+1);
 * exact: the multiplier as it is, P = lsh1 | rsh1 << 8.
 */
export const RQ_FIELDS = 3;

/**
 * Largest |accumulator| of each output row, x any int8: the sum over the row of the larger end of
 * w * (x + offset) and the smaller end, each side signed, plus the bias (or nothing). `rows` rows of
 * `rowLength` weights.
 */
export function accumulatorBounds(weights: Int8Array, rows: number, rowLength: number, inputOffset: number, bias?: ArrayLike<number>): number[] {
  const lo = -128 + inputOffset;
  const hi = 127 + inputOffset;
  const bounds: number[] = [];
  for (let r = 0; r < rows; r++) {
    let min = bias ? bias[r]! : 0;
    let max = min;
    for (let k = 0; k < rowLength; k++) {
      const w = weights[r * rowLength + k]!;
      min += Math.min(w * lo, w * hi);
      max += Math.max(w * lo, w * hi);
    }
    bounds.push(Math.max(Math.abs(min), Math.abs(max)));
  }
  return bounds;
}

/**
 * Whether dsp_requant.h's FAST requantization is exact for every channel. Every shift must be <= 0
 * (the left shift is the constant 1) and every multiplier normalized (>= 2^30, so that 2m - 2^32 is
 * an int32); |acc| * 2 fits an int32; |h| = |SMMULR(2 acc, m)| < 2^23 (so h >>> 24 is 255 or 0
 * by its sign); the packed word rnd * 256 + (e + 9) and the numerator h * 512 + P - 255 stay within
 * int32, and the shift e + 9 within 31.
 * `leftShiftOne`: a channel of shift 1 with m < 3 * 2^29 is taken too, as shift 0 with the record's
 * multiplier 4m - 2^32 (an int32 there): SRDHM(2 acc, m) = SMMULR(4 acc, m) = acc + SMMULR(acc,
 * 4m - 2^32) = SMMLAR(acc, 4m - 2^32, acc), and h is about twice as large.
 */
export function fastRequantHolds(bounds: readonly number[], m: ChannelMultipliers, outputZeroPoint: number, leftShiftOne = false): boolean {
  return bounds.every((b, c) => {
    const shift = m.shift[c]!;
    const doubled = leftShiftOne && shift === 1 && m.multiplier[c]! < 3 * 2 ** 29;
    if ((shift > 0 && !doubled) || m.multiplier[c]! < 2 ** 30) return false;
    const e = Math.max(-shift, 0);
    // |h| <= b m / 2^31 + 1/2; one more for the rounding of the float product
    const h = Math.floor((b * m.multiplier[c]! * (doubled ? 2 : 1)) / 2 ** 31) + 2;
    const rnd = Math.abs(2 ** e + outputZeroPoint * 2 ** (e + 1));
    return b * 2 < 2 ** 31 && h < 2 ** 23 && e + 9 <= 31 && 512 * h + 256 * rnd + 512 < 2 ** 31;
  });
}

/**
 * Whether the three-instruction requantization of records that hold K = 2^(32 - e) in place of P
 * (roundRecords here, common/isa/dsp_conv/run_asm.ts roundLines: SMMLAR by m', SMMLAR by K with the zero point, SSAT)
 * is exact for every channel, where the kernel runs it on every path and the activation floor is at
 * or above the zero point (floorAtZeroPoint). Its second SMMLAR is one 64-bit product, so neither
 * FAST's rounding word nor its h < 2^23 binds: multipliers normalized, |acc| * 2 within int32 (h is
 * SRDHM(acc, m)), and right shifts e from 2 (K an int32) to 31.
 */
export function roundRequantHolds(bounds: readonly number[], m: ChannelMultipliers): boolean {
  return bounds.every((b, c) => {
    const e = -m.shift[c]!;
    return e >= 2 && e <= 31 && m.multiplier[c]! >= 2 ** 30 && b * 2 < 2 ** 31;
  });
}

/**
 * Whether dsp_requant.h's WIDE requantization (RQ_WIDE) is exact for every channel: the FAST record
 * without the zero point in its rounding word (added after the shift instead, one ADD per output),
 * scaled by 2^8 rather than 2^9, so that it holds where the zero point's e + 9 + 8 bits overflow the
 * FAST word (zp -128 with shifts of -14 and below) and for accumulators up to 2^23 past the
 * multiplier. Every shift must be <= -1 (the 2^(e-1) rounding term sits above the low byte);
 * multipliers normalized; |acc| * 2 fits an int32; |h| < 2^23 (h >>> 24 is 255 or 0 by its sign);
 * 256 h + 2^(e+7) + 512 within int32; the shift e + 8 within 31.
 */
export function wideRequantHolds(bounds: readonly number[], m: ChannelMultipliers): boolean {
  return bounds.every((b, c) => {
    const shift = m.shift[c]!;
    if (shift > -1 || m.multiplier[c]! < 2 ** 30) return false;
    const e = -shift;
    const h = Math.floor((b * m.multiplier[c]!) / 2 ** 31) + 2;
    return b * 2 < 2 ** 31 && h < 2 ** 23 && e + 8 <= 31 && 256 * h + 2 ** (e + 7) + 512 < 2 ** 31;
  });
}

/**
 * Whether dsp_requant.h's LONG requantization is exact for every channel: h = SRDHM(acc, m) by SMMLAR
 * as FAST (exact for any acc once m is normalized), then RDBPOT(h, e) + zp = (h + [h<0 ? -1 : 0] + K)
 * >> e with K = 2^(e-1) + zp * 2^e, P = 256 K + e (the register-shifted ASR reads e from the low
 * byte). For accumulators past FAST's and WIDE's 2^23 on h (long rows): shifts -1 to -16, multipliers
 * normalized, |K| < 2^23, and |acc| + 1 + |K| within int32.
 */
export function longRequantHolds(bounds: readonly number[], m: ChannelMultipliers, outputZeroPoint: number): boolean {
  return bounds.every((b, c) => {
    const e = -m.shift[c]!;
    if (e < 1 || e > 16 || m.multiplier[c]! < 2 ** 30) return false;
    const k = 2 ** (e - 1) + outputZeroPoint * 2 ** e;
    return Math.abs(k) < 2 ** 23 && b + 1 + Math.abs(k) < 2 ** 31;
  });
}

/**
 * The requantization a DSP kernel instance runs (dsp_requant.h's `fast` argument): 0 TFLM's exact
 * 64-bit steps, 1 FAST (SMMLAR, zero point in the rounding word), 2 WIDE (SMMLAR, zero point added),
 * 3 LONG (SMMLAR, the rounding and zero point added, any accumulator; kernels that take it say so),
 * 4 ORT (ONNX Runtime's float32 steps, dsp_requant.h tf_dsp_rq_ort: layers whose params carry
 * `ortScale`).
 */
export type RequantKind = 0 | 1 | 2 | 3 | 4;
export const RQ_EXACT = 0;
export const RQ_FAST = 1;
export const RQ_WIDE = 2;
export const RQ_LONG = 3;
export const RQ_ORT = 4;

/**
 * The fastest requantization exact for these bounds; `wide`: whether the kernel takes RQ_WIDE and
 * FAST records of shift 1 (fastRequantHolds' leftShiftOne).
 */
export function requantKind(bounds: readonly number[], m: ChannelMultipliers, outputZeroPoint: number, wide = false): RequantKind {
  if (m.ortScale) return RQ_ORT;
  if (fastRequantHolds(bounds, m, outputZeroPoint, wide)) return RQ_FAST;
  if (wide && wideRequantHolds(bounds, m)) return RQ_WIDE;
  return RQ_EXACT;
}

/**
 * Per channel { start, multiplier, P }, flattened (P as RQ_FIELDS says, by mode; `fast` true is
 * RQ_FAST). WIDE: the multiplier as FAST, P = 2^(e+7) + (e + 8). LONG: the multiplier as FAST, P =
 * 256 (2^(e-1) + zp 2^e) + e. ORT: the float32 multiplier's bits (`m.ortScale`), P = 0.
 */
export function requantRecords(
  start: ArrayLike<number>,
  m: ChannelMultipliers,
  channels: number,
  outputZeroPoint: number,
  fast: boolean | RequantKind,
): Int32Array {
  const kind = fast === true ? RQ_FAST : fast === false ? RQ_EXACT : fast;
  const out = new Int32Array(channels * RQ_FIELDS);
  if (kind === RQ_ORT) {
    if (!m.ortScale) throw new Error('ORT requantization records need the float32 multipliers (ortScale)');
    for (let c = 0; c < channels; c++) out.set([start[c]!, f32Bits(m.ortScale[c]!), 0], c * RQ_FIELDS);
    return out;
  }
  for (let c = 0; c < channels; c++) {
    const shift = m.shift[c]!;
    const right = Math.max(-shift, 0);
    let packed: number;
    let stored = kind !== RQ_EXACT ? (2 * m.multiplier[c]!) | 0 : m.multiplier[c]!;
    if (kind === RQ_FAST) {
      if (shift > 1 || (shift === 1 && m.multiplier[c]! >= 3 * 2 ** 29))
        throw new Error('FAST requantization records need shifts <= 0 (or 1 under m < 3 * 2^29)');
      // shift 1: SMMLAR(acc, 4m - 2^32, acc) = SRDHM(2 acc, m) (fastRequantHolds)
      if (shift === 1) stored = (4 * m.multiplier[c]! - 2 ** 32) | 0;
      packed = (2 ** right + outputZeroPoint * 2 ** (right + 1)) * 256 + right + 9;
    } else if (kind === RQ_WIDE) {
      if (shift > -1) throw new Error('WIDE requantization records need shifts <= -1');
      packed = 2 ** (right + 7) + right + 8;
    } else if (kind === RQ_LONG) {
      if (shift > -1 || shift < -16) throw new Error('LONG requantization records need shifts -1 to -16');
      packed = (2 ** (right - 1) + outputZeroPoint * 2 ** right) * 256 + right;
    } else {
      packed = (Math.max(shift, 0) + 1) | ((right + 1) << 8);
    }
    out.set([start[c]!, stored, packed], c * RQ_FIELDS);
  }
  return out;
}

/** The C initializer of a `tf_rq_t` (dsp_requant.h). */
export function rqInit(outputZeroPoint: number, actMin: number, actMax: number): string {
  return `{ .out_zp = ${outputZeroPoint}, .act_min = ${actMin}, .act_max = ${actMax} }`;
}

/** What each RequantKind is called in the layers' comments. */
export const REQUANT_NAMES = ['exact 64-bit', 'SMMLAR', 'SMMLAR (wide)', 'SMMLAR (long accumulators)', "ONNX Runtime's float32"] as const;

/**
 * The compile-time mode of a DSP kernel instance: the `fast` (RequantKind: 1 SMMLAR requantization
 * with the zero point in the rounding word, 2 the WIDE one, 3 the LONG one, 0 TFLM's exact 64-bit
 * steps) and `full` (activation range [-128, 127]: one SSAT, else a clamp) flags, the suffix naming
 * the shared function (f/w/l/x, then s/c), and those words for the C comment.
 */
export function kernelMode(fast: boolean | RequantKind, actMin: number, actMax: number): { fast: number; full: number; mode: string; modeText: string } {
  const kind = fast === true ? RQ_FAST : fast === false ? RQ_EXACT : fast;
  const full = actMin === -128 && actMax === 127;
  return {
    fast: kind,
    full: full ? 1 : 0,
    mode: `${['x', 'f', 'w', 'l', 'o'][kind]}${full ? 's' : 'c'}`,
    modeText: `${REQUANT_NAMES[kind]} requantization, ${full ? 'saturating to int8' : 'clamped to the activation range'}`,
  };
}

export function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/**
 * Rows (k4 int8 each) in the order conv_2d_dsp.h reads them: channels in pairs whose rows are
 * interleaved four bytes at a time, an odd last row as it is. Same size as the input.
 */
export function interleavedPairs(rows: Int8Array, count: number, k4: number): Int8Array {
  const out = new Int8Array(count * k4);
  let at = 0;
  let r = 0;
  for (; r + 2 <= count; r += 2) {
    for (let g = 0; g < k4; g += 4) {
      for (const row of [r, r + 1]) for (let j = 0; j < 4; j++) out[at++] = rows[row * k4 + g + j]!;
    }
  }
  if (r < count) out.set(rows.subarray(r * k4, (r + 1) * k4), at);
  return out;
}

/**
 * The smallest gap (input start minus output start, bytes) at which a kernel that walks output rows
 * in order, reading input rows from oy * strideH - padTop on while it writes row oy, never
 * overwrites input it still needs: (oy + 1) * outRow <= gap + max(0, oy * strideH - padTop) * inRow.
 */
export function rowWindowGap(outH: number, outRowBytes: number, strideH: number, padTop: number, inRowBytes: number): number {
  let gap = 0;
  for (let oy = 0; oy < outH; oy++) gap = Math.max(gap, (oy + 1) * outRowBytes - Math.max(0, oy * strideH - padTop) * inRowBytes);
  return gap;
}

/** The gap for kernels that read every input of a pixel pair before writing the pair's outputs. */
export function pixelPairGap(pixels: number, inPixelBytes: number, outPixelBytes: number): number {
  return Math.max(0, pixels * (outPixelBytes - inPixelBytes));
}

/**
 * A weights blob being laid out: int8 rows and little-endian int32 record fields, in the order a
 * kernel reads them; `start(r)` and `scale(r)` put channel r's start and its { m, P }.
 */
export function recordBlob(rows: Int8Array, records: Int32Array) {
  if (RQ_FIELDS !== 3) throw new Error('the DSP weights blobs expect { start, m, P } records');
  const out = new Int8Array(rows.length + records.length * 4);
  const view = new DataView(out.buffer);
  let at = 0;
  const put = (v: number) => {
    view.setInt32(at, v, true);
    at += 4;
  };
  return {
    out,
    start: (r: number) => put(records[r * RQ_FIELDS]!),
    scale: (r: number) => {
      put(records[r * RQ_FIELDS + 1]!);
      put(records[r * RQ_FIELDS + 2]!);
    },
    rows: (from: number, bytes: number) => {
      out.set(rows.subarray(from, from + bytes), at);
      at += bytes;
    },
  };
}

/**
 * The weights (interleavedPairs) with the requantization records split around them in the order
 * conv_2d_dsp.h's tf_dsp_pair_channels reads them: per channel pair { start a, start b }, the pair's
 * 2 k4 weights, { m a, P a, m b, P b }; an odd last channel { start }, k4 weights, { m, P }.
 * `split` (the 1x1 assembly run): per pair { start a }, the weights, { start b, m a, P a, m b, P b }.
 * Little-endian int32 fields, every one 4-byte aligned (k4 is a multiple of 4).
 */
export function withRecords(rows: Int8Array, records: Int32Array, channels: number, k4: number, split = false): Int8Array {
  const blob = recordBlob(rows, records);
  for (let c = 0; c < channels; c += 2) {
    const both = c + 1 < channels;
    const group = both ? [c, c + 1] : [c];
    // split (the assembly run, conv_2d_dsp.h tf_dsp_pw_run_t): the second start after the weights,
    // so that one LDM past the loop reads it with the two { m, P }
    const before = split && both ? [c] : group;
    before.forEach(blob.start);
    blob.rows(c * k4, group.length * k4);
    if (split && both) blob.start(c + 1);
    group.forEach(blob.scale);
  }
  return blob.out;
}

/**
 * Whether a FAST or WIDE layer's activation floor lies at or above its output zero point (RELU,
 * RELU6, or none under zero point -128): then rqLines may drop its SUB of 255 [h < 0]
 * (common/isa/dsp_requant.h). That term only turns TFLite Micro's round-half-away-from-zero into
 * round-half-up for h < 0, and for h < 0 both give RDBPOT(h, e) <= 0: without the SUB,
 * (512 h + 256 rnd + e + 9) >> (e + 9) is floor(h / 2^e + 1/2 + (e + 9) / 2^(e + 9)) + zp, whose first
 * term is at most 0 for h <= -1 (the last fraction stays below 1/2); WIDE's (256 h + 2^(e+7) + e +
 * 8) >> (e + 8) the same. So the output is at most the zero point before the clamp either way, and
 * the floor (SSAT at -128 = zp, or the lane clamp at act_min >= zp; WIDE: USAT at 0, then the clamp
 * at act_min - zp >= 0) makes both act_min. For h >= 0 the term is 0 (|h| < 2^24 in both modes).
 */
export function floorAtZeroPoint(fast: number, actMin: number, outputZeroPoint: number): boolean {
  return (fast === 1 || fast === 2) && actMin >= outputZeroPoint;
}

/**
 * FAST or WIDE records (common/isa/dsp.ts requantRecords: { start, m', P }) with each P replaced by
 * K = 2^(32 - e), e the channel's right shift (P's low byte less 9, FAST, or 8, WIDE), for
 * roundLines; undefined where a channel's e is below 2 (K = 2^31 and up is no int32).
 */
export function roundRecords(records: Int32Array, fast: number): Int32Array | undefined {
  if (fast !== 1 && fast !== 2) return undefined;
  const out = Int32Array.from(records);
  for (let i = 2; i < out.length; i += RQ_FIELDS) {
    const e = (records[i]! & 255) - (fast === 2 ? 8 : 9);
    if (e < 2 || e > 31) return undefined;
    out[i] = 2 ** (32 - e);
  }
  return out;
}
