/**
 * Compile-time side of the DSP kernel variants (`kernels_dsp.h`): per-channel requantization
 * records, the accumulator bound that licenses the SMMULR requantization, and weight layouts.
 */
import type { ChannelMultipliers } from './weighted.ts';
import type { KernelIsa } from '../op.ts';

/** int32 fields of one channel's record: start, multiplier, lsh1, rnd, rsh1 (see kernels_dsp.h). */
export const RQ_FIELDS = 5;

export function wantsDsp(isa: KernelIsa | undefined): boolean {
  return isa?.dsp === true;
}

/**
 * Largest |accumulator| of each output row: sum |w| * max |x + offset| + |start offset|, with x any
 * int8. `rows` rows of `rowLength` weights; `extra[r]` is the bias (or nothing).
 */
export function accumulatorBounds(weights: Int8Array, rows: number, rowLength: number, inputOffset: number, bias?: ArrayLike<number>): number[] {
  const maxX = Math.max(Math.abs(-128 + inputOffset), Math.abs(127 + inputOffset));
  const bounds: number[] = [];
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < rowLength; k++) sum += Math.abs(weights[r * rowLength + k]!);
    bounds.push(sum * maxX + Math.abs(bias ? bias[r]! : 0));
  }
  return bounds;
}

/**
 * Whether kernels_dsp.h's FAST requantization is exact for every channel: |acc| * 2^(left+1) fits
 * SMMULR's operand, and 2|SRDHM| + 2^e + |zp| * 2^(e+1) (the folded rounding and zero point) stays
 * below 2^31.
 */
export function fastRequantHolds(bounds: readonly number[], m: ChannelMultipliers, outputZeroPoint: number): boolean {
  return bounds.every((b, c) => {
    const left = Math.max(m.shift[c]!, 0);
    const right = Math.max(-m.shift[c]!, 0);
    const high = b * 2 ** left + 1;
    return b * 2 ** (left + 1) < 2 ** 31 && 2 * high + 2 ** right + Math.abs(outputZeroPoint) * 2 ** (right + 1) < 2 ** 31;
  });
}

/** Per channel { start, multiplier, lsh1, rnd, rsh1 }, flattened (rnd folds the zero point in FAST mode). */
export function requantRecords(start: ArrayLike<number>, m: ChannelMultipliers, channels: number, outputZeroPoint: number, fast: boolean): Int32Array {
  const out = new Int32Array(channels * RQ_FIELDS);
  for (let c = 0; c < channels; c++) {
    const shift = m.shift[c]!;
    const right = Math.max(-shift, 0);
    const rnd = fast ? 2 ** right + outputZeroPoint * 2 ** (right + 1) : 0;
    out.set([start[c]!, m.multiplier[c]!, Math.max(shift, 0) + 1, rnd, right + 1], c * RQ_FIELDS);
  }
  return out;
}

/** The C initializer of a `tf_rq_t`. */
export function rqInit(outputZeroPoint: number, actMin: number, actMax: number): string {
  return `{ ${outputZeroPoint}, ${actMin}, ${actMax} }`;
}

/** The compile-time mode of a DSP kernel instance: `fast` and `full` flags and their name suffix. */
export function kernelMode(fast: boolean, actMin: number, actMax: number): { fast: number; full: number; mode: string } {
  const full = actMin === -128 && actMax === 127;
  return { fast: fast ? 1 : 0, full: full ? 1 : 0, mode: `${fast ? 'f' : 'x'}${full ? 's' : 'c'}` };
}

export function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/**
 * Weight rows of `rowLength` int8, padded with zeros to `k4` and permuted within every group of four
 * as (w0, w2, w1, w3): SXTB16 of the word then gives (w0, w1), with ROR 8 (w2, w3), the natural order
 * of the int16 columns they meet.
 */
export function permutedRows(weights: Int8Array, rows: number, rowLength: number, k4: number): Int8Array {
  const out = new Int8Array(rows * k4);
  const order = [0, 2, 1, 3];
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < rowLength; k++) {
      const group = k & ~3;
      out[r * k4 + group + order[k & 3]!] = weights[r * rowLength + k]!;
    }
  }
  return out;
}

/**
 * Rows (k4 int8 each) in the order kernels_dsp.h reads them: channels in pairs whose rows are
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
